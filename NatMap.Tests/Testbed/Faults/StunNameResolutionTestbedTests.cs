using System.Diagnostics;

namespace NatMap.Tests.Testbed.Faults;

/// <summary>
/// Issue 13, section 4: STUN name resolution fails for a while, then recovers. <c>-s</c> names
/// stun.nmtb.test, which the lan namespace's hosts file (testbed.sh <c>hosts</c>, mounted over
/// /etc/hosts by <c>ip netns exec</c>) does not know at first; there is no DNS server. natmap must
/// retry at a bounded pace, report nothing, and map as soon as the name resolves.
/// </summary>
public sealed class StunNameResolutionTestbedTests(ITestOutputHelper output)
{
    private const string Name = "stun.nmtb.test";

    private static readonly TimeSpan Unresolved = TimeSpan.FromSeconds(4);

    [Theory]
    [InlineData("tcp")]
    [InlineData("udp")]
    public async Task NameUnresolvableThenKnown_RetriesCalmlyThenMaps(string protocol)
    {
        await using var testbed = await Infrastructure.Testbed.StartAsync(coturn: true, nginx: protocol == "tcp");
        await testbed.ScriptAsync("hosts", "lan");
        string[] mode = protocol == "udp" ? ["-u"] : ["-h", "203.0.113.2"];
        var natmap = FaultSession.Start(testbed, ["-4", .. mode, "-s", Name, "-b", "5555", "-k", "1", "-v"]);

        await natmap.LogLineAsync("STUN check from ");
        var watched = await natmap.WatchAsync(Unresolved);
        // Every failed check, the first (a warning) and the later ones of the outage (debug).
        int failed = natmap.CountLog(":5555 failed");
        output.WriteLine($"{protocol}: {failed} failed checks in {watched.TotalSeconds:0.0} s unresolved");
        Assert.Empty(natmap.Mappings);
        FaultSession.AssertPaced(failed, watched);
        Assert.Contains(natmap.Log, line => line.Contains(Name, StringComparison.Ordinal) && line.Contains("resolve", StringComparison.OrdinalIgnoreCase));

        await testbed.ScriptAsync("hosts", "lan", "203.0.113.2 " + Name);
        var clock = Stopwatch.StartNew();
        Assert.Equal($"203.0.113.1 45555 2001::b1f3:cb00:7101 5555 {protocol} 192.0.2.2", await natmap.NextMappingAsync(0, FaultSession.Step));
        output.WriteLine($"{protocol}: mapped {clock.ElapsedMilliseconds} ms after the name became known");
        natmap.AssertReasonsNamed();
    }
}
