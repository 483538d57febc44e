using System.Net;
using NatMap.Cli;
using NatMap.Mapping;
using NatMap.Notify.Internal;
using NatMap.Tests.Infrastructure;
using NatMap.Tests.Notify;

namespace NatMap.Tests.Cli;

/// <summary>The built-in notifiers' flags: parsing, errors, and a run that delivers beside the printed line.</summary>
public sealed class CliNotifierTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static readonly MappingChanged First = new(MappingProtocol.Tcp, IPEndPoint.Parse("203.0.113.1:45555"), IPEndPoint.Parse("192.0.2.2:5555"));

    [Fact]
    public async Task Run_TwoNotifyUrlsAndName_EachGetsTheNamedEventAndTheLineIsStillPrinted()
    {
        await using var one = new LoopbackHttpServer();
        await using var two = new LoopbackHttpServer();
        var mapper = new FakePortMapper();
        mapper.Emit(First);
        mapper.End();
        var stdout = new LineWriter();
        var stderr = new LineWriter();
        var context = new CliContext(stdout, stderr, (_, _) => mapper, (_, _) => throw new InvalidOperationException("must not detach"));

        int exitCode = await NatMap.Cli.Cli.RunAsync(
            ["-s", "203.0.113.2", "-h", "203.0.113.2", "--notify-url", one.Url().ToString(), "--notify-url", two.Url("/two").ToString(), "--notify-header", "Authorization: Bearer abc", "--name", "web"],
            context,
            TestContext.Current.CancellationToken).WaitAsync(Timeout, TestContext.Current.CancellationToken);

        // The mapper ending by itself is exit 1; the stop still waits for the notifiers to deliver.
        Assert.Equal(1, exitCode);
        Assert.Equal(["203.0.113.1 45555 2001::b1f3:cb00:7101 5555 tcp 192.0.2.2"], stdout.Lines);
        foreach (var (server, path) in new[] { (one, "/hook"), (two, "/two") })
        {
            var request = await server.NextAsync(Timeout);
            Assert.Equal(path, request.Path);
            Assert.Equal("Bearer abc", request.Headers["Authorization"]);
            Assert.Equal(MappingJson.Format(First, "web"), request.Body);
        }
    }

    [Fact]
    public async Task Run_NsUpdateWithKeyFile_BindServesTheRecords()
    {
        await using var bind = await BindServer.StartAsync();
        var mapper = new FakePortMapper();
        mapper.Emit(First);
        mapper.End();
        var context = new CliContext(new LineWriter(), new LineWriter(), (_, _) => mapper, (_, _) => throw new InvalidOperationException("must not detach"));

        await NatMap.Cli.Cli.RunAsync(
            ["-s", "203.0.113.2", "-h", "203.0.113.2", "--nsupdate", $"127.0.0.1:{bind.Port}", BindServer.Zone, "cli", "--nsupdate-key", bind.KeyFile],
            context,
            TestContext.Current.CancellationToken).WaitAsync(Timeout, TestContext.Current.CancellationToken);

        Assert.Equal(["203.0.113.1"], await bind.QueryAsync("cli.example.test", "A"));
        Assert.Equal(["0 0 45555 cli.example.test."], await bind.QueryAsync("_natmap._tcp.cli.example.test", "SRV"));
    }

    [Fact]
    public async Task Run_TransmissionInForwardModeAndQBittorrentInBindMode_SetTheirPortsByTheRule()
    {
        await using var transmission = await TransmissionDaemon.StartAsync();
        await using var qbittorrent = await QBittorrentDaemon.StartAsync();
        var transmissionUrl = new UriBuilder(transmission.RpcUrl) { UserName = TransmissionDaemon.UserName, Password = TransmissionDaemon.Password }.Uri;

        // The qBittorrent login comes from the environment (the test's own, not the process's).
        var environment = new Dictionary<string, string>
        {
            ["NATMAP_QBITTORRENT_USER"] = QBittorrentDaemon.UserName,
            ["NATMAP_QBITTORRENT_PASSWORD"] = QBittorrentDaemon.Password,
        };

        var forward = await RunOnceAsync(null, "-t", "127.0.0.1", "-p", "0", "--transmission", transmissionUrl.ToString());
        var bind = await RunOnceAsync(environment, "--qbittorrent", qbittorrent.Url.ToString());

        Assert.Equal(45555, await transmission.PeerPortAsync());
        Assert.Equal(5555, (await qbittorrent.PreferencesAsync()).GetProperty("listen_port").GetInt32());
        Assert.Contains(bind, l => l.Contains("peers will be told port 5555, not the public port 45555", StringComparison.Ordinal));
        Assert.DoesNotContain(forward.Concat(bind), l => l.Contains(TransmissionDaemon.Password, StringComparison.Ordinal) || l.Contains(QBittorrentDaemon.Password, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("natmap: --transmission: the value is not a URL", "--transmission", "http://u:p4ss@[bad")]
    [InlineData("natmap: --qbittorrent: 'ftp://127.0.0.1/' is not an http or https URL", "--qbittorrent", "ftp://127.0.0.1/")]
    [InlineData("natmap: --nsupdate: needs 3 values: --nsupdate <server> <zone> <name>", "--nsupdate", "127.0.0.1", "example.org")]
    [InlineData("natmap: --nsupdate: needs 3 values: --nsupdate <server> <zone> <name>", "--nsupdate", "127.0.0.1", "example.org", "a", "--nsupdate", "127.0.0.1")]
    [InlineData("natmap: --nsupdate: 'ns.example.org' is not an address with an optional :port", "--nsupdate", "ns.example.org", "example.org", "home")]
    [InlineData("natmap: --nsupdate: 'a..b' is not a domain name: labels of 1 to 63 ASCII characters, 255 bytes in all", "--nsupdate", "127.0.0.1", "example.org", "a..b")]
    [InlineData("natmap: --nsupdate-key: '/nonexistent/k.key': no such file", "--nsupdate", "127.0.0.1", "example.org", "home", "--nsupdate-key", "/nonexistent/k.key")]
    [InlineData("natmap: --nsupdate-ip4p needs --nsupdate: give --nsupdate <server> <zone> <name>", "--nsupdate-ip4p")]
    [InlineData("natmap: --notify-url: 'not a url' is not a URL", "--notify-url", "not a url")]
    [InlineData("natmap: --notify-url: 'ftp://127.0.0.1/' is not an http or https URL", "--notify-url", "ftp://127.0.0.1/")]
    [InlineData("natmap: --notify-header: 'X-Key' is not 'Name: value'", "--notify-url", "http://127.0.0.1/", "--notify-header", "X-Key")]
    [InlineData("natmap: --notify-header: 'Bad Name' is not a header name", "--notify-url", "http://127.0.0.1/", "--notify-header", "Bad Name: x")]
    [InlineData("natmap: --notify-header needs --notify-url: give the webhook's URL with --notify-url <url>", "--notify-header", "X-Key: 1")]
    [InlineData("natmap: --notify-url: needs a value: --notify-url <url>", "--notify-url")]
    public async Task Run_BadNotifierFlag_OneLineAndExit2(string expected, params string[] flags)
    {
        var run = await CliHarness.RunAsync(["-u", "-s", "203.0.113.2", .. flags]);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal([expected, "Try 'natmap --help'."], run.ErrorLines);
        Assert.False(run.MapperCreated);
    }

    /// <summary>One run that reports <see cref="First"/> and ends; returns standard error's lines (the logs).</summary>
    private static async Task<string[]> RunOnceAsync(Dictionary<string, string>? environment, params string[] flags)
    {
        var mapper = new FakePortMapper();
        mapper.Emit(First);
        mapper.End();
        var stderr = new LineWriter();
        var context = new CliContext(new LineWriter(), stderr, (_, _) => mapper, (_, _) => throw new InvalidOperationException("must not detach"), name => environment?.GetValueOrDefault(name));
        await NatMap.Cli.Cli.RunAsync(["-s", "203.0.113.2", "-h", "203.0.113.2", .. flags], context, TestContext.Current.CancellationToken)
            .WaitAsync(Timeout, TestContext.Current.CancellationToken);
        return stderr.Lines;
    }
}
