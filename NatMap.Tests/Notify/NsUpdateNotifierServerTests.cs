using System.Net;
using NatMap.Mapping;
using NatMap.Notify;
using NatMap.Tests.Infrastructure;

namespace NatMap.Tests.Notify;

/// <summary><see cref="NsUpdateNotifier"/> against a real BIND 9 on loopback; the records are read back with dig.</summary>
public sealed class NsUpdateNotifierServerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly MappingChanged First = new(MappingProtocol.Tcp, IPEndPoint.Parse("203.0.113.1:45555"), IPEndPoint.Parse("192.0.2.2:5555"));

    [Fact]
    public async Task Notify_SignedUpdates_BindServesTheAddressAndSrvOfTheLatestMapping()
    {
        await using var bind = await BindServer.StartAsync();
        var log = new RecordingLoggerFactory();
        await using var notifier = new NsUpdateNotifier(Options(bind, "home"), log);

        notifier.Notify(First);
        await notifier.WaitForIdleAsync(Ct).WaitAsync(Timeout, Ct);
        Assert.Equal(["203.0.113.1"], await bind.QueryAsync("home.example.test", "A"));
        Assert.Equal(["0 0 45555 home.example.test."], await bind.QueryAsync("_natmap._tcp.home.example.test", "SRV"));

        // A re-mapping replaces both record sets.
        notifier.Notify(new MappingChanged(MappingProtocol.Tcp, IPEndPoint.Parse("198.51.100.7:40000"), IPEndPoint.Parse("192.0.2.2:5555"), First));
        await notifier.WaitForIdleAsync(Ct).WaitAsync(Timeout, Ct);
        Assert.Equal(["198.51.100.7"], await bind.QueryAsync("home.example.test", "A"));
        Assert.Equal(["0 0 40000 home.example.test."], await bind.QueryAsync("_natmap._tcp.home.example.test", "SRV"));
        Assert.Equal(2, log.Entries.Count(e => e.Id.Id == 4512));
        Assert.DoesNotContain(log.Entries, e => e.Id.Id is 4510 or 4511);
    }

    [Fact]
    public async Task Notify_Ip4p_BindServesTheIp4pAaaaRecord()
    {
        await using var bind = await BindServer.StartAsync();
        var options = Options(bind, "game.example.test.");
        options.Ip4p = true;
        options.Key = TsigKey.ReadFile(bind.KeyFile);
        await using var notifier = new NsUpdateNotifier(options);

        notifier.Notify(new MappingChanged(MappingProtocol.Udp, IPEndPoint.Parse("203.0.113.1:45555"), IPEndPoint.Parse("192.0.2.2:5555")));
        await notifier.WaitForIdleAsync(Ct).WaitAsync(Timeout, Ct);

        var aaaa = Assert.Single(await bind.QueryAsync("game.example.test", "AAAA"));
        Assert.Equal(IPAddress.Parse("2001::b1f3:cb00:7101"), IPAddress.Parse(aaaa));
        Assert.Empty(await bind.QueryAsync("game.example.test", "A"));
    }

    [Fact]
    public async Task Notify_WrongSecret_RefusedAndLoggedWithTheTsigError()
    {
        await using var bind = await BindServer.StartAsync();
        var options = Options(bind, "home");
        options.Key = new TsigKey(bind.Key.Name, new byte[32]);
        options.MaxAttempts = 1;
        var log = new RecordingLoggerFactory();
        await using var notifier = new NsUpdateNotifier(options, log);

        notifier.Notify(First);
        await notifier.WaitForIdleAsync(Ct).WaitAsync(Timeout, Ct);

        var gaveUp = Assert.Single(log.Entries, e => e.Id.Id == 4511);
        Assert.Contains("NOTAUTH (TSIG BADSIG)", gaveUp.Message, StringComparison.Ordinal);
        Assert.Empty(await bind.QueryAsync("home.example.test", "A"));
    }

    private static NsUpdateNotifierOptions Options(BindServer bind, string name) => new()
    {
        Server = new IPEndPoint(IPAddress.Loopback, bind.Port),
        Zone = BindServer.Zone,
        Name = name,
        Key = bind.Key,
        RetryDelay = TimeSpan.FromMilliseconds(50),
        AttemptTimeout = TimeSpan.FromSeconds(5),
    };
}
