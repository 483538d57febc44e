using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace NatMap.CommandLine;

/// <summary>
/// Value grammars a getopt-style program shares: plain numbers, C-style unsigned numbers, a word from a
/// fixed set. Each refuses what it cannot read with a reason; what the value means is the program's to check.
/// </summary>
public static class ValueParsers
{
    /// <summary>Whole seconds (<c>30</c>): no sign, fraction, exponent or spaces, at most <see cref="int.MaxValue"/>.</summary>
    public static bool TryParseWholeSeconds(string text, out TimeSpan value, [NotNullWhen(false)] out string? error) =>
        TryParseNumber(text, NumberStyles.None, "a number of seconds", TimeSpan.FromSeconds, out value, out error);

    /// <summary>Seconds that may have a fraction (<c>0.5</c>), otherwise as <see cref="TryParseWholeSeconds"/>.</summary>
    public static bool TryParseSeconds(string text, out TimeSpan value, [NotNullWhen(false)] out string? error) =>
        TryParseNumber(text, NumberStyles.AllowDecimalPoint, "a number of seconds", TimeSpan.FromSeconds, out value, out error);

    /// <summary>A whole number from 0 to <see cref="int.MaxValue"/>.</summary>
    public static bool TryParseCount(string text, out int value, [NotNullWhen(false)] out string? error) =>
        TryParseNumber(text, NumberStyles.None, "a count", number => (int)number, out value, out error);

    /// <summary>
    /// A 32-bit unsigned number as C's strtoul reads it with base 0: <c>0x1f</c> hex, <c>017</c> octal,
    /// <c>31</c> decimal; no sign or spaces. <paramref name="what"/> names it in the refusal (<c>a mark</c>).
    /// </summary>
    public static ValueParser<uint> CUnsigned(string what) => (string text, out uint value, [NotNullWhen(false)] out string? error) =>
    {
        var (digits, radix) = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? (text[2..], 16u)
            : text.Length > 1 && text[0] == '0' ? (text[1..], 8u)
            : (text, 10u);
        ulong number = 0;
        bool ok = digits.Length > 0;
        foreach (char c in digits)
        {
            uint digit = char.IsAsciiDigit(c) ? (uint)(c - '0') : char.IsAsciiHexDigit(c) ? (uint)((c | 0x20) - 'a' + 10) : radix;
            number = (number * radix) + digit;
            ok &= digit < radix && number <= uint.MaxValue;
        }

        value = ok ? (uint)number : 0;
        error = ok ? null : $"'{text}' is not {what} (hex 0x1, decimal 1 or octal 01, at most 32 bits)";
        return ok;
    };

    /// <summary>One of <paramref name="words"/>, as written (no case folding, no numbers); else <c>'text' refusal</c>.</summary>
    public static ValueParser<T> OneOf<T>(string refusal, params (string Word, T Value)[] words) => (string text, out T value, [NotNullWhen(false)] out string? error) =>
    {
        int index = Array.FindIndex(words, w => w.Word == text);
        (value, error) = index >= 0 ? (words[index].Value, null) : (words[0].Value, $"'{text}' {refusal}");
        return error is null;
    };

    private static bool TryParseNumber<T>(string text, NumberStyles style, string what, Func<double, T> convert, out T value, [NotNullWhen(false)] out string? error)
    {
        bool ok = double.TryParse(text, style, CultureInfo.InvariantCulture, out double number) && number <= int.MaxValue;
        error = ok ? null : number > int.MaxValue ? $"{text} is too large" : $"'{text}' is not {what}";
        value = convert(ok ? number : 0);
        return ok;
    }
}
