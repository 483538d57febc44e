using System.Net;
using System.Net.Sockets;
using NatMap.Mapping;
using NatMap.Mapping.Internal;
using NatMap.Stun;
using NatMap.Stun.Internal;
using NatMap.Tests.Fakes;
using NatMap.Tests.Mapping.Fakes;

namespace NatMap.Tests.Mapping;

/// <summary>
/// In-process UDP serving over loopback: the app's datagrams and the mapper's STUN answers share
/// one socket, and the answers to the mapper's own transactions never reach the app.
/// </summary>
public sealed class MappedUdpServerTests
{
    private static readonly TimeSpan Timeout = MapperHarness.Timeout;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    internal static PortMapperOptions Options(LoopbackStunServer stun, TimeSpan keepAlive) => new()
    {
        Protocol = MappingProtocol.Udp,
        BindAddress = IPAddress.Loopback,
        StunServers = { StunServerEndPoint.Parse(stun.Text) },
        KeepAliveInterval = keepAlive,
        RetryDelay = TimeSpan.FromMilliseconds(20),
        MaxRetryDelay = TimeSpan.FromMilliseconds(100),
    };

    /// <summary>A script for <see cref="LoopbackStunServer.Udp"/>: answers every Binding request, then runs <paramref name="after"/>(answer, requester, socket) for the first.</summary>
    internal static Func<int, byte[], IPEndPoint, Socket, Task> Answering(Func<byte[], IPEndPoint, Socket, Task>? after = null) =>
        async (index, request, from, socket) =>
        {
            if (!StunResponses.TryReadBindingRequest(request, out _))
            {
                return;
            }

            var answer = StunResponses.Success(StunResponses.RequestId(request), MapperHarness.Nat(500)(from));
            await socket.SendToAsync(answer, SocketFlags.None, from);
            if (index == 0 && after is not null)
            {
                await after(answer, from, socket);
            }
        };

    internal static Socket Client()
    {
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        client.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return client;
    }

    [Fact]
    public async Task ReceiveFromAsync_StunAnswerToTransactionInFlight_IsNotDelivered()
    {
        await using var stun = LoopbackStunServer.Udp(Answering(async (answer, mapper, socket) =>
            await socket.SendToAsync(answer, SocketFlags.None, mapper)));
        await using var server = MapperHarness.CreateUdpServer(Options(stun, TimeSpan.FromMinutes(5)));
        await using var events = server.WatchAsync(Ct).GetAsyncEnumerator(Ct);
        var mapping = await MapperHarness.NextAsync(events);
        using var client = Client();

        // The answer and its copy came before the marker, on one loopback path: the marker is the
        // first datagram the app sees only if both were kept from it.
        await WaitUntilAsync(() => server.ClaimedStunAnswers >= 2);
        await client.SendToAsync("marker"u8.ToArray(), SocketFlags.None, mapping.PrivateEndPoint, Ct);
        var (datagram, from) = await ReceiveAsync(server);

        Assert.Equal("marker"u8.ToArray(), datagram);
        Assert.Equal(client.LocalEndPoint, from);

        // Two, or more if a slow answer made the check retransmit (each request is answered).
        Assert.InRange(server.ClaimedStunAnswers, 2, stun.DatagramCount + 1);
    }

    [Fact]
    public async Task ReceiveFromAsync_StunLookingDatagramNotOfTransactionInFlight_IsDelivered()
    {
        var answered = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        byte[]? otherTransaction = null;
        await using var stun = LoopbackStunServer.Udp(Answering(async (answer, mapper, socket) =>
        {
            var id = StunTransactionId.Read(answer.AsSpan(8, StunConstants.TransactionIdLength));
            otherTransaction = StunResponses.Success(StunResponses.Other(id), MapperHarness.Nat(500)(mapper));
            await socket.SendToAsync(otherTransaction, SocketFlags.None, mapper);
            answered.TrySetResult(answer);
        }));
        await using var server = MapperHarness.CreateUdpServer(Options(stun, TimeSpan.FromMinutes(5)));
        await using var events = server.WatchAsync(Ct).GetAsyncEnumerator(Ct);
        var mapping = await MapperHarness.NextAsync(events);
        var answer = await answered.Task.WaitAsync(Timeout, Ct);
        using var client = Client();

        // Another transaction id from the server; then the answer's own bytes (its id is in flight) from a client.
        var (first, firstFrom) = await ReceiveAsync(server);
        await client.SendToAsync(answer, SocketFlags.None, mapping.PrivateEndPoint, Ct);
        var (second, secondFrom) = await ReceiveAsync(server);

        Assert.Equal(otherTransaction, first);
        Assert.Equal(stun.EndPoint, firstFrom);
        Assert.Equal(answer, second);
        Assert.Equal(client.LocalEndPoint, secondFrom);
        Assert.InRange(server.ClaimedStunAnswers, 1, stun.DatagramCount);
    }

