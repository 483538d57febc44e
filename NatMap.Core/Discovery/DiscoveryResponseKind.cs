namespace NatMap.Discovery;

/// <summary>What came back for a <see cref="DiscoveryRequest"/>.</summary>
public enum DiscoveryResponseKind
{
    /// <summary>A Binding success response.</summary>
    Success = 0,

    /// <summary>A Binding error response (see <see cref="DiscoveryResponse.ErrorCode"/>).</summary>
    Error = 1,

    /// <summary>Nothing arrived before the request (with its retransmissions) timed out.</summary>
    Timeout = 2,

    /// <summary>The hairpinning probe arrived on the primary socket.</summary>
    HairpinReceived = 3,
}
