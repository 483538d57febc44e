using System.Diagnostics;
using System.Net;
using NatMap.Tests.Infrastructure;
using NatMap.Tests.Testbed.Library;

namespace NatMap.Tests.Testbed;

/// <summary>
/// Issue 14's soak test for NatMap.Hosting: two named mappings (TCP "web" on 5555, UDP "game" on
/// 5556) in one Generic Host in the lan namespace, behind the testbed's full-cone router, each
/// reported to its own notifier (an in-test callback: the built-in notifiers are another branch's).
/// The router re-assigns each public port in turn, several rounds; every notifier must hear its own
/// mapping's changes, in order, and nothing of the other's.
/// </summary>
public sealed class PortMappingHostingTestbedTests(ITestOutputHelper output)
{
    private const int Rounds = 3;
    private static readonly TimeSpan FirstMapping = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Recovery = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Exit = TimeSpan.FromSeconds(15);
    private static readonly IPEndPoint WebPrivate = IPEndPoint.Parse("192.0.2.2:5555");
    private static readonly IPEndPoint GamePrivate = IPEndPoint.Parse("192.0.2.2:5556");

    [Fact]
    public async Task Host_TwoNamedMappingsThroughTheNat_EachNotifierHearsOnlyItsOwnChanges()
    {
        await using var testbed = await Infrastructure.Testbed.StartAsync(coturn: true, nginx: true);
        var driver = await LibraryDriverProcess.StartHostingAsync(
            testbed,
            TestbedNode.Lan,
            FirstMapping,
            "NatMap:Mappings:0:Name=web",
            "NatMap:Mappings:0:Protocol=tcp",
            "NatMap:Mappings:0:Port=5555",
            "NatMap:Mappings:0:StunServers:0=203.0.113.2",
            "NatMap:Mappings:0:HttpServer=203.0.113.2",
            "NatMap:Mappings:0:KeepAliveInterval=00:00:02",
            "NatMap:Mappings:1:Name=game",
            "NatMap:Mappings:1:Protocol=udp",
            "NatMap:Mappings:1:Port=5556",
            "NatMap:Mappings:1:StunServers:0=203.0.113.2",
            "NatMap:Mappings:1:KeepAliveInterval=00:00:01");

        var seen = new Dictionary<string, List<MappingEvent>> { ["web"] = [], ["game"] = [] };
        var health = new List<string>();
        await NotifiedAsync(driver, seen, health, "web", "game");

        // The health line follows the snapshot it was judged after, so it may come after both notifications.
        if (!health.Contains("Healthy"))
        {
            await driver.Process.ReadLineAsync(line => line == "health Healthy", FirstMapping, "'health Healthy'");
            health.Add("Healthy");
        }

        Assert.Equal((MappingProtocol.Tcp, IPEndPoint.Parse("203.0.113.1:45555"), WebPrivate), Describe(seen["web"][0]));
        Assert.Equal((MappingProtocol.Udp, IPEndPoint.Parse("203.0.113.1:45556"), GamePrivate), Describe(seen["game"][0]));

        int webPort = 45555, gamePort = 45556;
        var clock = Stopwatch.StartNew();
        for (int round = 1; round <= Rounds; round++)
        {
            await testbed.RemapAsync(5555, webPort, 45600 + round);
            webPort = 45600 + round;
            await NotifiedAsync(driver, seen, health, "web");
            await testbed.RemapAsync(5556, gamePort, 45700 + round);
            gamePort = 45700 + round;
            await NotifiedAsync(driver, seen, health, "game");
        }

        output.WriteLine($"{Rounds} rounds of two re-assignments, each reported to its own notifier, in {clock.ElapsedMilliseconds} ms; health went {string.Join(", ", health)}");
        Assert.Equal([45555, 45601, 45602, 45603], seen["web"].Select(e => e.PublicEndPoint.Port));
        Assert.Equal([45556, 45701, 45702, 45703], seen["game"].Select(e => e.PublicEndPoint.Port));
        Assert.All(seen["web"], e => Assert.Equal((MappingProtocol.Tcp, WebPrivate), (e.Protocol, e.PrivateEndPoint)));
        Assert.All(seen["game"], e => Assert.Equal((MappingProtocol.Udp, GamePrivate), (e.Protocol, e.PrivateEndPoint)));
        foreach (var events in seen.Values)
        {
            for (int i = 1; i < events.Count; i++)
            {
                Assert.Equal(events[i - 1].PublicEndPoint, events[i].PreviousPublicEndPoint);
            }
        }

        Assert.Equal(0, await driver.StopAsync(Exit));
    }

    private static (MappingProtocol, IPEndPoint, IPEndPoint) Describe(MappingEvent e) => (e.Protocol, e.PublicEndPoint, e.PrivateEndPoint);

    /// <summary>
    /// Reads notifications until each of <paramref name="names"/> has had one more (another name's is a
    /// failure), keeping the health lines read on the way.
    /// </summary>
    private static async Task NotifiedAsync(LibraryDriverProcess driver, Dictionary<string, List<MappingEvent>> seen, List<string> health, params string[] names)
    {
        var waiting = new HashSet<string>(names, StringComparer.Ordinal);
        while (waiting.Count > 0)
        {
            string line = await driver.Process.ReadLineAsync(
                l => l.StartsWith("notified ", StringComparison.Ordinal) || l.StartsWith("health ", StringComparison.Ordinal) || l.StartsWith("failed ", StringComparison.Ordinal),
                Recovery,
                "(a notification for " + string.Join(", ", waiting) + ")");
            if (line.StartsWith("health ", StringComparison.Ordinal))
            {
                health.Add(line["health ".Length..]);
                continue;
            }

            Assert.StartsWith("notified ", line, StringComparison.Ordinal);
            var parts = line.Split(' ', 3);
            Assert.True(waiting.Remove(parts[1]), $"notifier {parts[1]} spoke while waiting for {string.Join(", ", waiting)}: {line}");
            seen[parts[1]].Add(MappingEvent.Parse(parts[2]));
        }
    }
}