    [Fact]
    public async Task SendToAndReceiveFromAsync_Datagrams1To65507Bytes_PassWholeBothWays()
    {
        int[] sizes = [1, 2, 20, 548, 1472, 1473, 2049, 8192, 32768, 49152, 65000, 65507];
        await using var stun = LoopbackStunServer.Udp(Answering());
        await using var server = MapperHarness.CreateUdpServer(Options(stun, TimeSpan.FromMilliseconds(50)));
        await using var events = server.WatchAsync(Ct).GetAsyncEnumerator(Ct);
        var mapping = await MapperHarness.NextAsync(events);
        using var client = Client();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var echo = EchoAsync(server, stop.Token);
        var received = new byte[65536];

        foreach (int size in sizes)
        {
            var payload = new byte[size];
            new Random(size).NextBytes(payload);
            payload[0] = 0xFF;
            await client.SendToAsync(payload, SocketFlags.None, mapping.PrivateEndPoint, Ct);
            var result = await client.ReceiveFromAsync(received, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), Ct).AsTask().WaitAsync(Timeout, Ct);

            Assert.Equal(size, result.ReceivedBytes);
            Assert.True(payload.AsSpan().SequenceEqual(received.AsSpan(0, size)), "the echo of " + size + " bytes differs");
            Assert.Equal(mapping.PrivateEndPoint, result.RemoteEndPoint);
        }

