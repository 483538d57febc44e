using Microsoft.Extensions.Logging;
using NatMap.CommandLine;
using NatMap.Mapping;
using NatMap.Notify;
using static NatMap.Cli.CliSyntax;

namespace NatMap.Cli;

/// <summary>
/// The <c>natmap</c> command line: the original natmap's short options, plus <c>--json</c>, <c>-v</c>,
/// <c>--help</c>, <c>--version</c> and the <c>check</c> subcommand. Values arrive as text and are bound
/// by <see cref="Bind"/> straight into <see cref="PortMapperOptions"/>.
/// </summary>
internal sealed class NatMapCommand
{
    public const string Description =
        "Keeps a TCP or UDP port mapping open on the NAT and reports the public address.\n" +
        "On each change it prints 'public-addr public-port ip4p private-port protocol private-addr'\n" +
        "(ip4p is empty for IPv6), or with -e runs the script with those six arguments and\n" +
        "NATMAP_PUBLIC_ADDR, NATMAP_PUBLIC_PORT, NATMAP_IP4P, NATMAP_PRIVATE_PORT, NATMAP_PROTOCOL,\n" +
        "NATMAP_PRIVATE_ADDR in its environment. Logs go to standard error.\n" +
        "Exit codes: 0 stopped by SIGINT/SIGTERM, 1 runtime failure, 2 bad command line.";

    private readonly Option<bool> _ipv4 = Flag("-4", "Use IPv4 (the default).", nameof(PortMapperOptions.AddressFamily));
    private readonly Option<bool> _ipv6 = Flag("-6", "Use IPv6.", nameof(PortMapperOptions.AddressFamily));
    private readonly Option<bool> _udp = Flag("-u", "UDP mode (TCP is the default).", nameof(PortMapperOptions.Protocol));
    private readonly Option<bool> _detach = Flag("-d", "Run in the background, detached from the terminal.");
    private readonly Option<string> _interface = Value("-i", "interface|ip", "Network interface name or local IP address to bind.", nameof(PortMapperOptions.BindAddress), nameof(PortMapperOptions.BindInterface));
    private readonly Option<string> _keepAlive = Value("-k", "seconds", "Seconds between keep-alives (default 30 for TCP, 10 for UDP; 0 = default).", nameof(PortMapperOptions.KeepAliveInterval));
    private readonly Option<string> _checkCycle = Value("-c", "count", "UDP STUN check cycle: every <count> keep-alive intervals, at least 1 (default 10).", nameof(PortMapperOptions.UdpCheckCycle));
    private readonly Option<string[]> _stun = Servers();
    private readonly Option<string> _http = Value("-h", "addr[:port]", "HTTP server for TCP keep-alive, with optional :port (default 80). Required for TCP.", nameof(PortMapperOptions.HttpServer));
    // scriptPath: the parameter ScriptNotifier.EnsureRunnable names when it refuses the script.
    private readonly Option<string> _script = Value("-e", "path", "Executable to run on each mapping change instead of printing the line; it must exist at start.", "scriptPath");
    private readonly Option<string> _mark = Value("-f", "mark", "Firewall mark (SO_MARK): hex 0x1, decimal 1 or octal 01.", nameof(PortMapperOptions.FirewallMark));
    private readonly Option<string> _localPort = Value("-b", "port[-port|~port]", "Local port: 0 any (default), p fixed, a-b sequential in the range, a~b random in the range.", nameof(PortMapperOptions.Port));
    private readonly Option<string> _reuseWait = Value("-w", "seconds", "Accepted for compatibility and ignored: a port held by a local service is taken over without waiting.");
    private readonly Option<string> _congestion = Value("-C", "algo", "TCP congestion control algorithm for forwarding.", nameof(PortMapperOptions.CongestionControl));
    private readonly Option<string> _forwardTimeout = Value("-T", "seconds", "Idle timeout of forwarded flows in seconds (default 300; 0 = default). A relayed TCP connection whose peer is gone closes sooner, by TCP keepalive: within 3 x -k, at least 13 s (90 s by default). Means nothing with --forward-method nftables: conntrack's own timeouts apply.", nameof(PortMapperOptions.IdleTimeout));
    private readonly Option<string> _targetHost = Value("-t", "addr", "Forward the mapped port to this host or address (needs -p).", nameof(PortMapperOptions.TargetHost));
    private readonly Option<string> _targetPort = Value("-p", "port", "Port of the forward target; 0 uses the public port (needs -t).", nameof(PortMapperOptions.TargetPort));
    private readonly Option<string> _forwardMethod = Value("--forward-method", "relay|nftables", "How -t/-p forward: relay (the default, through natmap) or nftables (destination NAT in the kernel, one nftables table natmap_<proto>_<port>; the target sees the client's address and must route back through this host; needs CAP_NET_ADMIN and libnftables).", nameof(PortMapperOptions.ForwardMethod));
    private readonly Option<bool> _forwardMasquerade = Flag("--forward-masquerade", "With --forward-method nftables, masquerade towards the target, for a target with no route back: the target then sees this host's address, not the client's.", nameof(PortMapperOptions.ForwardMasquerade));
    private readonly Option<bool> _cleanupNftables = Flag("--cleanup-nftables", "Remove every nftables table of natmap's (natmap_*, left by a killed natmap) and exit.");
    private readonly Option<bool> _json = Flag("--json", "Print one JSON object per mapping change on standard output instead of the line (also with -e).");
    private readonly Option<string> _upnp = new("--upnp")
    {
        Description = "Also open the port on the home router in front of this host: auto (the default) tries PCP, then NAT-PMP, then UPnP IGD; or name one: --upnp=pcp, --upnp=nat-pmp, --upnp=upnp.",
        HelpName = "auto|pcp|nat-pmp|upnp",
        Arity = OptionArity.ZeroOrOne,
        Binds = [nameof(PortMapperOptions.Gateway)],
    };

