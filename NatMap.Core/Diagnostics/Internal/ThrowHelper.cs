using System.Diagnostics.CodeAnalysis;

namespace NatMap.Diagnostics.Internal;

/// <summary>The single place where NatMap.Core creates and throws its exceptions.</summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void Throw(NatMapErrorKind kind, string message, Exception? inner = null) =>
        throw Create(kind, message, inner);

    [DoesNotReturn]
    public static T Throw<T>(NatMapErrorKind kind, string message, Exception? inner = null) =>
        throw Create(kind, message, inner);

    [DoesNotReturn]
    public static void ThrowInvalidOptions(string message) =>
        throw Create(NatMapErrorKind.InvalidOptions, message);

    public static NatMapException Create(NatMapErrorKind kind, string message, Exception? inner = null) =>
        new(kind, message, inner);
}
