using System.CommandLine;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using NatMap.Discovery;
using NatMap.Stun;

namespace NatMap.Cli.Check;

/// <summary>The options of <c>natmap check</c>; values arrive as text so every bad one gets a clear line.</summary>
internal sealed class CheckOptions
{
    private readonly Option<bool> _ipv4 = Flag("-4", "Use IPv4 (the default).");
    private readonly Option<bool> _ipv6 = Flag("-6", "Use IPv6.");
    private readonly Option<string[]> _servers = new("-s")
    {
        Description = "STUN server, host or address with optional :port (default 3478); repeat to give several, tried in order. Required.",
        HelpName = "addr[:port]",
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    private readonly Option<string> _bind = Value("-b", "port", "Local port every test runs from: the port you will map (default: any).");
    private readonly Option<string> _interface = Value("-i", "interface|ip", "Network interface name or local IP address to bind.");
    private readonly Option<bool> _udp = Flag("-u", "Test UDP only (default: UDP and TCP).");
    private readonly Option<bool> _tcp = Flag("-t", "Test TCP only: mapping behaviour (filtering is a UDP notion in RFC 5780).");
    private readonly Option<bool> _hairpin = Flag("--hairpin", "Also test UDP hairpinning (RFC 5780 section 4.5).");
    private readonly Option<bool> _lifetime = Flag("--lifetime", "Also estimate the UDP binding lifetime and recommend a -k (takes up to --lifetime-max).");
    private readonly Option<string> _lifetimeMax = Value("--lifetime-max", "seconds", "Longest idle time the lifetime estimate probes (default 120).");
    private readonly Option<string> _timeout = Value("--timeout", "seconds", "How long one request may go unanswered, retransmissions included (default 3).");
    private readonly Option<bool> _json = Flag("--json", "Print one JSON object instead of the table.");
    private readonly Option<bool> _verbose = new("--verbose", "-v") { Description = "Log each request and answer, and warnings, to standard error.", Arity = ArgumentArity.Zero };

    public void AddTo(Command command)
    {
        foreach (Option option in new Option[] { _ipv4, _ipv6, _servers, _bind, _interface, _udp, _tcp, _hairpin, _lifetime, _lifetimeMax, _timeout, _json, _verbose })
        {
            command.Options.Add(option);
        }
    }

    public bool TryGet(ParseResult result, out NatDiscoveryOptions options, out bool json, out bool verbose, [NotNullWhen(false)] out string? error)
    {
        options = new NatDiscoveryOptions();
        json = result.GetValue(_json);
        verbose = result.GetValue(_verbose);
        bool ipv6 = result.GetValue(_ipv6);
        if (ipv6 && result.GetValue(_ipv4))
        {
            error = "options -4 and -6 exclude each other: choose one address family";
            return false;
        }

        options.AddressFamily = ipv6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
        if (result.GetValue(_udp) && result.GetValue(_tcp))
        {
            error = "options -u and -t exclude each other: give neither to test both";
            return false;
        }

        options.TestTcp = !result.GetValue(_udp);
        options.TestUdp = !result.GetValue(_tcp);
        options.TestHairpinning = result.GetValue(_hairpin);
        options.EstimateLifetime = result.GetValue(_lifetime);

        var servers = result.GetValue(_servers) ?? [];
        if (servers.Length == 0)
        {
            error = "a STUN server is required: give -s <addr>[:port]";
            return false;
        }

        foreach (var text in servers)
        {
            if (!TryParseServer(text, out var server, out error))
            {
                return false;
            }

            if (server.Address is { } literal && literal.AddressFamily != options.AddressFamily)
            {
                error = $"option -s: {text} is an {FamilyName(literal.AddressFamily)} address but the check is {(ipv6 ? "IPv6 (-6)" : "IPv4")}";
                return false;
            }

            options.StunServers.Add(server);
        }

        if (result.GetValue(_bind) is { } bind)
        {
            if (!int.TryParse(bind, NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > IPEndPoint.MaxPort)
            {
                error = $"option -b: '{bind}' is not a port number (0 to 65535)";
                return false;
            }

            options.Port = port;
        }

        if (result.GetValue(_interface) is { } iface)
        {
            if (!OptionParsers.TryParseInterface(iface, out var address, out var name, out error))
            {
                return false;
            }

            if (address is not null && address.AddressFamily != options.AddressFamily)
            {
                error = $"option -i: {iface} is an {FamilyName(address.AddressFamily)} address but the check is {(ipv6 ? "IPv6 (-6)" : "IPv4")}";
                return false;
            }

            options.BindAddress = address;
            options.BindInterface = name;
        }

        if (result.GetValue(_lifetimeMax) is { } max)
        {
            if (!TryParseSeconds("--lifetime-max", max, out var seconds, out error))
            {
                return false;
            }

            options.MaxLifetimeProbe = seconds;
        }

        if (result.GetValue(_timeout) is { } timeout)
        {
            if (!TryParseSeconds("--timeout", timeout, out var seconds, out error))
            {
                return false;
            }

            options.RequestTimeout = seconds;
        }

        error = null;
        return true;
    }

    /// <summary>
    /// Parses <c>-s</c> with the same syntax as the mapper's (<see cref="StunServerEndPoint.Parse"/>):
    /// <c>host[:port]</c>, <c>[IPv6]:port</c>, <c>[IPv6]</c> or a bare IPv6 address; the port defaults to 3478.
    /// </summary>
    internal static bool TryParseServer(string text, [NotNullWhen(true)] out StunServerEndPoint? server, [NotNullWhen(false)] out string? error)
    {
        if (!StunServerEndPoint.TryParse(text, StunServerEndPoint.DefaultPort, out server, out var reason))
        {
            error = $"option -s: '{text}' is not a STUN server: use host[:port], [IPv6]:port or an IPv6 address (port 1 to 65535); {reason}";
            return false;
        }

        error = null;
        return true;
    }

    private static bool TryParseSeconds(string name, string text, out TimeSpan value, [NotNullWhen(false)] out string? error)
    {
        if (double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double seconds) && seconds > 0 && seconds <= 86400)
        {
            value = TimeSpan.FromSeconds(seconds);
            error = null;
            return true;
        }

        value = default;
        error = $"option {name}: '{text}' is not a number of seconds (more than 0, at most 86400)";
        return false;
    }

    private static string FamilyName(AddressFamily family) => family == AddressFamily.InterNetwork ? "IPv4" : "IPv6";

    private static Option<bool> Flag(string name, string description) => new(name) { Description = description, Arity = ArgumentArity.Zero };

    private static Option<string> Value(string name, string helpName, string description) => new(name) { Description = description, HelpName = helpName };
}
