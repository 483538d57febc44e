namespace NatMap.Discovery;

/// <summary>
/// How long the NAT keeps an idle UDP mapping, bracketed by probes (RFC 5780 section 4.6), and the
/// keep-alive interval (<c>-k</c>) that follows from it.
/// </summary>
public sealed class BindingLifetimeEstimate
{
    internal BindingLifetimeEstimate(bool measured, TimeSpan survived, TimeSpan? expired, TimeSpan? recommendedKeepAlive, string? reason)
    {
        Measured = measured;
        Survived = survived;
        Expired = expired;
        RecommendedKeepAlive = recommendedKeepAlive;
        Reason = reason;
    }

    /// <summary>False when the server or network could not support the measurement (see <see cref="Reason"/>).</summary>
    public bool Measured { get; }

    /// <summary>The longest idle time after which the mapping (and every shorter probe's) was still alive; zero if none.</summary>
    public TimeSpan Survived { get; }

    /// <summary>The shortest idle time after which a mapping was gone; null if every probe survived.</summary>
    public TimeSpan? Expired { get; }

    /// <summary>A keep-alive interval safely below the lifetime (half of <see cref="Survived"/>, at least 1 s); null when not measured.</summary>
    public TimeSpan? RecommendedKeepAlive { get; }

    /// <summary>Why the estimate is missing or partial, or null.</summary>
    public string? Reason { get; }
}
