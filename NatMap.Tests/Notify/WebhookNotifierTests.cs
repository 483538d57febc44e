using System.Net;
using System.Text;
using System.Text.Json;
using NatMap.Mapping;
using NatMap.Notify;
using NatMap.Notify.Internal;
using NatMap.Tests.Infrastructure;

namespace NatMap.Tests.Notify;

/// <summary><see cref="WebhookNotifier"/> against an HTTP server of the test's own on loopback.</summary>
public sealed class WebhookNotifierTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly MappingChanged First = new(MappingProtocol.Tcp, IPEndPoint.Parse("203.0.113.1:45555"), IPEndPoint.Parse("192.0.2.2:5555"));

    [Fact]
    public async Task Notify_PostsTheJsonEventWithHeadersAndBasicAuth()
    {
        await using var server = new LoopbackHttpServer();
        var log = new RecordingLoggerFactory();
        var options = new WebhookNotifierOptions { Url = new Uri($"http://hook-user:s%3Acret@127.0.0.1:{server.Port}/hook?token=t0ps3cret") };
        options.Headers.Add(new("X-Api-Key", "k3y"));
        await using var notifier = new WebhookNotifier(options, log);
        var second = new MappingChanged(MappingProtocol.Tcp, IPEndPoint.Parse("203.0.113.1:45600"), IPEndPoint.Parse("192.0.2.2:5555"), First);

        notifier.Notify(second);
        var request = await server.NextAsync(Timeout);
        await notifier.WaitForIdleAsync(Ct).WaitAsync(Timeout, Ct);

        Assert.Equal("POST", request.Method);
        Assert.Equal("/hook?token=t0ps3cret", request.Path);
        Assert.Equal("application/json; charset=utf-8", request.Headers["Content-Type"]);
        Assert.Equal("k3y", request.Headers["X-Api-Key"]);
        Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("hook-user:s:cret")), request.Headers["Authorization"]);
        Assert.Equal(MappingJson.Format(second), request.Body);
        using (var json = JsonDocument.Parse(request.Body))
        {
            Assert.Equal(45600, json.RootElement.GetProperty("publicPort").GetInt32());
            Assert.Equal(45555, json.RootElement.GetProperty("previousPublicPort").GetInt32());
        }

        Assert.Equal($"http://127.0.0.1:{server.Port}/hook", notifier.Target);
        Assert.Contains(log.Entries, e => e.Id.Id == 4512);
        Assert.DoesNotContain(log.Entries, e => e.Message.Contains("cret", StringComparison.Ordinal) || e.Message.Contains("hook-user", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Notify_ServerErrors_RetriedUntil2xx()
    {
        await using var server = new LoopbackHttpServer { Respond = n => n <= 2 ? 503 : 200 };
        var log = new RecordingLoggerFactory();
        await using var notifier = new WebhookNotifier(new WebhookNotifierOptions { Url = server.Url(), RetryDelay = TimeSpan.FromMilliseconds(10) }, log);

        notifier.Notify(First);
        await notifier.WaitForIdleAsync(Ct).WaitAsync(Timeout, Ct);

        for (int i = 1; i <= 3; i++)
        {
            Assert.Equal(MappingJson.Format(First), (await server.NextAsync(Timeout)).Body);
        }

        Assert.False(server.TryNext(out _));
        Assert.Equal(2, log.Entries.Count(e => e.Id.Id == 4510 && e.Message.Contains("503", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Notify_NothingListening_LogsConnectionFailure()
    {
        int port;
        await using (var closed = new LoopbackHttpServer())
        {
            port = closed.Port;
        }

        var log = new RecordingLoggerFactory();
        await using var notifier = new WebhookNotifier(new WebhookNotifierOptions { Url = new Uri($"http://127.0.0.1:{port}/"), MaxAttempts = 2, RetryDelay = TimeSpan.FromMilliseconds(10) }, log);

        notifier.Notify(First);
        await notifier.WaitForIdleAsync(Ct).WaitAsync(Timeout, Ct);

        Assert.Contains(log.Entries, e => e.Id.Id == 4511 && e.Message.Contains("refused", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void Options_Invalid_Throw()
    {
        Assert.Equal("Url", Assert.Throws<ArgumentException>(() => new WebhookNotifier(new WebhookNotifierOptions())).ParamName);
        Assert.Equal("Url", Assert.Throws<ArgumentException>(() => new WebhookNotifier(new WebhookNotifierOptions { Url = new Uri("ftp://127.0.0.1/") })).ParamName);
        var badHeader = new WebhookNotifierOptions { Url = new Uri("http://127.0.0.1/") };
        badHeader.Headers.Add(new("X-A", "one\r\nX-B: two"));
        Assert.Equal("Headers", Assert.Throws<ArgumentException>(() => new WebhookNotifier(badHeader)).ParamName);
        var badName = new WebhookNotifierOptions { Url = new Uri("http://127.0.0.1/") };
        badName.Headers.Add(new("Bad Name", "x"));
        Assert.Equal("Headers", Assert.Throws<ArgumentException>(() => new WebhookNotifier(badName)).ParamName);
    }

    [Fact]
    public void MappingJson_WithName_WritesItAfterEvent()
    {
        string named = MappingJson.Format(First, "web");
        string plain = MappingJson.Format(First);

        Assert.StartsWith("{\"event\":\"mapping\",\"name\":\"web\",\"protocol\":\"tcp\"", named, StringComparison.Ordinal);
        Assert.Equal(plain, named.Replace("\"name\":\"web\",", "", StringComparison.Ordinal));
    }
}
