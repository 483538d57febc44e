using System.Text;
using NatMap.Cli;
using NatMap.CommandLine;
using NatMap.Mapping;
using NatMap.Sockets.Internal;
using NatMap.Stun;

namespace NatMap.Fuzz;

/// <summary>
/// <c>text</c>: everything that parses user text. The input is read as UTF-8 (invalid bytes become
/// U+FFFD) and split at each '\n' into arguments; one trailing '\n' ends the last argument rather than
/// adding an empty one, so a seed file holds one argument per line. Each argument goes through every
/// value parser (<c>-b</c>, <c>-s</c>/<c>-h</c>, <c>-i</c>, <c>-f</c>, <c>-k</c>, the counts and ports),
/// then the arguments as a whole go through the <c>natmap</c> and <c>natmap check</c> command lines up
/// to the library's own validation (nothing is run).
/// </summary>
internal static class TextTarget
{
    private static readonly NatMapCommand Command = new();

    public static void Run(Stream stream)
    {
        string text = Encoding.UTF8.GetString(FuzzInput.Read(stream));
        string[] args = Split(text);
        foreach (string arg in args)
        {
            ParseValue(arg);
        }

        ParseCommandLine(args);
        ParseCommandLine(["check", .. args]);
    }

    internal static string[] Split(string text)
    {
        if (text.Length == 0)
        {
            return [];
        }

        return (text[^1] == '\n' ? text[..^1] : text).Split('\n');
    }

    private static void ParseValue(string arg)
    {
        // -b. Parse documents FormatException for bad text; it must agree with TryParse.
        bool portOk = PortSpec.TryParse(arg, out var spec, out var portError);
        if (portOk)
        {
            if (!PortSpec.TryParse(spec.ToString(), out var again, out _) || again != spec || spec.First > spec.Last || spec.Last > 65535)
            {
                throw new FuzzContractException("PortSpec '" + arg + "' does not round-trip: " + spec);
            }
        }
        else if (string.IsNullOrEmpty(portError))
        {
            throw new FuzzContractException("PortSpec refused '" + arg + "' without a reason");
        }

        try
        {
            PortSpec.Parse(arg);
            Expect(portOk, "PortSpec.Parse took what TryParse refused");
        }
        catch (FormatException) when (!portOk)
        {
        }

        // -s (both commands) and -h: the library's endpoint parser (Parse documents FormatException).
        CheckEndpoint(arg, StunServerEndPoint.DefaultPort);
        CheckEndpoint(arg, PortMapperOptions.DefaultHttpPort);
        var servers = new List<StunServerEndPoint>();
        bool serverOk = OptionParsers.TryParseServers([arg], servers, out var serverError);
        Expect(
            serverOk == StunServerEndPoint.TryParse(arg, out _) && serverOk == (servers.Count == 1) && (serverOk || serverError!.StartsWith("-s: ", StringComparison.Ordinal)),
            "-s reads '" + arg + "' otherwise than StunServerEndPoint.Parse");

        // -i, and the forward target's literal check.
        OptionParsers.TryParseInterface(arg, out _, out _, out _);
        if (IPAddressText.Classify(arg, out var address, out var reason) switch
        {
            IPLiteralKind.Address => address is null || !MeansWhatItSays(arg, address),
            IPLiteralKind.Invalid => reason is null,
            _ => address is not null,
        })
        {
            throw new FuzzContractException("IPAddressText.Classify gave an inconsistent result for '" + arg + "'");
        }

        // -f, -k -T -w, --timeout --lifetime-max, -c, -p and the check's -b.
        OptionParsers.Mark(arg, out _, out _);
        ValueParsers.TryParseWholeSeconds(arg, out _, out _);
        ValueParsers.TryParseSeconds(arg, out _, out _);
        ValueParsers.TryParseCount(arg, out _, out _);
        OptionParsers.ForwardMethods(arg, out _, out _);
        OptionParsers.GatewayProtocols(arg, out _, out _);
        if (OptionParsers.TryParsePort(arg, out int port, out _) && port is < 0 or > 65535)
        {
            throw new FuzzContractException("-p took '" + arg + "' as port " + port);
        }
    }

