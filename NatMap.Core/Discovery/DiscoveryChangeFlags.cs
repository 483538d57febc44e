namespace NatMap.Discovery;

/// <summary>The flags of a CHANGE-REQUEST attribute, RFC 5780 section 7.2 (values as on the wire).</summary>
[Flags]
public enum DiscoveryChangeFlags
{
    /// <summary>No CHANGE-REQUEST attribute.</summary>
    None = 0,

    /// <summary>Answer from the other port.</summary>
    ChangePort = 0x02,

    /// <summary>Answer from the other IP address.</summary>
    ChangeAddress = 0x04,
}
