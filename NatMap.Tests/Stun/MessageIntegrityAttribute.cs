using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using NatMap.Stun.Internal;

namespace NatMap.Tests.Stun;

/// <summary>
/// MESSAGE-INTEGRITY, RFC 8489 section 14.5: HMAC-SHA1 of the message up to this attribute, the
/// header length counting through the 24-byte attribute (so excluding a FINGERPRINT that follows).
/// Only short-term credentials are supported (section 9.1.1: the key is the password after
/// OpaqueString preparation; passwords given here are used as their UTF-8 bytes). NatMap needs it
/// only to check the RFC 5769 vectors (Binding requests to public servers carry no credentials), so
/// it lives with the tests; the fuzz harness compiles this file too.
/// </summary>
internal static class MessageIntegrityAttribute
{
    /// <summary>Length of the HMAC-SHA1 value.</summary>
    public const int ValueLength = 20;

    /// <summary>Total size of the attribute on the wire.</summary>
    public const int Size = StunConstants.AttributeHeaderLength + ValueLength;

    /// <summary>Short-term key (RFC 8489 section 9.1.1): the UTF-8 bytes of the password.</summary>
    public static byte[] ShortTermKey(string password) => Encoding.UTF8.GetBytes(password);

    /// <summary>Verifies MESSAGE-INTEGRITY of a parsed message; false when absent or wrong.</summary>
    public static bool Verify(in StunMessage message, ReadOnlySpan<byte> key)
    {
        if (!message.TryGetAttribute(StunAttributeType.MessageIntegrity, out StunAttribute attribute) || attribute.Value.Length != ValueLength)
        {
            return false;
        }

        ReadOnlySpan<byte> raw = message.Raw;
        int offset = attribute.Offset;
        byte[]? rented = null;
        Span<byte> prefix = offset <= 1024 ? stackalloc byte[offset] : (rented = ArrayPool<byte>.Shared.Rent(offset)).AsSpan(0, offset);
        try
        {
            raw[..offset].CopyTo(prefix);
            BinaryPrimitives.WriteUInt16BigEndian(prefix[2..], (ushort)(offset - StunConstants.HeaderLength + Size));
            Span<byte> mac = stackalloc byte[ValueLength];
            HMACSHA1.HashData(key, prefix, mac);
            return CryptographicOperations.FixedTimeEquals(mac, attribute.Value);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Appends MESSAGE-INTEGRITY computed with <paramref name="key"/>; only FINGERPRINT may follow.</summary>
    public static bool Write(ref StunMessageWriter writer, ReadOnlySpan<byte> key)
    {
        if (!writer.TryAppendAttribute(StunAttributeType.MessageIntegrity, ValueLength, out Span<byte> value))
        {
            return false;
        }

        HMACSHA1.HashData(key, writer.Written[..(writer.Length - Size)], value);
        return true;
    }
}
