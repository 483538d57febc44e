using System.Net;
using System.Net.Sockets;
using System.Text;
using NatMap.Mapping;
using NatMap.Stun;
using NatMap.Tests.Fakes;
using NatMap.Tests.Mapping.Fakes;

namespace NatMap.Tests.Mapping;

/// <summary>In-process serving of the mapped TCP port (<see cref="PortMapper.CreateTcpServer"/>) on loopback, with a fake STUN and HTTP server.</summary>
public sealed class PortMapperServingTests
{
    private static readonly TimeSpan Timeout = MapperHarness.Timeout;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void CreateTcpServer_UdpProtocol_ThrowsArgumentExceptionNamingOptions()
    {
        var options = new PortMapperOptions { Protocol = MappingProtocol.Udp, StunServers = { StunServerEndPoint.Parse("127.0.0.1") } };
        var thrown = Assert.Throws<ArgumentException>(() => PortMapper.CreateTcpServer(options));
        Assert.Equal("options", thrown.ParamName);
        Assert.Contains("Protocol", thrown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CreateTcpServer_ForwardTargetSet_ThrowsArgumentExceptionNamingOptions()
    {
        var options = new PortMapperOptions { StunServers = { StunServerEndPoint.Parse("127.0.0.1") }, HttpServer = "127.0.0.1", TargetHost = "127.0.0.1" };
        var thrown = Assert.Throws<ArgumentException>(() => PortMapper.CreateTcpServer(options));
        Assert.Equal("options", thrown.ParamName);
        Assert.Contains("TargetHost", thrown.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void CreateTcpServer_MaxConnectionsBelowOne_ThrowsArgumentExceptionNamingIt(int maxConnections)
    {
        var options = new PortMapperOptions { StunServers = { StunServerEndPoint.Parse("127.0.0.1") }, HttpServer = "127.0.0.1", MaxConnections = maxConnections };
        var thrown = Assert.Throws<ArgumentException>(() => PortMapper.CreateTcpServer(options));
        Assert.Equal(nameof(PortMapperOptions.MaxConnections), thrown.ParamName);
        Assert.Equal(nameof(PortMapperOptions.MaxConnections), Assert.Throws<ArgumentException>(() => PortMapper.Create(options)).ParamName);
    }

    [Fact]
    public async Task WatchAsync_TcpServer_ServesLocalPortAndFollowsAMove()
    {
        int first = MapperHarness.FreeRange(2);
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
        };
        await using var server = MapperHarness.CreateTcpServer(options);
        await using var events = server.WatchAsync(Ct).GetAsyncEnumerator(Ct);
        var initial = await MapperHarness.NextAsync(events);
        Assert.Equal(first, initial.PrivateEndPoint.Port);
        var echo = EchoAsync(server);

        // The mapping is reported only once the port is served.
        await AssertEchoesAsync(initial.PrivateEndPoint, "before the move");
        using var held = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await held.ConnectAsync(initial.PrivateEndPoint, Ct).AsTask().WaitAsync(Timeout, Ct);

        // A new setup on the next port moves the listener; connections on the old one are closed.
        http.DropAll();
        var moved = await MapperHarness.NextAsync(events);
        Assert.Equal(first + 1, moved.PrivateEndPoint.Port);
        await AssertEchoesAsync(moved.PrivateEndPoint, "after the move");
        Assert.True(await IsClosedWithinTimeoutAsync(held));
        using var old = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var refused = await Assert.ThrowsAsync<SocketException>(() => old.ConnectAsync(initial.PrivateEndPoint, Ct).AsTask().WaitAsync(Timeout, Ct));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);

        await server.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => echo.WaitAsync(Timeout, Ct));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await server.AcceptAsync(Ct));
    }

    [Fact]
    public async Task AcceptAsync_ServerDisposedWhileWaiting_ThrowsObjectDisposed()
    {
        var options = new PortMapperOptions { BindAddress = IPAddress.Loopback, StunServers = { StunServerEndPoint.Parse("127.0.0.1") }, HttpServer = "127.0.0.1" };
        var server = PortMapper.CreateTcpServer(options);
        var waiting = server.AcceptAsync(Ct).AsTask();
        Assert.False(waiting.IsCompleted);
        await server.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => waiting.WaitAsync(Timeout, Ct));
        await server.DisposeAsync();
    }

    private static async Task EchoAsync(IMappedTcpServer server)
    {
        while (true)
        {
            var connection = await server.AcceptAsync(Ct);
            _ = Task.Run(async () =>
            {
                await using (connection)
                {
                    try
                    {
                        await connection.Transport.Input.CopyToAsync(connection.Transport.Output, Ct);
                        await connection.Transport.Output.CompleteAsync();
                        await connection.Transport.Input.CompleteAsync();
                    }
                    catch (IOException)
                    {
                        // Closed under us: the listener moved.
                    }
                }
            }, Ct);
        }
    }

    private static async Task AssertEchoesAsync(IPEndPoint endPoint, string when)
    {
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(endPoint, Ct).AsTask().WaitAsync(Timeout, Ct);
        var message = Encoding.ASCII.GetBytes("ping " + when);
        await client.SendAsync(message, SocketFlags.None, Ct).AsTask().WaitAsync(Timeout, Ct);
        client.Shutdown(SocketShutdown.Send);
        var reply = new MemoryStream();
        var buffer = new byte[256];
        while (true)
        {
            int n = await client.ReceiveAsync(buffer, SocketFlags.None, Ct).AsTask().WaitAsync(Timeout, Ct);
            if (n == 0)
            {
                break;
            }

            reply.Write(buffer, 0, n);
        }

        Assert.Equal(message, reply.ToArray());
    }

    private static Task<bool> IsClosedWithinTimeoutAsync(Socket socket) =>
        NatMap.Tests.Forwarding.ForwardingTestKit.IsClosedByPeerAsync(socket).WaitAsync(Timeout, Ct);
}
