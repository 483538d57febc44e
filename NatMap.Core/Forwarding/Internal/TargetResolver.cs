using System.Net;
using System.Net.Sockets;
using NatMap.Internal;
using NatMap.Sockets.Internal;

namespace NatMap.Forwarding.Internal;

/// <summary>
/// Turns the forwarder's target host and port into an endpoint. An IP literal is parsed once; a
/// name is resolved on every call, so each new connection or session follows DNS changes.
/// </summary>
internal sealed class TargetResolver
{
    private readonly string _host;
    private readonly int _port;
    private readonly AddressFamily _family;
    private readonly IPEndPoint? _literal;
    private readonly SocketAddress? _literalAddress;

    public TargetResolver(string host, int port, AddressFamily family)
    {
        if (string.IsNullOrWhiteSpace(host))
        {
            ThrowHelper.ThrowInvalidOption("TargetHost", "The forwarding target host is empty.");
        }

        if (port is < 1 or > IPEndPoint.MaxPort)
        {
            ThrowHelper.ThrowOptionOutOfRange("TargetPort", "The forwarding target port must be between 1 and 65535.");
        }

        _host = host;
        _port = port;
        _family = family;
        if (IPAddressText.TryParse(Unbracket(host), out var address))
        {
            _literal = new IPEndPoint(address, port);
            _literalAddress = _literal.Serialize();
        }
    }

    /// <summary>The host without the brackets of <c>[IPv6]</c> (and its RFC 6874 zone escape), else as given.</summary>
    public static string Unbracket(string host) =>
        host.Length >= 2 && host[0] == '[' && host[^1] == ']' ? IPAddressText.UnescapeZone(host[1..^1]) : host;

    /// <summary>The endpoint without a lookup, when the host is an IP literal.</summary>
    public IPEndPoint? Literal => _literal;

    /// <summary><see cref="Literal"/> as a sockaddr, serialized once for raw connect(2) calls.</summary>
    public SocketAddress? LiteralAddress => _literalAddress;

    public string Host => _host;

    public int Port => _port;

    public async ValueTask<IPEndPoint> ResolveAsync(CancellationToken cancellationToken)
    {
        if (_literal is not null)
        {
            return _literal;
        }

        IPAddress[] addresses;
        try
        {
            addresses = await Dns.GetHostAddressesAsync(_host, _family, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            return ThrowHelper.Throw<IPEndPoint>(NatMapErrorKind.ResolutionFailed, "Cannot resolve the forwarding target " + _host + ".", ex);
        }

        if (addresses.Length == 0)
        {
            return ThrowHelper.Throw<IPEndPoint>(NatMapErrorKind.ResolutionFailed, "The forwarding target " + _host + " has no address.");
        }

        return new IPEndPoint(addresses[0], _port);
    }
}
