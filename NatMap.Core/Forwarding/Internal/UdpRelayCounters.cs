namespace NatMap.Forwarding.Internal;

/// <summary>Counters a <see cref="UdpForwarder"/> exposes; updated with interlocked adds, once per datagram or batch.</summary>
internal sealed class UdpRelayCounters
{
    public long Opened;
    public long Refused;
    public long DatagramsToTarget;
    public long DatagramsFromTarget;
    public long BytesToTarget;
    public long BytesFromTarget;
}
