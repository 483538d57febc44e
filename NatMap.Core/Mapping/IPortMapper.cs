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

    /// <summary>
    /// Where the mapper is now: starting, mapped, re-mapping after a lost keep-alive or a failed
    /// check, or stopped. The default implementation (for mappers written outside this library) says
    /// <see cref="MappingState.Mapped"/> once <see cref="Current"/> is set.
    /// </summary>
    MappingState State => Current is null ? MappingState.Starting : MappingState.Mapped;

    /// <summary>
    /// Why the mapping was last lost, or why the last check or setup failed (a one-line reason), or
    /// <see langword="null"/> when nothing has failed yet. Kept after the mapper recovers.
    /// </summary>
    string? LastError => null;

    /// <summary>
    /// Raised after <see cref="State"/> or <see cref="LastError"/> changes, on the mapper's own task:
    /// handlers must return quickly and must not throw. Mapping changes themselves arrive through
    /// <see cref="WatchAsync"/> (each also sets <see cref="State"/> to <see cref="MappingState.Mapped"/>).
    /// </summary>
    event EventHandler? StateChanged
    {
        add { }
        remove { }
    }
}
