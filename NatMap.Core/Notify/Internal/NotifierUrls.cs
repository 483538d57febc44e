using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace NatMap.Notify.Internal;

/// <summary>URLs of HTTP services: checks, the form that is logged, and the credentials they carry.</summary>
internal static class NotifierUrls
{
    public static void CheckHttp(Uri? url, string paramName)
    {
        if (url is null)
        {
            throw new ArgumentException("A URL is required.", paramName);
        }

        if (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"'{Redact(url)}' is not an http or https URL.", paramName);
        }
    }

    /// <summary>The URL as logs show it: scheme, host, port and path; no user information, query or fragment (they may hold secrets).</summary>
    public static string Redact(Uri url) =>
        url.IsAbsoluteUri ? url.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped) : "(relative URL)";

    /// <summary>The URL without user information, to send requests to.</summary>
    public static Uri WithoutUserInfo(Uri url) =>
        url.UserInfo.Length == 0 ? url : new UriBuilder(url) { UserName = string.Empty, Password = string.Empty }.Uri;

    /// <summary>User name and password from the URL's user information (percent-decoded), or null when it has none.</summary>
    public static NetworkCredential? Credentials(Uri url)
    {
        if (url.UserInfo.Length == 0)
        {
            return null;
        }

        int colon = url.UserInfo.IndexOf(':', StringComparison.Ordinal);
        string user = colon < 0 ? url.UserInfo : url.UserInfo[..colon];
        string password = colon < 0 ? string.Empty : url.UserInfo[(colon + 1)..];
        return new NetworkCredential(Uri.UnescapeDataString(user), Uri.UnescapeDataString(password));
    }

    public static AuthenticationHeaderValue Basic(NetworkCredential credential) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credential.UserName + ":" + credential.Password)));

    /// <summary>The login of a client notifier: <see cref="PeerPortNotifierOptions.UserName"/> when set, else the URL's user information.</summary>
    public static NetworkCredential? Login(PeerPortNotifierOptions options) =>
        options.UserName is { } user ? new NetworkCredential(user, options.Password ?? string.Empty) : Credentials(options.Url!);

    /// <summary>Validates <paramref name="options"/> and gives the notifier's target as logged.</summary>
    public static string Describe(PeerPortNotifierOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return Redact(options.Url!);
    }
}
