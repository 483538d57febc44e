using System.Net;
using System.Net.Sockets;

namespace NatMap.Benchmarks.Forwarding;

/// <summary>A client socket and the sink that drains its far end and counts what arrives.</summary>
internal sealed class RelayLink : IDisposable
{
    private readonly Socket _client;
    private readonly Socket _far;
    private readonly SemaphoreSlim _arrived = new(0);
    private readonly byte[] _sinkBuffer = new byte[256 * 1024];
    private long _received;
    private long _expected = long.MaxValue;

    private RelayLink(Socket client, Socket far)
    {
        _client = client;
        _far = far;
        _ = DrainAsync();
    }

    /// <summary>A listening socket on a free loopback port: the far end every link connects to.</summary>
    public static Socket ListenLoopback()
    {
        var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        server.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        server.Listen();
        return server;
    }

    public static async Task<RelayLink> OpenAsync(IPEndPoint endPoint, Socket server)
    {
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(endPoint);
        var far = await server.AcceptAsync();
        return new RelayLink(client, far);
    }

    public async Task PushAsync(byte[] payload, int mebibytes)
    {
        long target = Volatile.Read(ref _received) + (mebibytes * 1024L * 1024);
        Volatile.Write(ref _expected, target);
        for (int i = 0; i < mebibytes * 1024 * 1024 / payload.Length; i++)
        {
            int offset = 0;
            while (offset < payload.Length)
            {
                offset += await _client.SendAsync(payload.AsMemory(offset), SocketFlags.None);
            }
        }

        await _arrived.WaitAsync();
        if (Volatile.Read(ref _received) != target)
        {
            throw new InvalidOperationException("The sink did not receive everything that was sent.");
        }
    }

    public void Dispose()
    {
        _client.Dispose();
        _far.Dispose();
    }

    private async Task DrainAsync()
    {
        try
        {
            while (true)
            {
                int n = await _far.ReceiveAsync(_sinkBuffer.AsMemory(), SocketFlags.None);
                if (n == 0)
                {
                    return;
                }

                long total = Interlocked.Add(ref _received, n);
                long expected = Volatile.Read(ref _expected);
                if (total >= expected && Interlocked.CompareExchange(ref _expected, long.MaxValue, expected) == expected)
                {
                    _arrived.Release();
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
    }
}
