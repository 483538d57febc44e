namespace NatMap.Stun.Internal;

/// <summary>One attribute of a parsed message: its type, where it starts, and its value (padding excluded).</summary>
internal readonly ref struct StunAttribute
{
    public StunAttribute(ushort t, int offset, ReadOnlySpan<byte> value)
    {
        Type = t;
        Offset = offset;
        Value = value;
    }

    /// <summary>The attribute type, possibly one the codec does not know.</summary>
    public ushort Type { get; }

    /// <summary>Offset of the attribute's type field from the start of the message.</summary>
    public int Offset { get; }

    /// <summary>The value, without padding.</summary>
    public ReadOnlySpan<byte> Value { get; }

    /// <summary>
    /// Types 0x0000-0x7FFF are comprehension-required: a receiver that does not know one must
    /// refuse the message (RFC 8489 section 14).
    /// </summary>
    public bool IsComprehensionRequired => Type < 0x8000;
}
