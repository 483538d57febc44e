namespace NatMap.Stun.Internal;

/// <summary>
/// PADDING, RFC 5780 section 7.6: filler that makes a request (and the response) larger, to test
/// fragmentation. Its content means nothing; the codec writes zeros.
/// </summary>
internal static class PaddingAttribute
{
    /// <summary>Reads the padding length; false when absent.</summary>
    public static bool TryRead(in StunMessage message, out int length)
    {
        bool found = message.TryGetAttribute(StunAttributeType.Padding, out ReadOnlySpan<byte> value);
        length = value.Length;
        return found;
    }

    /// <summary>Appends PADDING of <paramref name="length"/> zero bytes.</summary>
    public static bool Write(ref StunMessageWriter writer, int length)
    {
        if (!writer.TryAppendAttribute(StunAttributeType.Padding, length, out Span<byte> value))
        {
            return false;
        }

        value.Clear();
        return true;
    }
}
