using NatMap.CommandLine;
using NatMap.Discovery;
using static NatMap.Cli.CliSyntax;

namespace NatMap.Cli.Check;

/// <summary>
/// The <c>natmap check</c> subcommand's options. They share <c>natmap</c>'s letters where they mean the same
/// (<c>-4 -6 -u -i -s -b -v --json</c>), its value grammar (<see cref="OptionParsers"/>) and its plumbing
/// (<see cref="CliSyntax"/>), and are bound straight into <see cref="NatDiscoveryOptions"/>.
/// </summary>
internal sealed class CheckOptions
{
    private const string Description =
        "Tells what the NAT in front of this host really is (RFC 5780): mapping and filtering behaviour,\n" +
        "the classic NAT type, and optionally hairpinning and the UDP binding lifetime (a -k to use).\n" +
        "The STUN server needs two IP addresses for the RFC 5780 tests. Exit codes: 0 the check ran\n" +
        "(whatever the verdict), 1 no server answered, 2 bad command line.";

    private readonly Option<bool> _ipv4 = Flag("-4", "Use IPv4 (the default).", nameof(NatDiscoveryOptions.AddressFamily));
    private readonly Option<bool> _ipv6 = Flag("-6", "Use IPv6.", nameof(NatDiscoveryOptions.AddressFamily));
    private readonly Option<string[]> _servers = Servers();
    private readonly Option<string> _bind = Value("-b", "port", "Local port every test runs from: the port you will map (default: any).", nameof(NatDiscoveryOptions.Port));
    private readonly Option<string> _interface = Value("-i", "interface|ip", "Network interface name or local IP address to bind.", nameof(NatDiscoveryOptions.BindAddress), nameof(NatDiscoveryOptions.BindInterface));
    private readonly Option<bool> _udp = Flag("-u", "Test UDP only (default: UDP and TCP).");

    // natmap's -t is the forward target; the check's old -t for TCP still works, unlisted.
    private readonly Option<bool> _tcp = Flag("-o", "Test TCP only: mapping behaviour (filtering is a UDP notion in RFC 5780).");
    private readonly Option<bool> _tcpAlias = new("-t") { Hidden = true };
    private readonly Option<bool> _hairpin = Flag("--hairpin", "Also test UDP hairpinning (RFC 5780 section 4.5).");
    private readonly Option<bool> _lifetime = Flag("--lifetime", "Also estimate the UDP binding lifetime and recommend a -k (takes up to --lifetime-max).");
    private readonly Option<string> _lifetimeMax = Value("--lifetime-max", "seconds", "Longest idle time the lifetime estimate probes (default 120).", nameof(NatDiscoveryOptions.MaxLifetimeProbe));
    private readonly Option<string> _timeout = Value("--timeout", "seconds", "How long one request may go unanswered, retransmissions included (default 3).", nameof(NatDiscoveryOptions.RequestTimeout));
    private readonly Option<bool> _upnp = Flag("--upnp", "Also probe the home router: which of PCP, NAT-PMP and UPnP IGD answer, its external address, and how many NAT layers that shows.");
    private readonly Option<string> _gateway = Value("--gateway", "addr", "The home router's IPv4 address for --upnp (default: the default route's gateway).");
    private readonly Option<bool> _json = Flag("--json", "Print one JSON object instead of the table.");
    private readonly Option<bool> _verbose = new("--verbose", "-v") { Description = "Log each request and answer, and warnings, to standard error." };

    public CheckOptions()
    {
        Command = new Command("check", Description) { _ipv4, _ipv6, _servers, _bind, _interface, _udp, _tcp, _tcpAlias, _hairpin, _lifetime, _lifetimeMax, _timeout, _upnp, _gateway, _json, _verbose };
    }

    public Command Command { get; }

    /// <summary>Binds the parsed values into <paramref name="options"/>; the library checks them when the client is created.</summary>
    /// <returns>The first problem as <c>-x: reason</c>, or null.</returns>
    public string? Bind(ParseResult result, NatDiscoveryOptions options, out bool json, out bool verbose, out bool probeGateway, out System.Net.IPAddress? gateway)
    {
        (json, verbose, probeGateway) = (result.GetValue(_json), result.GetValue(_verbose), result.GetValue(_upnp));
        System.Net.IPAddress? named = null;
        bool tcpOnly = result.GetValue(_tcp) || result.GetValue(_tcpAlias);
        (options.TestUdp, options.TestTcp) = (!tcpOnly, !result.GetValue(_udp));
        (options.TestHairpinning, options.EstimateLifetime) = (result.GetValue(_hairpin), result.GetValue(_lifetime));
        string? error = BindFamilyAndInterface(result, _ipv4, _ipv6, _interface, out var family, out var address, out var name);
        (options.AddressFamily, options.BindAddress, options.BindInterface) = (family, address, name);
        error ??= (OptionParsers.TryParseServers(result.GetValue(_servers), options.StunServers, out var serversError) ? null : serversError)
            ?? (tcpOnly && result.GetValue(_udp) ? "-u and -o exclude each other: give neither to test both" : null)
            ?? result.Read<int>(_bind, OptionParsers.TryParsePort, port => options.Port = port)
            ?? result.Read<TimeSpan>(_lifetimeMax, ValueParsers.TryParseSeconds, max => options.MaxLifetimeProbe = max)
            ?? result.Read<TimeSpan>(_timeout, ValueParsers.TryParseSeconds, timeout => options.RequestTimeout = timeout)
            ?? result.Read<System.Net.IPAddress>(_gateway, OptionParsers.TryParseGatewayAddress, address => named = address)
            ?? (named is not null && !probeGateway ? "--gateway needs --upnp: it names the home router that --upnp probes" : null);
        gateway = named;
        return error;
    }
}
