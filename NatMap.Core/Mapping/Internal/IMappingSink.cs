using System.Net;

namespace NatMap.Mapping.Internal;

/// <summary>Where a mapping loop reports what STUN found; the sink decides whether it is a change.</summary>
internal interface IMappingSink
{
    /// <summary>
    /// Reports the current mapping; returns whether it differs from the last one (and was emitted).
    /// Asynchronous so that a decorator can finish work (such as restarting a forwarder) before the
    /// change is announced.
    /// </summary>
    ValueTask<bool> ReportAsync(IPEndPoint publicEndPoint, IPEndPoint privateEndPoint, CancellationToken cancellationToken);

    /// <summary>
    /// Reports that the mapping is not confirmed any more: the keep-alive was lost, a check or a setup
    /// failed. The next <see cref="ReportAsync"/> confirms it again.
    /// </summary>
    void Lost(string reason);
}