    private static void CheckEndpoint(string arg, int defaultPort)
    {
        bool ok = StunServerEndPoint.TryParse(arg, defaultPort, out var server, out var error);
        if (server is null)
        {
            Expect(!ok && !string.IsNullOrEmpty(error), "StunServerEndPoint refused '" + arg + "' without a reason");
        }
        else
        {
            // What ToString writes must read back the same (IPAddress.Equals compares the IPv6 scope too),
            // and the public constructor must take the host.
            var again = StunServerEndPoint.Parse(server.ToString());
            var built = new StunServerEndPoint(server.Host, server.Port);
            if (again.Host != server.Host || again.Port != server.Port || !Equals(again.Address, server.Address)
                || !Equals(built.Address, server.Address) || (server.Address is not null && !MeansWhatItSays(server.Host, server.Address)))
            {
                throw new FuzzContractException("StunServerEndPoint '" + arg + "' does not round-trip through '" + server + "'");
            }
        }

        if (defaultPort != StunServerEndPoint.DefaultPort)
        {
            return;
        }

        Expect(StunServerEndPoint.TryParse(arg, out _) == ok, "the public TryParse disagrees");
        try
        {
            StunServerEndPoint.Parse(arg);
            Expect(ok, "StunServerEndPoint.Parse took what TryParse refused");
        }
        catch (FormatException) when (!ok)
        {
        }
    }

    private static void ParseCommandLine(string[] args)
    {
        var parsed = Command.Parse(args);
        if (parsed.Error is { } parseError)
        {
            Expect(parseError.Length > 0, "a parse error without a message");
            return;
        }

        // Cli.RunAsync shows the help for --help (whatever else the line holds) and the version for
        // --version alone: neither reaches Bind.
        if (!parsed.RunsAction)
        {
            return;
        }

        if (ReferenceEquals(parsed.Command, Command.Check.Command))
        {
            var discovery = new NatMap.Discovery.NatDiscoveryOptions();
            if (Command.Check.Bind(parsed, discovery, out _, out _, out _, out _) is { } checkError)
            {
                Expect(checkError.Length > 0, "the check's Bind failed without a message");
                return;
            }

            try
            {
                _ = new NatMap.Discovery.NatDiscoveryClient(discovery);
            }
            catch (ArgumentException ex)
            {
                Expect(Command.Check.Command.Describe(ex).StartsWith('-'), "the CLI has no option letter for " + ex.ParamName);
            }

            return;
        }

        // Cli.RunAsync binds, then validates the same way before it runs anything: a problem is a
        // result, and only ArgumentException may come out of Validate, with a ParamName the CLI maps.
        var mapperOptions = new PortMapperOptions();
        if (Command.Bind(parsed, mapperOptions, out _) is { } error)
        {
            Expect(error.Length > 0, "Bind failed without a message");
            return;
        }

        var problem = mapperOptions.FindProblem();
        try
        {
            mapperOptions.Validate();
            Expect(problem is null, "Validate passed what FindProblem refused");
        }
        catch (ArgumentException ex) when (problem is not null && ex.ParamName == problem.Value.Option)
        {
            Expect(Command.Root.Describe(ex).StartsWith('-'), "the CLI has no option letter for " + ex.ParamName);
        }
    }

    /// <summary>
    /// The defects issue 13 names, as a property: an IPv4 literal is the address it spells (IPv4 text is
    /// canonical once leading zeros, octal and hex are refused), and an IPv6 zone survives as the scope.
    /// </summary>
    private static bool MeansWhatItSays(string text, System.Net.IPAddress address)
    {
        if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
        {
            return address.ToString() == text;
        }

        int percent = text.IndexOf('%', StringComparison.Ordinal);
        if (percent < 0)
        {
            return address.ScopeId == 0;
        }

        string zone = text[(percent + 1)..];
        return uint.TryParse(zone, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out uint index)
            ? address.ScopeId == index
            : address.ScopeId != 0;
    }

    private static void Expect(bool condition, string message)
    {
        if (!condition)
        {
            throw new FuzzContractException(message);
        }
    }
}
