using System.CommandLine;
using System.CommandLine.Help;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using NatMap.Mapping;

namespace NatMap.Cli;

/// <summary>
/// The <c>natmap</c> command line: the original natmap's short options, plus <c>--json</c>, <c>-v</c>,
/// <c>--help</c> and <c>--version</c>. Values arrive as text and are converted in <see cref="TryGetOptions"/>,
/// so that every bad value gets one clear line naming its option.
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

    public NatMapCommand(Func<ParseResult, CancellationToken, Task<int>> action)
    {
        Root = new RootCommand(Description);

        // -h is the HTTP server, as in the original: help is --help only.
        for (int i = Root.Options.Count - 1; i >= 0; i--)
        {
            if (Root.Options[i] is HelpOption)
            {
                Root.Options.RemoveAt(i);
            }
        }

        Root.Options.Insert(0, new HelpOption("--help") { Description = "Show this help and exit." });

        Root.Options.Add(Ipv4);
        Root.Options.Add(Ipv6);
        Root.Options.Add(Udp);
        Root.Options.Add(Detach);
        Root.Options.Add(Interface);
        Root.Options.Add(KeepAlive);
        Root.Options.Add(CheckCycle);
        Root.Options.Add(Stun);
        Root.Options.Add(Http);
        Root.Options.Add(Script);
        Root.Options.Add(Mark);
        Root.Options.Add(Bind);
        Root.Options.Add(ReuseWait);
        Root.Options.Add(Congestion);
        Root.Options.Add(ForwardTimeout);
        Root.Options.Add(TargetHost);
        Root.Options.Add(TargetPort);
        Root.Options.Add(Json);
        Root.Options.Add(Verbose);
        Root.SetAction(action);

        Root.Subcommands.Add(Check.CheckCommand.Create());
    }

    /// <summary>
    /// How every natmap command line is parsed. Response files are off: System.CommandLine would
    /// replace any argument starting with '@' by a file's contents (<c>-e @hook.sh</c> read the file
    /// instead of naming it, <c>-s @/dev/zero</c> never returned), which the original's getopt never does.
    /// </summary>
    public static ParserConfiguration ParserConfiguration { get; } = new() { ResponseFileTokenReplacer = null };

    public RootCommand Root { get; }

    /// <summary>Parses <paramref name="args"/> with <see cref="ParserConfiguration"/>.</summary>
    public ParseResult Parse(IReadOnlyList<string> args) => Root.Parse(args, ParserConfiguration);

    public Option<bool> Ipv4 { get; } = Flag("-4", "Use IPv4 (the default).");

    public Option<bool> Ipv6 { get; } = Flag("-6", "Use IPv6.");

    public Option<bool> Udp { get; } = Flag("-u", "UDP mode (TCP is the default).");

    public Option<bool> Detach { get; } = Flag("-d", "Run in the background, detached from the terminal.");

    public Option<string> Interface { get; } = Value("-i", "interface|ip", "Network interface name or local IP address to bind.");

    public Option<string> KeepAlive { get; } = Value("-k", "seconds", "Seconds between keep-alives (default 30 for TCP, 10 for UDP; 0 = default).");

    public Option<string> CheckCycle { get; } = Value("-c", "count", "UDP STUN check cycle: every <count> keep-alive intervals (default 10).");

    public Option<string[]> Stun { get; } = new("-s")
    {
        Description = "STUN server, host or address with optional :port (default 3478). Repeat to give several; they are tried in order. Required.",
        HelpName = "addr[:port]",

        // One value per -s, as getopt reads it: "-s a b" leaves "b" unmatched, which is an error.
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<string> Http { get; } = Value("-h", "addr[:port]", "HTTP server for TCP keep-alive, with optional :port (default 80). Required for TCP.");

    public Option<string> Script { get; } = Value("-e", "path", "Script to run on each mapping change instead of printing the line.");

    public Option<string> Mark { get; } = Value("-f", "mark", "Firewall mark (SO_MARK): hex 0x1, decimal 1 or octal 01.");

    public Option<string> Bind { get; } = Value("-b", "port[-port|~port]", "Local port: 0 any (default), p fixed, a-b sequential in the range, a~b random in the range.");

    public Option<string> ReuseWait { get; } = Value("-w", "seconds", "Accepted for compatibility and ignored: a port held by a local service is taken over without waiting.");

    public Option<string> Congestion { get; } = Value("-C", "algo", "TCP congestion control algorithm for forwarding.");

    public Option<string> ForwardTimeout { get; } = Value("-T", "seconds", "Idle timeout of forwarded flows in seconds (default 300; 0 = default). A relayed TCP connection whose peer is gone closes sooner, by TCP keepalive: within 3 x -k, at least 13 s (90 s by default).");

    public Option<string> TargetHost { get; } = Value("-t", "addr", "Forward the mapped port to this host or address (needs -p).");

    public Option<string> TargetPort { get; } = Value("-p", "port", "Port of the forward target; 0 uses the public port (needs -t).");

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Print one JSON object per mapping change on standard output instead of the line (also with -e).",
        Arity = ArgumentArity.Zero,
    };

    public Option<bool> Verbose { get; } = new("--verbose", "-v")
    {
        Description = "Log debug messages too.",
        Arity = ArgumentArity.Zero,
    };

    /// <summary>Converts and cross-checks the parsed values; the first problem found is the error.</summary>
    public bool TryGetOptions(ParseResult result, out CliOptions options, [NotNullWhen(false)] out string? error)
    {
        options = new CliOptions();
        bool ipv4 = result.GetValue(Ipv4);
        bool ipv6 = result.GetValue(Ipv6);
        if (ipv4 && ipv6)
        {
            error = "options -4 and -6 exclude each other: choose one address family";
            return false;
        }

        var family = ipv6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
        var protocol = result.GetValue(Udp) ? MappingProtocol.Udp : MappingProtocol.Tcp;

        IPAddress? bindAddress = null;
        string? bindInterface = null;
        if (result.GetValue(Interface) is { } iface)
        {
            if (!OptionParsers.TryParseInterface(iface, out var address, out bindInterface, out error))
            {
                return false;
            }

            if (address is not null && address.AddressFamily != family)
            {
                error = $"option -i: {iface} is an {(address.AddressFamily == AddressFamily.InterNetwork ? "IPv4" : "IPv6")} address but the mapping is {(ipv6 ? "IPv6 (-6)" : "IPv4")}";
                return false;
            }

            bindAddress = address;
        }

        TimeSpan? keepAlive = null;
        if (result.GetValue(KeepAlive) is { } k && !OptionParsers.TryParseSeconds("-k", k, out keepAlive, out error))
        {
            return false;
        }

        int? cycle = null;
        if (result.GetValue(CheckCycle) is { } c)
        {
            if (!OptionParsers.TryParseCount("-c", c, "a count", out int n, out error))
            {
                return false;
            }

            cycle = n > 0 ? n : null;
        }

        var stun = result.GetValue(Stun) ?? [];
        if (stun.Length == 0)
        {
            error = "a STUN server is required: give -s <addr>[:port]";
            return false;
        }

        foreach (var server in stun)
        {
            if (!OptionParsers.TryValidateServer("-s", server, out error))
            {
                return false;
            }
        }

        var http = result.GetValue(Http);
        if (http is not null && !OptionParsers.TryValidateServer("-h", http, out error))
        {
            return false;
        }

        if (protocol == MappingProtocol.Tcp && http is null)
        {
            error = "TCP mode needs an HTTP server for keep-alive: give -h <addr>[:port], or -u for UDP";
            return false;
        }

        var script = result.GetValue(Script);
        if (script is { Length: 0 })
        {
            error = "option -e: the script path is empty";
            return false;
        }

        uint? mark = null;
        if (result.GetValue(Mark) is { } f)
        {
            if (!OptionParsers.TryParseMark(f, out uint m, out error))
            {
                return false;
            }

            mark = m;
        }

        var port = PortSpec.Any;
        if (result.GetValue(Bind) is { } b && !PortSpec.TryParse(b, out port, out var portError))
        {
            error = "option -b: " + portError;
            return false;
        }

        int? reuseWait = null;
        if (result.GetValue(ReuseWait) is { } w)
        {
            if (!OptionParsers.TryParseCount("-w", w, "a number of seconds", out int seconds, out error))
            {
                return false;
            }

            reuseWait = seconds;
        }

        var congestion = result.GetValue(Congestion);
        if (congestion is { Length: 0 })
        {
            error = "option -C: the congestion control algorithm is empty";
            return false;
        }

        TimeSpan? forwardTimeout = null;
        if (result.GetValue(ForwardTimeout) is { } t && !OptionParsers.TryParseSeconds("-T", t, out forwardTimeout, out error))
        {
            return false;
        }

        var target = result.GetValue(TargetHost);
        if (target is { Length: 0 })
        {
            error = "option -t: the forward target is empty";
            return false;
        }

        int? forwardPort = null;
        if (result.GetValue(TargetPort) is { } p)
        {
            if (!OptionParsers.TryParsePort("-p", p, out int number, out error))
            {
                return false;
            }

            forwardPort = number;
        }

        if ((target is null) != (forwardPort is null))
        {
            error = target is null
                ? "option -p needs -t: give the forward target's address with -t <addr>"
                : "option -t needs -p: give the forward target's port with -p <port> (0 = the public port)";
            return false;
        }

        options = new CliOptions
        {
            AddressFamily = family,
            Protocol = protocol,
            Detach = result.GetValue(Detach),
            BindAddress = bindAddress,
            BindInterface = bindInterface,
            KeepAliveInterval = keepAlive,
            UdpCheckCycle = cycle,
            StunServers = stun,
            HttpServer = http,
            Script = script,
            FirewallMark = mark,
            Port = port,
            PortReuseWait = reuseWait,
            CongestionControl = congestion,
            IdleTimeout = forwardTimeout,
            TargetHost = target,
            TargetPort = forwardPort,
            Json = result.GetValue(Json),
            LogLevel = result.GetValue(Verbose) ? LogLevel.Debug : LogLevel.Information,
        };
        error = null;
        return true;
    }

    private static Option<bool> Flag(string name, string description) =>
        new(name) { Description = description, Arity = ArgumentArity.Zero };

    private static Option<string> Value(string name, string helpName, string description) =>
        new(name) { Description = description, HelpName = helpName, Arity = ArgumentArity.ExactlyOne };
}
