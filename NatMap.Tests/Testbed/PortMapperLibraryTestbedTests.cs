using System.Diagnostics;
using System.Globalization;
using System.Net;
using NatMap.Mapping;
using NatMap.Tests.Forwarding;
using NatMap.Tests.Infrastructure;
using NatMap.Tests.Testbed.Library;

namespace NatMap.Tests.Testbed;

/// <summary>
/// Issue 3, "Proof in a real NAT", for the library: <see cref="PortMapper.Create"/> and
/// <see cref="IPortMapper.WatchAsync"/> in the lan namespace behind the testbed's full-cone router
/// (5555 to 45555, 5556 to 45556), with coturn and nginx on the wan side.
/// </summary>
/// <remarks>
/// A socket belongs to the network namespace of the thread that created it, and the mapper creates its
/// sockets (binding, STUN, keep-alive, forwarder connections) on thread-pool threads after awaits, so
/// switching one test thread with setns(2) cannot put them in lan. The library therefore runs in a
/// second copy of this test executable started with <c>ip netns exec</c> and a hidden argument
/// (<see cref="LibraryDriver"/>, not a test): it only prints each <see cref="MappingChanged"/> as a
/// line. These tests drive the testbed and make every assertion on those lines. Timings go to the test
/// output for the record, never asserted.
/// </remarks>
public sealed class PortMapperLibraryTestbedTests(ITestOutputHelper output)
{
    private static readonly IPAddress Ip4p45555 = IPAddress.Parse("2001::b1f3:cb00:7101");
    private static readonly IPAddress Ip4p45600 = IPAddress.Parse("2001::b220:cb00:7101");
    private static readonly IPEndPoint Public45555 = IPEndPoint.Parse("203.0.113.1:45555");
    private static readonly IPEndPoint Public45600 = IPEndPoint.Parse("203.0.113.1:45600");
    private static readonly IPEndPoint Private5555 = IPEndPoint.Parse("192.0.2.2:5555");

    /// <summary>Start to first mapping, and a fault to its recovery, bounded generously: failure means a hang.</summary>
    private static readonly TimeSpan FirstMapping = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Recovery = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Exit = TimeSpan.FromSeconds(15);

    [Theory]
    [InlineData(MappingProtocol.Tcp)]
    [InlineData(MappingProtocol.Udp)]
    public async Task WatchAsync_FullCone_FirstMappingIsRoutersPublicPort(MappingProtocol protocol)
    {
        await using var testbed = await StartTestbedAsync();

        var driver = await LibraryDriverProcess.StartAsync(testbed, TestbedNode.Lan, FirstMapping, Arguments(protocol));
        var first = await driver.NextMappingAsync(FirstMapping);
        output.WriteLine($"{Name(protocol)}: first mapping {first.SinceWatchStart.TotalMilliseconds:0} ms after WatchAsync began, {driver.Process.Elapsed.TotalMilliseconds:0} ms after the process started");

        Assert.Equal(protocol, first.Protocol);
        Assert.Equal(Public45555, first.PublicEndPoint);
        Assert.Equal(Private5555, first.PrivateEndPoint);
        Assert.Equal(Ip4p45555, first.Ip4p);
        Assert.Null(first.PreviousPublicEndPoint);
        Assert.Null(first.PreviousPrivateEndPoint);

        // Cancelling WatchAsync ends the stream and the mapper disposes without an exception.
        Assert.Equal(0, await driver.StopAsync(Exit));
    }

