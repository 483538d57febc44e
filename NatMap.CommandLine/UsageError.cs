namespace NatMap.CommandLine;

/// <summary>
/// How a usage error reads: one line, <c>natmap: -k: reason</c> (<c>natmap: check: -k: reason</c> for a
/// subcommand), then <c>Try 'natmap --help'.</c>
/// </summary>
public static class UsageError
{
    /// <summary>The exit code of a bad command line, as getopt programs use it.</summary>
    public const int ExitCode = 2;

    /// <summary>Writes <paramref name="message"/> as one line under <paramref name="command"/>'s name, then the hint; returns <see cref="ExitCode"/>.</summary>
    public static int Write(TextWriter output, Command command, string message)
    {
        string name = command.FullName;
        output.WriteLine(name.Replace(" ", ": ", StringComparison.Ordinal) + ": " + OneLine(message));
        output.WriteLine($"Try '{name} {Parser.HelpName}'.");
        output.Flush();
        return ExitCode;
    }

    /// <summary>Error lines stay one line even when a message carries line breaks.</summary>
    public static string OneLine(string message) => message.ReplaceLineEndings(" ").TrimEnd();

    /// <summary>An <see cref="ArgumentException"/>'s own words, without the parameter name the runtime appends or a final period.</summary>
    public static string Reason(ArgumentException exception)
    {
        // Message appends the parameter's name (and an out-of-range value) in the runtime's own words,
        // " (Parameter 'x')", or " Arg_ParamName_Name, x" where resource strings are trimmed away:
        // cut at that suffix, whichever it is.
        string message = exception.Message;
        string suffix = exception.ParamName is { } param ? new ArgumentException(string.Empty, param).Message.Trim() : " (Parameter '";
        int cut = suffix.Length > 0 ? message.IndexOf(suffix, StringComparison.Ordinal) : -1;
        return (cut >= 0 ? message[..cut] : message).TrimEnd().TrimEnd('.');
    }
}
