namespace NatMap.Tests.Cli;

public sealed class CliUsageTests
{
    [Theory]
    [InlineData("", "-s: a STUN server is required")]
    [InlineData("-u -s", "-s: needs a value: -s <addr[:port]>")]
    [InlineData("-s 203.0.113.2", "-h: no HTTP server given: TCP mode keeps the mapping alive through one")]
    [InlineData("-s 203.0.113.2 -h", "-h: needs a value")]
    [InlineData("-u -s a -t 192.0.2.9", "-t needs -p")]
    [InlineData("-u -s a -p 80", "-p needs -t")]
    [InlineData("-u -s a -b 65536", "-b: port 65536 is out of range: expected 0 to 65535")]
    [InlineData("-u -s a -b 5000-65536", "port 65536 is out of range")]
    [InlineData("-u -s a -t x -p 65536", "-p: port 65536 is out of range: expected 0 to 65535")]
    [InlineData("-u -s a:70000", "-s: 'a:70000' is not a STUN server (the port after ':' is not a number from 1 to 65535)")]
    [InlineData("-s a -h b:0", "-h: HTTP server 'b:0' is invalid")]
    [InlineData("-u -s a -b 6000-5000", "reversed")]
    [InlineData("-u -s a -b 6000~5000", "reversed")]
    [InlineData("-u -s a -b x", "-b: 'x' is not a port number")]
    [InlineData("-u -s a -k abc", "-k: 'abc' is not a number of seconds")]
    [InlineData("-u -s a -k 1.5", "-k: '1.5' is not a number of seconds")]
    [InlineData("-u -s a -k -5", "-k: '-5' is not a number of seconds")]
    [InlineData("-u -s a -k 99999999999", "-k: 99999999999 is too large")]
    [InlineData("-u -s a -c x", "-c: 'x' is not a count")]
    [InlineData("-u -s a -c 0", "-c: UDP check cycle 0 is invalid: it must be at least 1")]
    [InlineData("-u -s a -e /nonexistent/on-map", "-e: script '/nonexistent/on-map' not found")]
    [InlineData("-u -s a -e no-such-natmap-hook", "-e: script 'no-such-natmap-hook' not found")]
    [InlineData("-u -s a -e /", "-e: script '/' not found")]
    [InlineData("-u -s a -T soon", "-T: 'soon' is not a number of seconds")]
    [InlineData("-u -s a -w x", "-w: 'x' is not a number of seconds")]
    [InlineData("-u -s a -x", "unknown option '-x'")]
    [InlineData("-u -s a --bogus", "unknown option '--bogus'")]
    [InlineData("-u -s a -?", "unknown option '-?'")]
    [InlineData("-u -s a extra", "unexpected argument 'extra'")]
    [InlineData("-4 -6 -u -s a", "-4 and -6 exclude each other")]
    [InlineData("-u -s a -f 0xZZ", "-f: '0xZZ' is not a mark")]
    [InlineData("-u -s a -f 08", "-f: '08' is not a mark")]
    [InlineData("-u -s a -f 0x100000000", "-f: '0x100000000' is not a mark")]
    [InlineData("-u -s a -f -1", "-f: '-1' is not a mark")]
    [InlineData("-u -s a -k 1 -k 2", "-k: given more than once")]
    [InlineData("-u -s a -i 2001:db8::1", "-i: bind address 2001:db8::1 is not an IPv4 address, but IPv4 is in use")]
    [InlineData("-6 -u -s a -i 192.0.2.2", "-i: bind address 192.0.2.2 is not an IPv6 address, but IPv6 is in use")]
    [InlineData("-u -s [2001:db8::1", "-s: '[2001:db8::1' is not a STUN server ('[' has no matching ']')")]
    [InlineData("-u -s 1:2:3", "-s: '1:2:3' is not a STUN server ('1:2:3' is not an IPv6 address")]
    [InlineData("-u -s a:", "-s: 'a:' is not a STUN server (the port after ':' is not a number from 1 to 65535)")]
    [InlineData("-u -s 010.0.0.1", "-s: '010.0.0.1' is not a STUN server ('010.0.0.1' is not an IPv4 address")]
    [InlineData("-u -s 0x7f.0.0.1", "-s: '0x7f.0.0.1' is not a STUN server ('0x7f.0.0.1' is not an IPv4 address")]
    [InlineData("-u -s 0177.0.0.1:80", "-s: '0177.0.0.1:80' is not a STUN server ('0177.0.0.1' is not an IPv4 address")]
    [InlineData("-s a -h 127.1", "-h: HTTP server '127.1' is invalid")]
    [InlineData("-u -s fe80::1%nosuchif0", "-s: 'fe80::1%nosuchif0' is not a STUN server ('fe80::1%nosuchif0' has zone 'nosuchif0', but no network interface")]
    [InlineData("-u -s [fe80::1%25nosuchif0]:1", "has zone 'nosuchif0', but no network interface")]
    [InlineData("-u -s fe80::1%", "has an empty zone")]
    [InlineData("-u -s a -i 010.0.0.1", "-i: '010.0.0.1' is not an IPv4 address")]
    [InlineData("-u -s a -i 1", "-i: '1' is not an IPv4 address")]
    [InlineData("-6 -u -s a -i fe80::1%nosuchif0", "-i: 'fe80::1%nosuchif0' has zone 'nosuchif0'")]
    [InlineData("-u -s a -t 0x7f.0.0.1 -p 80", "-t: target host '0x7f.0.0.1' is invalid: '0x7f.0.0.1' is not an IPv4 address")]
    public async Task Run_BadCommandLine_ExitsTwoWithOneLineAndHint(string commandLine, string expected)
    {
        var args = commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var (exitCode, stdout, stderr, mapperCreated) = await RunAsync(args);

        Assert.Equal(2, exitCode);
        Assert.False(mapperCreated);
        Assert.Equal("", stdout);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("natmap: ", lines[0], StringComparison.Ordinal);
        Assert.Contains(expected, lines[0], StringComparison.Ordinal);
        Assert.Equal("Try 'natmap --help'.", lines[1]);
    }

