using System.Diagnostics;
using NatMap.Tests.Infrastructure;

namespace NatMap.Tests.Testbed.Faults;

/// <summary>
/// Issue 13, section 4: <c>-i</c> names an interface that does not exist yet (as <c>pppoe-wan</c> before
/// the link is up), or an address not assigned yet. natmap must wait for it, never map unbound through
/// whatever interface the routing picks, say so once with a reason a user can act on, retry with its
/// back-off, and map when the interface or the address appears.
/// </summary>
public sealed class MissingInterfaceTestbedTests(ITestOutputHelper output)
{
    /// <summary>How long natmap is watched while the interface or address is missing.</summary>
    private static readonly TimeSpan Missing = TimeSpan.FromSeconds(4);

    [Fact]
    public async Task Tcp_InterfaceNotThereYet_WaitsWithoutTrafficThenMapsWhenItAppears()
    {
        await using var testbed = await Infrastructure.Testbed.StartAsync(coturn: true, nginx: true);
        var natmap = FaultSession.Start(testbed, "-4", "-s", "203.0.113.2", "-h", "203.0.113.2", "-b", "5555", "-k", "1", "-i", "ppp0", "-v");

        var warning = await natmap.LogLineAsync("Interface ppp0 does not exist");
        Assert.Contains("no such device", warning, StringComparison.Ordinal);
        await natmap.WatchAsync(Missing);

        // Nothing reported, and nothing left the lan: no keep-alive, no STUN.
        Assert.Empty(natmap.Mappings);
        Assert.Equal(0, await natmap.FlowsToAsync("tcp", 80));
        Assert.Equal(0, await natmap.FlowsToAsync("tcp", Infrastructure.Testbed.StunPort));

        // The link comes up under the awaited name (as pppd creates ppp0), with its default route.
        await natmap.ExecAsync(TestbedNode.Lan, "ip", "link", "set", "lan0", "down");
        await natmap.ExecAsync(TestbedNode.Lan, "ip", "link", "set", "lan0", "name", "ppp0");
        await natmap.ExecAsync(TestbedNode.Lan, "ip", "link", "set", "ppp0", "up");
        await natmap.ExecAsync(TestbedNode.Lan, "ip", "route", "replace", "default", "via", "192.0.2.1");
        var clock = Stopwatch.StartNew();
        var line = await natmap.NextMappingAsync(0, FaultSession.Step);
        output.WriteLine($"mapped {clock.ElapsedMilliseconds} ms after ppp0 appeared");

        Assert.Equal("203.0.113.1 45555 2001::b1f3:cb00:7101 5555 tcp 192.0.2.2", line);
        await natmap.LogLineAsync("Interface ppp0 is present");
        AssertWaitedQuietly(natmap, "Interface ppp0 does not exist");
    }

    [Fact]
    public async Task Udp_AddressNotAssignedYet_WaitsWithoutTrafficThenMapsWhenAssigned()
    {
        await using var testbed = await Infrastructure.Testbed.StartAsync(coturn: true);
        var natmap = FaultSession.Start(testbed, "-4", "-u", "-s", "203.0.113.2", "-b", "5555", "-k", "1", "-i", "192.0.2.5", "-v");

        var warning = await natmap.LogLineAsync("Address 192.0.2.5 is not assigned");
        Assert.Contains("address not available", warning, StringComparison.Ordinal);
        await natmap.WatchAsync(Missing);
        Assert.Empty(natmap.Mappings);
        Assert.Equal(0, await natmap.FlowsToAsync("udp", Infrastructure.Testbed.StunPort));

        // The DHCP lease arrives. The router's full-cone map is for 192.0.2.2, so this address gets
        // some other public port; what matters is that natmap maps from it, on the port it was given.
        await natmap.ExecAsync(TestbedNode.Lan, "ip", "addr", "add", "192.0.2.5/24", "dev", "lan0");
        var clock = Stopwatch.StartNew();
        var line = await natmap.NextMappingAsync(0, FaultSession.Step);
        output.WriteLine($"mapped {clock.ElapsedMilliseconds} ms after the address was assigned: {line}");

        var fields = line.Split(' ');
        Assert.Equal(["203.0.113.1", "5555", "udp", "192.0.2.5"], [fields[0], fields[3], fields[4], fields[5]]);
        await natmap.LogLineAsync("Address 192.0.2.5 is assigned");
        AssertWaitedQuietly(natmap, "Address 192.0.2.5 is not assigned");
    }

    /// <summary>Said once; retried with the back-off (1, 2, 4 s... with -k 1), not in a loop; no port moved on.</summary>
    private void AssertWaitedQuietly(FaultSession natmap, string warning)
    {
        int retries = natmap.CountLog("Still waiting for the interface or address");
        output.WriteLine($"{retries} retries while waiting");
        Assert.Equal(1, natmap.CountLog(warning));
        Assert.InRange(retries, 1, 5);
        Assert.Equal(0, natmap.CountLog("Cannot bind"));
        Assert.Equal(0, natmap.CountLog("No port of"));
        natmap.AssertReasonsNamed();
    }
}
