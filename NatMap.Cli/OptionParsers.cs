using System.Diagnostics.CodeAnalysis;
using System.Net;
using NatMap.CommandLine;
using NatMap.Gateway;
using NatMap.Mapping;
using NatMap.Sockets.Internal;
using NatMap.Stun;
using static NatMap.CommandLine.ValueParsers;

namespace NatMap.Cli;

/// <summary>
/// Command-line syntax of option values, shared by <c>natmap</c> and <c>natmap check</c>, where it is the
/// library's own or natmap's (the generic grammars are <see cref="ValueParsers"/>). Each gives a
/// reason on failure, which names the option as <c>-x: reason</c>. Meaning (ranges, families, combinations) is the library's to check.
/// </summary>
internal static class OptionParsers
{
    /// <summary><c>-f</c>: an fwmark, as strtoul base 0 reads it.</summary>
    public static readonly ValueParser<uint> Mark = CUnsigned("a mark");

    /// <summary><c>--forward-method</c>: <c>relay</c> or <c>nftables</c>, as written.</summary>
    public static readonly ValueParser<Forwarding.ForwardMethod> ForwardMethods =
        OneOf("is not a forward method: expected relay or nftables", ("relay", Forwarding.ForwardMethod.Relay), ("nftables", Forwarding.ForwardMethod.Nftables));

    /// <summary><c>--upnp</c>'s protocol: <c>auto</c>, <c>pcp</c>, <c>nat-pmp</c> (or <c>natpmp</c>) or <c>upnp</c>.</summary>
    public static readonly ValueParser<GatewayProtocol> GatewayProtocols =
        OneOf("is not a protocol: use auto, pcp, nat-pmp or upnp", ("auto", GatewayProtocol.Auto), ("pcp", GatewayProtocol.Pcp), ("nat-pmp", GatewayProtocol.NatPmp), ("natpmp", GatewayProtocol.NatPmp), ("upnp", GatewayProtocol.Upnp));

    /// <summary>One port, 0 to 65535, with the wording of the library's <c>-b</c> parser.</summary>
    public static bool TryParsePort(string text, out int port, [NotNullWhen(false)] out string? error) =>
        PortSpec.TryPort(text, allowZero: true, out port, out error);

    /// <summary>
    /// <c>-s</c>, repeatable and required, through the library's parser (<see cref="StunServerEndPoint.Parse"/>)
    /// and its message, in both commands.
    /// </summary>
    public static bool TryParseServers(string[]? texts, ICollection<StunServerEndPoint> servers, [NotNullWhen(false)] out string? error)
    {
        error = texts is null or [] ? "-s: a STUN server is required: give -s <addr>[:port]" : null;
        foreach (var text in texts ?? [])
        {
            try
            {
                servers.Add(StunServerEndPoint.Parse(text));
            }
            catch (FormatException ex)
            {
                error = "-s: " + ex.Message.TrimEnd('.');
                return false;
            }
        }

        return error is null;
    }

    /// <summary>
    /// <c>-i</c>: a local IP address (dotted decimal, or IPv6 with an optional zone) or else an interface
    /// name. Numeric text that is not a valid address (<c>010.0.0.1</c>, <c>1</c>) is refused rather than
    /// read as octal or taken as a name; the library checks the address family and the name.
    /// </summary>
    public static bool TryParseInterface(string text, out IPAddress? address, out string? name, [NotNullWhen(false)] out string? error)
    {
        var kind = IPAddressText.Classify(text, out address, out var reason);
        name = kind == IPLiteralKind.NotALiteral ? text : null;
        error = kind == IPLiteralKind.Invalid ? "-i: " + reason : null;
        return error is null;
    }

    /// <summary><c>--gateway</c>: an IPv4 address in dotted decimal.</summary>
    public static bool TryParseGatewayAddress(string text, out IPAddress address, [NotNullWhen(false)] out string? error)
    {
        bool ok = IPAddressText.Classify(text, out var parsed, out _) == IPLiteralKind.Address && parsed!.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork;
        address = ok ? parsed! : IPAddress.None;
        error = ok ? null : $"'{text}' is not an IPv4 address";
        return ok;
    }
}
