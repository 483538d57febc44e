namespace NatMap.Stun.Internal;

/// <summary>
/// The UDP retransmission schedule of RFC 8489 section 6.2.1, without I/O: after request n
/// (1-based) wait RTO * 2^(n-1), and after the last request Rm * RTO. With RTO 500 ms, Rc 7 and
/// Rm 16 the requests leave at 0, 0.5, 1.5, 3.5, 7.5, 15.5 and 31.5 s and the transaction fails at
/// 39.5 s. Used by <see cref="StunClient"/> and by anything else that drives a Binding transaction
/// over its own socket.
/// </summary>
internal static class StunRetransmission
{
    /// <summary>No single wait exceeds this, so that doubling cannot overflow a timer.</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromHours(1);

    /// <summary>How long to wait for an answer after sending request <paramref name="request"/> (1-based).</summary>
    public static TimeSpan WaitAfter(int request, TimeSpan initialRto, int maxRequests, int lastWaitMultiplier)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(request, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(request, maxRequests);
        if (request == maxRequests)
        {
            return Min(initialRto * lastWaitMultiplier, MaxWait);
        }

        TimeSpan wait = initialRto;
        for (int i = 1; i < request && wait < MaxWait; i++)
        {
            wait *= 2;
        }

        return Min(wait, MaxWait);
    }

    /// <summary>The time from the first request until the transaction fails without an answer.</summary>
    public static TimeSpan Total(TimeSpan initialRto, int maxRequests, int lastWaitMultiplier)
    {
        TimeSpan total = TimeSpan.Zero;
        for (int request = 1; request <= maxRequests; request++)
        {
            total += WaitAfter(request, initialRto, maxRequests, lastWaitMultiplier);
        }

        return total;
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