    [Theory]
    [InlineData("-u -s a -i averyveryverylongname", "interface name 'averyveryverylongname' is invalid")]
    [InlineData("-s a -h b -C b/r", "congestion control algorithm 'b/r' is invalid")]
    public async Task Run_OptionsRejectedByMapperValidation_ExitTwoWithOneLine(string commandLine, string expected)
    {
        var (exitCode, _, stderr, mapperCreated) = await RunAsync(commandLine.Split(' '));

        Assert.Equal(2, exitCode);
        Assert.False(mapperCreated);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Contains(expected, lines[0], StringComparison.Ordinal);
        Assert.Equal("Try 'natmap --help'.", lines[1]);
    }

    [Fact]
    public async Task Run_Help_PrintsOptionsAndExitsZero()
    {
        var (exitCode, stdout, stderr, mapperCreated) = await RunAsync(["--help"]);

        Assert.Equal(0, exitCode);
        Assert.False(mapperCreated);
        Assert.Equal("", stderr);
        foreach (var option in new[] { "-4", "-6", "-u", "-d", "-i <interface|ip>", "-k <seconds>", "-c <count>", "-s <addr[:port]>", "-h <addr[:port]>", "-e <path>", "-f <mark>", "-b <port[-port|~port]>", "-C <algo>", "-T <seconds>", "-t <addr>", "-p <port>", "--json", "-v, --verbose", "--help", "--version" })
        {
            Assert.Contains(option, stdout, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("-?", stdout, StringComparison.Ordinal);
    }

    // Found by the text fuzz target (NatMap.Fuzz), when the parser reported no error for repeated
    // options once --help is present, and TryGetOptions would then throw reading -k twice. The CLI
    // runs the help action instead and never reads the options; these are the fuzzer's two inputs.
    [Theory]
    [InlineData("LS1oZWxwCi11OAotawoxNgotYwo0Ci11Ci1zCnN0bGUub3JnOjM0NzgKLWsKMTAKLWMK")]
    [InlineData("LXVzOi11czouMC11czotdXM6LWgKLXpUOhAKXWgwCjYKODE3CjoxJWxvLXpUOhA4Ci04CjAxNwo4bwowMTcKKUAtawot5gowMTcKMDEzCkoKOAowMTcKOAowMTcKOAotOAowMSAKOG8KOAowMTcKOAotOAowMTcKOG8KLWYKNgowMTcKOjElbG8KLTgKMDE3CkoKCkpKSkpKSkpKSkpKSkpKSkpKSkpKSkpKSkpKSkpKSko4CjAxNwo4Ci04CjAxNwo4bwotZgo3CigKLWsKLWYKMDE3CjAxNwpKCjgKMDEKMDE3Ci1mCjAKNgowMTcKOjElbO+KLV1oMAo2CjAxN4s6MSVsbwotOAowMTcKSgoKXWgwCjYKMDE3CjoxJWxvLXpUHRAKXWgwCjYKMDE3CjoxJWxvCi1daDAKNgotLWhlbHAKMDE3CjoxJWxvCi04CjAxNwpKCgo4CjE3CjAxNwpKCjgKMDE3CjgKZgowMTcKKAotawotZgowMTcKSgoKOAoxNwowMTcKSgo4CjAxNwo4CmYKMDE3CigKLWsKLWYKMDE3CjAxNwpKCjirMDE3CjgKMDE3ETgKLTgKMDE3CjhvCi1mCjAxNwooCi1rCi1mCjAxNwowMTcKMDE3CkoKOKswMTcKOAowAAEROAotOAowMTcKOjElbG8KLTgKCigKLWsKLWYKMDE3CjAxNwpKCjgKMDE3CgpdCjAxNwo4Ci04CjAxNwo4bwotZgowMTcKKAotawotZh8wMTcKMDE3CkoKLWYKMDE3CigKLWsKLWYKMDE3CjAxNwpKCjgKMDE3CjgKLTgKMDE3CjhvCi1mCjAxNwo=")]
    public async Task Run_FuzzedHelpWithRepeatedOptions_ShowsHelpAndExitsZero(string fuzzInput)
    {
        // The text target's split: UTF-8, one argument per line, a final newline ends the last one.
        string text = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(fuzzInput));
        var args = (text.EndsWith('\n') ? text[..^1] : text).Split('\n');

        var (exitCode, stdout, _, mapperCreated) = await RunAsync(args);

        Assert.Equal(0, exitCode);
        Assert.False(mapperCreated);
        Assert.Contains("--help", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_VersionWithOtherOptions_SaysSoNotNeedsAValue()
    {
        var (exitCode, _, stderr, mapperCreated) = await RunAsync(["--version", "-u", "-s", "a"]);

        Assert.Equal(2, exitCode);
        Assert.False(mapperCreated);
        Assert.DoesNotContain("needs a value", stderr, StringComparison.Ordinal);
        Assert.Contains("--version", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_Version_PrintsVersionAndExitsZero()
    {
        var (exitCode, stdout, _, _) = await RunAsync(["--version"]);
        // In-process the version is the entry assembly's (the test host); the process test checks natmap's own.
        Assert.Equal(0, exitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+", stdout);
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr, bool MapperCreated)> RunAsync(string[] args)
    {
        var run = await CliHarness.RunAsync(args);
        return (run.ExitCode, run.Stdout, run.Stderr, run.MapperCreated);
    }
}
