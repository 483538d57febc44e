using NatMap.Notify.Internal;

namespace NatMap.Notify;

/// <summary>Settings of a <see cref="WebhookNotifier"/>.</summary>
public sealed class WebhookNotifierOptions : MappingNotifierOptions
{
    /// <summary>
    /// The <c>http</c> or <c>https</c> URL the event is posted to. User information in it
    /// (<c>https://user:secret@host/hook</c>) is sent as HTTP Basic authentication, never logged.
    /// </summary>
    public Uri? Url { get; set; }

    /// <summary>Extra request headers, such as <c>Authorization</c>; values are never logged.</summary>
    public IList<KeyValuePair<string, string>> Headers { get; } = [];

    /// <summary>The mapping's name, written as <c>"name"</c> into the event when set.</summary>
    public string? Name { get; set; }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException"><see cref="Url"/> is missing or not absolute http(s), or a header is malformed.</exception>
    public override void Validate()
    {
        base.Validate();
        NotifierUrls.CheckHttp(Url, nameof(Url));
        foreach (var (name, value) in Headers)
        {
            if (string.IsNullOrEmpty(name) || !name.All(IsTokenChar))
            {
                throw new ArgumentException($"'{name}' is not a header name.", nameof(Headers));
            }

            if (value is null || value.Any(c => c is '\r' or '\n' or '\0'))
            {
                throw new ArgumentException($"The value of header '{name}' holds a line break.", nameof(Headers));
            }
        }
    }

    // RFC 9110 section 5.6.2: a header name is a token.
    private static bool IsTokenChar(char c) => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal);
}
