using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using NatMap.Mapping;
using NatMap.Notify.Internal;

namespace NatMap.Notify;

/// <summary>
/// Sets Transmission's <c>peer-port</c> on each mapping change, through its RPC (<c>session-set</c>), with
/// the <c>X-Transmission-Session-Id</c> handshake and HTTP Basic authentication. The port is the one the
/// client's peer traffic arrives on (see <see cref="PeerPortNotifierOptions"/>). Transmission has no
/// announce port: in bind mode, where that port differs from the public one, peers are told the
/// private port, and this is logged (EventId 4520).
/// </summary>
public sealed class TransmissionNotifier : MappingNotifier
{
    private const string SessionIdHeader = "X-Transmission-Session-Id";
    private readonly HttpClient _http;
    private readonly Uri _url;
    private readonly AuthenticationHeaderValue? _authorization;
    private readonly int? _forwardTargetPort;
    private string? _sessionId;

    /// <summary>Creates a notifier for one Transmission daemon.</summary>
    /// <param name="options">The RPC URL, login, forward target port and retry settings; validated and copied.</param>
    /// <param name="loggerFactory">Where deliveries and failures are logged; none when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="options"/> is invalid.</exception>
    public TransmissionNotifier(TransmissionNotifierOptions options, ILoggerFactory? loggerFactory = null)
        : base("transmission", NotifierUrls.Describe(options), options, loggerFactory)
    {
        _url = NotifierUrls.WithoutUserInfo(options.Url!);
        _authorization = NotifierUrls.Login(options) is { } login ? NotifierUrls.Basic(login) : null;
        _forwardTargetPort = options.ForwardTargetPort;
        _http = NotifierHttp.CreateClient();
    }

    /// <inheritdoc/>
    protected override async Task DeliverAsync(MappingChanged mapping, CancellationToken cancellationToken)
    {
        var ports = PeerPorts.For(mapping, _forwardTargetPort);
        var body = new ArrayBufferWriter<byte>(128);
        using (var json = new Utf8JsonWriter(body))
        {
            json.WriteStartObject();
            json.WriteString("method"u8, "session-set"u8);
            json.WriteStartObject("arguments"u8);
            json.WriteNumber("peer-port"u8, ports.Listen);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        using var answer = await CallAsync(body.WrittenMemory, cancellationToken).ConfigureAwait(false);
        string? result = answer.RootElement.TryGetProperty("result"u8, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        if (result != "success")
        {
            throw new IOException("Transmission answered: " + (result ?? "no result"));
        }

        if (ports.NeedsAnnouncePort)
        {
            NotifyLog.TransmissionHasNoAnnouncePort(Logger, Target, ports.Listen, ports.Public);
        }
    }

    /// <inheritdoc/>
    protected override ValueTask DisposeCoreAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>One RPC call; a 409 hands out the session id (the CSRF guard of the RPC spec), and the call is sent again with it once.</summary>
    private async Task<JsonDocument> CallAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        for (int round = 1; ; round++)
        {
            using var content = new ReadOnlyMemoryContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var request = new HttpRequestMessage(HttpMethod.Post, _url) { Content = content };
            request.Headers.Authorization = _authorization;
            if (_sessionId is not null)
            {
                request.Headers.TryAddWithoutValidation(SessionIdHeader, _sessionId);
            }

            using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.Conflict && round == 1 && response.Headers.TryGetValues(SessionIdHeader, out var ids))
            {
                _sessionId = ids.FirstOrDefault();
                continue;
            }

            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                throw new IOException("Transmission refused the login (401): check the user name and password");
            }

            response.EnsureSuccessStatusCode();
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                return await JsonDocument.ParseAsync(stream, default, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
