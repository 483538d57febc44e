using System.Globalization;
using System.Net;
using System.Net.Sockets;
using NatMap.Mapping;
using NatMap.Stun;
using NatMap.Tests.Infrastructure;
using NatMap.Tests.Mapping.Fakes;
using NatMap.Tests.Stun;

namespace NatMap.Tests.Mapping;

/// <summary>
/// Mappers built by the public <see cref="PortMapper.Create"/> against a real coturn on loopback (no NAT
/// there, so the public endpoint is the private one), IPv4 and IPv6.
/// </summary>
public sealed class PortMapperServerTests : IClassFixture<CoturnServer>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly CoturnServer _coturn;

    public PortMapperServerTests(CoturnServer coturn)
    {
        _coturn = coturn;
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public async Task WatchAsync_TcpThroughCoturn_ReportsKeepAliveEndPoint(string address)
    {
        var ip = RequireCoturn(address);
        await using var http = new FakeHttpServer(ip);
        var options = new PortMapperOptions
        {
            Protocol = MappingProtocol.Tcp,
            AddressFamily = ip.AddressFamily,
            BindAddress = ip,
            StunServers = { StunServerEndPoint.Parse(Server(ip, _coturn.Port)) },
            HttpServer = http.Text,
        };
        await using var mapper = PortMapper.Create(options);
        await using var events = mapper.WatchAsync(TestContext.Current.CancellationToken).GetAsyncEnumerator(TestContext.Current.CancellationToken);

        Assert.True(await events.MoveNextAsync().AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken), _coturn.Log);
        var keepAlive = await http.Connections.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);

        Assert.Equal(keepAlive, events.Current.PrivateEndPoint);
        Assert.Equal(keepAlive, events.Current.PublicEndPoint);
        Assert.Equal(ip.AddressFamily == AddressFamily.InterNetwork, events.Current.Ip4p is not null);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public async Task WatchAsync_UdpWithDeadFirstServer_FailsOverAndReportsBoundEndPoint(string address)
    {
        var ip = RequireCoturn(address);
        var options = new PortMapperOptions
        {
            Protocol = MappingProtocol.Udp,
            AddressFamily = ip.AddressFamily,
            BindAddress = ip,
            StunServers = { StunServerEndPoint.Parse(Server(ip, ClosedUdpPort(ip))), StunServerEndPoint.Parse(Server(ip, _coturn.Port)) },
        };
        await using var mapper = PortMapper.Create(options);
        await using var events = mapper.WatchAsync(TestContext.Current.CancellationToken).GetAsyncEnumerator(TestContext.Current.CancellationToken);

        Assert.True(await events.MoveNextAsync().AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken), _coturn.Log);

        Assert.Equal(ip, events.Current.PrivateEndPoint.Address);
        Assert.NotEqual(0, events.Current.PrivateEndPoint.Port);
        Assert.Equal(events.Current.PrivateEndPoint, events.Current.PublicEndPoint);
        Assert.Equal(MappingProtocol.Udp, events.Current.Protocol);
    }

    private IPAddress RequireCoturn(string address)
    {
        if (_coturn.Unavailable is { } reason)
        {
            Requirements.Unmet(reason);
        }

        return IPAddress.Parse(address);
    }

    private static string Server(IPAddress ip, int port) =>
        ip.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{ip}]:{port.ToString(CultureInfo.InvariantCulture)}" : $"{ip}:{port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>A UDP port with nothing behind it: bound and released, so requests get ICMP port unreachable or silence.</summary>
    private static int ClosedUdpPort(IPAddress ip)
    {
        using var socket = new Socket(ip.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(ip, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
