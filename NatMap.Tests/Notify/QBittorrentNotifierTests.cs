using System.Net;
using NatMap.Mapping;
using NatMap.Notify;
using NatMap.Tests.Infrastructure;

namespace NatMap.Tests.Notify;

/// <summary>
/// <see cref="QBittorrentNotifier"/> against a stand-in for a qBittorrent that has <c>announce_port</c>, which
/// the Debian version does not: what it sends, and the login again after the session expires.
/// </summary>
public sealed class QBittorrentNotifierTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Notify_BindModeWithAnnouncePort_SetsBothAndLogsInAgainAfterExpiry()
    {
        int preferencesAsked = 0;
        await using var server = new LoopbackHttpServer
        {
            Handler = request => request.Path switch
            {
                "/qb/api/v2/auth/login" => (200, "Ok.", "Set-Cookie: SID=s" + request.Number + "; HttpOnly; path=/\r\n"),

                // The first session expires at once: the notifier must log in again.
                "/qb/api/v2/app/preferences" => Interlocked.Increment(ref preferencesAsked) == 1 ? (403, "Forbidden", "") : (200, """{"listen_port":6881,"announce_port":0}""", ""),
                "/qb/api/v2/app/setPreferences" => (200, "", ""),
                _ => (404, "", ""),
            },
        };
        var log = new RecordingLoggerFactory();
        var options = new QBittorrentNotifierOptions { Url = new Uri($"http://admin:pw@127.0.0.1:{server.Port}/qb") };
        await using var notifier = new QBittorrentNotifier(options, log);

        notifier.Notify(new MappingChanged(MappingProtocol.Udp, IPEndPoint.Parse("203.0.113.1:45555"), IPEndPoint.Parse("192.0.2.2:5555")));
        await notifier.WaitForIdleAsync(Ct).WaitAsync(TimeSpan.FromSeconds(20), Ct);

        var requests = new List<LoopbackHttpServer.Request>();
        while (server.TryNext(out var request))
        {
            requests.Add(request!);
        }

        Assert.Equal(
            ["/qb/api/v2/auth/login", "/qb/api/v2/app/preferences", "/qb/api/v2/auth/login", "/qb/api/v2/app/preferences", "/qb/api/v2/app/setPreferences"],
            requests.Select(r => r.Path));
        Assert.Equal("username=admin&password=pw", requests[0].Body);
        Assert.Equal("SID=s3", requests[4].Headers["Cookie"]);
        Assert.Equal("json=" + Uri.EscapeDataString("""{"listen_port":5555,"announce_port":45555}"""), requests[4].Body);
        Assert.DoesNotContain(log.Entries, e => e.Id.Id is 4530 or 4511);
    }
}
