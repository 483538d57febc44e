namespace NatMap.Cli.Parsing;

/// <summary>
/// One command-line option: its names, what it takes, and its line in the help. The values come back
/// from <see cref="ParseResult.GetValue{T}(Option{T})"/>.
/// </summary>
internal abstract class Option
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
    /// How many values one use takes, each its own argument (<c>--nsupdate server zone name</c> takes 3);
    /// 1 for all others. The first may be attached (<c>--opt=value</c>).
    /// </summary>
    public int ValuesPerUse { get; init; } = 1;

    public string? Description { get; init; }

    /// <summary>What the help shows for the value: <c>-k &lt;seconds&gt;</c>.</summary>
    public string? HelpName { get; init; }

    /// <summary>Accepted, but not listed in the help.</summary>
    public bool Hidden { get; init; }

    /// <summary>Whether <paramref name="token"/> names this option exactly.</summary>
    public bool Matches(string token) => token == Name || Aliases.Contains(token);

    /// <summary>The option's names, the shortest first: <c>-v, --verbose</c>.</summary>
    public IEnumerable<string> NamesShortestFirst() => Aliases.Append(Name).OrderBy(n => n.Length).ThenBy(n => n, StringComparer.Ordinal);
}
