namespace NatMap.Mapping.Internal;

/// <summary>
/// Which UDP forward-mode rounds run a full STUN check. The forwarder's socket is the mapping socket;
/// the rounds in between only send a one-byte keep-alive, with a full check every <c>cycle</c> rounds,
/// as the original's <c>-c</c>. (Without forwarding every round is a full check.)
/// </summary>
internal sealed class UdpCheckSchedule
{
    private readonly int _cycle;
    private int _round;

    public UdpCheckSchedule(int cycle)
    {
        _cycle = Math.Max(cycle, 1);
    }

    /// <summary>Whether the next round is a full check (true) or a keep-alive only; the first round always checks.</summary>
    public bool NextIsFullCheck()
    {
        bool full = _round == 0;
        _round = (_round + 1) % _cycle;
        return full;
    }

    /// <summary>After a failed check, the next round checks again.</summary>
    public void CheckFailed() => _round = 0;
}
