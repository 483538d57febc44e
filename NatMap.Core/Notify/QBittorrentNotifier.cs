using System.Buffers;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using NatMap.Mapping;
using NatMap.Notify.Internal;

namespace NatMap.Notify;

/// <summary>
/// Sets qBittorrent's listening port on each mapping change, through its Web API (v2): it logs in
/// (<c>/api/v2/auth/login</c>, again whenever the session has expired), reads the preferences and sets
/// <c>listen_port</c> to the port the client's peer traffic arrives on (see
/// <see cref="PeerPortNotifierOptions"/>). Where that differs from the public port (bind mode), it also sets
/// <c>announce_port</c> to the public port when the version has that preference; where it has not, it logs
/// that peers will be told the wrong port (EventId 4530).
/// </summary>
public sealed class QBittorrentNotifier : MappingNotifier
{
    private readonly HttpClient _http;
    private readonly Uri _base;
    private readonly NetworkCredential? _login;
    private readonly int? _forwardTargetPort;
    private string? _cookie;

    /// <summary>Creates a notifier for one qBittorrent Web UI.</summary>
    /// <param name="options">The Web UI URL, login, forward target port and retry settings; validated and copied.</param>
    /// <param name="loggerFactory">Where deliveries and failures are logged; none when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="options"/> is invalid.</exception>
    public QBittorrentNotifier(QBittorrentNotifierOptions options, ILoggerFactory? loggerFactory = null)
        : base("qbittorrent", NotifierUrls.Describe(options), options, loggerFactory)
    {
        var url = NotifierUrls.WithoutUserInfo(options.Url!);
        _base = url.AbsolutePath.EndsWith('/') ? url : new Uri(url + "/");
        _login = NotifierUrls.Login(options);
        _forwardTargetPort = options.ForwardTargetPort;
        _http = NotifierHttp.CreateClient();
    }

    /// <inheritdoc/>
    protected override async Task DeliverAsync(MappingChanged mapping, CancellationToken cancellationToken)
    {
        var ports = PeerPorts.For(mapping, _forwardTargetPort);
        bool hasAnnouncePort;
        using (var preferences = JsonDocument.Parse(await CallAsync(HttpMethod.Get, "api/v2/app/preferences", null, cancellationToken).ConfigureAwait(false)))
        {
            hasAnnouncePort = preferences.RootElement.TryGetProperty("announce_port"u8, out _);
        }

        var json = new ArrayBufferWriter<byte>(64);
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartObject();
            writer.WriteNumber("listen_port"u8, ports.Listen);
            if (hasAnnouncePort)
            {
                // 0 announces the listening port, as qBittorrent's default does.
                writer.WriteNumber("announce_port"u8, ports.NeedsAnnouncePort ? ports.Public : 0);
            }

            writer.WriteEndObject();
        }

        await CallAsync(HttpMethod.Post, "api/v2/app/setPreferences", Encoding.UTF8.GetString(json.WrittenSpan), cancellationToken).ConfigureAwait(false);
        if (ports.NeedsAnnouncePort && !hasAnnouncePort)
        {
            NotifyLog.QBittorrentHasNoAnnouncePort(Logger, Target, ports.Listen, ports.Public);
        }
    }

    /// <inheritdoc/>
    protected override ValueTask DisposeCoreAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>One Web API call with the session cookie; a 403 (no or an expired session) logs in and sends it again once.</summary>
    private async Task<string> CallAsync(HttpMethod method, string path, string? preferences, CancellationToken cancellationToken)
    {
        for (int round = 1; ; round++)
        {
            if (_cookie is null && _login is not null)
            {
                await LogInAsync(cancellationToken).ConfigureAwait(false);
            }

            using var request = new HttpRequestMessage(method, new Uri(_base, path));
            if (preferences is not null)
            {
                request.Content = new FormUrlEncodedContent([new("json", preferences)]);
            }

            if (_cookie is not null)
            {
                request.Headers.TryAddWithoutValidation("Cookie", _cookie);
            }

            using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.Forbidden && round == 1 && _login is not null)
            {
                _cookie = null;
                continue;
            }

            if (response.StatusCode == HttpStatusCode.Forbidden)
            {
                throw new IOException("qBittorrent refused the request (403): log in with the URL's user information or the environment");
            }

            response.EnsureSuccessStatusCode();
            return await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task LogInAsync(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_base, "api/v2/auth/login"))
        {
            Content = new FormUrlEncodedContent([new("username", _login!.UserName), new("password", _login.Password)]),
        };
        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.Forbidden)
        {
            throw new IOException("qBittorrent refused the login (403): too many failed logins banned this address for a while");
        }

        response.EnsureSuccessStatusCode();
        string answer = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        string? sid = response.Headers.TryGetValues("Set-Cookie", out var cookies)
            ? cookies.Select(c => c.Split(';')[0].Trim()).FirstOrDefault(c => c.StartsWith("SID=", StringComparison.Ordinal))
            : null;
        if (!answer.StartsWith("Ok", StringComparison.Ordinal) || sid is null)
        {
            throw new IOException("qBittorrent refused the login: check the user name and password");
        }

        _cookie = sid;
    }
}
