using NatMap.CommandLine;

namespace NatMap.Tests.Cli;

/// <summary>The generic value grammars of <see cref="ValueParsers"/> and <see cref="ParseResult.Read{T}"/>, on options of their own.</summary>
public sealed class ValueParsersTests
{
    [Theory]
    [InlineData("0", 0)]
    [InlineData("30", 30)]
    [InlineData("2147483647", 2147483647)]
    public void TryParseWholeSeconds_PlainDecimal_Reads(string text, int seconds)
    {
        Assert.True(ValueParsers.TryParseWholeSeconds(text, out var value, out var error), error);
        Assert.Equal(TimeSpan.FromSeconds(seconds), value);
    }

    [Theory]
    [InlineData("0.5", "'0.5' is not a number of seconds")]
    [InlineData("-1", "'-1' is not a number of seconds")]
    [InlineData("+1", "'+1' is not a number of seconds")]
    [InlineData(" 1", "' 1' is not a number of seconds")]
    [InlineData("1e3", "'1e3' is not a number of seconds")]
    [InlineData("", "'' is not a number of seconds")]
    [InlineData("2147483648", "2147483648 is too large")]
    public void TryParseWholeSeconds_Other_RefusedWithReason(string text, string expected)
    {
        Assert.False(ValueParsers.TryParseWholeSeconds(text, out _, out var error));
        Assert.Equal(expected, error);
    }

    [Fact]
    public void TryParseSeconds_Fraction_Reads()
    {
        Assert.True(ValueParsers.TryParseSeconds("0.5", out var value, out _));
        Assert.Equal(TimeSpan.FromMilliseconds(500), value);
        Assert.False(ValueParsers.TryParseSeconds("-0.5", out _, out _));
    }

    [Fact]
    public void TryParseCount_WholeNumberOnly()
    {
        Assert.True(ValueParsers.TryParseCount("10", out int count, out _));
        Assert.Equal(10, count);
        Assert.False(ValueParsers.TryParseCount("1.5", out _, out var error));
        Assert.Equal("'1.5' is not a count", error);
    }

    [Fact]
    public void CUnsigned_NamesWhatItReads()
    {
        var parse = ValueParsers.CUnsigned("a mask");
        Assert.True(parse("0x1f", out uint value, out _));
        Assert.Equal(31u, value);
        Assert.False(parse("08", out _, out var error));
        Assert.Equal("'08' is not a mask (hex 0x1, decimal 1 or octal 01, at most 32 bits)", error);
    }

    [Theory]
    [InlineData("red", true, 1)]
    [InlineData("crimson", true, 1)]
    [InlineData("blue", true, 2)]
    [InlineData("Red", false, 1)]
    [InlineData("1", false, 1)]
    public void OneOf_WordAsWritten(string text, bool ok, int expected)
    {
        var parse = ValueParsers.OneOf("is not a colour", ("red", 1), ("crimson", 1), ("blue", 2));
        Assert.Equal(ok, parse(text, out int value, out var error));
        Assert.Equal(expected, value);
        Assert.Equal(ok ? null : $"'{text}' is not a colour", error);
    }

    [Theory]
    [InlineData("", null, null)]
    [InlineData("-k 30", 30, null)]
    [InlineData("-k x", null, "-k: 'x' is not a number of seconds")]
    public void Read_GivenValue_ParsedAndSetOrNamedInTheError(string line, int? expected, string? expectedError)
    {
        var option = new Option<string>("-k");
        var result = new Command("test") { option }.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        int? set = null;

        string? error = result.Read<TimeSpan>(option, ValueParsers.TryParseWholeSeconds, value => set = (int)value.TotalSeconds);

        Assert.Equal(expectedError, error);
        Assert.Equal(expected, set);
    }
}
