using System.Diagnostics;
using NatMap.Tests.Infrastructure;

namespace NatMap.Tests.Testbed.Faults;

/// <summary>
/// Issue 13, section 4: the <c>-i</c> interface goes down and comes back up. The NAT keeps the entry
/// meanwhile, so the mapping is the same afterwards: natmap must recover by itself, keep checking at
/// a bounded pace while the link is down (no busy loop), and report nothing, since nothing changed
/// (the original reports only a change). A PPPoE link is torn down and made anew instead: then the
/// interface is a new device under the old name, which a socket bound to the old one can never
/// send through; natmap must bind again, and still report nothing new.
/// </summary>
public sealed class InterfaceFlapTestbedTests(ITestOutputHelper output)
{
    /// <summary>The end of MappingLog 2009, "STUN check from {LocalEndPoint} failed: {Reason}".</summary>
    /// <summary>A failed check, the first (a warning) or a later one in the same outage (debug, so the tests run with -v).</summary>
    private const string CheckFailed = ":5555 failed";

    private static readonly TimeSpan Down = TimeSpan.FromSeconds(4);

    [Theory]
    [InlineData("tcp")]
    [InlineData("udp")]
    public async Task DownThenUp_SameMapping_RecoversWithoutReport(string protocol)
    {
        await using var testbed = await Infrastructure.Testbed.StartAsync(coturn: true, nginx: protocol == "tcp");
        string[] mode = protocol == "udp" ? ["-u"] : ["-h", "203.0.113.2"];
        var natmap = FaultSession.Start(testbed, ["-4", .. mode, "-s", "203.0.113.2", "-b", "5555", "-k", "1", "-i", "lan0", "-v"]);
        Assert.Equal($"203.0.113.1 45555 2001::b1f3:cb00:7101 5555 {protocol} 192.0.2.2", await natmap.NextMappingAsync(0, FaultSession.Step));

        await natmap.ExecAsync(TestbedNode.Lan, "ip", "link", "set", "lan0", "down");
        await natmap.WaitLogCountAsync(CheckFailed, 1);
        int before = natmap.CountLog(CheckFailed);
        var watched = await natmap.WatchAsync(Down);
        int failed = natmap.CountLog(CheckFailed) - before;
        output.WriteLine($"{protocol}: {failed} failed checks in {watched.TotalSeconds:0.0} s down");

        FaultSession.AssertPaced(failed, watched);

        await BringUpAsync(natmap, "lan0");
        await WaitForCheckAsync(natmap, output, protocol);

        Assert.Single(natmap.Mappings);
        natmap.AssertReasonsNamed();
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("udp")]
    public async Task DeviceDeletedAndCreatedAgain_BindsAgainWithoutReport(string protocol)
    {
        await using var testbed = await Infrastructure.Testbed.StartAsync(coturn: true, nginx: protocol == "tcp");
        string[] mode = protocol == "udp" ? ["-u"] : ["-h", "203.0.113.2"];
        var natmap = FaultSession.Start(testbed, ["-4", .. mode, "-s", "203.0.113.2", "-b", "5555", "-k", "1", "-i", "ppp0", "-v"]);

        // lan0 becomes ppp0, then goes away and comes back as a new device of that name (what pppd
        // does on a redial): the router end is moved to a new veth pair.
        await natmap.LogLineAsync("Interface ppp0 does not exist");
        await RenameAsync(natmap, "lan0", "ppp0");
        Assert.Equal($"203.0.113.1 45555 2001::b1f3:cb00:7101 5555 {protocol} 192.0.2.2", await natmap.NextMappingAsync(0, FaultSession.Step));

        await RecreateAsync(natmap, testbed);

        await natmap.LogLineAsync("Interface ppp0 went away under a socket bound to it");
        await WaitForCheckAsync(natmap, output, protocol + " after a new ppp0");
        if (protocol == "tcp")
        {
            // The keep-alive is connected again, through the new device.
            await natmap.WaitLogCountAsync("Keep-alive connection from 192.0.2.2:5555", 2);
        }

        Assert.Single(natmap.Mappings);
        natmap.AssertReasonsNamed();
    }

    /// <summary>Forward mode: the forwarder's listener is bound to the device too, and must follow it to the new one.</summary>
    [Fact]
    public async Task Tcp_ForwardMode_DeviceCreatedAgain_ForwarderServesThroughNewDevice()
    {
        await using var testbed = await Infrastructure.Testbed.StartAsync(coturn: true, nginx: true);
        testbed.Start(TestbedNode.Lan, "socat", ["TCP4-LISTEN:8080,bind=192.0.2.2,fork,reuseaddr", "PIPE"]);
        await testbed.WaitForListenerAsync(TestbedNode.Lan, "tcp", 8080, Infrastructure.Testbed.CommandTimeout);
        var natmap = FaultSession.Start(testbed, "-4", "-s", "203.0.113.2", "-h", "203.0.113.2", "-b", "5555", "-k", "1", "-i", "ppp0", "-t", "192.0.2.2", "-p", "8080", "-v");
        await natmap.LogLineAsync("Interface ppp0 does not exist");
        await RenameAsync(natmap, "lan0", "ppp0");
        Assert.Equal("203.0.113.1 45555 2001::b1f3:cb00:7101 5555 tcp 192.0.2.2", await natmap.NextMappingAsync(0, FaultSession.Step));
        Assert.Equal("hello", await EchoThroughNatAsync(testbed));

        await RecreateAsync(natmap, testbed);
        await natmap.WaitLogCountAsync("Forwarding Tcp 0.0.0.0:5555", 2);

        Assert.Equal("hello", await EchoThroughNatAsync(testbed));
        Assert.Single(natmap.Mappings);
        natmap.AssertReasonsNamed();
    }

