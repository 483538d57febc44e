using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using NatMap.Stun;
using NatMap.Stun.Internal;

namespace NatMap.Tests.Stun;

/// <summary>A UDP fake: handler(index, request, client, socket) runs for each datagram received.</summary>
internal sealed class FakeUdpStunServer : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly Channel<byte[]> _requests = Channel.CreateUnbounded<byte[]>();

    public FakeUdpStunServer(Func<int, byte[], IPEndPoint, Socket, Task> handler, IPAddress? address = null)
    {
        address ??= IPAddress.Loopback;
        _socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _socket.Bind(new IPEndPoint(address, 0));
        EndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        _loop = RunAsync(handler);
    }

    public IPEndPoint EndPoint { get; }

    public StunServerEndpoint Server => new(EndPoint.Address.ToString(), EndPoint.Port);

    /// <summary>Requests received so far.</summary>
    public int RequestCount { get; private set; }

    public ChannelReader<byte[]> Requests => _requests.Reader;

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _socket.Dispose();
        try
        {
            await _loop;
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // Stopped.
        }

        _stop.Dispose();
    }

    private async Task RunAsync(Func<int, byte[], IPEndPoint, Socket, Task> handler)
    {
        var buffer = new byte[65536];
        var any = new IPEndPoint(EndPoint.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            var received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token);
            var request = buffer.AsSpan(0, received.ReceivedBytes).ToArray();
            int index = RequestCount++;
            _requests.Writer.TryWrite(request);
            await handler(index, request, (IPEndPoint)received.RemoteEndPoint, _socket);
        }
    }
}
