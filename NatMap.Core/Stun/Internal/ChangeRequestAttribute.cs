using System.Buffers.Binary;

namespace NatMap.Stun.Internal;

/// <summary>
/// CHANGE-REQUEST, RFC 5780 section 7.2: 32 bits of which 0x04 asks the server to answer from its
/// other IP address and 0x02 from its other port.
/// </summary>
internal static class ChangeRequestAttribute
{
    /// <summary>Reads the flags; refuses a value that is not 4 bytes. Unknown bits are dropped.</summary>
    public static bool TryRead(in StunMessage message, out StunChangeFlags flags)
    {
        flags = StunChangeFlags.None;
        if (!message.TryGetAttribute(StunAttributeType.ChangeRequest, out ReadOnlySpan<byte> value) || value.Length != 4)
        {
            return false;
        }

        flags = (StunChangeFlags)(BinaryPrimitives.ReadUInt32BigEndian(value) & (uint)(StunChangeFlags.ChangeIP | StunChangeFlags.ChangePort));
        return true;
    }

    /// <summary>Appends CHANGE-REQUEST with <paramref name="flags"/>.</summary>
    public static bool Write(ref StunMessageWriter writer, StunChangeFlags flags)
    {
        if (!writer.TryAppendAttribute(StunAttributeType.ChangeRequest, 4, out Span<byte> value))
        {
            return false;
        }

        BinaryPrimitives.WriteUInt32BigEndian(value, (uint)flags);
        return true;
    }
}
