namespace NatMap;

/// <summary>The one exception type that NatMap.Core throws for its own failures.</summary>
/// <remarks>Instances are created by the library only; <see cref="Kind"/> says what failed.</remarks>
public sealed class NatMapException : IOException
{
    internal NatMapException(NatMapErrorKind kind, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
    }

    /// <summary>What went wrong.</summary>
    public NatMapErrorKind Kind { get; }
}
