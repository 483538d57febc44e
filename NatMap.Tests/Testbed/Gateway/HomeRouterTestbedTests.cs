using System.Net;

namespace NatMap.Tests.Testbed.Gateway;

using NatMap.Tests.Infrastructure;

/// <summary>
/// Issue 11: the natmap CLI on a host behind a home router running the real miniupnpd (UPnP IGD,
/// NAT-PMP, PCP), which sits behind the ISP's full cone (5555 to 45555, 5556 to 45556). The inner
/// layer is opened with --upnp, the outer one learnt with STUN.
/// </summary>
public sealed class HomeRouterTestbedTests(HomeRouterTestbedFixture fixture, ITestOutputHelper output) : IClassFixture<HomeRouterTestbedFixture>
{
    private const string Ip4p45555 = "2001::b1f3:cb00:7101";
    private const string Ip4p45556 = "2001::b1f4:cb00:7101";

    private static readonly TimeSpan FirstMapping = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Exit = TimeSpan.FromSeconds(15);
    private static readonly IPAddress Public = IPAddress.Parse("203.0.113.1");

    [Theory]
    [InlineData("pcp")]
    [InlineData("nat-pmp")]
    [InlineData("upnp")]
    public async Task TcpBindMode_ReportsIspEndpoint_WanReachesServiceThroughBothLayers_SigtermDeletes(string protocol)
    {
        var testbed = fixture.Testbed;
        await using var echo = await testbed.StartEchoAsync(TestbedNode.Lan, "tcp", IPAddress.Any, 5555);
        await using var natmap = NatmapProcess.Start(testbed, TestbedNode.Lan, "-s", "203.0.113.2", "-h", "203.0.113.2", "-b", "5555", "--upnp=" + protocol);

        var line = await natmap.ReadMappingAsync(FirstMapping);
        var seen = await testbed.AskAsync(TestbedNode.Wan, "tcp", Public, 45555);
        Assert.Contains(await testbed.HomeRouterRulesAsync(), r => r.Contains("dport 5555", StringComparison.Ordinal));
        int exit = await natmap.StopAsync(Exit);

        Assert.Equal($"203.0.113.1 45555 {Ip4p45555} 5555 tcp 198.51.100.10", line);
        Assert.Equal(testbed.WanAddress, seen.Address);
        Assert.Equal(0, exit);
        Assert.DoesNotContain(await testbed.HomeRouterRulesAsync(), r => r.Contains("dport 5555", StringComparison.Ordinal));
        Assert.Contains(natmap.Process.Transcript, l => l.Contains("Home router 198.51.100.1 opened", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("pcp")]
    [InlineData("nat-pmp")]
    [InlineData("upnp")]
    public async Task UdpBindMode_ServiceSharesThePort_WanReachesItThroughBothLayersFromEverySourcePort(string protocol)
    {
        // The service holds the port first, with SO_REUSEPORT; natmap joins it. The wan client sends
        // from 16 source ports: Linux would hand about half of them to an unconnected natmap socket.
        var testbed = fixture.Testbed;
        await using var service = await testbed.StartEchoAsync(TestbedNode.Lan, "udp", IPAddress.Any, 5555, reusePort: true);
        await using var natmap = NatmapProcess.Start(testbed, TestbedNode.Lan, "-u", "-s", "203.0.113.2", "-b", "5555", "--upnp=" + protocol);

        var line = await natmap.ReadMappingAsync(FirstMapping);
        var answers = await testbed.SprayAsync(TestbedNode.Wan, Public, 45555, 16);
        int exit = await natmap.StopAsync(Exit);

        output.WriteLine($"{protocol}: {answers.Count} of 16 source ports answered by the service");
        Assert.Equal($"203.0.113.1 45555 {Ip4p45555} 5555 udp 198.51.100.10", line);
        Assert.Equal(16, answers.Count);
        Assert.All(answers, a =>
        {
            Assert.Equal(new IPEndPoint(Public, 45555), a.From);
            Assert.Equal($"{testbed.WanAddress} {a.LocalPort}", a.Text);
        });
        Assert.Equal(0, exit);
        Assert.DoesNotContain(await testbed.HomeRouterRulesAsync(), r => r.Contains("dport 5555", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("pcp")]
    [InlineData("upnp")]
    public async Task InterfaceNamed_RouterReachedThroughIt_WanReachesServiceThroughBothLayers(string protocol)
    {
        // A decoy route sends the host's traffic for the router into a veth pair that ends in the
        // same namespace with no address, where it is lost: only sockets bound to lan0
        // (SO_BINDTODEVICE) still reach the router over lan0's own route.
        var testbed = fixture.Testbed;
        await testbed.ExecAsync(TestbedNode.Lan, ["ip", "link", "add", "gwdecoy0", "up", "type", "veth", "peer", "name", "gwdecoy1"]);
        try
        {
            await testbed.ExecAsync(TestbedNode.Lan, ["ip", "link", "set", "gwdecoy1", "up"]);
            var decoy = await testbed.ExecAsync(TestbedNode.Lan, ["ip", "route", "add", "198.51.100.1/32", "dev", "gwdecoy0"]);
            Assert.True(decoy.ExitCode == 0, "the decoy route: " + decoy);
            await using var echo = await testbed.StartEchoAsync(TestbedNode.Lan, "tcp", IPAddress.Any, 5556);
            await using var natmap = NatmapProcess.Start(testbed, TestbedNode.Lan, "-s", "203.0.113.2", "-h", "203.0.113.2", "-b", "5556", "-i", "lan0", "--upnp=" + protocol);

            var line = await natmap.ReadMappingAsync(FirstMapping);
            var seen = await testbed.AskAsync(TestbedNode.Wan, "tcp", Public, 45556);
            int exit = await natmap.StopAsync(Exit);

            Assert.Equal($"203.0.113.1 45556 {Ip4p45556} 5556 tcp 198.51.100.10", line);
            Assert.Equal(testbed.WanAddress, seen.Address);
            Assert.Equal(0, exit);
            Assert.Contains(natmap.Process.Transcript, l => l.Contains("Home router 198.51.100.1 opened", StringComparison.Ordinal));
            Assert.DoesNotContain(await testbed.HomeRouterRulesAsync(), r => r.Contains("dport 5556", StringComparison.Ordinal));
        }
        finally
        {
            await testbed.ExecAsync(TestbedNode.Lan, ["ip", "link", "del", "gwdecoy0"]);
        }
    }

    [Theory]
    [InlineData("pcp")]
    [InlineData("nat-pmp")]
    [InlineData("upnp")]
    public async Task UdpForwardMode_WanReachesTargetThroughBothLayers_SigtermDeletes(string protocol)
    {
        var testbed = fixture.Testbed;
        await using var echo = await testbed.StartEchoAsync(TestbedNode.Lan, "udp", IPAddress.Loopback, 7000);
        await using var natmap = NatmapProcess.Start(testbed, TestbedNode.Lan, "-u", "-s", "203.0.113.2", "-b", "5556", "-t", "127.0.0.1", "-p", "7000", "--upnp=" + protocol);

        var line = await natmap.ReadMappingAsync(FirstMapping);
        var seen = await testbed.AskAsync(TestbedNode.Wan, "udp", Public, 45556);
        int exit = await natmap.StopAsync(Exit);

        Assert.Equal($"203.0.113.1 45556 {Ip4p45556} 5556 udp 198.51.100.10", line);
        Assert.Equal(IPAddress.Loopback, seen.Address);
        Assert.Equal(0, exit);
        Assert.DoesNotContain(await testbed.HomeRouterRulesAsync(), r => r.Contains("dport 5556", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TcpForwardMode_WanReachesTargetThroughBothLayers()
    {
        var testbed = fixture.Testbed;
        await using var echo = await testbed.StartEchoAsync(TestbedNode.Lan, "tcp", IPAddress.Loopback, 7001);
        await using var natmap = NatmapProcess.Start(testbed, TestbedNode.Lan, "-s", "203.0.113.2", "-h", "203.0.113.2", "-b", "5556", "-t", "127.0.0.1", "-p", "7001", "--upnp");

        var line = await natmap.ReadMappingAsync(FirstMapping);
        var seen = await testbed.AskAsync(TestbedNode.Wan, "tcp", Public, 45556);
        int exit = await natmap.StopAsync(Exit);

        Assert.Equal($"203.0.113.1 45556 {Ip4p45556} 5556 tcp 198.51.100.10", line);
        Assert.Equal(IPAddress.Loopback, seen.Address);
        Assert.Equal(0, exit);
        Assert.DoesNotContain(await testbed.HomeRouterRulesAsync(), r => r.Contains("dport 5556", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("nat-pmp")]
    [InlineData("upnp")]
    public async Task ShortLease_RenewedAtHalf_MappingOutlivesTheLease(string protocol)
    {
        // PCP is left out: miniupnpd raises PCP lifetimes below 120 s to 120 s (renewal at 60 s).
        var testbed = fixture.Testbed;
        await using var natmap = NatmapProcess.Start(testbed, TestbedNode.Lan, "-u", "-v", "-s", "203.0.113.2", "-b", "5555", "--upnp=" + protocol, "--upnp-lease", "4");
        await natmap.ReadMappingAsync(FirstMapping);

        await natmap.Process.ReadErrorLineAsync(l => l.Contains("renewed Udp port 5555", StringComparison.Ordinal), FirstMapping, "a first renewal");
        await natmap.Process.ReadErrorLineAsync(l => l.Contains("renewed Udp port 5555", StringComparison.Ordinal), FirstMapping, "a second renewal");
        await natmap.Process.ReadErrorLineAsync(l => l.Contains("renewed Udp port 5555", StringComparison.Ordinal), FirstMapping, "a third renewal (past the 4 s lease)");
        var rules = await testbed.HomeRouterRulesAsync();
        await natmap.StopAsync(Exit);

        Assert.Contains(rules, r => r.Contains("dport 5555", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("pcp")]
    [InlineData("upnp")]
    public async Task RouterRestartedWithStateWiped_MappingComesBack(string protocol)
    {
        var testbed = fixture.Testbed;
        await using var natmap = NatmapProcess.Start(testbed, TestbedNode.Lan, "-u", "-v", "-k", "2", "-s", "203.0.113.2", "-b", "5555", "--upnp=" + protocol);
        await natmap.ReadMappingAsync(FirstMapping);

        // Stopped and wiped first, so the empty rule list is seen before natmap's next round can refill it.
        await testbed.MiniupnpdAsync("stop", wipe: true);
        var wiped = await testbed.HomeRouterRulesAsync();
        await testbed.MiniupnpdAsync("start");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        string[] rules;
        while (!(rules = await testbed.HomeRouterRulesAsync()).Any(r => r.Contains("dport 5555", StringComparison.Ordinal)) && clock.Elapsed < FirstMapping)
        {
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        output.WriteLine($"{protocol}: forwarding back {clock.Elapsed.TotalMilliseconds:0} ms after the router came back wiped (-k 2)");
        await natmap.StopAsync(Exit);

        Assert.Empty(wiped);
        Assert.Contains(rules, r => r.Contains("dport 5555", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PortHeldByAnotherHost_RangeMovesToNextPort_FixedPortSaysSo()
    {
        var testbed = fixture.Testbed;
        await using var holder = NatmapProcess.Start(testbed, TestbedNode.Lan, "-u", "-i", "198.51.100.11", "-s", "203.0.113.2", "-b", "5555", "--upnp=upnp");
        await holder.ReadMappingAsync(FirstMapping);

        string ranged;
        await using (var natmap = NatmapProcess.Start(testbed, TestbedNode.Lan, "-u", "-i", "198.51.100.10", "-s", "203.0.113.2", "-b", "5555-5556", "--upnp=upnp"))
        {
            ranged = await natmap.ReadMappingAsync(FirstMapping);
            await natmap.StopAsync(Exit);
        }

        await using var fixedPort = NatmapProcess.Start(testbed, TestbedNode.Lan, "-u", "-i", "198.51.100.10", "-s", "203.0.113.2", "-b", "5555", "--upnp=upnp");
        var refusal = await fixedPort.Process.ReadErrorLineAsync(l => l.Contains("refused Udp port 5555", StringComparison.Ordinal), FirstMapping, "the refusal");
        await fixedPort.StopAsync(Exit);
        await holder.StopAsync(Exit);

        Assert.Equal($"203.0.113.1 45556 {Ip4p45556} 5556 udp 198.51.100.10", ranged);
        Assert.Contains("718", refusal + string.Join('\n', fixedPort.Process.Transcript), StringComparison.Ordinal);
        Assert.DoesNotContain(fixedPort.Process.Transcript, l => l.StartsWith("203.0.113.1 ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task NoGatewayDaemon_WarnsAndStillMaps()
    {
        var testbed = fixture.Testbed;
        await testbed.MiniupnpdAsync("stop");
        try
        {
            await using var natmap = NatmapProcess.Start(testbed, TestbedNode.Lan, "-u", "-s", "203.0.113.2", "-b", "5555", "--upnp");
            var line = await natmap.ReadMappingAsync(FirstMapping);
            await natmap.StopAsync(Exit);

            // Without the home router's forwarding its masquerade picks the port: any public port will do.
            Assert.StartsWith("203.0.113.1 ", line, StringComparison.Ordinal);
            Assert.EndsWith(" 5555 udp 198.51.100.10", line, StringComparison.Ordinal);
            Assert.Contains(natmap.Process.Transcript, l => l.Contains("No home router answered PCP, NAT-PMP, UPnP", StringComparison.Ordinal) && l.Contains("may be unreachable", StringComparison.Ordinal));
        }
        finally
        {
            await testbed.MiniupnpdAsync("start", wipe: true);
        }
    }

    [Fact]
    public async Task Check_WithUpnp_ReportsWhichProtocolsAnswerAndTheRouterAddress()
    {
        var testbed = fixture.Testbed;
        await using var check = NatmapProcess.Start(testbed, TestbedNode.Lan, "check", "-u", "-s", "203.0.113.2", "--upnp", "--json");

        var line = await check.ReadMappingAsync(FirstMapping);
        int exit = await check.Process.WaitForExitAsync(Exit);

        Assert.Equal(0, exit);
        Assert.Contains("\"gateway\":{\"address\":\"198.51.100.1\",\"pcp\":true,\"nat-pmp\":true,\"upnp\":true,\"externalAddress\":\"203.0.113.1\",\"natLayers\":null}", line, StringComparison.Ordinal);
    }
}
