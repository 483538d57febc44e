using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using NatMap.Internal;
using NatMap.Sockets.Internal;

namespace NatMap.Gateway.Internal;

/// <summary>
/// HTTP to an IGD: no proxy, no redirects, bounded headers and bodies, a timeout on each request,
/// and connections bound to the caller's local address (whose address is then the one the IGD sees,
/// the internal client of the mappings) and made by the caller's socket factory (the <c>-i</c> interface).
/// </summary>
internal sealed class GatewayHttp : IDisposable
{
    private readonly HttpClient _client;
    private readonly TimeSpan _timeout;
    private readonly IPAddress? _localAddress;
    private readonly BoundSocketFactory _sockets;

    public GatewayHttp(IPAddress? localAddress, BoundSocketFactory sockets, TimeSpan timeout)
    {
        _localAddress = localAddress;
        _sockets = sockets;
        _timeout = timeout;
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            MaxResponseHeadersLength = 16,
            MaxConnectionsPerServer = 1,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(5),
            ConnectTimeout = timeout,
            ConnectCallback = ConnectAsync,
        };
        _client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>The local address of the last connection: the host as the IGD sees it.</summary>
    public IPAddress? LocalAddress { get; private set; }

    public Task<byte[]> GetAsync(Uri url, int maxBytes, CancellationToken cancellationToken) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Get, url), maxBytes, "the device description", cancellationToken);

    public Task<byte[]> PostSoapAsync(Uri url, string serviceType, string action, byte[] body, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("text/xml; charset=\"utf-8\"");
        request.Headers.TryAddWithoutValidation("SOAPAction", "\"" + serviceType + "#" + action + "\"");
        return SendAsync(request, SoapMessage.MaxResponseBytes, "the " + action + " answer", cancellationToken);
    }

    public void Dispose() => _client.Dispose();

    /// <summary>The body, whatever the status (a SOAP fault comes with 500); never more than <paramref name="maxBytes"/> read.</summary>
    private async Task<byte[]> SendAsync(HttpRequestMessage request, int maxBytes, string what, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        try
        {
            using (request)
            using (var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false))
            {
                if (response.Content.Headers.ContentLength is long declared && declared > maxBytes)
                {
                    return TooLarge(request.RequestUri!, what, maxBytes);
                }

                var stream = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
                await using (stream.ConfigureAwait(false))
                {
                    var buffer = new byte[maxBytes + 1];
                    int filled = 0;
                    int read;
                    while (filled < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(filled), timeout.Token).ConfigureAwait(false)) > 0)
                    {
                        filled += read;
                    }

                    if (filled > maxBytes)
                    {
                        return TooLarge(request.RequestUri!, what, maxBytes);
                    }

                    return buffer[..filled];
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return ThrowHelper.Throw<byte[]>(NatMapErrorKind.GatewayUnavailable, "UPnP: " + what + " from " + request.RequestUri + " timed out after " + _timeout.TotalSeconds + " s");
        }
        catch (HttpRequestException ex)
        {
            return ThrowHelper.Throw<byte[]>(NatMapErrorKind.GatewayUnavailable, "UPnP: " + what + " from " + request.RequestUri + " failed: " + ex.Message, ex);
        }
        catch (IOException ex) when (ex is not NatMapException)
        {
            return ThrowHelper.Throw<byte[]>(NatMapErrorKind.GatewayUnavailable, "UPnP: " + what + " from " + request.RequestUri + " broke off: " + ex.Message, ex);
        }
    }

    private static byte[] TooLarge(Uri url, string what, int maxBytes) =>
        ThrowHelper.Throw<byte[]>(NatMapErrorKind.GatewayUnavailable, "UPnP: " + what + " from " + url + " is larger than " + (maxBytes / 1024) + " KiB");

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var addresses = IPAddress.TryParse(context.DnsEndPoint.Host, out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(context.DnsEndPoint.Host, cancellationToken).ConfigureAwait(false);
        var target = new IPEndPoint(addresses[0], context.DnsEndPoint.Port);
        var socket = _sockets.Create(target.AddressFamily, ProtocolType.Tcp, shareLocalPort: false);
        try
        {
            socket.NoDelay = true;
            if (_localAddress is not null)
            {
                socket.Bind(new IPEndPoint(_localAddress, 0));
            }

            await socket.ConnectAsync(target, cancellationToken).ConfigureAwait(false);
            LocalAddress = ((IPEndPoint)socket.LocalEndPoint!).Address;
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
