using System.Net;
using NatMap.Mapping;
using NatMap.Notify;
using NatMap.Tests.Infrastructure;

namespace NatMap.Tests.Notify;

/// <summary><see cref="QBittorrentNotifier"/> against a real qbittorrent-nox on loopback; its preferences are read back.</summary>
public sealed class QBittorrentNotifierServerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly MappingChanged Mapping = new(MappingProtocol.Tcp, IPEndPoint.Parse("203.0.113.1:45555"), IPEndPoint.Parse("192.0.2.2:5555"));

    [Fact]
    public async Task Notify_ForwardAndBindModes_SetListenPortByTheRule()
    {
        await using var daemon = await QBittorrentDaemon.StartAsync();
        var log = new RecordingLoggerFactory();
        var url = new UriBuilder(daemon.Url) { UserName = QBittorrentDaemon.UserName, Password = QBittorrentDaemon.Password }.Uri;

        // Forward mode with -p 0: the target port follows the public port.
        await using (var forward = new QBittorrentNotifier(new QBittorrentNotifierOptions { Url = url, ForwardTargetPort = 0 }, log))
        {
            forward.Notify(Mapping);
            await forward.WaitForIdleAsync(Ct).WaitAsync(Timeout, Ct);
        }

        var preferences = await daemon.PreferencesAsync();
        Assert.Equal(45555, preferences.GetProperty("listen_port").GetInt32());
        Assert.DoesNotContain(log.Entries, e => e.Id.Id is 4511 or 4530);

        // Bind mode: the client listens on the private port; this version has no announce_port.
        await using (var bind = new QBittorrentNotifier(new QBittorrentNotifierOptions { Url = url }, log))
        {
            bind.Notify(Mapping);
            await bind.WaitForIdleAsync(Ct).WaitAsync(Timeout, Ct);
        }

        preferences = await daemon.PreferencesAsync();
        Assert.Equal(5555, preferences.GetProperty("listen_port").GetInt32());
        Assert.False(preferences.TryGetProperty("announce_port", out _), "this qBittorrent has announce_port: the test expects the 4.5 series");
        var warning = Assert.Single(log.Entries, e => e.Id.Id == 4530);
        Assert.Contains("peers will be told port 5555, not the public port 45555", warning.Message, StringComparison.Ordinal);
        Assert.Equal(2, log.Entries.Count(e => e.Id.Id == 4512));
        Assert.DoesNotContain(log.Entries, e => e.Message.Contains(QBittorrentDaemon.Password, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Notify_WrongPassword_GivesUpAndLeavesThePort()
    {
        await using var daemon = await QBittorrentDaemon.StartAsync();
        var log = new RecordingLoggerFactory();
        int before = (await daemon.PreferencesAsync()).GetProperty("listen_port").GetInt32();
        var options = new QBittorrentNotifierOptions { Url = daemon.Url, UserName = QBittorrentDaemon.UserName, Password = "wrong-pass", MaxAttempts = 1, ForwardTargetPort = 0 };
        await using var notifier = new QBittorrentNotifier(options, log);

        notifier.Notify(Mapping);
        await notifier.WaitForIdleAsync(Ct).WaitAsync(Timeout, Ct);

        Assert.Contains(log.Entries, e => e.Id.Id == 4511 && e.Message.Contains("refused the login", StringComparison.Ordinal));
        Assert.DoesNotContain(log.Entries, e => e.Message.Contains("wrong-pass", StringComparison.Ordinal));
        Assert.Equal(before, (await daemon.PreferencesAsync()).GetProperty("listen_port").GetInt32());
    }
}
