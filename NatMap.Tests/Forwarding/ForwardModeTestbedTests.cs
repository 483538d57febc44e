using System.Diagnostics;
using NatMap.Tests.Infrastructure;
using static NatMap.Tests.Forwarding.ForwardModeTestbedLayout;

namespace NatMap.Tests.Forwarding;

/// <summary>
/// Issue 4, "Proof": the natmap CLI in forward mode (<c>-t</c>, <c>-p</c>) as a black box in the lan
/// namespace behind the testbed's full-cone router (5555 to 45555), with the target service in lan and
/// the clients in wan, so every byte crosses the real NAT and natmap's forwarder. The services and
/// clients are <see cref="ForwardModePeer"/>. Timings go to the test output, never into assertions.
/// </summary>
public sealed class ForwardModeTestbedTests(ITestOutputHelper output)
{
    private const string Ip4p45555 = "2001::b1f3:cb00:7101";
    private const string Ip4p45600 = "2001::b220:cb00:7101";

    private static readonly TimeSpan Client = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Bulk = TimeSpan.FromSeconds(180);

    [Theory]
    [InlineData("tcp")]
    [InlineData("udp")]
    public async Task Forward_WanClient_ReachesLanServiceThroughPublicEndPoint(string protocol)
    {
        await using var testbed = await StartTestbedAsync(protocol);
        var service = await ForwardModePeer.StartServiceAsync(testbed, TestbedNode.Lan, protocol, testbed.LanAddress, ServicePort);
        var natmap = StartForwarding(testbed, protocol, ServicePort);
        var line = await natmap.ReadMappingAsync(FirstMapping);
        Assert.Equal(Line(PublicPort, protocol), line);

        await ReachAsync(testbed, protocol, PublicPort);

        // The service saw the flow from natmap's forwarder in lan, not from the wan client.
        var seen = await ServiceLineAsync(service, protocol);
        Assert.Equal(testbed.LanAddress.ToString(), seen[1]);
    }