    [Theory]
    [InlineData(MappingProtocol.Tcp)]
    [InlineData(MappingProtocol.Udp)]
    public async Task WatchAsync_RouterReassignsPort_ReportsNewPublicPortWithPrevious(MappingProtocol protocol)
    {
        await using var testbed = await StartTestbedAsync();

        // TCP notices when the keep-alive connection breaks (-k 2), UDP at its next check (-k 1).
        var keepAlive = protocol == MappingProtocol.Tcp ? "keepalive-ms=2000" : "keepalive-ms=1000";
        var driver = await LibraryDriverProcess.StartAsync(testbed, TestbedNode.Lan, FirstMapping, [.. Arguments(protocol), keepAlive]);
        var first = await driver.NextMappingAsync(FirstMapping);

        await testbed.RemapAsync(5555, 45555, 45600);
        var clock = Stopwatch.StartNew();
        var second = await driver.NextMappingAsync(Recovery);
        output.WriteLine($"{Name(protocol)} ({keepAlive}): re-assignment reported {clock.ElapsedMilliseconds} ms after the router changed the map");

        Assert.Equal(Public45555, first.PublicEndPoint);
        Assert.Equal(protocol, second.Protocol);
        Assert.Equal(Public45600, second.PublicEndPoint);
        Assert.Equal(Private5555, second.PrivateEndPoint);
        Assert.Equal(Ip4p45600, second.Ip4p);
        Assert.Equal(Public45555, second.PreviousPublicEndPoint);
        Assert.Equal(Private5555, second.PreviousPrivateEndPoint);
    }

    [Theory]
    [InlineData(MappingProtocol.Tcp)]
    [InlineData(MappingProtocol.Udp)]
    public async Task WatchAsync_Forward_WanClientReachesLanServiceThroughPublicPort(MappingProtocol protocol)
    {
        await using var testbed = await StartTestbedAsync();

        // The service answers each connection or datagram with the peer address it sees: through the
        // forwarder that is the lan host itself, where a flow straight from wan would show 203.0.113.2.
        await testbed.StartEchoAsync(TestbedNode.Lan, Name(protocol), testbed.LanAddress, 7000);
        var driver = await LibraryDriverProcess.StartAsync(
            testbed, TestbedNode.Lan, FirstMapping, [.. Arguments(protocol), "forward=192.0.2.2", "forward-port=7000"]);
        var mapping = await driver.NextMappingAsync(FirstMapping);

        var seen = await testbed.AskAsync(TestbedNode.Wan, Name(protocol), testbed.PublicAddress, mapping.PublicEndPoint.Port);

        Assert.Equal(Public45555, mapping.PublicEndPoint);
        Assert.Equal(Private5555, mapping.PrivateEndPoint);
        Assert.Equal(testbed.LanAddress, seen.Address);
    }

    [Fact]
    public async Task CreateUdpServer_WanClientExchanges1To65000Bytes_ChecksGoOnAndNeverReachTheApp()
    {
        const int sockets = 2;
        int[] sizes = [1, 2, 64, 548, 1472, 1473, 4096, 9000, 16384, 32768, 49152, 65000];
        await using var testbed = await StartTestbedAsync();

        // -k 1: a check every second from the served socket, its answers kept from the echoing app.
        var driver = await LibraryDriverProcess.StartAsync(
            testbed, TestbedNode.Lan, FirstMapping, [.. Arguments(MappingProtocol.Udp), "keepalive-ms=1000", "serve=udp-echo"]);
        var mapping = await driver.NextMappingAsync(FirstMapping);
        long before = Checks(await driver.Process.ReadLineAsync(IsChecks, FirstMapping, "(a checks line)"));

        var result = await ForwardModePeer.RunClientAsync(
            testbed,
            TestbedNode.Wan,
            TimeSpan.FromSeconds(120),
            ["udp", testbed.PublicAddress.ToString(), ForwardModePeer.Text(mapping.PublicEndPoint.Port), ForwardModePeer.Text(sockets), .. sizes.Select(ForwardModePeer.Text)]);
        Assert.True(result.ExitCode == 0, $"the client failed: {result}\n{driver.Process.Describe()}");
        var ok = result.Stdout.Split('\n').Where(line => line.StartsWith("ok ", StringComparison.Ordinal)).ToList();
        Assert.Equal(sockets * sizes.Length, ok.Count);

        // The mapping outlives several more keep-alive intervals, each check answered through the app's socket.
        long after = before;
        while (after < before + 3)
        {
            after = Checks(await driver.Process.ReadLineAsync(IsChecks, Recovery, "(a checks line)"));
        }

        output.WriteLine($"udp in-process: {ok.Count} datagrams echoed; STUN answers kept from the app went from {before} to {after}; {result.Stdout.Split('\n').LastOrDefault(line => line.StartsWith("resent", StringComparison.Ordinal))}");
        Assert.Equal(Public45555, mapping.PublicEndPoint);
        Assert.Equal(Private5555, mapping.PrivateEndPoint);
        Assert.Equal(0, await driver.StopAsync(Exit));
        Assert.DoesNotContain(driver.Process.Transcript, line => line.Contains("app-stun", StringComparison.Ordinal));
        Assert.DoesNotContain(driver.Process.Transcript, line => line.Contains(MappingEvent.Prefix, StringComparison.Ordinal) && !line.Contains("45555", StringComparison.Ordinal));
    }

