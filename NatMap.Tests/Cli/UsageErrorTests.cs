using NatMap.CommandLine;

namespace NatMap.Tests.Cli;

/// <summary>
/// How NatMap.CommandLine words a usage error and names the option behind a validation error
/// (<see cref="Option.Binds"/>), on a command of its own.
/// </summary>
public sealed class UsageErrorTests
{
    private readonly Command _root = new("tool")
    {
        new Option<bool>("-4") { Binds = ["Family"] },
        new Option<bool>("-6") { Binds = ["Family"] },
        new Option<string>("-i") { Binds = ["Address", "Interface"] },
        new Option<string>("--plain"),
    };

    [Theory]
    [InlineData("Family", "-4/-6: it is wrong")]
    [InlineData("Address", "-i: it is wrong")]
    [InlineData("Interface", "-i: it is wrong")]
    [InlineData("Unbound", "it is wrong")]
    public void Describe_NamesEveryOptionBoundToTheParameter(string property, string expected)
    {
        Assert.Equal(expected, _root.Describe(new ArgumentException("it is wrong.", property)));
        Assert.Equal(expected, _root.Describe(new ArgumentOutOfRangeException(property, 5, "it is wrong.")));
    }

    [Fact]
    public void Describe_NoParameter_BareReason() =>
        Assert.Equal("it is wrong", _root.Describe(new ArgumentException("it is wrong.")));

    [Fact]
    public void Reason_KeepsTheMessageOnly() =>
        Assert.Equal("'x' is not a name", UsageError.Reason(new ArgumentException("'x' is not a name", "Name")));

    [Fact]
    public void Write_SubcommandNamedWithColons_OneLineAndHint()
    {
        var sub = new Command("check");
        _root.Add(sub);
        var output = new StringWriter();

        UsageError.Write(output, sub, "-k: bad\nvalue\n");

        Assert.Equal("tool: check: -k: bad value\nTry 'tool check --help'.\n", output.ToString().ReplaceLineEndings("\n"));
    }
}
