using System.Buffers.Binary;

namespace NatMap.Stun.Internal;

/// <summary>
/// UNKNOWN-ATTRIBUTES, RFC 8489 section 14.9: the 16-bit types a server did not understand, sent
/// with error 420.
/// </summary>
internal static class UnknownAttributesAttribute
{
    /// <summary>Reads the list as a view; refuses an odd length. Use <see cref="Count"/> and <see cref="Get"/>.</summary>
    public static bool TryRead(in StunMessage message, out ReadOnlySpan<byte> types) =>
        message.TryGetAttribute(StunAttributeType.UnknownAttributes, out types) && (types.Length & 1) == 0;

    /// <summary>Number of types in a value read by <see cref="TryRead"/>.</summary>
    public static int Count(ReadOnlySpan<byte> types) => types.Length / 2;

    /// <summary>The type at <paramref name="index"/>.</summary>
    public static ushort Get(ReadOnlySpan<byte> types, int index) => BinaryPrimitives.ReadUInt16BigEndian(types.Slice(index * 2, 2));

    /// <summary>Appends UNKNOWN-ATTRIBUTES listing <paramref name="types"/>.</summary>
    public static bool Write(ref StunMessageWriter writer, ReadOnlySpan<ushort> types)
    {
        if (!writer.TryAppendAttribute(StunAttributeType.UnknownAttributes, types.Length * 2, out Span<byte> value))
        {
            return false;
        }

        for (int i = 0; i < types.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(value[(i * 2)..], types[i]);
        }

        return true;
    }
}
