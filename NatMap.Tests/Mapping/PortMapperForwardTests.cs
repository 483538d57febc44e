using System.Net;
using System.Net.Sockets;
using NatMap.Mapping;
using NatMap.Stun;
using NatMap.Tests.Fakes;
using NatMap.Tests.Mapping.Fakes;

namespace NatMap.Tests.Mapping;

/// <summary>Forward mode (-t/-p) on loopback: the mapping's local port relays to an echo target.</summary>
public sealed class PortMapperForwardTests
{
    private static readonly TimeSpan Timeout = MapperHarness.Timeout;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task WatchAsync_TcpForward_RelaysLocalPortToTarget(bool targetIsPublicPort)
    {
        using var echo = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        echo.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        echo.Listen();
        int echoPort = ((IPEndPoint)echo.LocalEndPoint!).Port;
        var serving = EchoTcpOnceAsync(echo);

        // With -p 0 the target port is the public one, so the fake NAT maps to the echo port.
        await using var stun = LoopbackStunServer.Nat(targetIsPublicPort ? _ => new IPEndPoint(IPAddress.Parse("203.0.113.7"), echoPort) : MapperHarness.Nat(1000));
        await using var http = new FakeHttpServer();
        var options = new PortMapperOptions
        {
            BindAddress = IPAddress.Loopback,
            StunServers = { StunServerEndPoint.Parse(stun.Text) },
            HttpServer = http.EndPoint.ToString(),
            TargetHost = "127.0.0.1",
            TargetPort = targetIsPublicPort ? 0 : echoPort,
        };
        await using var mapper = MapperHarness.Create(options);
        await using var events = mapper.WatchAsync(TestContext.Current.CancellationToken).GetAsyncEnumerator(TestContext.Current.CancellationToken);
        var mapping = await MapperHarness.NextAsync(events);

        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(mapping.PrivateEndPoint, TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);
        await client.SendAsync("ping"u8.ToArray(), SocketFlags.None, TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);
        var reply = new byte[4];
        int got = 0;
        while (got < 4)
        {
            int n = await client.ReceiveAsync(reply.AsMemory(got), SocketFlags.None, TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);
            Assert.NotEqual(0, n);
            got += n;
        }

        Assert.Equal("ping"u8.ToArray(), reply);
        client.Dispose();
        await serving.WaitAsync(Timeout, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task WatchAsync_TcpForwardResetupOnNextPort_MovesTheForwarder()
    {
        int first = MapperHarness.FreeRange(2);
        using var echo = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        echo.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        echo.Listen();
        await using var stun = LoopbackStunServer.Nat(MapperHarness.Nat(1000));
        await using var http = new FakeHttpServer();
        var options = new PortMapperOptions
        {
            BindAddress = IPAddress.Loopback,
            Port = PortSpec.Range(first, first + 1, random: false),
            StunServers = { StunServerEndPoint.Parse(stun.Text) },
            HttpServer = http.EndPoint.ToString(),
            RetryDelay = TimeSpan.FromMilliseconds(20),
            MaxRetryDelay = TimeSpan.FromMilliseconds(100),
            TargetHost = "127.0.0.1",
            TargetPort = ((IPEndPoint)echo.LocalEndPoint!).Port,
        };
        await using var mapper = MapperHarness.Create(options);
        await using var events = mapper.WatchAsync(TestContext.Current.CancellationToken).GetAsyncEnumerator(TestContext.Current.CancellationToken);
        var initial = await MapperHarness.NextAsync(events);
        Assert.Equal(first, initial.PrivateEndPoint.Port);

        http.DropAll();
        var moved = await MapperHarness.NextAsync(events);
        Assert.Equal(first + 1, moved.PrivateEndPoint.Port);

        // The forwarder now listens on the new port and no longer on the old one.
        using (var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await client.ConnectAsync(moved.PrivateEndPoint, TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);
            using var relayed = await echo.AcceptAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);
            Assert.NotNull(relayed.RemoteEndPoint);
        }

        using var old = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var refused = await Assert.ThrowsAsync<SocketException>(() => old.ConnectAsync(initial.PrivateEndPoint, TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }

    [Fact]
    public async Task WatchAsync_UdpForward_RelaysKeepsAliveAndChecksEveryCycle()
    {
        using var echo = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        echo.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var serving = EchoUdpAsync(echo, TestContext.Current.CancellationToken);
        await using var stun = LoopbackStunServer.Nat(MapperHarness.Nat(500));
        var options = new PortMapperOptions
        {
            Protocol = MappingProtocol.Udp,
            BindAddress = IPAddress.Loopback,
            StunServers = { StunServerEndPoint.Parse(stun.Text) },
            KeepAliveInterval = TimeSpan.FromMilliseconds(50),
            UdpCheckCycle = 3,
            TargetHost = "127.0.0.1",
            TargetPort = ((IPEndPoint)echo.LocalEndPoint!).Port,
        };
        await using var mapper = MapperHarness.Create(options);
        await using var events = mapper.WatchAsync(TestContext.Current.CancellationToken).GetAsyncEnumerator(TestContext.Current.CancellationToken);
        var mapping = await MapperHarness.NextAsync(events);
        var firstCheck = await stun.Requests.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);

        // Rounds 2 and 3 of the cycle are one-byte keep-alives from the mapping port, round 4 a full check.
        for (int i = 0; i < 2; i++)
        {
            var keepAlive = await stun.OtherDatagrams.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);
            Assert.Equal((mapping.PrivateEndPoint, 1), keepAlive);
        }

        var secondCheck = await stun.Requests.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.Equal(mapping.PrivateEndPoint, firstCheck);
        Assert.Equal(mapping.PrivateEndPoint, secondCheck);
        Assert.Same(mapping, mapper.Current);

        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        client.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await client.SendToAsync("ping"u8.ToArray(), SocketFlags.None, mapping.PrivateEndPoint, TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);
        var reply = new byte[16];
        var received = await client.ReceiveFromAsync(reply, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.Equal("ping"u8.ToArray(), reply.AsSpan(0, received.ReceivedBytes).ToArray());
        Assert.Equal(mapping.PrivateEndPoint, received.RemoteEndPoint);

        stun.Map = MapperHarness.Nat(900);
        var changed = await MapperHarness.NextAsync(events);
        Assert.Equal(mapping.PrivateEndPoint.Port + 900, changed.PublicEndPoint.Port);
        Assert.Equal(mapping.PrivateEndPoint, changed.PrivateEndPoint);
        _ = serving;
    }

    [Theory]
    [MemberData(nameof(StunResponses.ForgeableReasons), MemberType = typeof(StunResponses))]
    public async Task WatchAsync_UdpForwardServerSendsForgedCopyFirst_ReportsTheTrueMappingAndRelaysNoneOfIt(string reasonName)
    {
        var reason = StunResponses.Reason(reasonName);
        using var target = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        target.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await using var stun = LoopbackStunServer.Nat(MapperHarness.Nat(500));
        stun.ForgeFirst = reason;
        var options = new PortMapperOptions
        {
            Protocol = MappingProtocol.Udp,
            BindAddress = IPAddress.Loopback,
            StunServers = { StunServerEndPoint.Parse(stun.Text) },
            KeepAliveInterval = TimeSpan.FromMilliseconds(50),
            TargetHost = "127.0.0.1",
            TargetPort = ((IPEndPoint)target.LocalEndPoint!).Port,
        };
        await using var mapper = MapperHarness.Create(options);
        await using var events = mapper.WatchAsync(TestContext.Current.CancellationToken).GetAsyncEnumerator(TestContext.Current.CancellationToken);

        var mapping = await MapperHarness.NextAsync(events);
        await stun.Requests.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);
        await stun.Requests.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);

        Assert.Equal(new IPEndPoint(IPAddress.Parse("203.0.113.7"), mapping.PrivateEndPoint.Port + 500), mapping.PublicEndPoint);

        // The forged datagrams came from the server's address, so they were the checks' to judge:
        // the first datagram the target sees is a client's.
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        client.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await client.SendToAsync("ping"u8.ToArray(), SocketFlags.None, mapping.PrivateEndPoint, TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);
        var buffer = new byte[2048];
        var received = await target.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.Equal("ping"u8.ToArray(), buffer.AsSpan(0, received.ReceivedBytes).ToArray());
        Assert.Same(mapping, mapper.Current);
    }

