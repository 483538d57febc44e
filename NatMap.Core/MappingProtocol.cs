namespace NatMap;

/// <summary>The transport protocol of a port mapping.</summary>
public enum MappingProtocol
{
    /// <summary>TCP: kept alive by an HTTP keep-alive connection, checked by STUN over TCP.</summary>
    Tcp = 0,

    /// <summary>UDP: kept alive and checked by STUN Binding requests.</summary>
    Udp = 1,
}
