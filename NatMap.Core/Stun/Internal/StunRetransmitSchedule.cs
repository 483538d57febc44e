namespace NatMap.Stun.Internal;

/// <summary>The retransmission schedule of one UDP transaction (RFC 8489 section 6.2.1): RTO, Rc and Rm.</summary>
internal readonly record struct StunRetransmitSchedule(TimeSpan InitialRto, int MaxRequests, int LastWaitMultiplier)
{
    /// <summary>How long to wait after request <paramref name="request"/> (1-based).</summary>
    public TimeSpan WaitAfter(int request) => StunRetransmission.WaitAfter(request, InitialRto, MaxRequests, LastWaitMultiplier);
}
