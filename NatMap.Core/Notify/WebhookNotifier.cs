using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;
using NatMap.Mapping;
using NatMap.Notify.Internal;

namespace NatMap.Notify;

/// <summary>
/// Posts each mapping change as JSON to a URL: the object the CLI prints with <c>--json</c>
/// (<c>{"event":"mapping","protocol":"tcp","publicAddress":…,"publicPort":…,"ip4p":…,"privateAddress":…,"privatePort":…,"previous…":…}</c>),
/// with <c>Content-Type: application/json</c>. Any 2xx answer is success; anything else, or no answer, is
/// retried as <see cref="MappingNotifier"/> describes.
/// </summary>
public sealed class WebhookNotifier : MappingNotifier
{
    private readonly HttpClient _http;
    private readonly Uri _url;
    private readonly AuthenticationHeaderValue? _authorization;
    private readonly KeyValuePair<string, string>[] _headers;
    private readonly string? _name;

    /// <summary>Creates a notifier for one URL.</summary>
    /// <param name="options">The URL, headers and retry settings; validated and copied.</param>
    /// <param name="loggerFactory">Where deliveries and failures are logged; none when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="options"/> is invalid.</exception>
    public WebhookNotifier(WebhookNotifierOptions options, ILoggerFactory? loggerFactory = null)
        : base("webhook", Validated(options).Url is { } url ? NotifierUrls.Redact(url) : "?", options, loggerFactory)
    {
        _url = NotifierUrls.WithoutUserInfo(options.Url!);
        _authorization = NotifierUrls.Credentials(options.Url!) is { } credential ? NotifierUrls.Basic(credential) : null;
        _headers = [.. options.Headers];
        _name = options.Name;
        _http = NotifierHttp.CreateClient();
    }

    /// <inheritdoc/>
    protected override async Task DeliverAsync(MappingChanged mapping, CancellationToken cancellationToken)
    {
        using var content = new ReadOnlyMemoryContent(MappingJson.FormatUtf8(mapping, _name));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        using var request = new HttpRequestMessage(HttpMethod.Post, _url) { Content = content };
        request.Headers.Authorization = _authorization;
        foreach (var (name, value) in _headers)
        {
            if (!request.Headers.TryAddWithoutValidation(name, value))
            {
                // Content-Type and the other content headers belong to the body.
                content.Headers.Remove(name);
                content.Headers.TryAddWithoutValidation(name, value);
            }
        }

        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
    }

    /// <inheritdoc/>
    protected override ValueTask DisposeCoreAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }

    private static WebhookNotifierOptions Validated(WebhookNotifierOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return options;
    }
}
