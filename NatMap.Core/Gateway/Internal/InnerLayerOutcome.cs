namespace NatMap.Gateway.Internal;

/// <summary>What asking the home router for port P gave.</summary>
internal enum InnerLayerOutcome
{
    /// <summary>Port P forwarded to P (or no gateway protocol chosen).</summary>
    Opened,

    /// <summary>The router refused P or offered another port: the mapper moves to its next port.</summary>
    Refused,

    /// <summary>No router answered: the mapping goes on, maybe unreachable.</summary>
    Unavailable,
}
