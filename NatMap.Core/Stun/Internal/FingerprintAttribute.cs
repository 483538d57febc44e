using System.Buffers.Binary;

namespace NatMap.Stun.Internal;

/// <summary>
/// FINGERPRINT, RFC 8489 section 14.7: CRC-32 of the message up to this attribute, XORed with
/// 0x5354554E, with the header length already counting the 8-byte attribute. It must be the last
/// attribute; <see cref="StunMessage.TryParse"/> verifies it whenever it is present.
/// </summary>
internal static class FingerprintAttribute
{
    /// <summary>Total size of the attribute on the wire.</summary>
    public const int Size = StunConstants.AttributeHeaderLength + 4;

    /// <summary>
    /// The fingerprint value for the bytes before the attribute; the header inside
    /// <paramref name="messagePrefix"/> must already count the FINGERPRINT attribute.
    /// </summary>
    public static uint Compute(ReadOnlySpan<byte> messagePrefix) => StunCrc32.Compute(messagePrefix) ^ StunConstants.FingerprintXor;

    /// <summary>Checks a received fingerprint against the bytes before it.</summary>
    public static bool Verify(ReadOnlySpan<byte> messagePrefix, uint received) => Compute(messagePrefix) == received;

    /// <summary>Appends FINGERPRINT; call it last.</summary>
    public static bool Write(ref StunMessageWriter writer)
    {
        if (!writer.TryAppendAttribute(StunAttributeType.Fingerprint, 4, out Span<byte> value))
        {
            return false;
        }

        BinaryPrimitives.WriteUInt32BigEndian(value, Compute(writer.Written[..(writer.Length - Size)]));
        return true;
    }
}
