using System.Diagnostics.CodeAnalysis;

namespace NatMap.CommandLine;

/// <summary>
/// Reads one option's value from its text; on failure <paramref name="error"/> says why, and
/// <see cref="ParseResult.Read{T}"/> puts the option's name before it.
/// </summary>
public delegate bool ValueParser<T>(string text, out T value, [NotNullWhen(false)] out string? error);