    private static bool IsChecks(string line) => line.StartsWith("checks ", StringComparison.Ordinal) || line.StartsWith("failed ", StringComparison.Ordinal);

    private static long Checks(string line) =>
        line.StartsWith("checks ", StringComparison.Ordinal) ? long.Parse(line["checks ".Length..], CultureInfo.InvariantCulture) : throw new InvalidOperationException(line);

    [Fact]
    public async Task CreateTcpServer_WanClientsThroughPublicPort_EchoedInProcessIntactAcrossRemap()
    {
        const long PerClient = 16L * 1024 * 1024;
        var transfer = TimeSpan.FromSeconds(120);
        await using var testbed = await StartTestbedAsync();
        var driver = await LibraryDriverProcess.StartAsync(
            testbed, TestbedNode.Lan, FirstMapping, [.. Arguments(MappingProtocol.Tcp), "serve=echo", "keepalive-ms=2000"]);
        var first = await driver.NextMappingAsync(FirstMapping);
        Assert.Equal(Public45555, first.PublicEndPoint);
        Assert.Equal(Private5555, first.PrivateEndPoint);

        // Four wan clients at once, 16 MiB each way each, echoed by the app over its pipes.
        var clock = Stopwatch.StartNew();
        Assert.Equal("bulk ok 4 " + PerClient, await testbed.BulkEchoAsync(TestbedNode.Wan, testbed.PublicAddress, first.PublicEndPoint.Port, PerClient, 4, transfer));
        output.WriteLine($"4 x 16 MiB echoed through the NAT in {clock.ElapsedMilliseconds} ms");
        // The app sees the wan clients themselves: no relay or loopback hop in between.
        for (int i = 0; i < 4; i++)
        {
            var echoed = await driver.Process.ReadLineAsync(line => line.StartsWith("echoed ", StringComparison.Ordinal) || line.StartsWith("echo failed", StringComparison.Ordinal), Exit, "'echoed'");
            Assert.StartsWith("echoed " + testbed.WanAddress + ":", echoed, StringComparison.Ordinal);
            Assert.EndsWith(" " + PerClient, echoed, StringComparison.Ordinal);
        }

        // The router re-assigns the public port: the mapper reports the new one, and the same
        // listener (the local port is unchanged) serves the clients that come through it.
        await testbed.RemapAsync(5555, 45555, 45600);
        var second = await driver.NextMappingAsync(Recovery);
        Assert.Equal(Public45600, second.PublicEndPoint);
        Assert.Equal(Private5555, second.PrivateEndPoint);
        Assert.Equal("bulk ok 3 " + PerClient, await testbed.BulkEchoAsync(TestbedNode.Wan, testbed.PublicAddress, second.PublicEndPoint.Port, PerClient, 3, transfer));

        Assert.Equal(0, await driver.StopAsync(Exit));
    }

    private static string[] Arguments(MappingProtocol protocol) => protocol == MappingProtocol.Tcp
        ? ["protocol=tcp", "stun=203.0.113.2", "http=203.0.113.2", "port=5555"]
        : ["protocol=udp", "stun=203.0.113.2", "port=5555"];

    private static string Name(MappingProtocol protocol) => protocol == MappingProtocol.Tcp ? "tcp" : "udp";

    private static Task<Infrastructure.Testbed> StartTestbedAsync() =>
        Infrastructure.Testbed.StartAsync(coturn: true, nginx: true);
}
