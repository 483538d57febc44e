namespace NatMap.CommandLine;

/// <summary>
/// Reads a command line the way the original natmap's getopt does, plus long options: short flags
/// bundle (<c>-6ud</c>), a short option's value may be attached (<c>-b5555</c>) or follow (<c>-b 5555</c>),
/// a long option's value follows or comes after <c>=</c> (<c>--timeout=3</c>). A value is taken as
/// given, even when it starts with '-' (<c>-k -5</c> is a bad number, not an unknown option), unless it
/// names an option of the command (<c>-s -u</c> is -s without a value). Nothing is read from files:
/// an argument starting with '@' is a value like any other. A subcommand is recognised as the first
/// argument only. <c>--help</c> anywhere asks for the help, whatever else the line holds.
/// </summary>
internal static class Parser
{
    public const string HelpName = "--help";
    public const string VersionName = "--version";

    public static ParseResult Parse(Command root, IReadOnlyList<string> args)
    {
        var command = root;
        int start = 0;
        if (args.Count > 0 && root.Subcommands.FirstOrDefault(c => c.Name == args[0]) is { } sub)
        {
            (command, start) = (sub, 1);
        }

        var result = new ParseResult(command);
        bool optionsEnded = false;
        for (int i = start; i < args.Count; i++)
        {
            string token = args[i];
            if (optionsEnded || token.Length < 2 || token[0] != '-')
            {
                Fail(result, $"unexpected argument '{token}': {command.FullName} takes options only");
                continue;
            }

            if (token == "--")
            {
                optionsEnded = true;
            }
            else if (token == HelpName)
            {
                result.HelpRequested = true;
            }
            else if (token == VersionName && command.Parent is null)
            {
                result.VersionRequested = true;
            }
            else if (token.StartsWith("--", StringComparison.Ordinal))
            {
                i = ReadLong(command, result, args, i);
            }
            else
            {
                i = ReadShort(command, result, args, i);
            }
        }

        if (result.VersionRequested && args.Count > 1)
        {
            result.VersionRequested = false;
            result.Error = $"{VersionName} takes no other arguments: give it alone";
        }

        return result;
    }

    private static int ReadLong(Command command, ParseResult result, IReadOnlyList<string> args, int i)
    {
        string token = args[i];
        int equals = token.IndexOf('=', StringComparison.Ordinal);
        string name = equals < 0 ? token : token[..equals];
        if (Find(command, name) is not { } option)
        {
            Fail(result, $"unknown option '{name}'");
            return i;
        }

        string? attached = equals < 0 ? null : token[(equals + 1)..];
        if (option.Arity == OptionArity.Zero)
        {
            if (attached is not null)
            {
                Fail(result, $"{name}: takes no value");
            }

            Take(result, option, [null]);
            return i;
        }

        if (option.Arity == OptionArity.ZeroOrOne)
        {
            if (attached is { Length: 0 })
            {
                Fail(result, $"{name}: needs a value after '=': {name}=<{option.HelpName ?? "value"}>");
            }

            Take(result, option, [attached]);
            return i;
        }

        if (attached is { Length: 0 })
        {
            Fail(result, $"{name}: needs a value after '=': {name}=<{option.HelpName ?? "value"}>");
            return i;
        }

        return TakeValue(command, result, option, name, attached, args, i);
    }

    private static int ReadShort(Command command, ParseResult result, IReadOnlyList<string> args, int i)
    {
        string token = args[i];
        if (Find(command, token) is { } exact)
        {
            if (exact.Arity is OptionArity.Zero or OptionArity.ZeroOrOne)
            {
                Take(result, exact, [null]);
                return i;
            }

            return TakeValue(command, result, exact, token, null, args, i);
        }

        // A bundle: flags first, then at most one option that takes the rest, or the next argument, as its value.
        for (int at = 1; at < token.Length; at++)
        {
            string name = "-" + token[at];
            if (Find(command, name) is not { } option || option.Arity == OptionArity.ZeroOrOne)
            {
                Fail(result, $"unknown option '{token}'");
                return i;
            }

            if (option.Arity != OptionArity.Zero)
            {
                string rest = token[(at + 1)..];
                return TakeValue(command, result, option, name, rest.Length > 0 ? rest : null, args, i);
            }

            Take(result, option, [null]);
        }

        return i;
    }

    private static int TakeValue(Command command, ParseResult result, Option option, string name, string? attached, IReadOnlyList<string> args, int i)
    {
        var values = new List<string?>(option.ValuesPerOccurrence);
        if (attached is not null)
        {
            values.Add(attached);
        }

        while (values.Count < option.ValuesPerOccurrence && i + 1 < args.Count && !NamesAnOption(command, args[i + 1]))
        {
            values.Add(args[++i]);
        }

        if (values.Count < option.ValuesPerOccurrence)
        {
            string needs = option.ValuesPerOccurrence == 1 ? "a value" : option.ValuesPerOccurrence + " values";
            Fail(result, $"{name}: needs {needs}: {option.Name} <{option.HelpName ?? "value"}>");
            return i;
        }

        Take(result, option, values);
        return i;
    }

    private static void Take(ParseResult result, Option option, IEnumerable<string?> values)
    {
        if (option.Arity is OptionArity.ExactlyOne or OptionArity.ZeroOrOne && result.Occurrences(option) > 0)
        {
            Fail(result, $"{option.Name}: given more than once");
        }

        result.Add(option, values);
    }

    private static bool NamesAnOption(Command command, string token)
    {
        int equals = token.IndexOf('=', StringComparison.Ordinal);
        string name = token.StartsWith("--", StringComparison.Ordinal) && equals > 0 ? token[..equals] : token;
        return name is HelpName or VersionName || Find(command, name) is not null;
    }

    private static Option? Find(Command command, string name) => command.Options.FirstOrDefault(o => o.Matches(name));

    private static void Fail(ParseResult result, string message) => result.Error ??= message;
}
