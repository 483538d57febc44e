using System.Buffers.Binary;
using System.Security.Cryptography;
using NatMap.Stun.Internal;
using NatMap.Tests.Stun;

namespace NatMap.Fuzz;

/// <summary>
/// Turns any input into a message that passes the framing checks a mutation rarely gets right by
/// itself: leading bits clear, the cookie and the transaction's id in place, the length field equal
/// to the (4-aligned) body, and MESSAGE-INTEGRITY and FINGERPRINT recomputed where the attribute
/// walk finds them (FINGERPRINT only when it ends the message). Attribute contents stay as mutated.
/// </summary>
internal static class StunRepair
{
    public static int Repair(ReadOnlySpan<byte> input, StunTransactionId transactionId, ReadOnlySpan<byte> integrityKey, Span<byte> destination)
    {
        int length = Math.Min(StunConstants.Pad(Math.Max(input.Length, StunConstants.HeaderLength)), StunConstants.MaxMessageLength);
        var message = destination[..length];
        message.Clear();
        input[..Math.Min(input.Length, length)].CopyTo(message);
        message[0] &= 0x3F;
        BinaryPrimitives.WriteUInt16BigEndian(message[2..], (ushort)(length - StunConstants.HeaderLength));
        BinaryPrimitives.WriteUInt32BigEndian(message[4..], StunConstants.MagicCookie);
        transactionId.WriteTo(message[8..]);

        int offset = StunConstants.HeaderLength;
        while (offset + StunConstants.AttributeHeaderLength <= length)
        {
            ushort type = BinaryPrimitives.ReadUInt16BigEndian(message[offset..]);
            int valueLength = BinaryPrimitives.ReadUInt16BigEndian(message[(offset + 2)..]);
            int valueStart = offset + StunConstants.AttributeHeaderLength;
            if (valueLength > length - valueStart)
            {
                break;
            }

            if (type == (ushort)StunAttributeType.MessageIntegrity && valueLength == MessageIntegrityAttribute.ValueLength)
            {
                // RFC 8489 section 14.5: the length field counts through MESSAGE-INTEGRITY while hashing.
                BinaryPrimitives.WriteUInt16BigEndian(message[2..], (ushort)(valueStart + valueLength - StunConstants.HeaderLength));
                HMACSHA1.HashData(integrityKey, message[..offset], message.Slice(valueStart, valueLength));
                BinaryPrimitives.WriteUInt16BigEndian(message[2..], (ushort)(length - StunConstants.HeaderLength));
            }
            else if (type == (ushort)StunAttributeType.Fingerprint && valueLength == 4 && valueStart + 4 == length)
            {
                BinaryPrimitives.WriteUInt32BigEndian(message[valueStart..], FingerprintAttribute.Compute(message[..offset]));
            }

            offset = valueStart + StunConstants.Pad(valueLength);
        }

        return length;
    }
}
