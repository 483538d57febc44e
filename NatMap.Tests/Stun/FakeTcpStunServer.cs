using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using NatMap.Stun;
using NatMap.Stun.Internal;

namespace NatMap.Tests.Stun;

/// <summary>A TCP fake: handler(index, connection) runs for each accepted connection, which it then closes.</summary>
internal sealed class FakeTcpStunServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public FakeTcpStunServer(Func<int, Socket, CancellationToken, Task> handler)
    {
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen();
        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
        _loop = RunAsync(handler);
    }

    public IPEndPoint EndPoint { get; }

    public StunServerEndpoint Server => new(EndPoint.Address.ToString(), EndPoint.Port);

    public int ConnectionCount { get; private set; }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Dispose();
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

    /// <summary>Reads one complete STUN request (header, then Length bytes) from a connection.</summary>
    public static async Task<byte[]> ReadRequestAsync(Socket connection, CancellationToken cancellationToken)
    {
        var header = new byte[StunConstants.HeaderLength];
        await ReadExactlyAsync(connection, header, cancellationToken);
        int length = (header[2] << 8) | header[3];
        var request = new byte[StunConstants.HeaderLength + length];
        header.CopyTo(request, 0);
        await ReadExactlyAsync(connection, request.AsMemory(StunConstants.HeaderLength), cancellationToken);
        return request;
    }

    private static async Task ReadExactlyAsync(Socket connection, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (!buffer.IsEmpty)
        {
            int read = await connection.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            Assert.NotEqual(0, read);
            buffer = buffer[read..];
        }
    }

    private async Task RunAsync(Func<int, Socket, CancellationToken, Task> handler)
    {
        while (!_stop.IsCancellationRequested)
        {
            var connection = await _listener.AcceptAsync(_stop.Token);
            int index = ConnectionCount++;
            _ = Task.Run(async () =>
            {
                using (connection)
                {
                    try
                    {
                        await handler(index, connection, _stop.Token);
                    }
                    catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
                    {
                        // The client went away or the test ended.
                    }
                }
            });
        }
    }
}
