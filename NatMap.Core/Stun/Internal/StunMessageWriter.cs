using System.Buffers.Binary;

namespace NatMap.Stun.Internal;

/// <summary>
/// Builds a STUN message in the caller's buffer: the header first, then attributes appended in
/// order, the header length kept current after each (FINGERPRINT and MESSAGE-INTEGRITY hash the
/// header as it stands when they are appended). A buffer that is too small is reported, never
/// overrun: once an append does not fit, <see cref="Overflowed"/> stays true.
/// </summary>
internal ref struct StunMessageWriter
{
    private readonly Span<byte> _buffer;

    /// <summary>Writes the header of a message with no attributes yet.</summary>
    public StunMessageWriter(Span<byte> buffer, StunClass messageClass, ushort method, StunTransactionId transactionId)
    {
        _buffer = buffer;
        if (buffer.Length < StunConstants.HeaderLength)
        {
            Overflowed = true;
            return;
        }

        new StunHeader(messageClass, method, 0, transactionId).WriteTo(buffer);
        Length = StunConstants.HeaderLength;
    }

    /// <summary>Bytes written so far (the header included).</summary>
    public int Length { get; private set; }

    /// <summary>True once something did not fit; the message is then incomplete.</summary>
    public bool Overflowed { get; private set; }

    /// <summary>The message as written so far.</summary>
    public readonly ReadOnlySpan<byte> Written => _buffer[..Length];

    /// <summary>Header bytes 4-19 (cookie and transaction id), which XOR-MAPPED-ADDRESS XORs with.</summary>
    public readonly ReadOnlySpan<byte> CookieAndTransactionId => Length == 0 ? default : _buffer.Slice(4, 16);

    /// <summary>
    /// Appends an attribute header and zeroed padding, updates the header length and hands back the
    /// value span for the caller to fill.
    /// </summary>
    public bool TryAppendAttribute(StunAttributeType type, int valueLength, out Span<byte> value)
    {
        value = default;
        int padded = StunConstants.Pad(valueLength);
        if (Overflowed || valueLength is < 0 or > 0xFFFF || _buffer.Length - Length < StunConstants.AttributeHeaderLength + padded
            || Length + StunConstants.AttributeHeaderLength + padded > StunConstants.MaxMessageLength)
        {
            Overflowed = true;
            return false;
        }

        Span<byte> attribute = _buffer.Slice(Length, StunConstants.AttributeHeaderLength + padded);
        BinaryPrimitives.WriteUInt16BigEndian(attribute, (ushort)type);
        BinaryPrimitives.WriteUInt16BigEndian(attribute[2..], (ushort)valueLength);
        attribute[(StunConstants.AttributeHeaderLength + valueLength)..].Clear();
        Length += attribute.Length;
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[2..], (ushort)(Length - StunConstants.HeaderLength));
        value = attribute.Slice(StunConstants.AttributeHeaderLength, valueLength);
        return true;
    }
}
