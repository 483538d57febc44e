using System.Net;
using System.Net.Sockets;
using NatMap.Stun;
using NatMap.Stun.Internal;
using NatMap.Tests.Infrastructure;

namespace NatMap.Tests.Stun;

/// <summary>The STUN client against a real coturn on loopback, over UDP and TCP, IPv4 and IPv6.</summary>
public sealed class StunServerTests : IClassFixture<CoturnServer>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly CoturnServer _coturn;

    public StunServerTests(CoturnServer coturn)
    {
        _coturn = coturn;
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public async Task QueryUdpAsync_Coturn_MapsToOwnLocalEndpoint(string address)
    {
        var server = RequireCoturn(address);
        var ip = IPAddress.Parse(address);
        using var socket = new Socket(ip.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(ip, 0));
        var client = new StunClient(Options(server));

        var result = await client.QueryUdpAsync(socket, TestContext.Current.CancellationToken).WaitAsync(Timeout, TestContext.Current.CancellationToken);

        // On loopback there is no NAT: the mapped address is the socket's own.
        Assert.Equal(socket.LocalEndPoint, result.MappedEndPoint);
        Assert.Equal(socket.LocalEndPoint, result.LocalEndPoint);
        Assert.Equal(new IPEndPoint(ip, _coturn.Port), result.ServerEndPoint);
        Assert.Equal(new IPEndPoint(ip, _coturn.Port), result.ResponseOrigin);
        Assert.Equal(MappingProtocol.Udp, result.Protocol);
        Assert.Same(server, result.Server);
        Assert.NotNull(result.OtherAddress);
        Assert.Equal(ip, result.OtherAddress.Address);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public async Task QueryTcpAsync_Coturn_MapsToOwnLocalEndpoint(string address)
    {
        var server = RequireCoturn(address);
        var ip = IPAddress.Parse(address);
        var client = new StunClient(Options(server));
        var locals = new List<EndPoint>();

        var result = await client.QueryTcpAsync(ip.AddressFamily, family =>
        {
            var socket = new Socket(family, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(ip, 0));
            locals.Add(socket.LocalEndPoint!);
            return socket;
        }, TestContext.Current.CancellationToken).WaitAsync(Timeout, TestContext.Current.CancellationToken);

        Assert.Single(locals);
        Assert.Equal(locals[0], result.MappedEndPoint);
        Assert.Equal(locals[0], result.LocalEndPoint);
        Assert.Equal(MappingProtocol.Tcp, result.Protocol);
        Assert.Equal(new IPEndPoint(ip, _coturn.Port), result.ServerEndPoint);
    }

    [Fact]
    public async Task QueryTcpAsync_SameLocalPortRepeatedly_EachSucceeds()
    {
        // A port mapper asks again every interval from its one shared local port; nothing the
        // client leaves behind (such as a TIME_WAIT on the same four-tuple) may block the next query.
        var server = RequireCoturn("127.0.0.1");
        var client = new StunClient(Options(server));
        int port = 0;
        for (int i = 0; i < 3; i++)
        {
            var result = await client.QueryTcpAsync(AddressFamily.InterNetwork, family =>
            {
                var socket = new Socket(family, SocketType.Stream, ProtocolType.Tcp);

                // The first pick is made without SO_REUSEADDR: with it, the kernel may hand out a
                // port whose four-tuple to this coturn is still in TIME_WAIT from another test's
                // graceful close, and the connect then fails with EADDRNOTAVAIL (seen once in CI).
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, port != 0);
                socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
                port = ((IPEndPoint)socket.LocalEndPoint!).Port;
                return socket;
            }, TestContext.Current.CancellationToken).WaitAsync(Timeout, TestContext.Current.CancellationToken);

            Assert.Equal(new IPEndPoint(IPAddress.Loopback, port), result.MappedEndPoint);
        }
    }

    [Theory]
    [InlineData(MappingProtocol.Udp)]
    [InlineData(MappingProtocol.Tcp)]
    public async Task QueryAsync_ByHostName_ResolvesThroughDns(MappingProtocol protocol)
    {
        // 'localhost' is 127.0.0.1 everywhere; not every machine also maps it to ::1, so IPv6 is
        // covered with the literal address above.
        RequireCoturn("127.0.0.1");
        var localhost = new StunServerEndPoint("localhost", _coturn.Port);
        var client = new StunClient(Options(localhost));

        var result = await client.QueryAsync(protocol, AddressFamily.InterNetwork, TestContext.Current.CancellationToken).WaitAsync(Timeout, TestContext.Current.CancellationToken);

        Assert.Equal(IPAddress.Loopback, result.MappedEndPoint.Address);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, _coturn.Port), result.ServerEndPoint);
        Assert.Equal(result.LocalEndPoint.Port, result.MappedEndPoint.Port);
        Assert.Equal(protocol, result.Protocol);
    }

    [Theory]
    [InlineData(MappingProtocol.Udp, "127.0.0.1")]
    [InlineData(MappingProtocol.Tcp, "127.0.0.1")]
    [InlineData(MappingProtocol.Udp, "::1")]
    [InlineData(MappingProtocol.Tcp, "::1")]
    public async Task QueryAsync_DeadServerFirst_FailsOverToCoturn(MappingProtocol protocol, string address)
    {
        var live = RequireCoturn(address);
        var ip = IPAddress.Parse(address);
        var dead = new StunServerEndPoint(address, ClosedPort(ip, protocol == MappingProtocol.Tcp ? ProtocolType.Tcp : ProtocolType.Udp));
        var options = Options(dead, live);
        var client = new StunClient(options);

        var result = await client.QueryAsync(protocol, ip.AddressFamily, TestContext.Current.CancellationToken).WaitAsync(Timeout, TestContext.Current.CancellationToken);

        Assert.Same(live, result.Server);
        Assert.Equal(result.LocalEndPoint.Port, result.MappedEndPoint.Port);
    }

    [Fact]
    public async Task QueryAsync_OnlyDeadServers_NamesEach()
    {
        RequireCoturn("127.0.0.1");
        var deadUdp = new StunServerEndPoint("127.0.0.1", ClosedPort(IPAddress.Loopback, ProtocolType.Udp));
        var client = new StunClient(Options(deadUdp, new StunServerEndPoint("::1", _coturn.Port)));

        var ex = await Assert.ThrowsAsync<NatMapException>(() => client.QueryAsync(MappingProtocol.Udp, AddressFamily.InterNetwork, TestContext.Current.CancellationToken).WaitAsync(Timeout, TestContext.Current.CancellationToken));

        Assert.Equal(NatMapErrorKind.AllServersFailed, ex.Kind);
        Assert.Contains(deadUdp.ToString() + ": no answer to 3 request(s)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("[::1]:" + _coturn.Port + ": is an IPv6 address but the query is IPv4", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BindingTransaction_ChangePort_AnsweredFromAlternatePort()
    {
        // Interop of the sans-IO transaction with CHANGE-REQUEST (RFC 5780 section 7.2): coturn
        // answers from its alternate port and says so in RESPONSE-ORIGIN and OTHER-ADDRESS.
        RequireCoturn("127.0.0.1");
        var server = new IPEndPoint(IPAddress.Loopback, _coturn.Port);
        var alternate = new IPEndPoint(IPAddress.Loopback, _coturn.Port + 1);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var transaction = StunBindingTransaction.Create(StunChangeFlags.ChangePort, "NatMap tests");
        await socket.SendToAsync(transaction.Request, server, TestContext.Current.CancellationToken);

        var buffer = new byte[2048];
        var received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), TestContext.Current.CancellationToken)
            .AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);

        Assert.Equal(alternate, received.RemoteEndPoint);
        Assert.Equal(StunAcceptResult.Success, transaction.Accept(buffer.AsSpan(0, received.ReceivedBytes), out var response));
        Assert.Equal(socket.LocalEndPoint, response!.MappedAddress);
        Assert.Equal(alternate, response.ResponseOrigin);
        Assert.Equal(alternate, response.OtherAddress);
    }

    private StunServerEndPoint RequireCoturn(string address)
    {
        if (_coturn.Unavailable is { } reason)
        {
            Requirements.Unmet(reason);
        }

        return new StunServerEndPoint(address, _coturn.Port);
    }

    private static StunClientOptions Options(params StunServerEndPoint[] servers)
    {
        // Short timers: a loopback answer takes well under a millisecond, and a dead server should
        // cost the test little.
        var options = new StunClientOptions
        {
            InitialRto = TimeSpan.FromMilliseconds(100),
            MaxRequests = 3,
            LastWaitMultiplier = 2,
            TcpTimeout = TimeSpan.FromSeconds(5),
            Software = "NatMap tests",
        };
        foreach (var server in servers)
        {
            options.StunServers.Add(server);
        }

        return options;
    }

    /// <summary>A loopback port with nothing listening: bound then released, so the kernel just handed it out.</summary>
    private static int ClosedPort(IPAddress address, ProtocolType protocol)
    {
        using var socket = new Socket(address.AddressFamily, protocol == ProtocolType.Udp ? SocketType.Dgram : SocketType.Stream, protocol);
        socket.Bind(new IPEndPoint(address, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
