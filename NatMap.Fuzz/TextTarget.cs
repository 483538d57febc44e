using System.Text;
using NatMap.Cli;
using NatMap.Cli.Check;
using NatMap.Mapping;
using NatMap.Sockets.Internal;
using NatMap.Stun;

namespace NatMap.Fuzz;

/// <summary>
/// <c>text</c>: everything that parses user text. The input is read as UTF-8 (invalid bytes become
/// U+FFFD) and split at each '\n' into arguments; one trailing '\n' ends the last argument rather than
/// adding an empty one, so a seed file holds one argument per line. Each argument goes through every
/// value parser (<c>-b</c>, <c>-s</c>/<c>-h</c>, <c>-i</c>, <c>-f</c>, <c>-k</c> and the other counts),
/// then the arguments as a whole go through the <c>natmap</c> and <c>natmap check</c> command lines up
/// to the mapper's own validation (nothing is run).
/// </summary>
internal static class TextTarget
{
    private static readonly NatMapCommand Command = new((_, _) => Task.FromResult(0));
    private static readonly CheckOptions Check = new();
    private static readonly System.CommandLine.Command CheckCommand = CreateCheckCommand();

    public static void Run(Stream stream)
    {
        string text = Encoding.UTF8.GetString(FuzzInput.Read(stream));
        string[] args = Split(text);
        foreach (string arg in args)
        {
            ParseValue(arg);
        }

        ParseCommandLine(args);
        ParseCheckCommandLine(args);
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

        // -s and -h: the CLI's early check, then the endpoint parser the mapper uses (Parse documents FormatException).
        OptionParsers.TryValidateServer("-s", arg, out _);
        CheckEndpoint(arg, StunServerEndPoint.DefaultPort);
        CheckEndpoint(arg, PortMapperOptions.DefaultHttpPort);
        CheckOptions.TryParseServer(arg, out _, out _);

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

        // -f, -k and -T, -c and -w, -p.
        OptionParsers.TryParseMark(arg, out _, out _);
        OptionParsers.TryParseSeconds("-k", arg, out _, out _);
        OptionParsers.TryParseCount("-c", arg, "a count", out _, out _);
        OptionParsers.TryParsePort("-p", arg, out _, out _);
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
        if (parsed.Errors.Count > 0)
        {
            Expect(Cli.Cli.DescribeParseError(parsed).Length > 0, "a parse error without a message");
            return;
        }

        // Cli.RunAsync invokes the parse result's action: --help and --version (which System.CommandLine
        // lets through with other options, even repeated ones) never reach TryGetOptions, nor does check.
        if (!ReferenceEquals(parsed.Action, Command.Root.Action))
        {
            return;
        }

        if (!Command.TryGetOptions(parsed, out var options, out var error))
        {
            Expect(error.Length > 0, "TryGetOptions failed without a message");
            return;
        }

        // Cli.RunAsync validates the same way before it runs anything: the documented FormatException
        // (a server the CLI passed but the library refuses) and ArgumentException are results,
        // anything else escapes.
        PortMapperOptions mapperOptions;
        try
        {
            mapperOptions = Cli.Cli.ToMapperOptions(options);
        }
        catch (FormatException)
        {
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
        }
    }

    private static void ParseCheckCommandLine(string[] args)
    {
        var parsed = CheckCommand.Parse(args, NatMapCommand.ParserConfiguration);
        if (parsed.Errors.Count == 0)
        {
            Check.TryGet(parsed, out _, out _, out _, out _);
        }
    }

    private static System.CommandLine.Command CreateCheckCommand()
    {
        var command = new System.CommandLine.Command("check");
        Check.AddTo(command);
        return command;
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
