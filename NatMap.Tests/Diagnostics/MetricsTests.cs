using System.Net;
using System.Net.Sockets;
using NatMap.Diagnostics;
using NatMap.Forwarding;
using NatMap.Mapping;
using NatMap.Stun;
using NatMap.Stun.Internal;
using NatMap.Tests.Fakes;
using NatMap.Tests.Mapping.Fakes;
using static NatMap.Tests.Forwarding.ForwardingTestKit;

namespace NatMap.Tests.Diagnostics;

/// <summary>
/// The NatMap meter seen through a MeterListener. Every assertion is about a series tagged with a
/// port the test itself holds, so tests running in parallel cannot disturb the counts.
/// </summary>
public sealed class MetricsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private static (string, object) Protocol(string value) => (NatMapMetrics.ProtocolTag, value);

    private static (string, object) LocalPort(int port) => (NatMapMetrics.LocalPortTag, port);

    private static (string, object) ServerPort(int port) => (NatMapMetrics.ServerPortTag, port);

    private static (string, object) Outcome(string value) => (NatMapMetrics.OutcomeTag, value);

    private static (string, object) Direction(string value) => (NatMapMetrics.DirectionTag, value);

    [Fact]
    public async Task PortMapper_MappingReportedThenChanged_CountsEachChangeForItsLocalPort()
    {
        using var metrics = new MetricsRecorder();
        await using var stun = LoopbackStunServer.Nat(MapperHarness.Nat(500));
        await using var mapper = MapperHarness.Create(new PortMapperOptions
        {
            Protocol = MappingProtocol.Udp,
            BindAddress = IPAddress.Loopback,
            Port = PortSpec.Any,
            StunServers = { StunServerEndPoint.Parse(stun.Text) },
            KeepAliveInterval = TimeSpan.FromMilliseconds(50),
            RetryDelay = TimeSpan.FromMilliseconds(20),
            MaxRetryDelay = TimeSpan.FromMilliseconds(100),
        });
        await using var events = mapper.WatchAsync(Ct).GetAsyncEnumerator(Ct);

        var first = await MapperHarness.NextAsync(events);
        int port = first.PrivateEndPoint.Port;
        Assert.Equal(1, metrics.PushedSum(NatMapMetrics.MappingChanges, Protocol("udp"), LocalPort(port)));

        // Unchanged keep-alive answers are not changes; a new public endpoint is.
        await stun.Requests.ReadAsync(Ct).AsTask().WaitAsync(Timeout, Ct);
        await stun.Requests.ReadAsync(Ct).AsTask().WaitAsync(Timeout, Ct);
        stun.Map = MapperHarness.Nat(600);
        var second = await MapperHarness.NextAsync(events);

        Assert.Equal(port, second.PrivateEndPoint.Port);
        Assert.Equal(2, metrics.PushedSum(NatMapMetrics.MappingChanges, Protocol("udp"), LocalPort(port)));
        Assert.Equal(0, metrics.PushedSum(NatMapMetrics.MappingChanges, Protocol("tcp"), LocalPort(port)));
    }

    [Fact]
    public async Task StunClient_UdpServerSilent_RecordsTimeout()
    {
        using var metrics = new MetricsRecorder();
        using var silent = BoundSocket(SocketType.Dgram, ProtocolType.Udp);
        int port = ((IPEndPoint)silent.LocalEndPoint!).Port;
        using var socket = BoundSocket(SocketType.Dgram, ProtocolType.Udp);

        var ex = await Assert.ThrowsAsync<NatMapException>(() => Client(port).QueryUdpAsync(socket, Ct).WaitAsync(Timeout, Ct));

        Assert.Equal(NatMapErrorKind.AllServersFailed, ex.Kind);
        var recorded = Assert.Single(metrics.Pushed(NatMapMetrics.StunTransactions, ServerPort(port)));
        Assert.True(recorded.HasTags(Protocol("udp"), Outcome("timeout"), (NatMapMetrics.ServerAddressTag, "127.0.0.1")));
        Assert.Equal(1, recorded.Value);
        Assert.Empty(metrics.Pushed(NatMapMetrics.StunDuration, ServerPort(port)));
    }

    [Fact]
    public async Task StunClient_TcpServerRefuses_RecordsUnreachable()
    {
        using var metrics = new MetricsRecorder();

        // Bound but not listening: the port is ours, and a SYN to it is answered with a reset.
        using var closed = BoundSocket(SocketType.Stream, ProtocolType.Tcp);
        int port = ((IPEndPoint)closed.LocalEndPoint!).Port;

        var ex = await Assert.ThrowsAsync<NatMapException>(() => Client(port)
            .QueryTcpAsync(AddressFamily.InterNetwork, _ => BoundSocket(SocketType.Stream, ProtocolType.Tcp), Ct)
            .WaitAsync(Timeout, Ct));

        Assert.Equal(NatMapErrorKind.AllServersFailed, ex.Kind);
        var recorded = Assert.Single(metrics.Pushed(NatMapMetrics.StunTransactions, ServerPort(port)));
        Assert.True(recorded.HasTags(Protocol("tcp"), Outcome("unreachable")));
    }

    [Fact]
    public async Task StunClient_ServerAnswers_RecordsSuccessAndDuration()
    {
        using var metrics = new MetricsRecorder();
        var mapped = IPEndPoint.Parse("203.0.113.7:4242");
        await using var fake = LoopbackStunServer.Udp(async (index, request, client, socket) =>
            await socket.SendToAsync(StunResponses.Success(StunResponses.RequestId(request), mapped), client));
        using var socket = BoundSocket(SocketType.Dgram, ProtocolType.Udp);

        var result = await Client(fake.EndPoint.Port, TimeSpan.FromSeconds(3)).QueryUdpAsync(socket, Ct).WaitAsync(Timeout, Ct);

        Assert.Equal(mapped, result.MappedEndPoint);
        var transaction = Assert.Single(metrics.Pushed(NatMapMetrics.StunTransactions, ServerPort(fake.EndPoint.Port)));
        Assert.True(transaction.HasTags(Protocol("udp"), Outcome("success")));
        var duration = Assert.Single(metrics.Pushed(NatMapMetrics.StunDuration, ServerPort(fake.EndPoint.Port)));
        Assert.True(duration.HasTags(Protocol("udp")));
        Assert.False(duration.Tags.ContainsKey(NatMapMetrics.OutcomeTag));
        Assert.InRange(duration.Value, 0, Timeout.TotalSeconds);
    }

    [Fact]
    public async Task StunClient_ForgedCopyBeforeTheAnswer_RecordsTheDiscardByReasonAndASuccess()
    {
        using var metrics = new MetricsRecorder();
        var mapped = IPEndPoint.Parse("203.0.113.7:4242");
        await using var fake = LoopbackStunServer.Udp(async (index, request, client, socket) =>
        {
            var id = StunResponses.RequestId(request);
            await socket.SendToAsync(StunResponses.Forged(StunDiscardReason.Truncated, id), client);
            await socket.SendToAsync(StunResponses.Success(id, mapped), client);
        });
        using var socket = BoundSocket(SocketType.Dgram, ProtocolType.Udp);

        await Client(fake.EndPoint.Port, TimeSpan.FromSeconds(3)).QueryUdpAsync(socket, Ct).WaitAsync(Timeout, Ct);

        var discarded = Assert.Single(metrics.Pushed(NatMapMetrics.StunDiscarded, ServerPort(fake.EndPoint.Port)));
        Assert.True(discarded.HasTags(Protocol("udp"), (NatMapMetrics.ReasonTag, "truncated"), (NatMapMetrics.ServerAddressTag, "127.0.0.1")));
        Assert.Equal(1, discarded.Value);
        var transaction = Assert.Single(metrics.Pushed(NatMapMetrics.StunTransactions, ServerPort(fake.EndPoint.Port)));
        Assert.True(transaction.HasTags(Protocol("udp"), Outcome("success")));
    }

    [Fact]
    public async Task StunClient_ErrorResponse_RecordsErrorResponse()
    {
        using var metrics = new MetricsRecorder();
        await using var fake = LoopbackStunServer.Udp(async (index, request, client, socket) =>
            await socket.SendToAsync(StunResponses.Error(StunResponses.RequestId(request), 400, "Bad Request"), client));
        using var socket = BoundSocket(SocketType.Dgram, ProtocolType.Udp);

        await Assert.ThrowsAsync<NatMapException>(() => Client(fake.EndPoint.Port, TimeSpan.FromSeconds(3)).QueryUdpAsync(socket, Ct).WaitAsync(Timeout, Ct));

        var transaction = Assert.Single(metrics.Pushed(NatMapMetrics.StunTransactions, ServerPort(fake.EndPoint.Port)));
        Assert.True(transaction.HasTags(Protocol("udp"), Outcome("error_response")));
        Assert.Empty(metrics.Pushed(NatMapMetrics.StunDuration, ServerPort(fake.EndPoint.Port)));
    }

    [Theory]
    [InlineData(TcpRelayEngine.Splice)]
    [InlineData(TcpRelayEngine.Managed)]
    public async Task TcpForwarder_RelaysBytes_ObservedBytesAndActiveConnectionUpThenDown(TcpRelayEngine engine)
    {
        if (engine == TcpRelayEngine.Splice && !OperatingSystem.IsLinux())
        {
            Assert.Skip("The splice engine is Linux only.");
        }

        const int Length = 300_000;
        using var metrics = new MetricsRecorder();
        using var server = Listen();
        var echo = Task.Run(async () =>
        {
            using var accepted = await server.AcceptAsync(Ct);
            var buffer = new byte[65536];
            int n;
            while ((n = await accepted.ReceiveAsync(buffer, SocketFlags.None, Ct)) > 0)
            {
                await accepted.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, Ct);
            }

            accepted.Shutdown(SocketShutdown.Send);
        }, Ct);
        var target = (IPEndPoint)server.LocalEndPoint!;
        await using var forwarder = new TcpForwarder(new TcpForwarderOptions
        {
            ListenEndPoint = AnyLoopback,
            TargetHost = target.Address.ToString(),
            TargetPort = target.Port,
            Engine = engine,
        });
        forwarder.Start();
        var ours = new[] { Protocol("tcp"), LocalPort(forwarder.LocalEndPoint.Port) };
        long Value(IReadOnlyList<RecordedMeasurement> c, string instrument, params (string, object)[] more) =>
            MetricsRecorder.Observed(c, instrument, [.. ours, .. more]);

        // A forwarder stopped earlier on the same port number left its totals: count from here.
        var before = metrics.Collect();
        Assert.Equal(0, Value(before, NatMapMetrics.ForwardConnectionsActive));
        long toBefore = Value(before, NatMapMetrics.ForwardBytes, Direction("to_target"));
        long fromBefore = Value(before, NatMapMetrics.ForwardBytes, Direction("from_target"));
        long acceptedBefore = Value(before, NatMapMetrics.ForwardConnections, Outcome("accepted"));

        using (var client = await ConnectAsync(forwarder.LocalEndPoint))
        {
            var payload = Pattern(Length, 11);
            var sending = client.SendAsync(payload, SocketFlags.None, Ct).AsTask();
            var reply = new byte[Length];
            int have = 0;
            while (have < Length)
            {
                int n = await client.ReceiveAsync(reply.AsMemory(have), SocketFlags.None, Ct).AsTask().WaitAsync(Timeout, Ct);
                Assert.NotEqual(0, n);
                have += n;
            }

            await sending.WaitAsync(Timeout, Ct);
            Assert.Equal(payload, reply);

            // The engines add to their counters just after a transfer completes, so the last
            // chunk may show a moment after the client has it.
            await WaitUntilAsync(
                () =>
                {
                    var now = metrics.Collect();
                    return Value(now, NatMapMetrics.ForwardBytes, Direction("to_target")) - toBefore >= Length
                        && Value(now, NatMapMetrics.ForwardBytes, Direction("from_target")) - fromBefore >= Length;
                },
                "natmap.forward.bytes to reach the relayed length");
            var during = metrics.Collect();
            Assert.Equal(1, Value(during, NatMapMetrics.ForwardConnectionsActive));
            Assert.Equal(1, Value(during, NatMapMetrics.ForwardConnections, Outcome("accepted")) - acceptedBefore);
            Assert.Equal(Length, Value(during, NatMapMetrics.ForwardBytes, Direction("to_target")) - toBefore);
            Assert.Equal(Length, Value(during, NatMapMetrics.ForwardBytes, Direction("from_target")) - fromBefore);
            client.Shutdown(SocketShutdown.Send);
            await echo.WaitAsync(Timeout, Ct);
        }

        await WaitUntilAsync(
            () => Value(metrics.Collect(), NatMapMetrics.ForwardConnectionsActive) == 0,
            "natmap.forward.connections.active to go back to 0");

        await forwarder.StopAsync();
        var after = metrics.Collect();

        // Stopped: nothing active, and the totals stay so the counter never goes backwards.
        Assert.Equal(0, Value(after, NatMapMetrics.ForwardConnectionsActive));
        Assert.True(Value(after, NatMapMetrics.ForwardBytes, Direction("to_target")) - toBefore >= Length);
        Assert.True(Value(after, NatMapMetrics.ForwardConnections, Outcome("accepted")) - acceptedBefore >= 1);
    }

    [Fact]
    public async Task UdpForwarder_RelaysDatagrams_ObservedSessionAndBytes()
    {
        const int Size = 1000;
        const int Count = 5;
        using var metrics = new MetricsRecorder();
        using var echo = BoundSocket(SocketType.Dgram, ProtocolType.Udp);
        var echoing = Task.Run(async () =>
        {
            var buffer = new byte[65536];
            var from = new SocketAddress(AddressFamily.InterNetwork);
            for (int i = 0; i < Count; i++)
            {
                int n = await echo.ReceiveFromAsync(buffer, SocketFlags.None, from, Ct);
                await echo.SendToAsync(buffer.AsMemory(0, n), SocketFlags.None, from, Ct);
            }
        }, Ct);
        var target = (IPEndPoint)echo.LocalEndPoint!;
        await using var forwarder = new UdpForwarder(new UdpForwarderOptions
        {
            ListenEndPoint = AnyLoopback,
            TargetHost = target.Address.ToString(),
            TargetPort = target.Port,
        });
        forwarder.Start();
        var ours = new[] { Protocol("udp"), LocalPort(forwarder.LocalEndPoint.Port) };
        long Value(IReadOnlyList<RecordedMeasurement> c, string instrument, params (string, object)[] more) =>
            MetricsRecorder.Observed(c, instrument, [.. ours, .. more]);
        var before = metrics.Collect();
        long toBefore = Value(before, NatMapMetrics.ForwardBytes, Direction("to_target"));
        long fromBefore = Value(before, NatMapMetrics.ForwardBytes, Direction("from_target"));
        long acceptedBefore = Value(before, NatMapMetrics.ForwardConnections, Outcome("accepted"));
        Assert.Equal(0, Value(before, NatMapMetrics.ForwardConnectionsActive));

        using var client = BoundSocket(SocketType.Dgram, ProtocolType.Udp);
        var reply = new byte[65536];
        for (int i = 0; i < Count; i++)
        {
            await client.SendToAsync(Pattern(Size, i), SocketFlags.None, forwarder.LocalEndPoint, Ct);
            var got = await client.ReceiveFromAsync(reply, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), Ct).AsTask().WaitAsync(Timeout, Ct);
            Assert.Equal(Size, got.ReceivedBytes);
        }

        await echoing.WaitAsync(Timeout, Ct);
        await WaitUntilAsync(
            () => Value(metrics.Collect(), NatMapMetrics.ForwardBytes, Direction("from_target")) - fromBefore >= Count * Size,
            "natmap.forward.bytes from_target to reach the relayed length");
        var during = metrics.Collect();
        Assert.Equal(1, Value(during, NatMapMetrics.ForwardConnectionsActive));
        Assert.Equal(1, Value(during, NatMapMetrics.ForwardConnections, Outcome("accepted")) - acceptedBefore);
        Assert.Equal(Count * Size, Value(during, NatMapMetrics.ForwardBytes, Direction("to_target")) - toBefore);
        Assert.Equal(Count * Size, Value(during, NatMapMetrics.ForwardBytes, Direction("from_target")) - fromBefore);

        await forwarder.StopAsync();

        Assert.Equal(0, Value(metrics.Collect(), NatMapMetrics.ForwardConnectionsActive));
    }

    private static StunClient Client(int serverPort, TimeSpan? initialRto = null)
    {
        var options = new StunClientOptions
        {
            InitialRto = initialRto ?? TimeSpan.FromMilliseconds(20),
            MaxRequests = 2,
            LastWaitMultiplier = 2,
            TcpTimeout = TimeSpan.FromSeconds(5),
        };
        options.StunServers.Add(new StunServerEndPoint("127.0.0.1", serverPort));
        return new StunClient(options);
    }

    private static Socket BoundSocket(SocketType type, ProtocolType protocol)
    {
        var socket = new Socket(AddressFamily.InterNetwork, type, protocol);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return socket;
    }
}
