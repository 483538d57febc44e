using System.Net;
using NatMap.Tests.Infrastructure;
using static NatMap.Tests.Forwarding.ForwardModeTestbedLayout;

namespace NatMap.Tests.Forwarding;

/// <summary>
/// Issue 10: forward mode with <c>--forward-method nftables</c>, natmap CLI in lan behind the
/// full-cone router, the service on its own host behind lan (testbed.sh up --service: srv
/// 198.51.100.10 and 2001:db8:3::10, lan forwarding). The kernel DNATs the mapped port to srv,
/// so srv sees the wan client's own address.
/// </summary>
public sealed class KernelForwardTestbedTests(ITestOutputHelper output)
{
    private const string Ip4p45555 = "2001::b1f3:cb00:7101";
    private static readonly TimeSpan Client = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan Exit = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Tcp_WanClient_ReachesServiceWithItsOwnAddress_TensOfMiBEachWay_SigtermRemovesTable()
    {
        await using var testbed = await StartTestbedAsync("tcp");
        var service = await ForwardModePeer.StartServiceAsync(testbed, TestbedNode.Service, "tcp", testbed.ServiceAddress, ServicePort);
        var natmap = StartKernelForwarding(testbed, "tcp", ServicePort);
        Assert.Equal($"203.0.113.1 {PublicPort} {Ip4p45555} {PrivatePort} tcp 192.0.2.2", await natmap.ReadMappingAsync(FirstMapping));

        // Two clients at once, 16 MiB each, echoed: 32 MiB each way through the kernel's DNAT.
        const int Bytes = 16 << 20;
        var result = await ForwardModePeer.RunClientAsync(testbed, TestbedNode.Wan, Client, "tcp", testbed.PublicAddress.ToString(), ForwardModePeer.Text(PublicPort), "2", ForwardModePeer.Text(Bytes));
        Assert.True(result.ExitCode == 0, result.ToString());
        foreach (var line in result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var f = line.Split(' ');
            Assert.Equal((f[3], f[4]), (f[6], f[7]));
            Assert.Equal(ForwardModePeer.Text(Bytes), f[6]);
        }

        for (int i = 0; i < 2; i++)
        {
            var done = (await service.ReadLineAsync(l => l.StartsWith("done ", StringComparison.Ordinal), Client, "'done'")).Split(' ');
            Assert.Equal("203.0.113.2", done[1]);
            Assert.Equal(ForwardModePeer.Text(Bytes), done[3]);
        }

        // The rule counters saw the bytes (IP bytes, so a little more than the payload).
        var table = await NftAsync(testbed, "list", "table", "inet", "natmap_tcp_5555");
        Assert.Contains("dnat ip to 198.51.100.10:6000", table, StringComparison.Ordinal);
        Assert.True(CounterBytes(table, "natmap to_target") > 2L * Bytes, table);
        Assert.True(CounterBytes(table, "natmap from_target") > 2L * Bytes, table);

        // The forwarded flows' conntrack entries (TIME_WAIT here) still held the translation: stop drops them too.
        Assert.Contains("dport=5555", (await testbed.ExecAsync(TestbedNode.Lan, ["conntrack", "-L", "-p", "tcp", "--orig-port-dst", "5555", "--dst-nat"])).Stdout, StringComparison.Ordinal);
        Assert.Equal(0, await natmap.StopAsync(Exit));
        Assert.DoesNotContain("natmap_", await NftAsync(testbed, "list", "tables"), StringComparison.Ordinal);
        Assert.DoesNotContain("dport=5555", (await testbed.ExecAsync(TestbedNode.Lan, ["conntrack", "-L", "-p", "tcp", "--orig-port-dst", "5555", "--dst-nat"])).Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Udp_WanClient_DatagramsOf1To65000BytesIntact_ServiceSeesClientAddress_ExcludedPeerNotForwarded()
    {
        await using var testbed = await StartTestbedAsync("udp");
        var service = await ForwardModePeer.StartServiceAsync(testbed, TestbedNode.Service, "udp", testbed.ServiceAddress, ServicePort);

        // A second STUN server that never answers: the mapper's servers are excluded from the DNAT,
        // which 203.0.113.3:3999 is then, while any other source port of that address is forwarded.
        var natmap = StartKernelForwarding(testbed, "udp", ServicePort, ["-s", "203.0.113.3:3999"]);
        Assert.Equal($"203.0.113.1 {PublicPort} {Ip4p45555} {PrivatePort} udp 192.0.2.2", await natmap.ReadMappingAsync(FirstMapping));

        var result = await ForwardModePeer.RunClientAsync(testbed, TestbedNode.Wan, Client, "udp", testbed.PublicAddress.ToString(), ForwardModePeer.Text(PublicPort), "2", "1", "1400", "1473", "9000", "32768", "65000");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(12, result.Stdout.Split('\n').Count(l => l.StartsWith("ok ", StringComparison.Ordinal)));
        var echoed = await service.ReadLineAsync(l => l.StartsWith("echoed ", StringComparison.Ordinal), Client, "'echoed'");
        Assert.Equal("203.0.113.2", echoed.Split(' ')[1]);

        await SendFromAsync(testbed, "203.0.113.3", 3999);
        await SendFromAsync(testbed, "203.0.113.3", 4000);
        var control = await service.ReadLineAsync(l => l.StartsWith("echoed 203.0.113.3 ", StringComparison.Ordinal), Client, "the control datagram");
        Assert.Equal("echoed 203.0.113.3 4000 5", control);
        Assert.DoesNotContain(service.Transcript, l => l.Contains("echoed 203.0.113.3 3999", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Udp_PublicPortTarget_FollowsRemap_ConntrackFlushKeepsPublicPort()
    {
        await using var testbed = await StartTestbedAsync("udp");
        var first = await ForwardModePeer.StartServiceAsync(testbed, TestbedNode.Service, "udp", testbed.ServiceAddress, PublicPort);
        var second = await ForwardModePeer.StartServiceAsync(testbed, TestbedNode.Service, "udp", testbed.ServiceAddress, NewPublicPort);
        var natmap = StartKernelForwarding(testbed, "udp", 0, ["-k", "1"]);
        Assert.Equal($"203.0.113.1 {PublicPort} {Ip4p45555} {PrivatePort} udp 192.0.2.2", await natmap.ReadMappingAsync(FirstMapping));
        await ReachAsync(testbed, PublicPort);
        await first.ReadLineAsync(l => l.StartsWith("echoed 203.0.113.2 ", StringComparison.Ordinal), Client, "'echoed' on the first target");

        // Pitfall 3 of the design notes: the mapper's own conntrack entries flushed while it keeps
        // checking once a second. Its checks must keep their source port, so the public port stays.
        for (int i = 0; i < 5; i++)
        {
            await testbed.ExecAsync(TestbedNode.Lan, ["conntrack", "-F"]);
            await testbed.ExecAsync(TestbedNode.Lan, ["sleep", "0.7"]);
        }

        Assert.DoesNotContain(natmap.Process.Transcript, l => l.Contains(" out: ", StringComparison.Ordinal) && !l.Contains($" {PublicPort} ", StringComparison.Ordinal));
        output.WriteLine("after five conntrack flushes the mapping is still " + PublicPort);
        await ReachAsync(testbed, PublicPort);

        // A flow that the retarget must not move: from the router's lan side straight to 192.0.2.2:5555,
        // so the router's own re-mapping (which forgets its NAT flows) leaves it alone.
        var flow = testbed.Start(TestbedNode.Router, "python3", ["-u", "-c", OneSocketClient, testbed.LanAddress.ToString(), ForwardModePeer.Text(PrivatePort)]);
        await flow.WriteInputAsync("1\n", close: false);
        await flow.ReadLineAsync(l => l == "reply 5", Client, "the long flow's first echo");
        await first.ReadLineAsync(l => l.StartsWith("echoed 192.0.2.1 ", StringComparison.Ordinal), Client, "the long flow on the first target");

        await testbed.RemapAsync(PrivatePort, PublicPort, NewPublicPort);
        var line = await natmap.ReadMappingAsync(Recovery);
        Assert.StartsWith($"203.0.113.1 {NewPublicPort} ", line, StringComparison.Ordinal);
        await ReachAsync(testbed, NewPublicPort);
        var echoed = await second.ReadLineAsync(l => l.StartsWith("echoed ", StringComparison.Ordinal), Client, "'echoed' on the new target");
        Assert.Equal("203.0.113.2", echoed.Split(' ')[1]);
        Assert.Contains($"dnat ip to 198.51.100.10:{NewPublicPort}", await NftAsync(testbed, "list", "table", "inet", "natmap_udp_5555"), StringComparison.Ordinal);

        // The flow opened before the retarget still reaches its own target (conntrack kept its binding).
        await flow.WriteInputAsync("2\n", close: false);
        await flow.ReadLineAsync(l => l == "reply 5", Client, "the long flow's echo after the retarget");
        await first.ReadLineAsync(l => l.StartsWith("echoed 192.0.2.1 ", StringComparison.Ordinal), Client, "the long flow still on the first target");
        Assert.DoesNotContain(second.Transcript, l => l.Contains("echoed 192.0.2.1 ", StringComparison.Ordinal));
    }

    /// <summary>One UDP socket for the whole run: each line on stdin sends 5 bytes to ADDR PORT and prints <c>reply LENGTH</c>.</summary>
    private const string OneSocketClient = """
        import socket, sys
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(5.0)
        for _ in sys.stdin:
            s.sendto(b"hello", (sys.argv[1], int(sys.argv[2])))
            data, _ = s.recvfrom(100)
            print(f"reply {len(data)}", flush=True)
        """;

    [Theory]
    [InlineData("127.0.0.1", "1")]
    [InlineData("0.0.0.0", "0")]
    public async Task SameHostService_LoopbackOnlyOrWildcard_ReachedWithClientAddress(string target, string localnetWhileRunning)
    {
        // 127.0.0.1: a service bound to loopback only, reached by DNAT with route_localnet on the
        // ingress interface (restored at exit); 0.0.0.0: one on all addresses, reached by redirect.
        await using var testbed = await StartTestbedAsync("udp");
        var service = await ForwardModePeer.StartServiceAsync(testbed, TestbedNode.Lan, "udp", IPAddress.Parse(target), ServicePort);
        var natmap = NatmapProcess.Start(testbed, TestbedNode.Lan, "-u", "-s", testbed.WanAddress.ToString(), "-b", ForwardModePeer.Text(PrivatePort), "-t", target, "-p", ForwardModePeer.Text(ServicePort), "--forward-method", "nftables");
        await natmap.ReadMappingAsync(FirstMapping);
        Assert.Equal(localnetWhileRunning, await RouteLocalnetAsync(testbed));

        await ReachAsync(testbed, PublicPort);
        var echoed = await service.ReadLineAsync(l => l.StartsWith("echoed ", StringComparison.Ordinal), Client, "'echoed'");
        Assert.Equal("203.0.113.2", echoed.Split(' ')[1]);

        Assert.Equal(0, await natmap.StopAsync(Exit));
        Assert.Equal("0", await RouteLocalnetAsync(testbed));
    }

    [Fact]
    public async Task Sigkill_ThenRestart_LeavesExactlyOneTable_CleanupRemovesIt()
    {
        await using var testbed = await StartTestbedAsync("udp");
        var killed = StartKernelForwarding(testbed, "udp", ServicePort);
        await killed.ReadMappingAsync(FirstMapping);
        Assert.Equal(137, await killed.StopAsync(Exit, NativeSignals.SigKill));
        Assert.Contains("natmap_udp_5555", await NftAsync(testbed, "list", "tables"), StringComparison.Ordinal);

        var restarted = StartKernelForwarding(testbed, "udp", ServicePort);
        await restarted.ReadMappingAsync(FirstMapping);
        await restarted.Process.ReadErrorLineAsync(l => l.Contains("left behind by an earlier run", StringComparison.Ordinal), Client, "the leftover's replacement");
        var tables = await NftAsync(testbed, "list", "tables");
        Assert.Single(tables.Split('\n'), l => l.Contains("natmap_", StringComparison.Ordinal));
        Assert.Single(tables.Split('\n'), l => l.Trim() == "table inet natmap_udp_5555");
        Assert.Equal(137, await restarted.StopAsync(Exit, NativeSignals.SigKill));

        var cleanup = NatmapProcess.Start(testbed, TestbedNode.Lan, "--cleanup-nftables");
        Assert.Equal(0, await cleanup.Process.WaitForExitAsync(Exit));
        Assert.Contains(cleanup.Process.Transcript, l => l.Contains("removed nftables table inet natmap_udp_5555", StringComparison.Ordinal));
        Assert.DoesNotContain("natmap_", await NftAsync(testbed, "list", "tables"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ForwardPolicyDrop_InAnotherTable_ReportedWithTheRuleToAdd()
    {
        await using var testbed = await StartTestbedAsync("udp");
        var firewall = await testbed.ExecAsync(TestbedNode.Lan, ["nft", "-f", "-"], "table inet hostfw {\n chain forward {\n  type filter hook forward priority filter; policy drop;\n  ct state established,related accept\n }\n}\n");
        Assert.Equal(0, firewall.ExitCode);

        var natmap = StartKernelForwarding(testbed, "udp", ServicePort);
        var warning = await natmap.Process.ReadErrorLineAsync(l => l.Contains("policy drop", StringComparison.Ordinal), FirstMapping, "the policy drop warning");
        Assert.Contains("chain forward of table inet hostfw", warning, StringComparison.Ordinal);
        Assert.Contains("nft insert rule inet hostfw forward ct status dnat accept", warning, StringComparison.Ordinal);

        // The user's table is reported, never edited.
        Assert.DoesNotContain("dnat", await NftAsync(testbed, "list", "table", "inet", "hostfw"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoCapNetAdmin_OneClearLine_ExitOne_NothingInstalled()
    {
        Requirements.Command("setpriv");
        await using var testbed = await StartTestbedAsync("udp");
        var (file, prefix) = NatmapProcess.Command;
        var process = testbed.Start(TestbedNode.Lan, "setpriv", ["--inh-caps=-all", "--bounding-set=-all", "--", file, .. prefix, "-u", "-s", "203.0.113.2", "-b", "5555", "-t", "198.51.100.10", "-p", "6000", "--forward-method", "nftables"]);

        Assert.Equal(1, await process.WaitForExitAsync(Exit));
        var errors = process.Transcript.Where(l => l.Contains(" err: ", StringComparison.Ordinal)).ToList();
        Assert.Single(errors);
        Assert.Contains("natmap: --forward-method nftables: nftables forwarding needs CAP_NET_ADMIN", errors[0], StringComparison.Ordinal);
        Assert.DoesNotContain("natmap_", await NftAsync(testbed, "list", "tables"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoLibnftables_OneClearLine_ExitOne()
    {
        Requirements.Command("unshare");
        await using var testbed = await StartTestbedAsync("udp");
        var library = new FileInfo(LibnftablesPath()!).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? LibnftablesPath()!;
        var (file, prefix) = NatmapProcess.Command;
        string[] command = [file, .. prefix];
        string natmap = string.Join(' ', command.Select(a => "'" + a + "'"));

        // /dev/null over the library, in a mount namespace of the test's own: dlopen finds no ELF there.
        var process = testbed.Start(TestbedNode.Lan, "unshare", ["-m", "sh", "-c", $"mount --make-rprivate / && mount --bind /dev/null '{library}' && exec {natmap} -u -s 203.0.113.2 -b 5555 -t 198.51.100.10 -p 6000 --forward-method nftables"]);

        Assert.Equal(1, await process.WaitForExitAsync(Exit));
        var errors = process.Transcript.Where(l => l.Contains(" err: ", StringComparison.Ordinal)).ToList();
        Assert.Single(errors);
        Assert.Contains("natmap: --forward-method nftables: nftables forwarding needs libnftables", errors[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ipv6_Tcp_WanClientReachesServiceWithItsOwnAddress()
    {
        await using var testbed = await StartTestbedAsync("tcp");
        var service = await ForwardModePeer.StartServiceAsync(testbed, TestbedNode.Service, "tcp", testbed.ServiceAddress6, ServicePort);
        var natmap = NatmapProcess.Start(testbed, TestbedNode.Lan, "-6", "-s", $"[{testbed.WanAddress6}]", "-h", $"[{testbed.WanAddress6}]", "-b", "5555",
            "-t", testbed.ServiceAddress6.ToString(), "-p", ForwardModePeer.Text(ServicePort), "--forward-method", "nftables");
        Assert.Equal($"{testbed.LanAddress6} 5555  5555 tcp {testbed.LanAddress6}", await natmap.ReadMappingAsync(FirstMapping));

        var result = await ForwardModePeer.RunClientAsync(testbed, TestbedNode.Wan, Client, "tcp", testbed.LanAddress6.ToString(), "5555", "1", ForwardModePeer.Text(1 << 20));
        Assert.True(result.ExitCode == 0, result.ToString());
        var done = (await service.ReadLineAsync(l => l.StartsWith("done ", StringComparison.Ordinal), Client, "'done'")).Split(' ');
        Assert.Contains(done[1], new[] { testbed.WanAddress6.ToString(), testbed.WanAddress6B.ToString() });
        Assert.Contains($"dnat ip6 to [{testbed.ServiceAddress6}]:{ServicePort}", await NftAsync(testbed, "list", "table", "inet", "natmap_tcp_5555"), StringComparison.Ordinal);
        Assert.Equal(0, await natmap.StopAsync(Exit));
    }

    private static Task<Infrastructure.Testbed> StartTestbedAsync(string protocol)
    {
        Requirements.Command("nft");
        if (LibnftablesPath() is null)
        {
            Requirements.Unmet("needs libnftables.so.1 (package libnftables1)");
        }

        return Infrastructure.Testbed.StartAsync(coturn: true, nginx: protocol == "tcp", service: true);
    }

    private static string? LibnftablesPath() =>
        new[] { "/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib" }
            .Select(d => Path.Combine(d, "libnftables.so.1")).FirstOrDefault(File.Exists);

    /// <summary>natmap in lan forwarding the mapped port 5555 to srv at <paramref name="targetPort"/> through the kernel.</summary>
    private static NatmapProcess StartKernelForwarding(Infrastructure.Testbed testbed, string protocol, int targetPort, string[]? extra = null)
    {
        string[] mode = protocol == "udp" ? ["-u"] : ["-h", testbed.WanAddress.ToString()];
        return NatmapProcess.Start(
            testbed,
            TestbedNode.Lan,
            ["-4", .. mode, "-s", testbed.WanAddress.ToString(), .. extra ?? [], "-b", ForwardModePeer.Text(PrivatePort), "-t", testbed.ServiceAddress.ToString(), "-p", ForwardModePeer.Text(targetPort), "--forward-method", "nftables"]);
    }

    private static async Task ReachAsync(Infrastructure.Testbed testbed, int publicPort)
    {
        var result = await ForwardModePeer.RunClientAsync(testbed, TestbedNode.Wan, Client, "udp", testbed.PublicAddress.ToString(), ForwardModePeer.Text(publicPort), "1", "5");
        Assert.True(result.ExitCode == 0, $"the wan client did not get its echo through {testbed.PublicAddress}:{publicPort}: {result}");
    }

    /// <summary>One 5-byte datagram from wan's <paramref name="address"/>:<paramref name="port"/> to the public endpoint.</summary>
    private static async Task SendFromAsync(Infrastructure.Testbed testbed, string address, int port)
    {
        var sent = await testbed.ExecAsync(TestbedNode.Wan, ["socat", "-u", "-", $"UDP:{testbed.PublicAddress}:{PublicPort},bind={address}:{port}"], "ping\n");
        Assert.Equal(0, sent.ExitCode);
    }

    private static async Task<string> RouteLocalnetAsync(Infrastructure.Testbed testbed) =>
        (await testbed.ExecAsync(TestbedNode.Lan, ["cat", "/proc/sys/net/ipv4/conf/lan0/route_localnet"])).Stdout.Trim();

    private static async Task<string> NftAsync(Infrastructure.Testbed testbed, params string[] arguments)
    {
        var result = await testbed.ExecAsync(TestbedNode.Lan, ["nft", .. arguments]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Stdout;
    }

    /// <summary>The sum of the byte counters of the rules commented <paramref name="comment"/> in an nft listing.</summary>
    private static long CounterBytes(string listing, string comment) =>
        listing.Split('\n').Where(l => l.Contains($"comment \"{comment}\"", StringComparison.Ordinal))
            .Sum(l => long.Parse(l[(l.IndexOf(" bytes ", StringComparison.Ordinal) + 7)..].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture));
}
