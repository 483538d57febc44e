using NatMap.Mapping;

namespace NatMap.Tests.Mapping;

public sealed class PortSpecTests
{
    [Theory]
    [InlineData("0", PortSpecKind.Any, 0, 0)]
    [InlineData("5555", PortSpecKind.Fixed, 5555, 5555)]
    [InlineData("65535", PortSpecKind.Fixed, 65535, 65535)]
    [InlineData("5555-5560", PortSpecKind.Sequential, 5555, 5560)]
    [InlineData("5555~5560", PortSpecKind.Random, 5555, 5560)]
    [InlineData("7-7", PortSpecKind.Sequential, 7, 7)]
    public void Parse_ValidText_GivesKindAndBounds(string text, PortSpecKind kind, int first, int last)
    {
        var spec = PortSpec.Parse(text);
        Assert.Equal(kind, spec.Kind);
        Assert.Equal(first, spec.First);
        Assert.Equal(last, spec.Last);
        Assert.Equal(spec, PortSpec.Parse(spec.ToString()));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("65536", "out of range")]
    [InlineData("5560-5555", "reversed")]
    [InlineData("5555~5550", "reversed")]
    [InlineData("0-10", "out of range")]
    [InlineData("abc", "not a port number")]
    [InlineData("-5", "not a port number")]
    [InlineData("1-2-3", "not a port number")]
    [InlineData("+80", "not a port number")]
    public void TryParse_InvalidText_ReturnsFalseWithReason(string text, string reason)
    {
        Assert.False(PortSpec.TryParse(text, out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
        var ex = Assert.Throws<FormatException>(() => PortSpec.Parse(text));
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Range_Reversed_Throws()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => PortSpec.Range(10, 5, random: false));
        Assert.Equal("last", ex.ParamName);
        Assert.Equal(PortSpec.Any, PortSpec.Fixed(0));
    }
}
