using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;

namespace NatMap.Tests.Mapping.Fakes;

/// <summary>
/// An HTTP server on loopback that answers every request with an empty 200 and keeps the connection;
/// it reports each connection and each request, and can drop all connections to break keep-alives.
/// </summary>
internal sealed class FakeHttpServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private readonly List<Socket> _open = [];
    private readonly Channel<IPEndPoint> _connections = Channel.CreateUnbounded<IPEndPoint>();
    private readonly Channel<string> _requests = Channel.CreateUnbounded<string>();

    public FakeHttpServer(IPAddress? address = null)
    {
        _listener = new TcpListener(address ?? IPAddress.Loopback, 0);
        _listener.Start();
        EndPoint = (IPEndPoint)_listener.LocalEndpoint;
        _acceptLoop = AcceptAsync();
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>"host:port" for the options.</summary>
    public string Text => EndPoint.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{EndPoint.Address}]:{EndPoint.Port}" : EndPoint.ToString();

    /// <summary>The client endpoint of each accepted connection.</summary>
    public ChannelReader<IPEndPoint> Connections => _connections.Reader;

    /// <summary>The head of each request received (request line and headers).</summary>
    public ChannelReader<string> Requests => _requests.Reader;

    /// <summary>Closes every open connection, as a server restart does.</summary>
    public void DropAll()
    {
        lock (_open)
        {
            foreach (var socket in _open)
            {
                socket.Dispose();
            }

            _open.Clear();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        DropAll();
        await _acceptLoop.WaitAsync(TimeSpan.FromSeconds(10));
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        var serving = new List<Task>();
        while (true)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                break;
            }

            lock (_open)
            {
                _open.Add(client);
            }

            _connections.Writer.TryWrite((IPEndPoint)client.RemoteEndPoint!);
            serving.Add(ServeAsync(client));
        }

        await Task.WhenAll(serving);
    }

    private async Task ServeAsync(Socket client)
    {
        var buffer = new byte[4096];
        var pending = new StringBuilder();
        var answer = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"u8.ToArray();
        try
        {
            while (true)
            {
                int n = await client.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (n == 0)
                {
                    return;
                }

                pending.Append(Encoding.ASCII.GetString(buffer, 0, n));
                int end;
                while ((end = pending.ToString().IndexOf("\r\n\r\n", StringComparison.Ordinal)) >= 0)
                {
                    _requests.Writer.TryWrite(pending.ToString(0, end + 4));
                    pending.Remove(0, end + 4);
                    await client.SendAsync(answer, SocketFlags.None, _stop.Token);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }
}
