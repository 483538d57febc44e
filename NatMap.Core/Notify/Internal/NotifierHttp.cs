namespace NatMap.Notify.Internal;

/// <summary>The HTTP client of each HTTP notifier: its own pool, so a stuck service holds only its own connections.</summary>
internal static class NotifierHttp
{
    public static HttpClient CreateClient() => new(new SocketsHttpHandler
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        ConnectTimeout = TimeSpan.FromSeconds(10),
        UseCookies = false,
    })
    {
        // Each attempt has its own timeout (MappingNotifierOptions.AttemptTimeout).
        Timeout = Timeout.InfiniteTimeSpan,
    };
}
