using System.Diagnostics;

namespace NatMap.Tests.Testbed;

using NatMap.Tests.Infrastructure;

/// <summary>
/// Issue 3, "Proof in a real NAT": the natmap CLI as a black box in the lan namespace behind the
/// testbed's full-cone router (5555 to 45555, 5556 to 45556), with coturn and nginx on the wan side.
/// Timings are written to the test output for the record, never asserted.
/// </summary>
public sealed class NatmapCliTestbedTests(ITestOutputHelper output)
{
    private const string Ip4p45555 = "2001::b1f3:cb00:7101";
    private const string Ip4p45556 = "2001::b1f4:cb00:7101";
    private const string Ip4p45600 = "2001::b220:cb00:7101";

    /// <summary>Start to first mapping, and a fault to its recovery, bounded generously: failure means a hang.</summary>
    private static readonly TimeSpan FirstMapping = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Recovery = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Exit = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Tcp_FullCone_PrintsOriginalLine()
    {
        await using var testbed = await StartTestbedAsync();

        var natmap = NatmapProcess.Start(testbed, TestbedNode.Lan, "-4", "-s", "203.0.113.2", "-h", "203.0.113.2", "-b", "5555");
        var line = await natmap.ReadMappingAsync(FirstMapping);
        output.WriteLine($"tcp: first mapping {natmap.Process.Elapsed.TotalMilliseconds:0} ms after start");

        Assert.Equal($"203.0.113.1 45555 {Ip4p45555} 5555 tcp 192.0.2.2", line);
    }

    [Fact]
    public async Task Udp_FullCone_PrintsOriginalLine()
    {
        await using var testbed = await StartTestbedAsync();

        var natmap = NatmapProcess.Start(testbed, TestbedNode.Lan, "-4", "-u", "-s", "203.0.113.2", "-b", "5555");
        var line = await natmap.ReadMappingAsync(FirstMapping);
        output.WriteLine($"udp: first mapping {natmap.Process.Elapsed.TotalMilliseconds:0} ms after start");

        Assert.Equal($"203.0.113.1 45555 {Ip4p45555} 5555 udp 192.0.2.2", line);
    }

    [Fact]
    public async Task Udp_ServerSendsTruncatedCopyFirst_DiscardsItAndPrintsTheMapping()
    {
        // Issue 13: a server (or an on-path attacker) that sends a copy of its answer cut to 23
        // bytes ahead of the real one used to cost that server its round, every round, so the
        // mapping was never reported. RFC 8489 section 6.3 has the client discard it and wait on.
        await using var testbed = await StartTestbedAsync();
        var forger = await testbed.StartForgingStunAsync(TestbedNode.Wan, System.Net.IPAddress.Parse("203.0.113.3"), 3999);

        var natmap = NatmapProcess.Start(testbed, TestbedNode.Lan, "-4", "-u", "-v", "-s", "203.0.113.3:3999", "-b", "5555", "-k", "1");
        var line = await natmap.ReadMappingAsync(FirstMapping);
        await forger.ReadLineAsync(l => l.StartsWith("answered 203.0.113.1 45555", StringComparison.Ordinal), FirstMapping, "a second answered check");
        await forger.ReadLineAsync(l => l.StartsWith("answered 203.0.113.1 45555", StringComparison.Ordinal), FirstMapping, "a third answered check");

        Assert.Equal($"203.0.113.1 45555 {Ip4p45555} 5555 udp 192.0.2.2", line);
        await natmap.Process.ReadErrorLineAsync(l => l.Contains("Discarded a message of 23 bytes from 203.0.113.3:3999", StringComparison.Ordinal) && l.Contains("truncated", StringComparison.Ordinal), FirstMapping, "the discarded copy in the debug log");
        Assert.DoesNotContain(natmap.Process.Transcript, l => l.Contains("failed", StringComparison.OrdinalIgnoreCase));
    }

