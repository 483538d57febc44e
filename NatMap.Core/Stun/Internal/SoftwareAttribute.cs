using System.Text;

namespace NatMap.Stun.Internal;

/// <summary>
/// SOFTWARE, RFC 8489 section 14.14: a UTF-8 description of the agent, fewer than 128 characters
/// and at most 763 bytes.
/// </summary>
internal static class SoftwareAttribute
{
    /// <summary>Longest value in bytes, RFC 8489 section 14.14.</summary>
    public const int MaxLength = 763;

    /// <summary>Reads SOFTWARE as a view of its UTF-8 bytes; refuses an over-long value.</summary>
    public static bool TryRead(in StunMessage message, out ReadOnlySpan<byte> utf8) =>
        message.TryGetAttribute(StunAttributeType.Software, out utf8) && utf8.Length <= MaxLength;

    /// <summary>Appends SOFTWARE, encoding <paramref name="software"/> as UTF-8 into the message buffer.</summary>
    public static bool Write(ref StunMessageWriter writer, ReadOnlySpan<char> software)
    {
        int length = Encoding.UTF8.GetByteCount(software);
        if (length > MaxLength)
        {
            return false;
        }

        if (!writer.TryAppendAttribute(StunAttributeType.Software, length, out Span<byte> value))
        {
            return false;
        }

        Encoding.UTF8.GetBytes(software, value);
        return true;
    }
}
