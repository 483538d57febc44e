using System.Net;
using System.Net.Sockets;
using NatMap.Stun;

namespace NatMap.Discovery;

/// <summary>What <see cref="NatDiscoveryClient"/> tests, with which servers, from where.</summary>
public sealed class NatDiscoveryOptions
{
    /// <summary>
    /// STUN servers, tried in order: the first that answers and supports RFC 5780 (two addresses)
    /// is used; if none supports it, the first that answered is reported. Names are resolved to
    /// the first address of <see cref="AddressFamily"/>.
    /// </summary>
    public IList<StunServerEndPoint> StunServers { get; } = [];

    /// <summary>
    /// <see cref="AddressFamily.InterNetwork"/> or <see cref="AddressFamily.InterNetworkV6"/>;
    /// <see cref="AddressFamily.Unspecified"/> (the default) takes the family of the first server address.
    /// </summary>
    public AddressFamily AddressFamily { get; set; } = AddressFamily.Unspecified;

    /// <summary>The local port every test runs from (the port the user will map); 0 lets the OS choose.</summary>
    public int Port { get; set; }

    /// <summary>The local address to bind, or null for the wildcard address.</summary>
    public IPAddress? BindAddress { get; set; }

    /// <summary>A network interface to bind the sockets to (SO_BINDTODEVICE, Linux), or null.</summary>
    public string? BindInterface { get; set; }

    /// <summary>Run the UDP mapping and filtering tests (default true).</summary>
    public bool TestUdp { get; set; } = true;

    /// <summary>Run the TCP mapping test (default true): new connections from one local port to the server's addresses.</summary>
    public bool TestTcp { get; set; } = true;

    /// <summary>Also test UDP hairpinning (RFC 5780 section 4.5).</summary>
    public bool TestHairpinning { get; set; }

    /// <summary>Also estimate how long the NAT keeps an idle UDP mapping (RFC 5780 section 4.6); takes up to <see cref="MaxLifetimeProbe"/>.</summary>
    public bool EstimateLifetime { get; set; }

    /// <summary>The longest idle time the lifetime estimate probes (default 120 s); the estimate takes about this long.</summary>
    public TimeSpan MaxLifetimeProbe { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>How long one request may go unanswered, retransmissions included (default 3 s).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(3);
}
