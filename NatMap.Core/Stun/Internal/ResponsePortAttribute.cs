using System.Buffers.Binary;

namespace NatMap.Stun.Internal;

/// <summary>
/// RESPONSE-PORT, RFC 5780 section 7.5: a 16-bit port the server should send the response to,
/// followed by 16 bits of padding.
/// </summary>
internal static class ResponsePortAttribute
{
    /// <summary>Reads the port; refuses a value that is not 4 bytes.</summary>
    public static bool TryRead(in StunMessage message, out ushort port)
    {
        port = 0;
        if (!message.TryGetAttribute(StunAttributeType.ResponsePort, out ReadOnlySpan<byte> value) || value.Length != 4)
        {
            return false;
        }

        port = BinaryPrimitives.ReadUInt16BigEndian(value);
        return true;
    }

    /// <summary>Appends RESPONSE-PORT.</summary>
    public static bool Write(ref StunMessageWriter writer, ushort port)
    {
        if (!writer.TryAppendAttribute(StunAttributeType.ResponsePort, 4, out Span<byte> value))
        {
            return false;
        }

        BinaryPrimitives.WriteUInt16BigEndian(value, port);
        value[2] = 0;
        value[3] = 0;
        return true;
    }
}
