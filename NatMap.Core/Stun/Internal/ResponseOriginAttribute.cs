namespace NatMap.Stun.Internal;

/// <summary>
/// RESPONSE-ORIGIN, RFC 5780 section 7.3: the source address and port the server sent the response from. Same layout as MAPPED-ADDRESS.
/// </summary>
internal static class ResponseOriginAttribute
{
    /// <summary>Reads RESPONSE-ORIGIN from a parsed message; false when absent or malformed.</summary>
    public static bool TryRead(in StunMessage message, out StunAddress address) =>
        MappedAddressAttribute.TryRead(message, StunAttributeType.ResponseOrigin, out address);

    /// <summary>Appends RESPONSE-ORIGIN.</summary>
    public static bool Write(ref StunMessageWriter writer, in StunAddress address) =>
        MappedAddressAttribute.Write(ref writer, StunAttributeType.ResponseOrigin, address);
}
