namespace NatMap.Diagnostics.Internal;

/// <summary>A reading of one forwarder's counters (connections stand for UDP sessions too).</summary>
internal readonly record struct ForwarderCounts(
    long Active,
    long Accepted,
    long Refused,
    long Failed,
    long BytesToTarget,
    long BytesFromTarget)
{
    /// <summary>Adds the cumulative counters of <paramref name="other"/>; <see cref="Active"/> is not cumulative and is left out.</summary>
    public ForwarderCounts AddTotals(in ForwarderCounts other) => new(
        Active,
        Accepted + other.Accepted,
        Refused + other.Refused,
        Failed + other.Failed,
        BytesToTarget + other.BytesToTarget,
        BytesFromTarget + other.BytesFromTarget);
}
