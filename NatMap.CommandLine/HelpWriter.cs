using System.Reflection;

namespace NatMap.CommandLine;

/// <summary>Writes a command's <c>--help</c> and the program's <c>--version</c>.</summary>
public static class HelpWriter
{
    private const int Indent = 2;

    public static void WriteHelp(TextWriter output, Command command)
    {
        if (command.Description is { } description)
        {
            output.WriteLine("Description:");
            foreach (var line in description.Split('\n'))
            {
                output.WriteLine(new string(' ', Indent) + line);
            }

            output.WriteLine();
        }

        output.WriteLine("Usage:");
        output.WriteLine(new string(' ', Indent) + command.FullName + (command.Subcommands.Count > 0 ? " [command]" : "") + " [options]");
        output.WriteLine();
        output.WriteLine("Options:");
        var rows = new List<(string Names, string Text)> { (Parser.HelpName, "Show this help and exit.") };
        if (command.Parent is null)
        {
            rows.Add((Parser.VersionName, "Show the version and exit."));
        }

        foreach (var option in command.Options.Where(o => !o.Hidden))
        {
            string names = string.Join(", ", option.NamesShortestFirst());
            string value = option.Arity switch
            {
                OptionArity.Zero => "",
                OptionArity.ZeroOrOne => $"[=<{option.HelpName ?? "value"}>]",
                _ => $" <{option.HelpName ?? "value"}>",
            };
            rows.Add((names + value, option.Description ?? ""));
        }

        WriteRows(output, rows);
        if (command.Subcommands.Count > 0)
        {
            output.WriteLine();
            output.WriteLine("Commands:");
            WriteRows(output, command.Subcommands.Select(c => (c.Name, FirstSentence(c.Description ?? ""))).ToList());
        }

        output.WriteLine();
        output.Flush();
    }

    /// <summary>The informational version of the program (<c>1.0.0+commit</c>).</summary>
    public static string Version()
    {
        var assembly = Assembly.GetEntryAssembly() ?? typeof(HelpWriter).Assembly;
        return assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? assembly.GetName().Version?.ToString()
            ?? "unknown";
    }

    /// <summary>Two columns, the text wrapped at 100 characters beside the names.</summary>
    private static void WriteRows(TextWriter output, List<(string Names, string Text)> rows)
    {
        int width = rows.Max(r => r.Names.Length) + Indent;
        foreach (var (names, text) in rows)
        {
            var lines = Wrap(text, Math.Max(40, 100 - Indent - width));
            output.WriteLine(new string(' ', Indent) + names.PadRight(width) + lines[0]);
            foreach (var more in lines.Skip(1))
            {
                output.WriteLine(new string(' ', Indent + width) + more);
            }
        }
    }

    private static string FirstSentence(string text)
    {
        text = text.ReplaceLineEndings(" ");
        int end = text.IndexOf(". ", StringComparison.Ordinal);
        return end < 0 ? text : text[..(end + 1)];
    }

    private static List<string> Wrap(string text, int width)
    {
        var lines = new List<string>();
        var line = "";
        foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.Length > 0 && line.Length + 1 + word.Length > width)
            {
                lines.Add(line);
                line = word;
            }
            else
            {
                line = line.Length == 0 ? word : line + " " + word;
            }
        }

        lines.Add(line);
        return lines;
    }
}
