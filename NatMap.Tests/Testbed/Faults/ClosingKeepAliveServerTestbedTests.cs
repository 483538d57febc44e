
namespace NatMap.Tests.Testbed.Faults;

/// <summary>
/// Issue 13, section 4: an HTTP keep-alive server that closes after every answer (nginx
/// <c>keepalive_requests 1</c>). Each set-up then lasts one request; natmap must back off between
/// them rather than reconnect at the retry delay, and stay mapped, since the router's full-cone map
/// keeps the port: one report, however often the connection is set up again.
/// </summary>
public sealed class ClosingKeepAliveServerTestbedTests(ITestOutputHelper output)
{
    private const string Established = "Keep-alive connection from ";

    private static readonly TimeSpan Watch = TimeSpan.FromSeconds(8);

    [Fact]
    public async Task Tcp_ServerClosesAfterEveryAnswer_BacksOffAndStaysMapped()
    {
        await using var testbed = await Infrastructure.Testbed.StartAsync(coturn: true, nginx: true);
        await testbed.ScriptAsync("nginx", "restart", "--keepalive-requests", "1");
        var natmap = FaultSession.Start(testbed, "-4", "-s", "203.0.113.2", "-h", "203.0.113.2", "-b", "5555", "-k", "1", "-v");
        Assert.Equal("203.0.113.1 45555 2001::b1f3:cb00:7101 5555 tcp 192.0.2.2", await natmap.NextMappingAsync(0, FaultSession.Step));

        await natmap.WatchAsync(Watch);
        int setups = natmap.CountLog(Established);
        output.WriteLine($"{setups} keep-alive connections in the first {Watch.TotalSeconds} s and a bit");

        // Back-off from 1 s (-k 1): set-ups at about 0, 1, 3 and 7 s. Without it, one a second or more.
        Assert.InRange(setups, 2, 5);
        Assert.True(natmap.CountLog("closed the keep-alive connection within one keep-alive interval") >= 1);
        const string Retry = "Setting the mapping up again in ";
        var delays = natmap.Log.Where(line => line.Contains(Retry, StringComparison.Ordinal))
            .Select(line => line[(line.IndexOf(Retry, StringComparison.Ordinal) + Retry.Length)..].Split(' ')[0]).ToList();
        output.WriteLine("delays: " + string.Join(", ", delays));
        Assert.Equal(["00:00:01", "00:00:02", "00:00:04"], delays.Take(3));

        // Still mapped, never re-reported: each set-up's check found the same mapping.
        Assert.Single(natmap.Mappings);
        Assert.True(natmap.CountLog("Mapping unchanged: 203.0.113.1:45555") >= setups - 1);
        natmap.AssertReasonsNamed();
    }
}
