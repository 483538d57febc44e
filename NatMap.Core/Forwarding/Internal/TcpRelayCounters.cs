namespace NatMap.Forwarding.Internal;

/// <summary>Counters a <see cref="TcpForwarder"/> exposes; updated with interlocked adds, once per relay step.</summary>
internal sealed class TcpRelayCounters
{
    public int Active;
    public long Accepted;
    public long Refused;
    public long Failed;
    public long BytesToTarget;
    public long BytesFromTarget;
}
