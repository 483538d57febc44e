using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using NatMap.Forwarding;

namespace NatMap.Benchmarks.Forwarding;

/// <summary>
/// TCP relay loops over loopback: one operation pushes <see cref="MiBPerOperation"/> MiB from a
/// client to a sink, directly (the baseline) or through a forwarder. MemoryDiagnoser counts every
/// thread's allocations, so "Allocated" is what an operation costs: the same at 8 and 64 MiB, that is nothing per relayed MiB.
/// </summary>
[MemoryDiagnoser]
public class TcpRelayBenchmarks
{
    /// <summary>MiB pushed per operation: equal "Allocated" at both sizes means nothing is allocated per MiB.</summary>
    [Params(8, 64)]
    public int MiBPerOperation { get; set; }
    private const int Chunk = 64 * 1024;

    private readonly byte[] _payload = new byte[Chunk];
    private Socket? _server;
    private TcpForwarder? _splice;
    private TcpForwarder? _managed;
    private Link? _direct;
    private Link? _viaSplice;
    private Link? _viaManaged;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _server.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _server.Listen();
        var target = (IPEndPoint)_server.LocalEndPoint!;
        _splice = Start(target, TcpRelayEngine.Splice);
        _managed = Start(target, TcpRelayEngine.Managed);
        _direct = await Link.OpenAsync(target, _server);
        _viaSplice = await Link.OpenAsync(_splice.LocalEndPoint, _server);
        _viaManaged = await Link.OpenAsync(_managed.LocalEndPoint, _server);
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        _direct?.Dispose();
        _viaSplice?.Dispose();
        _viaManaged?.Dispose();
        await _splice!.DisposeAsync();
        await _managed!.DisposeAsync();
        _server?.Dispose();
    }

    [Benchmark(Baseline = true, Description = "direct, no relay")]
    public Task Direct() => _direct!.PushAsync(_payload, MiBPerOperation);

    [Benchmark(Description = "splice engine")]
    public Task Splice() => _viaSplice!.PushAsync(_payload, MiBPerOperation);

    [Benchmark(Description = "managed engine")]
    public Task Managed() => _viaManaged!.PushAsync(_payload, MiBPerOperation);

    private static TcpForwarder Start(IPEndPoint target, TcpRelayEngine engine)
    {
        var forwarder = new TcpForwarder(new TcpForwarderOptions
        {
            ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            TargetHost = target.Address.ToString(),
            TargetPort = target.Port,
            Engine = engine,
        });
        forwarder.Start();
        return forwarder;
    }

    /// <summary>A client socket and the sink that drains its far end and counts what arrives.</summary>
    private sealed class Link : IDisposable
    {
        private readonly Socket _client;
        private readonly Socket _far;
        private readonly SemaphoreSlim _arrived = new(0);
        private readonly byte[] _sinkBuffer = new byte[256 * 1024];
        private long _received;
        private long _expected = long.MaxValue;

        private Link(Socket client, Socket far)
        {
            _client = client;
            _far = far;
            _ = DrainAsync();
        }

        public static async Task<Link> OpenAsync(IPEndPoint endPoint, Socket server)
        {
            var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await client.ConnectAsync(endPoint);
            var far = await server.AcceptAsync();
            return new Link(client, far);
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
}
