using System.Buffers.Binary;

namespace NatMap.Stun.Internal;

/// <summary>
/// The 20-byte STUN message header, RFC 8489 section 5: two zero bits, the 14-bit message type
/// (method and class interleaved), the 16-bit length of the attributes, the magic cookie and the
/// 96-bit transaction id.
/// </summary>
internal readonly struct StunHeader
{
    public StunHeader(StunClass messageClass, ushort method, int length, StunTransactionId transactionId)
    {
        Class = messageClass;
        Method = method;
        Length = length;
        TransactionId = transactionId;
    }

    /// <summary>The message class.</summary>
    public StunClass Class { get; }

    /// <summary>The 12-bit method.</summary>
    public ushort Method { get; }

    /// <summary>The length of the attributes in bytes (header excluded).</summary>
    public int Length { get; }

    /// <summary>The transaction id.</summary>
    public StunTransactionId TransactionId { get; }

    /// <summary>
    /// Reads a header. Refuses fewer than 20 bytes, non-zero leading bits, a wrong magic cookie
    /// and a length that is not a multiple of 4 (RFC 8489 section 5). The length is not compared
    /// with the buffer here: over TCP the header arrives before the body.
    /// </summary>
    public static StunParseError TryRead(ReadOnlySpan<byte> source, out StunHeader header)
    {
        header = default;
        if (source.Length < StunConstants.HeaderLength)
        {
            return StunParseError.Truncated;
        }

        ushort type = BinaryPrimitives.ReadUInt16BigEndian(source);
        if ((type & 0xC000) != 0)
        {
            return StunParseError.NotStun;
        }

        if (BinaryPrimitives.ReadUInt32BigEndian(source[4..]) != StunConstants.MagicCookie)
        {
            return StunParseError.BadCookie;
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(source[2..]);
        if ((length & 3) != 0)
        {
            return StunParseError.BadLength;
        }

        header = new StunHeader(DecodeClass(type), DecodeMethod(type), length, StunTransactionId.Read(source.Slice(8, StunConstants.TransactionIdLength)));
        return StunParseError.None;
    }

    /// <summary>Writes the header; <paramref name="destination"/> must hold 20 bytes.</summary>
    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, EncodeType(Class, Method));
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], checked((ushort)Length));
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], StunConstants.MagicCookie);
        TransactionId.WriteTo(destination.Slice(8, StunConstants.TransactionIdLength));
    }

    /// <summary>
    /// Interleaves method bits M11..M0 and class bits C1 C0 as RFC 8489 section 5, figure 3 draws:
    /// M11-M7, C1, M6-M4, C0, M3-M0.
    /// </summary>
    public static ushort EncodeType(StunClass messageClass, ushort method)
    {
        int c = (int)messageClass;
        int m = method & 0x0FFF;
        return (ushort)((m & 0x000F) | ((c & 1) << 4) | ((m & 0x0070) << 1) | ((c & 2) << 7) | ((m & 0x0F80) << 2));
    }

    private static StunClass DecodeClass(ushort type) => (StunClass)(((type >> 4) & 1) | ((type >> 7) & 2));

    private static ushort DecodeMethod(ushort type) => (ushort)((type & 0x000F) | ((type >> 1) & 0x0070) | ((type >> 2) & 0x0F80));
}
