using System.Diagnostics;

namespace NatMap.Tests.Testbed.Faults;

/// <summary>
/// Issue 13, section 4: the host's own LAN address changes (a DHCP renumbering) while <c>-i</c> names
/// the interface. testbed.sh <c>renumber</c> moves lan0 from 192.0.2.2 to 192.0.2.7, puts the default
/// route back and points the router's full-cone map at the new address, so the public endpoint stays
/// 203.0.113.1:45555 and only the private address changes: natmap must bind again and report that
/// change, once.
/// </summary>
public sealed class LanRenumberingTestbedTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("tcp")]
    [InlineData("udp")]
    public async Task Renumbered_InterfaceNamed_ReportsNewPrivateAddressOnce(string protocol)
    {
        await using var testbed = await Infrastructure.Testbed.StartAsync(coturn: true, nginx: protocol == "tcp");
        string[] mode = protocol == "udp" ? ["-u"] : ["-h", "203.0.113.2"];
        var natmap = FaultSession.Start(testbed, ["-4", .. mode, "-s", "203.0.113.2", "-b", "5555", "-k", "1", "-i", "lan0", "-v"]);
        Assert.Equal($"203.0.113.1 45555 2001::b1f3:cb00:7101 5555 {protocol} 192.0.2.2", await natmap.NextMappingAsync(0, FaultSession.Step));

        await testbed.ScriptAsync("renumber", "192.0.2.7");
        var clock = Stopwatch.StartNew();
        var line = await natmap.NextMappingAsync(1, FaultSession.Step);
        output.WriteLine($"{protocol}: new private address reported {clock.ElapsedMilliseconds} ms after the renumbering");
        Assert.Equal($"203.0.113.1 45555 2001::b1f3:cb00:7101 5555 {protocol} 192.0.2.7", line);

        // Once: three more checks change nothing.
        await natmap.WatchAsync(TimeSpan.FromSeconds(3));
        Assert.Equal(2, natmap.Mappings.Count);
        if (protocol == "tcp")
        {
            await natmap.LogLineAsync("Local address changed from 192.0.2.2 to 192.0.2.7");
        }

        natmap.AssertReasonsNamed();
    }
}
