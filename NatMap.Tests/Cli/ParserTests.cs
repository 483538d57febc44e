using NatMap.CommandLine;

namespace NatMap.Tests.Cli;

/// <summary>The command-line grammar itself, on a command of its own (the natmap options are in CliUsageTests and CliParsingTests).</summary>
public sealed class ParserTests
{
    private readonly Option<bool> _flag = new("-u");
    private readonly Option<bool> _long = new("--json");
    private readonly Option<string> _value = new("-k") { HelpName = "seconds" };
    private readonly Option<string> _longValue = new("--timeout") { HelpName = "seconds" };
    private readonly Option<string[]> _repeated = new("-s");
    private readonly Option<string> _optional = new("--upnp") { Arity = OptionArity.ZeroOrOne, HelpName = "protocol" };
    private readonly Command _root;

    public ParserTests() => _root = new Command("natmap", "test") { _flag, _long, _value, _longValue, _repeated, _optional };

    [Theory]
    [InlineData("--timeout=3", "3")]
    [InlineData("--timeout 3", "3")]
    [InlineData("--timeout=-1", "-1")]
    public void LongValue_AfterEqualsOrNextArgument(string line, string expected) =>
        Assert.Equal(expected, Parse(line).GetValue(_longValue));

    [Fact]
    public void Flags_RepeatedMeanTheSameAsOnce()
    {
        var result = Parse("-u -u --json --json");
        Assert.Null(result.Error);
        Assert.True(result.GetValue(_flag));
        Assert.True(result.GetValue(_long));
    }

    [Fact]
    public void Repeatable_KeepsEveryValueInOrder() =>
        Assert.Equal(["a", "b", "c"], Parse("-s a -sb -s c").GetValue(_repeated)!);

    [Fact]
    public void NotGiven_ReadsAsDefault()
    {
        var result = Parse("-u");
        Assert.Null(result.GetValue(_value));
        Assert.Null(result.GetValue(_repeated));
        Assert.False(result.GetValue(_long));
        Assert.False(result.WasGiven(_optional));
    }

    [Theory]
    [InlineData("--upnp", null)]
    [InlineData("--upnp=pcp", "pcp")]
    public void OptionalValue_OnlyAfterEquals(string line, string? expected)
    {
        var result = Parse(line + " -u");
        Assert.Null(result.Error);
        Assert.True(result.WasGiven(_optional));
        Assert.Equal(expected, result.GetValue(_optional));
        Assert.True(result.GetValue(_flag));
    }

    [Theory]
    [InlineData("--upnp=", "--upnp: needs a value after '=': --upnp=<protocol>")]
    [InlineData("--timeout= 3", "--timeout: needs a value after '=': --timeout=<seconds>")]
    [InlineData("--json=1", "--json: takes no value")]
    [InlineData("-k", "-k: needs a value: -k <seconds>")]
    [InlineData("-k -u", "-k: needs a value: -k <seconds>")]
    [InlineData("-k 1 -k1", "-k: given more than once")]
    [InlineData("-uz", "unknown option '-uz'")]
    [InlineData("--nope=1", "unknown option '--nope'")]
    [InlineData("-- -u", "unexpected argument '-u': natmap takes options only")]
    [InlineData("-", "unexpected argument '-': natmap takes options only")]
    [InlineData("@file", "unexpected argument '@file': natmap takes options only")]
    [InlineData("--version -u", "--version takes no other arguments: give it alone")]
    public void Errors_SayWhatIsWrong(string line, string expected) => Assert.Equal(expected, Parse(line).Error);

    [Fact]
    public void Help_WinsOverErrors()
    {
        var result = Parse("-k 1 -k 2 --bogus --help");
        Assert.True(result.HelpRequested);
        Assert.False(result.RunsAction);
    }

    [Fact]
    public void Version_Alone()
    {
        var result = Parse("--version");
        Assert.Null(result.Error);
        Assert.True(result.VersionRequested);
        Assert.False(result.RunsAction);
    }

    [Fact]
    public void Help_ListsVisibleOptionsWithTheirValues()
    {
        var hidden = new Option<bool>("-t") { Hidden = true };
        _root.Add(hidden);
        var output = new StringWriter();
        HelpWriter.WriteHelp(output, _root);
        string help = output.ToString();
        Assert.Contains("-k <seconds>", help, StringComparison.Ordinal);
        Assert.Contains("--upnp[=<protocol>]", help, StringComparison.Ordinal);
        Assert.Contains("Usage:\n  natmap [options]", help.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.DoesNotContain("\n  -t ", help.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.True(Parse("-t").GetValue(hidden));
    }

    [Theory]
    [InlineData("--help", 0, "Description:\n  test\n\nUsage:", "")]
    [InlineData("-k", 2, "", "natmap: -k: needs a value: -k <seconds>\nTry 'natmap --help'.\n")]
    [InlineData("-k 5", 7, "ran with 5\n", "")]
    public async Task InvokeAsync_DoesWhatTheLineAsks(string line, int exitCode, string output, string error)
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        _root.SetAction((result, _) =>
        {
            stdout.WriteLine("ran with " + result.GetValue(_value));
            return Task.FromResult(7);
        });

        int code = await _root.InvokeAsync(line.Split(' '), stdout, stderr, TestContext.Current.CancellationToken);

        Assert.Equal(exitCode, code);
        Assert.StartsWith(output, stdout.ToString().ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Equal(error, stderr.ToString().ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task InvokeAsync_Version_OneLineNoAction()
    {
        var stdout = new StringWriter();

        int code = await _root.InvokeAsync(["--version"], stdout, TextWriter.Null, TestContext.Current.CancellationToken);

        Assert.Equal(0, code);
        Assert.Equal(HelpWriter.Version() + "\n", stdout.ToString().ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task InvokeAsync_NoAction_Throws() =>
        await Assert.ThrowsAsync<InvalidOperationException>(() => _root.InvokeAsync(["-u"], TextWriter.Null, TextWriter.Null, TestContext.Current.CancellationToken));

    private ParseResult Parse(string line) => _root.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries));
}
