namespace NatMap.CommandLine;

/// <summary>
/// An option whose value reads as <typeparamref name="T"/>: <see cref="bool"/> for a flag (given or not),
/// <see cref="string"/> for one value (null when not given, or given without its optional value:
/// <see cref="ParseResult.WasGiven"/> tells those apart), <c>string[]</c> for a repeatable one (null
/// when not given). Values stay text here: <see cref="ParseResult.Read{T}"/> reads them with a <see cref="ValueParser{T}"/>.
/// </summary>
public sealed class Option<T> : Option
{
    public Option(string name, params string[] aliases)
        : base(name, aliases, DefaultArity())
    {
    }

    private static OptionArity DefaultArity() =>
        typeof(T) == typeof(bool) ? OptionArity.Zero
        : typeof(T) == typeof(string) ? OptionArity.ExactlyOne
        : typeof(T) == typeof(string[]) ? OptionArity.OneOrMore
        : throw new NotSupportedException("options read as bool, string or string[]");
}
