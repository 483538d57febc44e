using System.Buffers.Binary;

namespace NatMap.Stun.Internal;

/// <summary>
/// Walks the attributes of a message already validated by <see cref="StunMessage.TryParse"/>, so
/// it needs no bounds checks of its own beyond the span's.
/// </summary>
internal ref struct StunAttributeEnumerator
{
    private readonly ReadOnlySpan<byte> _raw;
    private int _next;

    public StunAttributeEnumerator(ReadOnlySpan<byte> raw)
    {
        _raw = raw;
        _next = StunConstants.HeaderLength;
        Current = default;
    }

    public StunAttribute Current { get; private set; }

    public readonly StunAttributeEnumerator GetEnumerator() => this;

    public bool MoveNext()
    {
        if (_next + StunConstants.AttributeHeaderLength > _raw.Length)
        {
            return false;
        }

        int offset = _next;
        ushort type = BinaryPrimitives.ReadUInt16BigEndian(_raw[offset..]);
        int length = BinaryPrimitives.ReadUInt16BigEndian(_raw[(offset + 2)..]);
        Current = new StunAttribute(type, offset, _raw.Slice(offset + StunConstants.AttributeHeaderLength, length));
        _next = offset + StunConstants.AttributeHeaderLength + StunConstants.Pad(length);
        return true;
    }
}