    [Fact]
    public async Task WatchAsync_UdpForwardToPublicPort_RebindsSamePortWhenPublicPortChanges()
    {
        await using var stun = LoopbackStunServer.Nat(MapperHarness.Nat(500));
        var options = new PortMapperOptions
        {
            Protocol = MappingProtocol.Udp,
            BindAddress = IPAddress.Loopback,
            StunServers = { StunServerEndPoint.Parse(stun.Text) },
            KeepAliveInterval = TimeSpan.FromMilliseconds(50),
            UdpCheckCycle = 1,
            TargetHost = "127.0.0.1",
            TargetPort = 0,
        };
        await using var mapper = MapperHarness.Create(options);
        await using var events = mapper.WatchAsync(TestContext.Current.CancellationToken).GetAsyncEnumerator(TestContext.Current.CancellationToken);
        var mapping = await MapperHarness.NextAsync(events);

        stun.Map = MapperHarness.Nat(600);
        var changed = await MapperHarness.NextAsync(events);

        Assert.Equal(mapping.PrivateEndPoint, changed.PrivateEndPoint);
        Assert.Equal(mapping.PrivateEndPoint.Port + 600, changed.PublicEndPoint.Port);

        // After the restart the same port is still checked (and forwarded).
        while (true)
        {
            var source = await stun.Requests.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);
            Assert.Equal(mapping.PrivateEndPoint, source);
            if (stun.Requests.Count == 0)
            {
                break;
            }
        }

        Assert.Same(changed, mapper.Current);
    }

    private static async Task EchoTcpOnceAsync(Socket listener)
    {
        using var connection = await listener.AcceptAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);
        var buffer = new byte[1024];
        int n;
        while ((n = await connection.ReceiveAsync(buffer, SocketFlags.None, TestContext.Current.CancellationToken)) > 0)
        {
            await connection.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, TestContext.Current.CancellationToken);
        }
    }

    private static async Task EchoUdpAsync(Socket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[1500];
        try
        {
            while (true)
            {
                var received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), cancellationToken);
                await socket.SendToAsync(buffer.AsMemory(0, received.ReceivedBytes), SocketFlags.None, received.RemoteEndPoint, cancellationToken);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }
}
