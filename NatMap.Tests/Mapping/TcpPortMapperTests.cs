using System.Net;
using System.Net.Sockets;
using NatMap.Mapping;
using NatMap.Mapping.Internal;
using NatMap.Stun;
using NatMap.Tests.Fakes;
using NatMap.Tests.Mapping.Fakes;

namespace NatMap.Tests.Mapping;

public sealed class TcpPortMapperTests
{
    private static readonly TimeSpan Timeout = MapperHarness.Timeout;

    private static PortMapperOptions Options(LoopbackStunServer stun, FakeHttpServer http, PortSpec port) => new()
    {
        Protocol = MappingProtocol.Tcp,
        BindAddress = IPAddress.Loopback,
        Port = port,
        StunServers = { StunServerEndPoint.Parse(stun.Text) },
        HttpServer = http.EndPoint.ToString(),
        KeepAliveInterval = TimeSpan.FromMilliseconds(50),
        RetryDelay = TimeSpan.FromMilliseconds(20),
        MaxRetryDelay = TimeSpan.FromMilliseconds(100),
    };

    [Fact]
    public async Task WatchAsync_FirstSetup_ReportsStunMappingOfTheKeepAlivePort()
    {
        await using var stun = LoopbackStunServer.Nat(MapperHarness.Nat(1000));
        await using var http = new FakeHttpServer();
        await using var mapper = MapperHarness.Create(Options(stun, http, PortSpec.Any));
        await using var events = mapper.WatchAsync(TestContext.Current.CancellationToken).GetAsyncEnumerator(TestContext.Current.CancellationToken);

        var first = await MapperHarness.NextAsync(events);

        var keepAliveSource = await http.Connections.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);
        var stunSource = await stun.Requests.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.Equal(MappingProtocol.Tcp, first.Protocol);
        Assert.Equal(keepAliveSource, first.PrivateEndPoint);
        Assert.Equal(keepAliveSource.Port, stunSource.Port);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("203.0.113.7"), keepAliveSource.Port + 1000), first.PublicEndPoint);
        Assert.Null(first.PreviousPublicEndPoint);
        Assert.Same(first, mapper.Current);
        Assert.NotNull(first.Ip4p);
    }

    [Fact]
    public async Task WatchAsync_KeepAlive_SendsHeadWithHostAndKeepAlive()
    {
        await using var stun = LoopbackStunServer.Nat(MapperHarness.Nat(1));
        await using var http = new FakeHttpServer();
        await using var mapper = MapperHarness.Create(Options(stun, http, PortSpec.Any));
        await using var events = mapper.WatchAsync(TestContext.Current.CancellationToken).GetAsyncEnumerator(TestContext.Current.CancellationToken);
        await MapperHarness.NextAsync(events);

        for (int i = 0; i < 2; i++)
        {
            var request = await http.Requests.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);
            Assert.Equal($"HEAD / HTTP/1.1\r\nHost: 127.0.0.1:{http.EndPoint.Port}\r\nConnection: keep-alive\r\n\r\n", request);
        }

        // Both requests went over the one keep-alive connection.
        Assert.False(http.Connections.TryRead(out _) && http.Connections.TryRead(out _));
    }

    [Fact]
    public async Task WatchAsync_PublicEndPointChanges_ReportsOnceAndNotWhileUnchanged()
    {
        await using var stun = LoopbackStunServer.Nat(MapperHarness.Nat(1000));
        await using var http = new FakeHttpServer();
        await using var mapper = MapperHarness.Create(Options(stun, http, PortSpec.Any));
        await using var events = mapper.WatchAsync(TestContext.Current.CancellationToken).GetAsyncEnumerator(TestContext.Current.CancellationToken);
        var first = await MapperHarness.NextAsync(events);

        // Each round reports before the next round's request leaves, so after the fourth request three
        // unchanged checks have been handled.
        for (int i = 0; i < 4; i++)
        {
            await stun.Requests.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);
        }

        Assert.Same(first, mapper.Current);

        stun.Map = MapperHarness.Nat(2000);
        var second = await MapperHarness.NextAsync(events);

        Assert.Equal(first.PublicEndPoint.Port + 1000, second.PublicEndPoint.Port);
        Assert.Equal(first.PrivateEndPoint, second.PrivateEndPoint);
        Assert.Equal(first.PublicEndPoint, second.PreviousPublicEndPoint);
        Assert.Equal(first.PrivateEndPoint, second.PreviousPrivateEndPoint);
    }

    [Fact]
    public async Task WatchAsync_HttpServerDropsConnection_SetsUpAgainOnNextPortOfRange()
    {
        int first = MapperHarness.FreeRange(3);
        await using var stun = LoopbackStunServer.Nat(MapperHarness.Nat(1000));
        await using var http = new FakeHttpServer();
        await using var mapper = MapperHarness.Create(Options(stun, http, PortSpec.Range(first, first + 2, random: false)));
        await using var events = mapper.WatchAsync(TestContext.Current.CancellationToken).GetAsyncEnumerator(TestContext.Current.CancellationToken);

        var initial = await MapperHarness.NextAsync(events);
        Assert.Equal(first, initial.PrivateEndPoint.Port);

        http.DropAll();
        var again = await MapperHarness.NextAsync(events);

        Assert.Equal(first + 1, again.PrivateEndPoint.Port);
        Assert.Equal(first + 1 + 1000, again.PublicEndPoint.Port);
        Assert.Equal(initial.PublicEndPoint, again.PreviousPublicEndPoint);
        Assert.Equal(first, (await http.Connections.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken)).Port);
        Assert.Equal(first + 1, (await http.Connections.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken)).Port);
    }

    [Fact]
    public async Task WatchAsync_FirstPortOfRangeTaken_BindsTheNext()
    {
        int first = MapperHarness.FreeRange(3);
        using var holder = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        holder.Bind(new IPEndPoint(IPAddress.Loopback, first));
        holder.Listen();
        await using var stun = LoopbackStunServer.Nat(MapperHarness.Nat(1000));
        await using var http = new FakeHttpServer();
        await using var mapper = MapperHarness.Create(Options(stun, http, PortSpec.Range(first, first + 2, random: false)));
        await using var events = mapper.WatchAsync(TestContext.Current.CancellationToken).GetAsyncEnumerator(TestContext.Current.CancellationToken);

        var mapping = await MapperHarness.NextAsync(events);

        Assert.Equal(first + 1, mapping.PrivateEndPoint.Port);
    }

    [Fact]
    public async Task WatchAsync_StunServerSilentAtFirst_RetriesWithoutThrowingThenReports()
    {
        await using var stun = LoopbackStunServer.Nat(MapperHarness.Nat(1000), answering: false);
        await using var http = new FakeHttpServer();
        await using var mapper = MapperHarness.Create(Options(stun, http, PortSpec.Any));
        await using var events = mapper.WatchAsync(TestContext.Current.CancellationToken).GetAsyncEnumerator(TestContext.Current.CancellationToken);
        var next = events.MoveNextAsync().AsTask();

        await stun.Dropped.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);
        await stun.Dropped.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.Null(mapper.Current);
        stun.Answering = true;

        Assert.True(await next.WaitAsync(Timeout, TestContext.Current.CancellationToken));
        Assert.Equal(events.Current.PrivateEndPoint.Port + 1000, events.Current.PublicEndPoint.Port);
    }

    [Fact]
    public async Task WatchAsync_Cancelled_EndsStreamWithoutError()
    {
        await using var stun = LoopbackStunServer.Nat(MapperHarness.Nat(1000));
        await using var http = new FakeHttpServer();
        await using var mapper = MapperHarness.Create(Options(stun, http, PortSpec.Any));
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var received = new List<MappingChanged>();

        var watching = Task.Run(async () =>
        {
            await foreach (var change in mapper.WatchAsync(cts.Token))
            {
                received.Add(change);
                await cts.CancelAsync();
            }
        }, TestContext.Current.CancellationToken);

        await watching.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.Single(received);
    }

    [Fact]
    public async Task DisposeAsync_WhileWatching_EndsStreamAndIsIdempotent()
    {
        await using var stun = LoopbackStunServer.Nat(MapperHarness.Nat(1000));
        await using var http = new FakeHttpServer();
        var mapper = MapperHarness.Create(Options(stun, http, PortSpec.Any));
        await using var events = mapper.WatchAsync(TestContext.Current.CancellationToken).GetAsyncEnumerator(TestContext.Current.CancellationToken);
        await MapperHarness.NextAsync(events);

        var next = events.MoveNextAsync().AsTask();
        await mapper.DisposeAsync().AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);
        await mapper.DisposeAsync().AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);

        Assert.False(await next.WaitAsync(Timeout, TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData("192.0.2.1", "192.0.2.1")]
    [InlineData("192.0.2.1:8080", "192.0.2.1:8080")]
    [InlineData("www.example.test", "www.example.test")]
    [InlineData("[2001:db8::1]:81", "[2001:db8::1]:81")]
    [InlineData("2001:db8::1", "[2001:db8::1]")]
    public void HostHeader_HttpServer_OmitsDefaultPortAndBracketsIpv6(string server, string header)
    {
        Assert.True(StunServerEndPoint.TryParse(server, PortMapperOptions.DefaultHttpPort, out var endPoint));
        Assert.Equal(header, TcpMappingLoop.HostHeader(endPoint));
    }
}
