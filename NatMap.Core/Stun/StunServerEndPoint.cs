using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using NatMap.Sockets.Internal;

namespace NatMap.Stun;

/// <summary>
/// A STUN server as the user names it: a host name or address and a port. Parsed from
/// <c>host</c>, <c>host:port</c>, <c>[IPv6]:port</c>, <c>[IPv6]</c> or a bare IPv6 address; the port
/// defaults to <see cref="DefaultPort"/>. Names are resolved when queried, per address family.
/// An IPv4 address is dotted decimal only (four numbers 0-255, no leading zeros): octal, hex and
/// short forms such as <c>010.0.0.1</c>, <c>0x7f.0.0.1</c> or <c>127.1</c> are refused, not read as
/// inet_aton would. An IPv6 zone (<c>fe80::1%eth0</c>, or <c>[fe80::1%25eth0]</c> as RFC 6874 writes
/// it in brackets) is kept as the address's scope; a zone naming no interface is refused.
/// </summary>
public sealed class StunServerEndPoint
{
    /// <summary>The STUN port over UDP and TCP, RFC 8489 section 18.6.</summary>
    public const int DefaultPort = 3478;

    /// <summary>Creates an endpoint from a host (name, IPv4 or IPv6 address without brackets) and a port.</summary>
    /// <param name="host">A DNS name or an IP address.</param>
    /// <param name="port">1 to 65535.</param>
    /// <exception cref="ArgumentException"><paramref name="host"/> is not a valid name or address.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="port"/> is out of range.</exception>
    public StunServerEndPoint(string host, int port = DefaultPort)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, IPEndPoint.MaxPort);
        if (!IsValidHost(host, out var address, out var error))
        {
            throw new ArgumentException("'" + host + "' is not a valid host: " + error + ".", nameof(host));
        }

        Host = host;
        Port = port;
        Address = address;
    }

    /// <summary>The host name or IP address (IPv6 without brackets).</summary>
    public string Host { get; }

    /// <summary>The port.</summary>
    public int Port { get; }

    /// <summary>The address when <see cref="Host"/> is an IP literal, else null (resolved through DNS).</summary>
    internal IPAddress? Address { get; }

    /// <summary>Parses <c>host[:port]</c>, <c>[IPv6]:port</c>, <c>[IPv6]</c> or a bare IPv6 address.</summary>
    /// <param name="text">The text to parse.</param>
    /// <returns>The endpoint.</returns>
    /// <exception cref="FormatException"><paramref name="text"/> is not a valid server.</exception>
    public static StunServerEndPoint Parse(string text) =>
        TryParse(text, DefaultPort, out var server, out var error)
            ? server
            : throw new FormatException("'" + text + "' is not a STUN server (" + error + "); expected host[:port], [IPv6]:port or an IPv6 address.");

    /// <summary>Parses like <see cref="Parse"/>, returning false instead of throwing.</summary>
    /// <param name="text">The text to parse.</param>
    /// <param name="server">The endpoint, when the text is valid.</param>
    /// <returns>True when <paramref name="text"/> is valid.</returns>
    public static bool TryParse(string? text, [NotNullWhen(true)] out StunServerEndPoint? server) =>
        TryParse(text, DefaultPort, out server);

    /// <summary>Parses like <see cref="TryParse(string?, out StunServerEndPoint?)"/> with another default port (the port mapper's HTTP server uses 80).</summary>
    internal static bool TryParse(string? text, int defaultPort, [NotNullWhen(true)] out StunServerEndPoint? server) =>
        TryParse(text, defaultPort, out server, out _);

    /// <summary>Parses like <see cref="TryParse(string?, int, out StunServerEndPoint?)"/> and says why the text is refused.</summary>
    internal static bool TryParse(string? text, int defaultPort, [NotNullWhen(true)] out StunServerEndPoint? server, [NotNullWhen(false)] out string? error)
    {
        server = null;
        if (string.IsNullOrWhiteSpace(text) || text.Trim().Length != text.Length)
        {
            error = "it is empty or has leading or trailing spaces";
            return false;
        }

        string host;
        int port = defaultPort;
        if (text[0] == '[')
        {
            int close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                error = "'[' has no matching ']'";
                return false;
            }

            host = IPAddressText.UnescapeZone(text[1..close]);
            string rest = text[(close + 1)..];
            if (rest.Length > 0 && (rest[0] != ':' || !TryParsePort(rest[1..], out port)))
            {
                error = "what follows ']' is not ':port' with a port from 1 to 65535";
                return false;
            }

            if (!host.Contains(':', StringComparison.Ordinal))
            {
                error = "'" + host + "' in brackets is not an IPv6 address";
                return false;
            }
        }
        else if (text.IndexOf(':', StringComparison.Ordinal) is int colon && colon >= 0 && text.IndexOf(':', colon + 1) < 0)
        {
            host = text[..colon];
            if (!TryParsePort(text[(colon + 1)..], out port))
            {
                error = "the port after ':' is not a number from 1 to 65535";
                return false;
            }
        }
        else
        {
            // No colon, or several: a name, an IPv4 address, or a bare IPv6 address.
            host = text;
        }

        if (!IsValidHost(host, out var address, out error))
        {
            return false;
        }

        server = new StunServerEndPoint(host, port, address);
        return true;
    }

    /// <summary><c>host:port</c>, or <c>[IPv6]:port</c>.</summary>
    /// <returns>Text that <see cref="Parse"/> reads back to the same endpoint.</returns>
    public override string ToString() =>
        (Address?.AddressFamily == AddressFamily.InterNetworkV6 ? "[" + Host.Replace("%", "%25", StringComparison.Ordinal) + "]" : Host) + ":" + Port.ToString(CultureInfo.InvariantCulture);

    private StunServerEndPoint(string host, int port, IPAddress? address)
    {
        Host = host;
        Port = port;
        Address = address;
    }

    private static bool TryParsePort(string text, out int port) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is >= 1 and <= IPEndPoint.MaxPort;

    private static bool IsValidHost(string host, out IPAddress? address, [NotNullWhen(false)] out string? error)
    {
        address = null;
        error = null;
        if (host.Length == 0 || host.AsSpan().IndexOfAny('[', ']') >= 0)
        {
            error = "the host is empty or has a stray bracket";
            return false;
        }

        switch (IPAddressText.Classify(host, out address, out var reason))
        {
            case IPLiteralKind.Address:
                return true;
            case IPLiteralKind.Invalid:
                error = reason!;
                return false;
        }

        // Uri.CheckHostName also says IPv4 for forms such as "1" or "0x7f.1", which Classify has
        // already refused; only a DNS name is left to accept here.
        if (Uri.CheckHostName(host) != UriHostNameType.Dns)
        {
            error = "'" + host + "' is neither a host name nor an IP address";
            return false;
        }

        return true;
    }
}