    private readonly Option<string> _gateway = Value("--gateway", "addr", "The home router's IPv4 address for --upnp (default: the default route's gateway).", nameof(PortMapperOptions.GatewayAddress));
    private readonly Option<string> _upnpLease = Value("--upnp-lease", "seconds", "The lease asked of the home router for --upnp, renewed at half of what it grants (default 3600).", nameof(PortMapperOptions.GatewayLease));
    private readonly Option<bool> _verbose = new("--verbose", "-v") { Description = "Log debug messages too." };
    private readonly Option<string> _name = Value("--name", "name", "Name of this mapping: NATMAP_NAME for the -e script, \"name\" in --json and the status file (letters, digits, '.', '_', '-', '@', at most 64).", nameof(ServiceStatusOptions.Name));
    private readonly Option<string> _statusFile = Value("--status-file", "path", "Keep one JSON object with the mapping and its state in this file, replaced atomically on start, each change and stop.", nameof(ServiceStatusOptions.StatusFile));

    /// <summary>Declares both commands; <see cref="Cli"/> sets their actions.</summary>
    public NatMapCommand()
    {
        Root = new Command("natmap", Description)
        {
            _ipv4, _ipv6, _udp, _detach, _interface, _keepAlive, _checkCycle, _stun, _http, _script, _mark, _localPort, _reuseWait, _congestion, _forwardTimeout, _targetHost, _targetPort, _forwardMethod, _forwardMasquerade, _cleanupNftables, _upnp, _gateway, _upnpLease, _json, _verbose, _name, _statusFile, Check.Command,
        };
        Root.Options.AddRange(Notifiers.All);
    }

    public Command Root { get; }

    public Check.CheckOptions Check { get; } = new();

    public NotifierFlags Notifiers { get; } = new();

    public ParseResult Parse(IReadOnlyList<string> args) => Root.Parse(args);

    /// <summary><c>--cleanup-nftables</c>: remove natmap's tables and exit, without the other options.</summary>
    public bool IsCleanup(ParseResult result) => result.GetValue(_cleanupNftables);

    /// <summary>
    /// <c>--upnp[=protocol]</c>, <c>--gateway</c> and <c>--upnp-lease</c>: the last two only with the first,
    /// so that without <c>--upnp</c> nothing changes.
    /// </summary>
    private string? BindGateway(ParseResult result, PortMapperOptions mapper)
    {
        bool upnp = result.WasGiven(_upnp);
        if (!upnp)
        {
            return result.WasGiven(_gateway) ? "--gateway needs --upnp: it names the home router that --upnp opens"
                : result.WasGiven(_upnpLease) ? "--upnp-lease needs --upnp"
                : null;
        }

        // Bare --upnp is auto; a value names the protocol.
        mapper.Gateway = Gateway.GatewayProtocol.Auto;
        return result.Read(_upnp, OptionParsers.GatewayProtocols, p => mapper.Gateway = p)
            ?? result.Read<System.Net.IPAddress>(_gateway, OptionParsers.TryParseGatewayAddress, a => mapper.GatewayAddress = a)
            ?? result.Read<TimeSpan>(_upnpLease, ValueParsers.TryParseWholeSeconds, l => mapper.GatewayLease = l);
    }

