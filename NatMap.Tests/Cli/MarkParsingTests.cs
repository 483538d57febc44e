using System.Globalization;
using CsCheck;
using NatMap.Cli;

namespace NatMap.Tests.Cli;

/// <summary>
/// <c>-f</c> reads marks in one loop over the three bases strtoul base 0 knows; it must agree with the
/// parser it replaced (<see cref="uint.TryParse(string, NumberStyles, IFormatProvider, out uint)"/> for
/// hex and decimal, a hand-written octal loop) on every input.
/// </summary>
public sealed class MarkParsingTests
{
    [Theory]
    [InlineData("")]
    [InlineData("0x")]
    [InlineData("0X")]
    [InlineData("00")]
    [InlineData("08")]
    [InlineData("0x-1")]
    [InlineData("0x+1")]
    [InlineData("+1")]
    [InlineData("-1")]
    [InlineData(" 1")]
    [InlineData("1 ")]
    [InlineData("4294967295")]
    [InlineData("4294967296")]
    [InlineData("0xFFFFFFFF")]
    [InlineData("0x100000000")]
    [InlineData("0x0000000000000001")]
    [InlineData("040000000000")]
    [InlineData("0000000000000017")]
    [InlineData("99999999999999999999999")]
    [InlineData("0xfffffffffffffffffffff")]
    [InlineData("0g")]
    [InlineData("1a")]
    [InlineData("\u0661")]
    public void Mark_EdgeCases_AgreesWithTheFormerParser(string text) => AssertAgrees(text);

    [Fact]
    public void Mark_RandomText_AgreesWithTheFormerParser() =>
        Gen.OneOf(Gen.Char["0123456789abcdefABCDEFxX+- "].Array[0, 24].Select(chars => new string(chars)), Gen.String).Sample(AssertAgrees, iter: 20_000);

    private static void AssertAgrees(string text)
    {
        bool expectedOk = FormerTryParseMark(text, out uint expected);
        bool ok = OptionParsers.Mark(text, out uint mark, out string? error);
        Assert.Equal(expectedOk, ok);
        Assert.Equal(expected, mark);
        Assert.Equal(ok, error is null);
    }

    private static bool FormerTryParseMark(string text, out uint mark)
    {
        var span = text.AsSpan();
        mark = 0;
        return span.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? span.Length > 2 && uint.TryParse(span[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out mark)
            : span.Length > 1 && span[0] == '0'
                ? FormerTryParseOctal(span[1..], out mark)
                : uint.TryParse(span, NumberStyles.None, CultureInfo.InvariantCulture, out mark);
    }

    private static bool FormerTryParseOctal(ReadOnlySpan<char> digits, out uint value)
    {
        ulong acc = 0;
        foreach (char c in digits)
        {
            acc = (acc * 8) + (uint)(c - '0');
            if (c is < '0' or > '7' || acc > uint.MaxValue)
            {
                value = 0;
                return false;
            }
        }

        value = (uint)acc;
        return !digits.IsEmpty;
    }
}
