namespace NatMap.Mapping;

/// <summary>
/// Keeps a port mapping open on the NAT and reports it.
/// </summary>
public interface IPortMapper : IAsyncDisposable
{
    /// <summary>The mapping last reported, or <see langword="null"/> before the first.</summary>
    MappingChanged? Current { get; }

    /// <summary>
    /// Runs the mapper and yields an event each time the mapping (public or private endpoint) changes,
    /// the first one included. Transient network faults are retried, never thrown; the stream ends when
    /// <paramref name="cancellationToken"/> is cancelled or the mapper is disposed.
    /// </summary>
    /// <param name="cancellationToken">Stops the mapper.</param>
    /// <returns>The stream of mapping changes.</returns>
    IAsyncEnumerable<MappingChanged> WatchAsync(CancellationToken cancellationToken = default);
}
