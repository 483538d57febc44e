using System.Diagnostics;

namespace NatMap.Tests.Testbed.Faults;

/// <summary>
/// Issue 13, section 4: the ISP changes the public address (a PPPoE redial; natmap issues #3, #4 and
/// #85). testbed.sh <c>readdress</c> moves the router's public address from 203.0.113.1 to 203.0.113.9
/// and forgets every flow, as a redial does. The new mapping must be reported within two keep-alive
/// intervals, for TCP and for UDP, and once.
/// </summary>
public sealed class PublicAddressChangeTestbedTests(ITestOutputHelper output)
{
    private const int KeepAliveSeconds = 2;

    [Theory]
    [InlineData("tcp")]
    [InlineData("udp")]
    public async Task PublicAddressChanged_ReportedWithinTwoIntervalsOnce(string protocol)
    {
        await using var testbed = await Infrastructure.Testbed.StartAsync(coturn: true, nginx: protocol == "tcp");
        string[] mode = protocol == "udp" ? ["-u"] : ["-h", "203.0.113.2"];
        var natmap = FaultSession.Start(testbed, ["-4", .. mode, "-s", "203.0.113.2", "-b", "5555", "-k", FaultSession.Text(KeepAliveSeconds)]);
        Assert.Equal($"203.0.113.1 45555 2001::b1f3:cb00:7101 5555 {protocol} 192.0.2.2", await natmap.NextMappingAsync(0, FaultSession.Step));

        // The clock starts once the script is done, by which time the new address is in force: the
        // time measured is at most the time natmap took.
        await testbed.ScriptAsync("readdress", "203.0.113.9");
        var clock = Stopwatch.StartNew();
        var line = await natmap.NextMappingAsync(1, FaultSession.Step);
        var took = clock.Elapsed;
        output.WriteLine($"{protocol} -k {KeepAliveSeconds}: new public address reported {took.TotalMilliseconds:0} ms after the redial");

        Assert.Equal($"203.0.113.9 45555 2001::b1f3:cb00:7109 5555 {protocol} 192.0.2.2", line);
        Assert.True(took < TimeSpan.FromSeconds(2 * KeepAliveSeconds), $"reported after {took.TotalSeconds:0.0} s, more than two keep-alive intervals of {KeepAliveSeconds} s");

        // Once: the keep-alive breaks too (TCP) and is set up again, with nothing new to report.
        await natmap.WatchAsync(TimeSpan.FromSeconds(2 * KeepAliveSeconds + 1));
        Assert.Equal(2, natmap.Mappings.Count);
        natmap.AssertReasonsNamed();
    }
}
