using System.Net;
using NatMap.Mapping;
using NatMap.Notify;
using NatMap.Tests.Infrastructure;

namespace NatMap.Tests.Notify;

/// <summary><see cref="TransmissionNotifier"/> against a real transmission-daemon on loopback; peer-port is read back over RPC.</summary>
public sealed class TransmissionNotifierServerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly MappingChanged Mapping = new(MappingProtocol.Tcp, IPEndPoint.Parse("203.0.113.1:45555"), IPEndPoint.Parse("192.0.2.2:5555"));

    [Fact]
    public async Task Notify_ForwardToPublicPort_SetsPeerPortToThePublicPort()
    {
        await using var daemon = await TransmissionDaemon.StartAsync();
        var log = new RecordingLoggerFactory();
        var url = new UriBuilder(daemon.RpcUrl) { UserName = TransmissionDaemon.UserName, Password = TransmissionDaemon.Password }.Uri;
        await using var notifier = new TransmissionNotifier(new TransmissionNotifierOptions { Url = url, ForwardTargetPort = 0 }, log);

        notifier.Notify(Mapping);
        await notifier.WaitForIdleAsync(Ct).WaitAsync(Timeout, Ct);

        Assert.Equal(45555, await daemon.PeerPortAsync());
        Assert.Contains(log.Entries, e => e.Id.Id == 4512);
        Assert.DoesNotContain(log.Entries, e => e.Id.Id == 4520 || e.Message.Contains(TransmissionDaemon.Password, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Notify_BindMode_SetsThePrivatePortAndSaysPeersGetTheWrongPort()
    {
        await using var daemon = await TransmissionDaemon.StartAsync();
        var log = new RecordingLoggerFactory();
        var options = new TransmissionNotifierOptions { Url = daemon.RpcUrl, UserName = TransmissionDaemon.UserName, Password = TransmissionDaemon.Password };
        await using var notifier = new TransmissionNotifier(options, log);

        notifier.Notify(Mapping);
        await notifier.WaitForIdleAsync(Ct).WaitAsync(Timeout, Ct);

        Assert.Equal(5555, await daemon.PeerPortAsync());
        var warning = Assert.Single(log.Entries, e => e.Id.Id == 4520);
        Assert.Contains("not the public port 45555", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Notify_WrongPassword_GivesUpNamingTheLogin()
    {
        await using var daemon = await TransmissionDaemon.StartAsync();
        var log = new RecordingLoggerFactory();
        var options = new TransmissionNotifierOptions { Url = daemon.RpcUrl, UserName = TransmissionDaemon.UserName, Password = "wrong-pass", MaxAttempts = 1 };
        await using var notifier = new TransmissionNotifier(options, log);

        notifier.Notify(Mapping);
        await notifier.WaitForIdleAsync(Ct).WaitAsync(Timeout, Ct);

        Assert.Contains(log.Entries, e => e.Id.Id == 4511 && e.Message.Contains("refused the login (401)", StringComparison.Ordinal));
        Assert.DoesNotContain(log.Entries, e => e.Message.Contains("wrong-pass", StringComparison.Ordinal));
        Assert.NotEqual(5555, await daemon.PeerPortAsync());
    }
}
