namespace NatMap.Sockets.Internal;

/// <summary>What <see cref="IPAddressText.Classify"/> made of a text.</summary>
internal enum IPLiteralKind
{
    /// <summary>Not an IP literal, and not meant as one: a host or interface name, for the caller to judge.</summary>
    NotALiteral,

    /// <summary>A valid IP literal.</summary>
    Address,

    /// <summary>Meant as an IP literal (numeric, or with a colon) but not a valid one; it cannot be a name either.</summary>
    Invalid,
}
