namespace NatMap.Mapping;

/// <summary>How a <see cref="PortSpec"/> chooses the local port.</summary>
public enum PortSpecKind
{
    /// <summary><c>0</c>: the operating system picks a port.</summary>
    Any = 0,

    /// <summary><c>p</c>: exactly this port.</summary>
    Fixed = 1,

    /// <summary><c>a-b</c>: from a to b in order, moving on when binding fails or the mapping is set up again.</summary>
    Sequential = 2,

    /// <summary><c>a~b</c>: a random port within the range.</summary>
    Random = 3,
}