    /// <summary>UDP forward mode: the forwarder owns the mapping socket, bound to the device, and must be set up again on the new one.</summary>
    [Fact]
    public async Task Udp_ForwardMode_DeviceCreatedAgain_ForwarderServesThroughNewDevice()
    {
        await using var testbed = await Infrastructure.Testbed.StartAsync(coturn: true, nginx: false);
        await testbed.StartEchoAsync(TestbedNode.Lan, "udp", System.Net.IPAddress.Parse("192.0.2.2"), 8080);
        var natmap = FaultSession.Start(testbed, "-4", "-u", "-s", "203.0.113.2", "-b", "5555", "-k", "1", "-i", "ppp0", "-t", "192.0.2.2", "-p", "8080", "-v");
        await natmap.LogLineAsync("Interface ppp0 does not exist");
        await RenameAsync(natmap, "lan0", "ppp0");
        Assert.Equal("203.0.113.1 45555 2001::b1f3:cb00:7101 5555 udp 192.0.2.2", await natmap.NextMappingAsync(0, FaultSession.Step));
        var before = await testbed.AskAsync(TestbedNode.Wan, "udp", System.Net.IPAddress.Parse("203.0.113.1"), 45555);

        await RecreateAsync(natmap, testbed);
        await natmap.WaitLogCountAsync("Forwarding Udp 0.0.0.0:5555", 2);

        // The lan echo answers with the address it saw: the forwarder's, through the new device.
        var after = await testbed.AskAsync(TestbedNode.Wan, "udp", System.Net.IPAddress.Parse("203.0.113.1"), 45555);
        Assert.Equal(System.Net.IPAddress.Parse("192.0.2.2"), before.Address);
        Assert.Equal(System.Net.IPAddress.Parse("192.0.2.2"), after.Address);
        Assert.Single(natmap.Mappings);
        natmap.AssertReasonsNamed();
    }

    /// <summary>From wan, one line through the public endpoint to the lan echo service; the line that came back.</summary>
    private static async Task<string> EchoThroughNatAsync(Infrastructure.Testbed testbed)
    {
        const string Script = """
import socket
s = socket.create_connection(("203.0.113.1", 45555), timeout=10)
s.sendall(b"hello\n")
print(s.makefile().readline().strip())
""";
        var result = await testbed.ExecAsync(TestbedNode.Wan, ["python3", "-c", Script]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Stdout.Trim();
    }

    /// <summary>ppp0 deleted and made anew (with a new router end), as pppd does on a redial.</summary>
    private static async Task RecreateAsync(FaultSession natmap, Infrastructure.Testbed testbed)
    {
        await natmap.ExecAsync(TestbedNode.Lan, "ip", "link", "del", "ppp0");
        await natmap.ExecAsync(TestbedNode.Lan, "ip", "link", "add", "ppp0", "type", "veth", "peer", "name", "rtr-lan", "netns", testbed.RouterNamespace);
        await natmap.ExecAsync(TestbedNode.Lan, "ip", "addr", "add", "192.0.2.2/24", "dev", "ppp0");
        await natmap.ExecAsync(TestbedNode.Router, "ip", "addr", "add", "192.0.2.1/24", "dev", "rtr-lan");
        await natmap.ExecAsync(TestbedNode.Router, "ip", "link", "set", "rtr-lan", "up");
        await BringUpAsync(natmap, "ppp0");
    }

    private static async Task RenameAsync(FaultSession natmap, string from, string to)
    {
        await natmap.ExecAsync(TestbedNode.Lan, "ip", "link", "set", from, "down");
        await natmap.ExecAsync(TestbedNode.Lan, "ip", "link", "set", from, "name", to);
        await BringUpAsync(natmap, to);
    }

    /// <summary>Up, with the default route the link took with it when it went down (as a DHCP or PPP client puts back).</summary>
    private static async Task BringUpAsync(FaultSession natmap, string device)
    {
        await natmap.ExecAsync(TestbedNode.Lan, "ip", "link", "set", device, "up");
        await natmap.ExecAsync(TestbedNode.Lan, "ip", "route", "replace", "default", "via", "192.0.2.1", "dev", device);
    }

    /// <summary>Waits for a successful STUN check showing the old mapping, after the recovery.</summary>
    private static async Task WaitForCheckAsync(FaultSession natmap, ITestOutputHelper output, string what)
    {
        const string Checked = "public endpoint 203.0.113.1:45555";
        var clock = Stopwatch.StartNew();
        await natmap.WaitLogCountAsync(Checked, natmap.CountLog(Checked) + 1);

        output.WriteLine($"{what}: checked again {clock.ElapsedMilliseconds} ms after the link came back");
    }
}
