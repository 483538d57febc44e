namespace NatMap.CommandLine;

/// <summary>How many values an <see cref="Option"/> takes, and how often it may be given.</summary>
public enum OptionArity
{
    /// <summary>A flag: no value; giving it twice means the same as once.</summary>
    Zero,

    /// <summary>One value (<c>-k 30</c>, <c>-k30</c>, <c>--timeout=3</c>), at most once.</summary>
    ExactlyOne,

    /// <summary>One value per occurrence, repeatable (<c>-s a -s b</c>).</summary>
    OneOrMore,

    /// <summary>A flag that may carry a value after <c>=</c> (<c>--upnp</c>, <c>--upnp=pcp</c>), at most once.</summary>
    ZeroOrOne,
}