    [Theory]
    [InlineData(NativeSignals.SigTerm)]
    [InlineData(NativeSignals.SigInt)]
    public async Task Signal_WhileMapping_ExitsCleanly(int signal)
    {
        await using var testbed = await StartTestbedAsync();
        var natmap = NatmapProcess.Start(testbed, TestbedNode.Lan, "-u", "-s", "203.0.113.2", "-b", "5555");
        await natmap.ReadMappingAsync(FirstMapping);

        var exit = await natmap.StopAsync(Exit, signal);

        Assert.Equal(0, exit);
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("udp")]
    public async Task Script_OnMapping_ReceivesSixArgumentsAndEnvironment(string protocol)
    {
        await using var testbed = await StartTestbedAsync();
        var folder = Directory.CreateTempSubdirectory("natmap-notify-");
        try
        {
            var script = Path.Combine(folder.FullName, "notify.sh");
            var result = Path.Combine(folder.FullName, "args.txt");

            // Written under another name and renamed, so the test never reads a half-written file.
            await File.WriteAllTextAsync(script, $$"""
                #!/bin/sh
                {
                  echo "$#"
                  for a in "$@"; do echo "[$a]"; done
                  echo "NATMAP_PUBLIC_ADDR=$NATMAP_PUBLIC_ADDR"
                  echo "NATMAP_PUBLIC_PORT=$NATMAP_PUBLIC_PORT"
                  echo "NATMAP_IP4P=$NATMAP_IP4P"
                  echo "NATMAP_PRIVATE_PORT=$NATMAP_PRIVATE_PORT"
                  echo "NATMAP_PROTOCOL=$NATMAP_PROTOCOL"
                  echo "NATMAP_PRIVATE_ADDR=$NATMAP_PRIVATE_ADDR"
                } > "{{result}}.tmp"
                mv "{{result}}.tmp" "{{result}}"
                """.Replace("\r\n", "\n", StringComparison.Ordinal), TestContext.Current.CancellationToken);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            string[] args = protocol == "udp"
                ? ["-u", "-s", "203.0.113.2", "-b", "5555", "-e", script]
                : ["-s", "203.0.113.2", "-h", "203.0.113.2", "-b", "5555", "-e", script];
            var natmap = NatmapProcess.Start(testbed, TestbedNode.Lan, args);
            var lines = await WaitForFileAsync(result, FirstMapping, natmap);

            Assert.Equal(
                [
                    "6", "[203.0.113.1]", "[45555]", $"[{Ip4p45555}]", "[5555]", $"[{protocol}]", "[192.0.2.2]",
                    "NATMAP_PUBLIC_ADDR=203.0.113.1", "NATMAP_PUBLIC_PORT=45555", $"NATMAP_IP4P={Ip4p45555}",
                    "NATMAP_PRIVATE_PORT=5555", $"NATMAP_PROTOCOL={protocol}", "NATMAP_PRIVATE_ADDR=192.0.2.2",
                ],
                lines);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Tcp_RouterReassignsPort_ReportsNewMappingAfterKeepAliveBreaks()
    {
        await using var testbed = await StartTestbedAsync();
        var natmap = NatmapProcess.Start(testbed, TestbedNode.Lan, "-s", "203.0.113.2", "-h", "203.0.113.2", "-b", "5555", "-k", "2");
        var first = await natmap.ReadMappingAsync(FirstMapping);

        await testbed.RemapAsync(5555, 45555, 45600);
        var clock = Stopwatch.StartNew();
        var second = await natmap.ReadMappingAsync(Recovery);
        output.WriteLine($"tcp -k 2: re-assignment reported {clock.ElapsedMilliseconds} ms after the router changed the map");

        Assert.Equal($"203.0.113.1 45555 {Ip4p45555} 5555 tcp 192.0.2.2", first);
        Assert.Equal($"203.0.113.1 45600 {Ip4p45600} 5555 tcp 192.0.2.2", second);
    }

    [Fact]
    public async Task Udp_RouterReassignsPort_ReportsNewMappingWithinOneCheck()
    {
        await using var testbed = await StartTestbedAsync();
        var natmap = NatmapProcess.Start(testbed, TestbedNode.Lan, "-u", "-s", "203.0.113.2", "-b", "5555", "-k", "1");
        var first = await natmap.ReadMappingAsync(FirstMapping);

        await testbed.RemapAsync(5555, 45555, 45600);
        var clock = Stopwatch.StartNew();
        var second = await natmap.ReadMappingAsync(Recovery);
        output.WriteLine($"udp -k 1: re-assignment reported {clock.ElapsedMilliseconds} ms after the router changed the map");

        Assert.Equal($"203.0.113.1 45555 {Ip4p45555} 5555 udp 192.0.2.2", first);
        Assert.Equal($"203.0.113.1 45600 {Ip4p45600} 5555 udp 192.0.2.2", second);
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("udp")]
    public async Task DeadFirstStunServer_FailsOverToNext(string protocol)
    {
        await using var testbed = await StartTestbedAsync();

        // Nothing listens on 203.0.113.3:3999: UDP gets no answer (an ICMP error at most), TCP a reset.
        string[] args = protocol == "udp"
            ? ["-u", "-s", "203.0.113.3:3999", "-s", "203.0.113.2", "-b", "5555"]
            : ["-s", "203.0.113.3:3999", "-s", "203.0.113.2", "-h", "203.0.113.2", "-b", "5555"];
        var natmap = NatmapProcess.Start(testbed, TestbedNode.Lan, args);
        var line = await natmap.ReadMappingAsync(Recovery);
        output.WriteLine($"{protocol} with a dead first server: first mapping {natmap.Process.Elapsed.TotalMilliseconds:0} ms after start");

        Assert.Equal($"203.0.113.1 45555 {Ip4p45555} 5555 {protocol} 192.0.2.2", line);
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("udp")]
    public async Task DeadLastStunServer_AfterOutageOfFirst_MappingComesBack(string protocol)
    {
        await using var testbed = await StartTestbedAsync();
        string[] args = protocol == "udp"
            ? ["-u", "-s", "203.0.113.2", "-s", "203.0.113.3:3999", "-b", "5555", "-k", "1"]
            : ["-s", "203.0.113.2", "-s", "203.0.113.3:3999", "-h", "203.0.113.2", "-b", "5555", "-k", "2"];
        var natmap = NatmapProcess.Start(testbed, TestbedNode.Lan, args);
        var first = await natmap.ReadMappingAsync(FirstMapping);

        // Every server is dead while the ISP re-assigns the port; after the first is back, the
        // mapper has to come round past the dead last one to report the new mapping.
        await testbed.CoturnAsync("stop");
        await testbed.RemapAsync(5555, 45555, 45600);
        await testbed.CoturnAsync("start");
        var clock = Stopwatch.StartNew();
        var second = await natmap.ReadMappingAsync(Recovery);
        output.WriteLine($"{protocol}: mapping back {clock.ElapsedMilliseconds} ms after coturn restarted");

        Assert.Equal($"203.0.113.1 45555 {Ip4p45555} 5555 {protocol} 192.0.2.2", first);
        Assert.Equal($"203.0.113.1 45600 {Ip4p45600} 5555 {protocol} 192.0.2.2", second);
        Assert.False(natmap.Process.HasExited);
    }

    [Fact]
    public async Task Tcp_NginxRestarted_MappingComesBack()
    {
        await using var testbed = await StartTestbedAsync();
        var natmap = NatmapProcess.Start(testbed, TestbedNode.Lan, "-s", "203.0.113.2", "-h", "203.0.113.2", "-b", "5555", "-k", "2");
        var first = await natmap.ReadMappingAsync(FirstMapping);

        // The keep-alive peer goes away and the port is re-assigned meanwhile: the new mapping can
        // only be reported once the mapper has set up again against the restarted server.
        await testbed.NginxAsync("stop");
        await testbed.RemapAsync(5555, 45555, 45600);
        await testbed.NginxAsync("start");
        var clock = Stopwatch.StartNew();
        var second = await natmap.ReadMappingAsync(Recovery);
        output.WriteLine($"tcp: mapping back {clock.ElapsedMilliseconds} ms after nginx restarted");

        Assert.Equal($"203.0.113.1 45555 {Ip4p45555} 5555 tcp 192.0.2.2", first);
        Assert.Equal($"203.0.113.1 45600 {Ip4p45600} 5555 tcp 192.0.2.2", second);
    }

    [Fact]
    public async Task Tcp_BindRangeFirstPortTaken_UsesNextPort()
    {
        await using var testbed = await StartTestbedAsync();

        // Bound without SO_REUSEADDR/SO_REUSEPORT and not listening: there is no listener to take
        // the port over from, so the mapper has to move on to 5556.
        await testbed.HoldPortAsync("tcp", 5555);
        var natmap = NatmapProcess.Start(testbed, TestbedNode.Lan, "-s", "203.0.113.2", "-h", "203.0.113.2", "-b", "5555-5556");
        var line = await natmap.ReadMappingAsync(Recovery);

        Assert.Equal($"203.0.113.1 45556 {Ip4p45556} 5556 tcp 192.0.2.2", line);
    }

    [Fact]
    public async Task Tcp_PortHeldByListenerWithoutReusePort_IsTakenOver()
    {
        await using var testbed = await StartTestbedAsync();

        // A local service listening on 5555 with SO_REUSEADDR only, as most services do.
        await testbed.StartEchoAsync(TestbedNode.Lan, "tcp", System.Net.IPAddress.Any, 5555);
        var natmap = NatmapProcess.Start(testbed, TestbedNode.Lan, "-s", "203.0.113.2", "-h", "203.0.113.2", "-b", "5555");
        var line = await natmap.ReadMappingAsync(Recovery);

        // The service keeps its listener: a wan client reaches it through the mapped public port.
        var seen = await testbed.AskAsync(TestbedNode.Wan, "tcp", testbed.PublicAddress, 45555);

        Assert.Equal($"203.0.113.1 45555 {Ip4p45555} 5555 tcp 192.0.2.2", line);
        Assert.Equal(testbed.WanAddress, seen.Address);
    }

    [Fact]
    public async Task Tcp_PortHeldBySocatListener_IsTakenOver()
    {
        await using var testbed = await StartTestbedAsync();

        // socat sets SO_REUSEADDR only (reuseaddr), never SO_REUSEPORT.
        testbed.Start(TestbedNode.Lan, "socat", ["TCP4-LISTEN:5555,fork,reuseaddr", "SYSTEM:echo served"]);
        await testbed.WaitForListenerAsync(TestbedNode.Lan, "tcp", 5555, Infrastructure.Testbed.CommandTimeout);
        var natmap = NatmapProcess.Start(testbed, TestbedNode.Lan, "-s", "203.0.113.2", "-h", "203.0.113.2", "-b", "5555");
        var line = await natmap.ReadMappingAsync(Recovery);

        Assert.Equal($"203.0.113.1 45555 {Ip4p45555} 5555 tcp 192.0.2.2", line);
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("udp")]
    public async Task Ipv6_NoNat_ReportsLanAddressAndPort(string protocol)
    {
        await using var testbed = await StartTestbedAsync();
        string[] args = protocol == "udp"
            ? ["-6", "-u", "-s", "2001:db8:2::2", "-b", "5555"]
            : ["-6", "-s", "2001:db8:2::2", "-h", "2001:db8:2::2", "-b", "5555"];

        var natmap = NatmapProcess.Start(testbed, TestbedNode.Lan, args);
        var line = await natmap.ReadMappingAsync(FirstMapping);
        output.WriteLine($"{protocol} over IPv6: first mapping {natmap.Process.Elapsed.TotalMilliseconds:0} ms after start");

        // The original prints an empty IP4P field for IPv6, so two spaces follow the public port.
        Assert.Equal($"2001:db8:1::2 5555  5555 {protocol} 2001:db8:1::2", line);
    }

    private static Task<Infrastructure.Testbed> StartTestbedAsync() =>
        Infrastructure.Testbed.StartAsync(coturn: true, nginx: true);

    /// <summary>Waits for the notify script's output file; the script runs asynchronously to natmap.</summary>
    private static async Task<string[]> WaitForFileAsync(string path, TimeSpan timeout, NatmapProcess natmap)
    {
        var clock = Stopwatch.StartNew();
        while (!File.Exists(path))
        {
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"the notify script did not write {path} within {timeout.TotalSeconds:0} s.\n{natmap.Process.Describe()}");
            }

            if (natmap.Process.HasExited)
            {
                throw new InvalidOperationException($"natmap exited before the notify script ran.\n{natmap.Process.Describe()}");
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        return await File.ReadAllLinesAsync(path, TestContext.Current.CancellationToken);
    }
}