    [Fact]
    public async Task Tcp_FourClientsOf24MiB_ArriveIntactBothWays()
    {
        const int clients = 4;
        const int bytes = 24 << 20;
        await using var testbed = await StartTestbedAsync("tcp");
        var service = await ForwardModePeer.StartServiceAsync(testbed, TestbedNode.Lan, "tcp", testbed.LanAddress, ServicePort);
        var natmap = StartForwarding(testbed, "tcp", ServicePort);
        Assert.Equal(Line(PublicPort, "tcp"), await natmap.ReadMappingAsync(FirstMapping));

        var clock = Stopwatch.StartNew();
        var result = await ForwardModePeer.RunClientAsync(testbed, TestbedNode.Wan, Bulk, "tcp", testbed.PublicAddress.ToString(), ForwardModePeer.Text(PublicPort), ForwardModePeer.Text(clients), ForwardModePeer.Text(bytes));
        output.WriteLine($"tcp: {clients} x {bytes >> 20} MiB echoed through the forwarder in {clock.ElapsedMilliseconds} ms");
        Assert.True(result.ExitCode == 0, $"the clients failed: {result}\n{natmap.Process.Describe()}");

        // Each client got back exactly what it sent (the way back), ...
        var sent = new List<string>();
        foreach (var fields in Fields(result.Stdout, "client"))
        {
            Assert.True(fields.Length == 8, string.Join(' ', fields));
            Assert.Equal(ForwardModePeer.Text(bytes), fields[3]);
            Assert.Equal(fields[3], fields[6]);
            Assert.Equal(fields[4], fields[7]);
            sent.Add(fields[4]);
        }

        Assert.Equal(clients, sent.Distinct().Count());

        // ... and the service received exactly what each client sent (the way there).
        var received = new List<string>();
        for (int i = 0; i < clients; i++)
        {
            var done = await ServiceLineAsync(service, "tcp");
            Assert.Equal(ForwardModePeer.Text(bytes), done[3]);
            received.Add(done[4]);
        }

        Assert.Equal(sent.Order(StringComparer.Ordinal), received.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Udp_Datagrams1To65000BytesFromFourPorts_ArriveIntactBothWays()
    {
        const int sockets = 4;
        int[] sizes = [1, 2, 64, 548, 1024, 1472, 1473, 2048, 2049, 4096, 8192, 9000, 16384, 32768, 49152, 65000];
        await using var testbed = await StartTestbedAsync("udp");
        var service = await ForwardModePeer.StartServiceAsync(testbed, TestbedNode.Lan, "udp", testbed.LanAddress, ServicePort);
        var natmap = StartForwarding(testbed, "udp", ServicePort);
        Assert.Equal(Line(PublicPort, "udp"), await natmap.ReadMappingAsync(FirstMapping));

        var result = await ForwardModePeer.RunClientAsync(
            testbed, TestbedNode.Wan, Bulk, ["udp", testbed.PublicAddress.ToString(), ForwardModePeer.Text(PublicPort), ForwardModePeer.Text(sockets), .. sizes.Select(ForwardModePeer.Text)]);
        output.WriteLine(string.Join('\n', Fields(result.Stdout, "resend").Concat(Fields(result.Stdout, "resent")).Select(fields => string.Join(' ', fields))));
        Assert.True(result.ExitCode == 0, $"the client failed: {result}\n{natmap.Process.Describe()}\n{service.Describe()}");

        var ok = Fields(result.Stdout, "ok").ToList();
        Assert.Equal(sockets * sizes.Length, ok.Count);
        Assert.Equal(sockets, ok.Select(fields => fields[1]).Distinct().Count());
        Assert.Equal(sizes.Select(ForwardModePeer.Text).Order(StringComparer.Ordinal), ok.Select(fields => fields[2]).Distinct().Order(StringComparer.Ordinal));

        // The service in lan saw every size whole, each client port as its own forwarder session.
        var echoed = new HashSet<(string Port, string Size)>();
        while (echoed.Count < sockets * sizes.Length)
        {
            var fields = await ServiceLineAsync(service, "udp");
            Assert.Equal(testbed.LanAddress.ToString(), fields[1]);
            echoed.Add((fields[2], fields[3]));
        }

        Assert.Equal(sockets, echoed.Select(e => e.Port).Distinct().Count());
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("udp")]
    public async Task TargetPortZero_WanClient_ReachesServiceOnPublicPort(string protocol)
    {
        await using var testbed = await StartTestbedAsync(protocol);

        // -p 0: the target port is the public port, so the service listens on 45555 in lan.
        var service = await ForwardModePeer.StartServiceAsync(testbed, TestbedNode.Lan, protocol, testbed.LanAddress, PublicPort);
        var natmap = StartForwarding(testbed, protocol, 0);
        Assert.Equal(Line(PublicPort, protocol), await natmap.ReadMappingAsync(FirstMapping));

        await ReachAsync(testbed, protocol, PublicPort);

        var seen = await ServiceLineAsync(service, protocol);
        Assert.Equal(testbed.LanAddress.ToString(), seen[1]);
    }

    [Theory]
    [InlineData("tcp", 0)]
    [InlineData("udp", 0)]
    [InlineData("tcp", ServicePort)]
    [InlineData("udp", ServicePort)]
    public async Task MappingChange_RouterReassignsPort_ForwardsOnNewPublicPort(string protocol, int targetPort)
    {
        await using var testbed = await StartTestbedAsync(protocol);

        // With -p 0 the target follows the public port: a service on each; else one service.
        var first = await ForwardModePeer.StartServiceAsync(testbed, TestbedNode.Lan, protocol, testbed.LanAddress, targetPort == 0 ? PublicPort : ServicePort);
        var second = targetPort == 0
            ? await ForwardModePeer.StartServiceAsync(testbed, TestbedNode.Lan, protocol, testbed.LanAddress, NewPublicPort)
            : first;
        var natmap = StartForwarding(testbed, protocol, targetPort, protocol == "udp" ? ["-k", "1", "-c", "2"] : ["-k", "2"]);
        Assert.Equal(Line(PublicPort, protocol), await natmap.ReadMappingAsync(FirstMapping));
        await ReachAsync(testbed, protocol, PublicPort);
        await ServiceLineAsync(first, protocol);

        await testbed.RemapAsync(PrivatePort, PublicPort, NewPublicPort);
        var clock = Stopwatch.StartNew();
        var line = await natmap.ReadMappingAsync(Recovery);
        output.WriteLine($"{protocol} -p {targetPort}: new mapping printed {clock.ElapsedMilliseconds} ms after the router changed the map");
        Assert.Equal(Line(NewPublicPort, protocol), line);

        await ReachAsync(testbed, protocol, NewPublicPort);
        var seen = await ServiceLineAsync(second, protocol);
        Assert.Equal(testbed.LanAddress.ToString(), seen[1]);
        Assert.False(natmap.Process.HasExited);
    }

    private static Task<Infrastructure.Testbed> StartTestbedAsync(string protocol) =>
        Infrastructure.Testbed.StartAsync(coturn: true, nginx: protocol == "tcp");

    /// <summary>natmap in lan forwarding the mapped port 5555 to the lan address at <paramref name="targetPort"/>.</summary>
    private static NatmapProcess StartForwarding(Infrastructure.Testbed testbed, string protocol, int targetPort, string[]? extra = null)
    {
        string[] mode = protocol == "udp" ? ["-u"] : ["-h", testbed.WanAddress.ToString()];
        return NatmapProcess.Start(
            testbed,
            TestbedNode.Lan,
            ["-4", .. mode, "-s", testbed.WanAddress.ToString(), "-b", ForwardModePeer.Text(PrivatePort), "-t", testbed.LanAddress.ToString(), "-p", ForwardModePeer.Text(targetPort), .. extra ?? []]);
    }

    private static string Line(int publicPort, string protocol) =>
        $"203.0.113.1 {publicPort} {(publicPort == PublicPort ? Ip4p45555 : Ip4p45600)} {PrivatePort} {protocol} 192.0.2.2";

    /// <summary>A short exchange from wan to the public endpoint: a TCP connection or one UDP datagram, echoed intact.</summary>
    private static async Task ReachAsync(Infrastructure.Testbed testbed, string protocol, int publicPort)
    {
        string[] arguments = protocol == "udp"
            ? ["udp", testbed.PublicAddress.ToString(), ForwardModePeer.Text(publicPort), "1", "5"]
            : ["ask", testbed.PublicAddress.ToString(), ForwardModePeer.Text(publicPort)];
        var result = await ForwardModePeer.RunClientAsync(testbed, TestbedNode.Wan, Client, arguments);
        Assert.True(result.ExitCode == 0, $"the wan client did not get its echo through {testbed.PublicAddress}:{publicPort}: {result}");
    }

    /// <summary>The service's next "done" (tcp) or "echoed" (udp) line, split into fields.</summary>
    private static async Task<string[]> ServiceLineAsync(CapturedProcess service, string protocol)
    {
        var tag = protocol == "udp" ? "echoed " : "done ";
        var line = await service.ReadLineAsync(line => line.StartsWith(tag, StringComparison.Ordinal), Client, $"'{tag.Trim()}'");
        return line.Split(' ');
    }

    private static IEnumerable<string[]> Fields(string stdout, string tag) =>
        stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split(' '))
            .Where(fields => fields[0] == tag);
}
