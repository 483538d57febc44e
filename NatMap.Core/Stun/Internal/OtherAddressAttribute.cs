namespace NatMap.Stun.Internal;

/// <summary>
/// OTHER-ADDRESS, RFC 5780 section 7.4: the server's alternate address and port, for CHANGE-REQUEST tests. Same layout as MAPPED-ADDRESS.
/// </summary>
internal static class OtherAddressAttribute
{
    /// <summary>Reads OTHER-ADDRESS from a parsed message; false when absent or malformed.</summary>
    public static bool TryRead(in StunMessage message, out StunAddress address) =>
        MappedAddressAttribute.TryRead(message, StunAttributeType.OtherAddress, out address);

    /// <summary>Appends OTHER-ADDRESS.</summary>
    public static bool Write(ref StunMessageWriter writer, in StunAddress address) =>
        MappedAddressAttribute.Write(ref writer, StunAttributeType.OtherAddress, address);
}
