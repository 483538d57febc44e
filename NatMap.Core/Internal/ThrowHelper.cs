using System.Diagnostics.CodeAnalysis;

namespace NatMap.Internal;

/// <summary>The single place where NatMap.Core creates and throws its exceptions.</summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void Throw(NatMapErrorKind kind, string message, Exception? inner = null) =>
        throw Create(kind, message, inner);

    [DoesNotReturn]
    public static T Throw<T>(NatMapErrorKind kind, string message, Exception? inner = null) =>
        throw Create(kind, message, inner);

    /// <summary>A programmer's mistake in an options object: <paramref name="option"/> names the member.</summary>
    [DoesNotReturn]
    public static void ThrowInvalidOption(string option, string reason) =>
        throw new ArgumentException(reason, option);

    /// <summary>Like <see cref="ThrowInvalidOption"/>, for a number, duration or enum value out of its range.</summary>
    [DoesNotReturn]
    public static void ThrowOptionOutOfRange(string option, string reason) =>
        throw new ArgumentOutOfRangeException(option, reason);

    public static NatMapException Create(NatMapErrorKind kind, string message, Exception? inner = null) =>
        new(kind, message, inner);
}
