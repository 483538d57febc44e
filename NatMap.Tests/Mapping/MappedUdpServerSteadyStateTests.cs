using System.Net;
using System.Net.Sockets;
using NatMap.Tests.Fakes;
using NatMap.Tests.Forwarding;
using NatMap.Tests.Mapping.Fakes;

namespace NatMap.Tests.Mapping;

/// <summary>
/// In-process UDP serving in steady state allocates nothing per datagram, either way: measured with
/// the process-wide counter, so it runs alone, and the test's client uses the allocation-free
/// SocketAddress calls too.
/// </summary>
[Collection(nameof(ForwarderSteadyStateCollection))]
public sealed class MappedUdpServerSteadyStateTests(ITestOutputHelper output)
{
    private const int WarmUp = 2_000;
    private const int Measured = 10_000;

    /// <summary>
    /// Far below one object per datagram (20,000 datagrams, so at least 480 KB): only a rare timer
    /// or thread-pool thread fits under it. The least of three runs is judged, since such
    /// sporadic costs elsewhere in the process land in one run, while a per-datagram cost is in all.
    /// </summary>
    private const long AllocationBound = 16 * 1024;

    private const int Runs = 3;

    [Fact]
    public async Task ReceiveFromAndSendToAsync_SteadyState_AllocateNothingPerDatagram()
    {
        var ct = TestContext.Current.CancellationToken;

        // One check at start, then none during the measurement: the checks' own allocations are not per datagram.
        await using var stun = LoopbackStunServer.Udp(MappedUdpServerTests.Answering());
        await using var server = MapperHarness.CreateUdpServer(MappedUdpServerTests.Options(stun, TimeSpan.FromMinutes(10)));
        await using var events = server.WatchAsync(ct).GetAsyncEnumerator(ct);
        var mapping = await MapperHarness.NextAsync(events);
        using var client = MappedUdpServerTests.Client();
        client.ReceiveTimeout = (int)MapperHarness.Timeout.TotalMilliseconds;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var echo = MappedUdpServerTests.EchoAsync(server, stop.Token);
        var target = mapping.PrivateEndPoint.Serialize();
        var from = new SocketAddress(AddressFamily.InterNetwork);
        var payload = new byte[512];
        payload[0] = 0xFF;
        var received = new byte[2048];

        // Blocking client calls on a thread of their own: they allocate nothing, unlike their async forms with an endpoint.
        long allocated = await Task.Factory.StartNew(
            () =>
            {
                RoundTrips(client, payload, received, target, from, WarmUp);
                long least = long.MaxValue;
                for (int run = 0; run < Runs; run++)
                {
                    long before = GC.GetTotalAllocatedBytes(precise: true);
                    RoundTrips(client, payload, received, target, from, Measured);
                    least = Math.Min(least, GC.GetTotalAllocatedBytes(precise: true) - before);
                }

                return least;
            },
            ct,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default).WaitAsync(TimeSpan.FromSeconds(60), ct);
        await stop.CancelAsync();
        Assert.Equal(0, await echo.WaitAsync(MapperHarness.Timeout, ct));

        output.WriteLine($"{allocated} bytes allocated over {Measured} round trips ({2 * Measured} datagrams), the least of {Runs} runs");
        Assert.True(allocated < AllocationBound, $"{allocated} bytes allocated over {Measured} round trips");
    }

    private static void RoundTrips(Socket client, byte[] payload, byte[] received, SocketAddress target, SocketAddress from, int count)
    {
        for (int i = 0; i < count; i++)
        {
            payload[1] = (byte)i;
            client.SendTo(payload, SocketFlags.None, target);
            int length = client.ReceiveFrom(received, SocketFlags.None, from);
            if (length != payload.Length || received[1] != (byte)i)
            {
                throw new InvalidOperationException("round trip " + i + " came back wrong");
            }
        }
    }
}
