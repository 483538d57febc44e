namespace NatMap.Stun.Internal;

/// <summary>
/// ERROR-CODE, RFC 8489 section 14.8: 21 reserved bits, the class (hundreds digit, 3-6) in 3 bits,
/// the number (0-99) in 8 bits, then a UTF-8 reason phrase of at most 763 bytes.
/// </summary>
internal static class ErrorCodeAttribute
{
    /// <summary>Longest reason phrase in bytes, RFC 8489 section 14.8.</summary>
    public const int MaxReasonLength = 763;

    /// <summary>Reads ERROR-CODE from a parsed message.</summary>
    public static bool TryRead(in StunMessage message, out int code, out ReadOnlySpan<byte> reasonUtf8)
    {
        if (message.TryGetAttribute(StunAttributeType.ErrorCode, out ReadOnlySpan<byte> value))
        {
            return TryDecode(value, out code, out reasonUtf8);
        }

        code = 0;
        reasonUtf8 = default;
        return false;
    }

    /// <summary>Decodes the value; refuses a class outside 3-6, a number above 99 and an over-long reason.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> value, out int code, out ReadOnlySpan<byte> reasonUtf8)
    {
        code = 0;
        reasonUtf8 = default;
        if (value.Length < 4 || value.Length - 4 > MaxReasonLength)
        {
            return false;
        }

        int errorClass = value[2] & 0x07;
        int number = value[3];
        if (errorClass is < 3 or > 6 || number > 99)
        {
            return false;
        }

        code = (errorClass * 100) + number;
        reasonUtf8 = value[4..];
        return true;
    }

    /// <summary>Appends ERROR-CODE with <paramref name="code"/> (300-699) and a UTF-8 reason.</summary>
    public static bool Write(ref StunMessageWriter writer, int code, ReadOnlySpan<byte> reasonUtf8)
    {
        if (code is < 300 or > 699 || reasonUtf8.Length > MaxReasonLength)
        {
            return false;
        }

        if (!writer.TryAppendAttribute(StunAttributeType.ErrorCode, 4 + reasonUtf8.Length, out Span<byte> value))
        {
            return false;
        }

        value[0] = 0;
        value[1] = 0;
        value[2] = (byte)(code / 100);
        value[3] = (byte)(code % 100);
        reasonUtf8.CopyTo(value[4..]);
        return true;
    }
}
