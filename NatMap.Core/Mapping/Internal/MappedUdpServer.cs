using System.Net;

namespace NatMap.Mapping.Internal;

/// <summary>
/// <see cref="IMappedUdpServer"/>: the UDP mapping loop with a <see cref="UdpServingSocket"/>, run
/// by the usual <see cref="PortMapperRunner"/>; the app's calls go to the serving socket.
/// </summary>
internal sealed class MappedUdpServer : IMappedUdpServer
{
    private readonly PortMapperRunner _runner;
    private readonly UdpServingSocket _serving;

    public MappedUdpServer(PortMapperRunner runner, UdpServingSocket serving)
    {
        _runner = runner;
        _serving = serving;
    }

    public MappingChanged? Current => _runner.Current;

    public MappingState State => _runner.State;

    public string? LastError => _runner.LastError;

    public event EventHandler? StateChanged
    {
        add => _runner.StateChanged += value;
        remove => _runner.StateChanged -= value;
    }

    public long DroppedDatagrams => _serving.DroppedDatagrams;

    /// <summary>STUN answers kept from the app so far: one per answered check (tests observe the checks through it).</summary>
    internal long ClaimedStunAnswers => _serving.ClaimedStunAnswers;

    public IAsyncEnumerable<MappingChanged> WatchAsync(CancellationToken cancellationToken = default) => _runner.WatchAsync(cancellationToken);

    public ValueTask<int> ReceiveFromAsync(Memory<byte> buffer, SocketAddress remoteAddress, CancellationToken cancellationToken = default) =>
        _serving.ReceiveFromAsync(buffer, remoteAddress, cancellationToken);

    public ValueTask<int> SendToAsync(ReadOnlyMemory<byte> datagram, SocketAddress remoteAddress, CancellationToken cancellationToken = default) =>
        _serving.SendToAsync(datagram, remoteAddress, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _runner.DisposeAsync().ConfigureAwait(false);
        _serving.Stopped(disposed: true);
    }
}
