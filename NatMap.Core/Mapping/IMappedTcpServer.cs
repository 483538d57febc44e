using NatMap.Forwarding;

namespace NatMap.Mapping;

/// <summary>
/// A TCP port mapper whose app serves the mapped port itself: the inbound connections of the
/// mapping's local port are handed over as pipes, with no second listener and no loopback hop.
/// Create it with <see cref="PortMapper.CreateTcpServer"/>.
/// </summary>
/// <remarks>
/// Connections are accepted while <see cref="IPortMapper.WatchAsync"/> is enumerated: the listener
/// starts on the mapping's local port (sharing it with SO_REUSEPORT) before the mapping is
/// reported, moves when the local port changes, and stays across a re-mapping that keeps it.
/// When the listener stops (the local port changes, the enumeration ends) its connections are
/// closed, accepted or not. The idle timeout (<see cref="PortMapperOptions.IdleTimeout"/>)
/// and the connection limit (<see cref="PortMapperOptions.MaxConnections"/>) apply as in forward
/// mode; a connection not yet accepted counts against the limit.
/// </remarks>
public interface IMappedTcpServer : IPortMapper
{
    /// <summary>
    /// Waits for the next inbound connection. Connections queue from the moment the listener
    /// takes them; one closed before it is accepted (idle, reset, listener stopped) is skipped.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The connection; dispose it when done.</returns>
    /// <exception cref="ObjectDisposedException">The server is disposed, or is disposed while this call waits.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    ValueTask<TcpPipeConnection> AcceptAsync(CancellationToken cancellationToken = default);
}