        // The checks went on meanwhile (every 50 ms), none of them reaching the app.
        await WaitUntilAsync(() => server.ClaimedStunAnswers >= 3);
        await stop.CancelAsync();
        Assert.Equal(0, await echo.WaitAsync(Timeout, Ct));
    }

    [Fact]
    public async Task ReceiveFromAsync_AppNotReading_ChecksGoOnAndOverflowIsDroppedAndCounted()
    {
        await using var stun = LoopbackStunServer.Udp(Answering());
        await using var server = MapperHarness.CreateUdpServer(Options(stun, TimeSpan.FromMilliseconds(50)));
        await using var events = server.WatchAsync(Ct).GetAsyncEnumerator(Ct);
        var mapping = await MapperHarness.NextAsync(events);
        using var client = Client();
        const int sent = UdpAppQueue.Capacity + 36;

        for (int i = 0; i < sent; i++)
        {
            await client.SendToAsync(new byte[] { 0xFF, (byte)i }, SocketFlags.None, mapping.PrivateEndPoint, Ct);
        }

        long claimed = server.ClaimedStunAnswers;
        await WaitUntilAsync(() => server.DroppedDatagrams == sent - UdpAppQueue.Capacity && server.ClaimedStunAnswers >= claimed + 3);
        for (int i = 0; i < UdpAppQueue.Capacity; i++)
        {
            var (datagram, _) = await ReceiveAsync(server);
            Assert.Equal(new byte[] { 0xFF, (byte)i }, datagram);
        }
    }

    [Fact]
    public void CreateUdpServer_TcpProtocol_ThrowsArgumentExceptionNamingOptions()
    {
        var options = new PortMapperOptions { Protocol = MappingProtocol.Tcp, StunServers = { StunServerEndPoint.Parse("192.0.2.1") } };

        var error = Assert.Throws<ArgumentException>(() => PortMapper.CreateUdpServer(options));

        Assert.Equal("options", error.ParamName);
        Assert.Contains("MappingProtocol.Udp", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CreateUdpServer_ForwardTarget_ThrowsArgumentExceptionNamingOptions()
    {
        var options = new PortMapperOptions { Protocol = MappingProtocol.Udp, StunServers = { StunServerEndPoint.Parse("192.0.2.1") }, TargetHost = "192.0.2.2" };

        var error = Assert.Throws<ArgumentException>(() => PortMapper.CreateUdpServer(options));

        Assert.Equal("options", error.ParamName);
        Assert.Contains("TargetHost", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CreateUdpServer_NullOptions_ThrowsArgumentNullException() =>
        Assert.Throws<ArgumentNullException>("options", () => PortMapper.CreateUdpServer(null!));

    [Fact]
    public async Task ReceiveFromAsync_AddressTooSmall_ThrowsArgumentExceptionNamingIt()
    {
        await using var server = PortMapper.CreateUdpServer(new PortMapperOptions { Protocol = MappingProtocol.Udp, StunServers = { StunServerEndPoint.Parse("192.0.2.1") } });

        var error = Assert.Throws<ArgumentException>(() => server.ReceiveFromAsync(new byte[16], new SocketAddress(AddressFamily.InterNetwork, 8), Ct));

        Assert.Equal("remoteAddress", error.ParamName);
    }

    [Fact]
    public async Task SendToAsync_NotWatching_ThrowsNetworkError()
    {
        await using var server = PortMapper.CreateUdpServer(new PortMapperOptions { Protocol = MappingProtocol.Udp, StunServers = { StunServerEndPoint.Parse("192.0.2.1") } });

        var error = await Assert.ThrowsAsync<NatMapException>(async () =>
            await server.SendToAsync(new byte[1], new IPEndPoint(IPAddress.Loopback, 9).Serialize(), Ct));

        Assert.Equal(NatMapErrorKind.NetworkError, error.Kind);
    }

    [Fact]
    public async Task ReceiveFromAsync_Cancelled_ThrowsWithCallersToken()
    {
        await using var server = PortMapper.CreateUdpServer(new PortMapperOptions { Protocol = MappingProtocol.Udp, StunServers = { StunServerEndPoint.Parse("192.0.2.1") } });
        using var cancel = new CancellationTokenSource();

        var pending = server.ReceiveFromAsync(new byte[16], new SocketAddress(AddressFamily.InterNetwork), cancel.Token).AsTask();
        await cancel.CancelAsync();

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending.WaitAsync(Timeout, Ct));
        Assert.Equal(cancel.Token, error.CancellationToken);
    }

    [Fact]
    public async Task ReceiveFromAsync_WatchEnds_PendingReceiveFailsAndDisposedServerRefuses()
    {
        await using var stun = LoopbackStunServer.Udp(Answering());
        var server = MapperHarness.CreateUdpServer(Options(stun, TimeSpan.FromMilliseconds(50)));
        using var watch = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var events = server.WatchAsync(watch.Token).GetAsyncEnumerator(watch.Token);
        await MapperHarness.NextAsync(events);
        var pending = server.ReceiveFromAsync(new byte[16], new SocketAddress(AddressFamily.InterNetwork), Ct).AsTask();

        await watch.CancelAsync();
        Assert.False(await events.MoveNextAsync().AsTask().WaitAsync(Timeout, Ct));
        await events.DisposeAsync();

        var stopped = await Assert.ThrowsAsync<NatMapException>(() => pending.WaitAsync(Timeout, Ct));
        Assert.Equal(NatMapErrorKind.NetworkError, stopped.Kind);
        await server.DisposeAsync();
        Assert.Throws<ObjectDisposedException>(() => server.ReceiveFromAsync(new byte[16], new SocketAddress(AddressFamily.InterNetwork), Ct));
    }

    [Fact]
    public async Task ReceiveFromAsync_SocketRebound_PendingReceiveCompletesFromNewSocket()
    {
        var serving = new UdpServingSocket(AddressFamily.InterNetwork, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        using var first = Client();
        serving.Attach(first);
        var buffer = new byte[16];
        var from = new SocketAddress(AddressFamily.InterNetwork);
        var pending = serving.ReceiveFromAsync(buffer, from, Ct).AsTask();

        // As the mapping loop does when the -i device went away: the old socket stops, a new one starts.
        await serving.DetachAsync().WaitAsync(Timeout, Ct);
        first.Dispose();
        await Assert.ThrowsAsync<NatMapException>(async () => await serving.SendToAsync(new byte[1], new IPEndPoint(IPAddress.Loopback, 9).Serialize(), Ct));
        using var second = Client();
        serving.Attach(second);
        using var client = Client();
        await client.SendToAsync(new byte[] { 0xFF, 7 }, SocketFlags.None, second.LocalEndPoint!, Ct);

        Assert.Equal(2, await pending.WaitAsync(Timeout, Ct));
        Assert.Equal(client.LocalEndPoint, new IPEndPoint(IPAddress.Any, 0).Create(from));
        await serving.DetachAsync().WaitAsync(Timeout, Ct);
    }

    /// <summary>Echoes every datagram back to its sender until cancelled; returns how many STUN-looking datagrams the app saw.</summary>
    internal static async Task<int> EchoAsync(IMappedUdpServer server, CancellationToken cancellationToken)
    {
        var buffer = new byte[65536];
        var peer = new SocketAddress(AddressFamily.InterNetwork);
        int stunLooking = 0;
        try
        {
            while (true)
            {
                int length = await server.ReceiveFromAsync(buffer, peer, cancellationToken);
                stunLooking += StunBindingTransaction.LooksLikeStun(buffer.AsSpan(0, length)) ? 1 : 0;
                await server.SendToAsync(buffer.AsMemory(0, length), peer, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return stunLooking;
        }
    }

    private static async Task<(byte[] Datagram, IPEndPoint From)> ReceiveAsync(IMappedUdpServer server)
    {
        var buffer = new byte[65536];
        var from = new SocketAddress(AddressFamily.InterNetwork);
        int length = await server.ReceiveFromAsync(buffer, from, Ct).AsTask().WaitAsync(Timeout, Ct);
        return (buffer[..length], (IPEndPoint)new IPEndPoint(IPAddress.Any, 0).Create(from));
    }

    /// <summary>Polls a condition the code under test moves towards, failing after the timeout.</summary>
    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        var deadline = DateTime.UtcNow + Timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition was not met in time");
            await timer.WaitForNextTickAsync(Ct);
        }
    }
}
