using System.Net;
using System.Net.Sockets;
using NatMap.Internal;
using NatMap.Mapping.Internal;
using NatMap.Stun;
using NatMap.Tests.Fakes;

namespace NatMap.Tests.Mapping;

/// <summary>
/// The STUN client through the forward-mode transport: a socket stands in for the forwarder's
/// listening socket, and a loop hands what it receives to the control-datagram handler, as the
/// forwarder does for registered endpoints.
/// </summary>
public sealed class ForwardedUdpStunTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private static readonly IPEndPoint Reported = IPEndPoint.Parse("203.0.113.7:4242");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task QueryUdpAsync_ErrorResponseThenStaleThenGood_FailsOverAndRegistersEachServerOnce()
    {
        await using var refusing = LoopbackStunServer.Udp(async (index, request, client, socket) =>
            await socket.SendToAsync(StunResponses.Error(StunResponses.RequestId(request), 500, "Server Error"), client));
        await using var good = LoopbackStunServer.Udp(async (index, request, client, socket) =>
        {
            var id = StunResponses.RequestId(request);
            await socket.SendToAsync(StunResponses.Success(StunResponses.Other(id), IPEndPoint.Parse("198.51.100.66:1")), client);
            await socket.SendToAsync(StunResponses.Success(id, Reported), client);
        });
        await using var listener = new FakeListener();
        var client = new StunClient(Options(refusing.Server, good.Server));

        var first = await client.QueryUdpAsync(listener.Transport, AddressFamily.InterNetwork, Ct).WaitAsync(Timeout, Ct);
        var second = await client.QueryUdpAsync(listener.Transport, AddressFamily.InterNetwork, Ct).WaitAsync(Timeout, Ct);

        Assert.Equal(Reported, first.MappedEndPoint);
        Assert.Equal(good.EndPoint, first.ServerEndPoint);
        Assert.Equal(listener.EndPoint, first.LocalEndPoint);
        Assert.Equal(Reported, second.MappedEndPoint);
        Assert.Equal(2, refusing.DatagramCount);
        Assert.Equal([refusing.EndPoint, good.EndPoint], listener.Registered);
    }

    [Fact]
    public async Task QueryUdpAsync_SendFailsThenErrorResponse_AllServersFailedNamesBoth()
    {
        await using var refusing = LoopbackStunServer.Udp(async (index, request, client, socket) =>
            await socket.SendToAsync(StunResponses.Error(StunResponses.RequestId(request), 400, "Bad Request"), client));
        var unreachable = new StunServerEndPoint("127.0.0.1", 9);
        await using var listener = new FakeListener(failSendTo: new IPEndPoint(IPAddress.Loopback, 9));

        var ex = await Assert.ThrowsAsync<NatMapException>(() =>
            new StunClient(Options(unreachable, refusing.Server)).QueryUdpAsync(listener.Transport, AddressFamily.InterNetwork, Ct).WaitAsync(Timeout, Ct));

        Assert.Equal(NatMapErrorKind.AllServersFailed, ex.Kind);
        Assert.Contains(unreachable + ": network unreachable", ex.Message, StringComparison.Ordinal);
        Assert.Contains(refusing.Server + ": error response 400 Bad Request", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, refusing.DatagramCount);
    }

    private static StunClientOptions Options(params StunServerEndPoint[] servers)
    {
        var options = new StunClientOptions { InitialRto = TimeSpan.FromSeconds(3), MaxRequests = 3, LastWaitMultiplier = 2 };
        foreach (var server in servers)
        {
            options.StunServers.Add(server);
        }

        return options;
    }

    /// <summary>The forwarder's part: a listening socket, sends from it, and registered endpoints' datagrams to the handler.</summary>
    private sealed class FakeListener : IAsyncDisposable
    {
        private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        private readonly CancellationTokenSource _stop = new();
        private readonly List<IPEndPoint> _registered = [];
        private readonly Task _loop;

        public FakeListener(IPEndPoint? failSendTo = null)
        {
            _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            EndPoint = (IPEndPoint)_socket.LocalEndPoint!;
            Transport = new ForwardedUdpStun(
                EndPoint,
                (datagram, remote) =>
                {
                    if (remote.Equals(failSendTo))
                    {
                        throw ThrowHelper.Create(NatMapErrorKind.NetworkError, "send failed", new SocketException((int)SocketError.NetworkUnreachable));
                    }

                    _socket.SendTo(datagram.Span, SocketFlags.None, remote);
                },
                remote =>
                {
                    lock (_registered)
                    {
                        _registered.Add(remote);
                    }
                });
            _loop = ReceiveAsync();
        }

        public IPEndPoint EndPoint { get; }

        public ForwardedUdpStun Transport { get; }

        public IPEndPoint[] Registered
        {
            get
            {
                lock (_registered)
                {
                    return [.. _registered];
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _socket.Dispose();
            await _loop.WaitAsync(Timeout, Ct);
            _stop.Dispose();
        }

        private async Task ReceiveAsync()
        {
            var buffer = new byte[2048];
            while (!_stop.IsCancellationRequested)
            {
                SocketReceiveFromResult received;
                try
                {
                    received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), _stop.Token);
                }
                catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
                {
                    return;
                }

                var from = (IPEndPoint)received.RemoteEndPoint;
                if (Array.Exists(Registered, r => r.Equals(from)))
                {
                    Transport.OnControlDatagram(buffer.AsSpan(0, received.ReceivedBytes), from);
                }
            }
        }
    }
}
