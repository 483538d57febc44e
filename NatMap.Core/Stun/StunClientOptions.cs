namespace NatMap.Stun;

/// <summary>Settings of a <see cref="StunClient"/>. The client copies them when it is created.</summary>
public sealed class StunClientOptions
{
    /// <summary>The default <see cref="TcpTimeout"/>: Ti = 39.5 s, RFC 8489 section 6.2.2.</summary>
    public static readonly TimeSpan DefaultTcpTimeout = TimeSpan.FromSeconds(39.5);

    /// <summary>Servers to ask, in order; the next is tried when one fails.</summary>
    public IList<StunServerEndPoint> StunServers { get; } = new List<StunServerEndPoint>();

    /// <summary>
    /// The first UDP retransmission timeout (RFC 8489 section 6.2.1: 500 ms); it doubles after each
    /// request.
    /// </summary>
    public TimeSpan InitialRto { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How many UDP requests are sent per server address before giving up (Rc, RFC 8489: 7).</summary>
    public int MaxRequests { get; set; } = 7;

    /// <summary>
    /// After the last UDP request, wait this many times <see cref="InitialRto"/> (Rm, RFC 8489: 16).
    /// With the defaults a server address fails after 39.5 s.
    /// </summary>
    public int LastWaitMultiplier { get; set; } = 16;

    /// <summary>
    /// Time allowed for one TCP transaction, connection included. STUN does not retransmit over TCP;
    /// the default is RFC 8489's Ti of 39.5 s (section 6.2.2).
    /// </summary>
    public TimeSpan TcpTimeout { get; set; } = DefaultTcpTimeout;

    /// <summary>SOFTWARE attribute to send (RFC 8489 section 14.14), or null to send none.</summary>
    public string? Software { get; set; }
}
