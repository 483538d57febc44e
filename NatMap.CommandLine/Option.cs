namespace NatMap.CommandLine;

/// <summary>
/// One command-line option: its names, what it takes, and its line in the help. The values come back
/// from <see cref="ParseResult.GetValue{T}(Option{T})"/>.
/// </summary>
public abstract class Option
{
    private protected Option(string name, string[] aliases, OptionArity arity)
    {
        Name = name;
        Aliases = aliases;
        Arity = arity;
    }

    /// <summary>The name errors use (<c>-k</c>, <c>--verbose</c>).</summary>
    public string Name { get; }

    /// <summary>Other names that mean the same (<c>-v</c> for <c>--verbose</c>).</summary>
    public IReadOnlyList<string> Aliases { get; }

    public OptionArity Arity { get; init; }

    /// <summary>
    /// How many arguments one occurrence takes (<c>--nsupdate &lt;server&gt; &lt;zone&gt; &lt;name&gt;</c>: 3), for
    /// <see cref="OptionArity.ExactlyOne"/> and <see cref="OptionArity.OneOrMore"/>; the values of every
    /// occurrence read back as one array, in order. Default 1.
    /// </summary>
    public int ValuesPerOccurrence { get; init; } = 1;

    public string? Description { get; init; }

    /// <summary>What the help shows for the value: <c>-k &lt;seconds&gt;</c>.</summary>
    public string? HelpName { get; init; }

    /// <summary>Accepted, but not listed in the help.</summary>
    public bool Hidden { get; init; }

    /// <summary>
    /// The properties (or parameters) this option's value is bound to, so that a validation error naming one
    /// (<see cref="ArgumentException.ParamName"/>) is reported as this option's: see <see cref="Command.Describe"/>.
    /// </summary>
    public IReadOnlyList<string> Binds { get; init; } = [];

    /// <summary>Whether <paramref name="token"/> names this option exactly.</summary>
    public bool Matches(string token) => token == Name || Aliases.Contains(token);

    /// <summary>The option's names, the shortest first: <c>-v, --verbose</c>.</summary>
    public IEnumerable<string> NamesShortestFirst() => Aliases.Append(Name).OrderBy(n => n.Length).ThenBy(n => n, StringComparer.Ordinal);
}
