namespace NatMap.Stun.Internal;

/// <summary>STUN methods, RFC 8489 section 18.2 (12 bits).</summary>
internal enum StunMethod : ushort
{
    /// <summary>Binding, 0x001, RFC 8489 section 3.</summary>
    Binding = 0x001,
}
