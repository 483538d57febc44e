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
    private RelayLink? _direct;
    private RelayLink? _viaSplice;
    private RelayLink? _viaManaged;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _server = RelayLink.ListenLoopback();
        var target = (IPEndPoint)_server.LocalEndPoint!;
        _splice = Start(target, TcpRelayEngine.Splice);
        _managed = Start(target, TcpRelayEngine.Managed);
        _direct = await RelayLink.OpenAsync(target, _server);
        _viaSplice = await RelayLink.OpenAsync(_splice.LocalEndPoint, _server);
        _viaManaged = await RelayLink.OpenAsync(_managed.LocalEndPoint, _server);
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

    internal static TcpForwarder Start(IPEndPoint target, TcpRelayEngine engine)
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
}
