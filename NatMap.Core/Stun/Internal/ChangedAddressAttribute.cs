namespace NatMap.Stun.Internal;

/// <summary>
/// CHANGED-ADDRESS, RFC 3489 section 11.2.3: what servers predating RFC 5780 send instead of OTHER-ADDRESS. Same layout as MAPPED-ADDRESS.
/// </summary>
internal static class ChangedAddressAttribute
{
    /// <summary>Reads CHANGED-ADDRESS from a parsed message; false when absent or malformed.</summary>
    public static bool TryRead(in StunMessage message, out StunAddress address) =>
        MappedAddressAttribute.TryRead(message, StunAttributeType.ChangedAddress, out address);

    /// <summary>Appends CHANGED-ADDRESS.</summary>
    public static bool Write(ref StunMessageWriter writer, in StunAddress address) =>
        MappedAddressAttribute.Write(ref writer, StunAttributeType.ChangedAddress, address);
}
