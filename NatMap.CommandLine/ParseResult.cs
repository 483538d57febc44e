namespace NatMap.CommandLine;

/// <summary>What <see cref="Parser"/> made of a command line: the command, the options' raw values, and the first error.</summary>
public sealed class ParseResult
{
    private readonly Dictionary<Option, List<string?>> _values = [];
    private readonly Dictionary<Option, int> _occurrences = [];

    public ParseResult(Command command) => Command = command;

    /// <summary>The command the line runs: the root, or the subcommand named first.</summary>
    public Command Command { get; internal set; }

    /// <summary>The first problem, as the usage line says it (<c>-k: given more than once</c>), or null.</summary>
    public string? Error { get; internal set; }

    /// <summary><c>--help</c> was given: the help is shown, whatever else the line holds.</summary>
    public bool HelpRequested { get; internal set; }

    /// <summary><c>--version</c> was given, alone.</summary>
    public bool VersionRequested { get; internal set; }

    /// <summary>Whether the line runs <see cref="Command"/>'s action (no error, no help, no version).</summary>
    public bool RunsAction => Error is null && !HelpRequested && !VersionRequested;

    public bool WasGiven(Option option) => _values.ContainsKey(option);

    /// <summary>How many times the option was given.</summary>
    public int Occurrences(Option option) => _occurrences.GetValueOrDefault(option);

    /// <summary>The option's value: see <see cref="Option{T}"/> for what each type reads as.</summary>
    public T? GetValue<T>(Option<T> option)
    {
        if (!_values.TryGetValue(option, out var values))
        {
            return default;
        }

        object? value = typeof(T) == typeof(bool) ? true
            : typeof(T) == typeof(string) ? values[^1]
            : values.Where(v => v is not null).Cast<string>().ToArray();
        return (T?)value;
    }

    /// <summary>
    /// Reads <paramref name="option"/>'s value with <paramref name="parse"/>, if the option was given, and hands
    /// it to <paramref name="set"/>; returns the parser's refusal as <c>-x: reason</c>, or null.
    /// </summary>
    public string? Read<T>(Option<string> option, ValueParser<T> parse, Action<T> set)
    {
        string? error = null;
        if (GetValue(option) is { } text && parse(text, out var value, out error))
        {
            set(value);
        }

        return error is null ? null : option.Name + ": " + error;
    }

    internal void Add(Option option, IEnumerable<string?> values)
    {
        _occurrences[option] = Occurrences(option) + 1;
        foreach (var value in values)
        {
            Add(option, value);
        }
    }

    private void Add(Option option, string? value)
    {
        if (!_values.TryGetValue(option, out var values))
        {
            _values[option] = values = [];
        }

        values.Add(value);
    }

}
