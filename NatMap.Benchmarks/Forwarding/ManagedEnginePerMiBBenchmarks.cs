using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using NatMap.Forwarding;

namespace NatMap.Benchmarks.Forwarding;

/// <summary>
/// The managed (System.IO.Pipelines) engine's cost per relayed MiB: an operation is one MiB
/// (OperationsPerInvoke), so MemoryDiagnoser's "Allocated" column reads as bytes allocated per
/// relayed MiB, every thread counted, and the mean as time per MiB. Direct is the baseline.
/// </summary>
[MemoryDiagnoser]
public class ManagedEnginePerMiBBenchmarks
{
    private const int MiBPerInvoke = 64;

    private readonly byte[] _payload = new byte[64 * 1024];
    private Socket? _server;
    private TcpForwarder? _managed;
    private RelayLink? _direct;
    private RelayLink? _viaManaged;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _server = RelayLink.ListenLoopback();
        var target = (IPEndPoint)_server.LocalEndPoint!;
        _managed = TcpRelayBenchmarks.Start(target, TcpRelayEngine.Managed);
        _direct = await RelayLink.OpenAsync(target, _server);
        _viaManaged = await RelayLink.OpenAsync(_managed.LocalEndPoint, _server);
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        _direct?.Dispose();
        _viaManaged?.Dispose();
        await _managed!.DisposeAsync();
        _server?.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = MiBPerInvoke, Description = "direct, per MiB")]
    public Task Direct() => _direct!.PushAsync(_payload, MiBPerInvoke);

    [Benchmark(OperationsPerInvoke = MiBPerInvoke, Description = "managed engine (pipes), per MiB")]
    public Task Managed() => _viaManaged!.PushAsync(_payload, MiBPerInvoke);
}