    /// <summary>
    /// Binds the parsed values into <paramref name="mapper"/>. Only command-line syntax and combinations are
    /// checked here; what the values mean is <see cref="PortMapperOptions.Validate"/>'s to check.
    /// </summary>
    /// <returns>The first problem as <c>-x: reason</c>, or null.</returns>
    public string? Bind(ParseResult result, PortMapperOptions mapper, out CliOptions options, Func<string, string?>? environment = null)
    {
        mapper.Protocol = result.GetValue(_udp) ? MappingProtocol.Udp : MappingProtocol.Tcp;
        mapper.HttpServer = result.GetValue(_http);
        mapper.CongestionControl = result.GetValue(_congestion);
        mapper.TargetHost = result.GetValue(_targetHost);
        mapper.ForwardMasquerade = result.GetValue(_forwardMasquerade);
        string? error = CliSyntax.BindFamilyAndInterface(result, _ipv4, _ipv6, _interface, out var family, out var address, out var name);
        (mapper.AddressFamily, mapper.BindAddress, mapper.BindInterface) = (family, address, name);
        int? reuseWait = null;

        // -k 0 and -T 0 keep the defaults, as in the original.
        error ??= (OptionParsers.TryParseServers(result.GetValue(_stun), mapper.StunServers, out var serversError) ? null : serversError)
            ?? result.Read<TimeSpan>(_keepAlive, ValueParsers.TryParseWholeSeconds, k => mapper.KeepAliveInterval = k > TimeSpan.Zero ? k : null)
            ?? result.Read<int>(_checkCycle, ValueParsers.TryParseCount, c => mapper.UdpCheckCycle = c)
            ?? result.Read(_mark, OptionParsers.Mark, f => mapper.FirewallMark = f)
            ?? result.Read<PortSpec>(_localPort, PortSpec.TryParse, b => mapper.Port = b)
            ?? result.Read<TimeSpan>(_reuseWait, ValueParsers.TryParseWholeSeconds, w => reuseWait = (int)w.TotalSeconds)
            ?? result.Read<TimeSpan>(_forwardTimeout, ValueParsers.TryParseWholeSeconds, t => mapper.IdleTimeout = t > TimeSpan.Zero ? t : mapper.IdleTimeout)
            ?? result.Read<int>(_targetPort, OptionParsers.TryParsePort, p => mapper.TargetPort = p)
            ?? result.Read(_forwardMethod, OptionParsers.ForwardMethods, m => mapper.ForwardMethod = m)
            ?? BindGateway(result, mapper);

        var status = new ServiceStatusOptions { Name = result.GetValue(_name), StatusFile = result.GetValue(_statusFile) };
        try
        {
            status.Validate();
        }
        catch (ArgumentException ex)
        {
            error ??= Root.Describe(ex);
        }

        error ??= ((mapper.TargetHost is null) == (result.GetValue(_targetPort) is null) ? null
                : mapper.TargetHost is null ? "-p needs -t: give the forward target's address with -t <addr>"
                : "-t needs -p: give the forward target's port with -p <port> (0 = the public port)");
        if (error is null && mapper.ForwardMethod == NatMap.Forwarding.ForwardMethod.Nftables && mapper.TargetHost is null)
        {
            error = "--forward-method: nftables forwards the mapped port, which needs -t and -p";
        }

        string? notifierError = Notifiers.Bind(result, mapper, status.Name, environment ?? Environment.GetEnvironmentVariable, out var notifiers);
        error ??= notifierError;
        options = new CliOptions(result.GetValue(_detach), result.GetValue(_script), result.GetValue(_json), result.GetValue(_verbose) ? LogLevel.Debug : LogLevel.Information, reuseWait, notifiers, status);
        return error;
    }
}
