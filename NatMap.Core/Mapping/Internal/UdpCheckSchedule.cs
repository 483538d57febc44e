namespace NatMap.Mapping.Internal;

/// <summary>
/// Which UDP rounds run a full STUN check. Alone, every round does (the check is the keep-alive). In
/// forward mode the forwarder's socket is the mapping socket and its rounds in between send only a
/// one-byte keep-alive, with a full check every <c>cycle</c> rounds, as the original's <c>-c</c>.
/// </summary>
internal sealed class UdpCheckSchedule
{
    private readonly int _cycle;
    private int _round;

    public UdpCheckSchedule(int cycle, bool keepAliveOnly)
    {
        _cycle = keepAliveOnly ? Math.Max(cycle, 1) : 1;
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
