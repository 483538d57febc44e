namespace NatMap.Stun.Internal;

/// <summary>Writes a Binding request (RFC 8489 section 3, RFC 5780 section 4) into the caller's buffer.</summary>
internal static class StunBindingRequest
{
    /// <summary>
    /// Writes a Binding request with, in this order and each only when asked for: CHANGE-REQUEST
    /// (RFC 5780 section 7.2), RESPONSE-PORT (7.5), PADDING (7.6), SOFTWARE (RFC 8489 section
    /// 14.14) and FINGERPRINT (14.7, always last).
    /// </summary>
    /// <returns>The message length, or 0 when <paramref name="destination"/> is too small or an argument is out of range.</returns>
    public static int Write(
        Span<byte> destination,
        StunTransactionId transactionId,
        StunChangeFlags changeFlags = StunChangeFlags.None,
        int? responsePort = null,
        int paddingLength = 0,
        ReadOnlySpan<char> software = default,
        bool fingerprint = true)
    {
        if (responsePort is < 0 or > 0xFFFF || paddingLength < 0)
        {
            return 0;
        }

        var writer = new StunMessageWriter(destination, StunClass.Request, (ushort)StunMethod.Binding, transactionId);
        bool ok = !writer.Overflowed;
        if (ok && changeFlags != StunChangeFlags.None)
        {
            ok = ChangeRequestAttribute.Write(ref writer, changeFlags);
        }

        if (ok && responsePort is int port)
        {
            ok = ResponsePortAttribute.Write(ref writer, (ushort)port);
        }

        if (ok && paddingLength > 0)
        {
            ok = PaddingAttribute.Write(ref writer, paddingLength);
        }

        if (ok && !software.IsEmpty)
        {
            ok = SoftwareAttribute.Write(ref writer, software);
        }

        if (ok && fingerprint)
        {
            ok = FingerprintAttribute.Write(ref writer);
        }

        return ok && !writer.Overflowed ? writer.Length : 0;
    }
}
