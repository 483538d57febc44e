using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using NatMap.Sockets.Internal;
using NatMap.Stun;

namespace NatMap.Mapping.Internal;

/// <summary>
/// The TCP mapping, the original's way. A socket bound to the local port with SO_REUSEADDR and
/// SO_REUSEPORT holds a keep-alive connection to an HTTP server, sending <c>HEAD /</c> every interval and
/// discarding the answers; that connection keeps the NAT's entry for the port alive. STUN over TCP runs
/// from the same local port, on fresh sockets, at each setup and again at each keep-alive round: a
/// re-assigned port is thus seen within one interval even while the keep-alive has not noticed yet,
/// at the cost of one short connection to the STUN server per interval (30 s by default). When the
/// keep-alive connection fails, the mapping is set up again after the retry delay (doubling on
/// repeated failure up to the cap), on the next port of the spec.
/// </summary>
internal sealed class TcpMappingLoop : IMappingLoop
{
    private const int DrainBufferSize = 2048;

    private readonly MapperSettings _settings;
    private readonly IStunProbe _stun;
    private readonly LocalPortBinder _binder;
    private readonly ILogger _logger;
    private readonly StunCheckHealth _health;
    private readonly StunServerEndPoint _http;
    private readonly string _httpText;
    private readonly byte[] _request;

    // Why the last session ended, for IMappingSink.Lost (the log line says the same, with its details).
    private string _failure = "";

    public TcpMappingLoop(MapperSettings settings, IStunProbe stun, LocalPortBinder binder, ILogger logger)
    {
        _settings = settings;
        _stun = stun;
        _binder = binder;
        _logger = logger;
        _health = new StunCheckHealth(logger);
        _http = settings.HttpServer ?? throw new ArgumentException("TCP mapping needs an HTTP server.", nameof(settings));
        _httpText = _http.ToString();
        _request = Encoding.ASCII.GetBytes("HEAD / HTTP/1.1\r\nHost: " + HostHeader(_http) + "\r\nConnection: keep-alive\r\n\r\n");
    }

    public async Task RunAsync(IMappingSink sink, CancellationToken cancellationToken)
    {
        var backoff = new RetryBackoff(_settings.RetryDelay, _settings.MaxRetryDelay);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (await RunSessionAsync(sink, cancellationToken).ConfigureAwait(false))
            {
                backoff.Reset();
            }

            cancellationToken.ThrowIfCancellationRequested();
            sink.Lost(_failure);
            var delay = backoff.Next();
            if (_binder.Waiting)
            {
                MappingLog.WaitingToBind(_logger, delay);
            }
            else
            {
                _binder.Selector.Resetup();
                MappingLog.RetryScheduled(_logger, delay);
            }

            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// One setup and its keep-alive rounds; true when the keep-alive connection lasted at least one
    /// whole interval. A server that closes after every answer (nginx <c>keepalive_requests 1</c>)
    /// thus counts as a failure, so the set-ups back off instead of following each other at the
    /// retry delay.
    /// </summary>
    private async Task<bool> RunSessionAsync(IMappingSink sink, CancellationToken cancellationToken)
    {
        using var keepAlive = _binder.TryBind(ProtocolType.Tcp, shareLocalPort: true);
        if (keepAlive is null)
        {
            _failure = "no local port could be bound";
            return false;
        }

        // Abort rather than linger on close, so no TIME_WAIT blocks the next connect from this port.
        keepAlive.LingerState = new LingerOption(true, 0);
        if (!await TryConnectAsync(keepAlive, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        var local = (IPEndPoint)keepAlive.LocalEndPoint!;
        MappingLog.KeepAliveConnected(_logger, local, keepAlive.RemoteEndPoint!);
        using var session = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var drained = DrainAsync(keepAlive, session.Token);
        bool lasted = false;
        try
        {
            while (true)
            {
                if (!await TrySendAsync(keepAlive, cancellationToken).ConfigureAwait(false))
                {
                    return lasted;
                }

                if (!await CheckAsync(sink, local, cancellationToken).ConfigureAwait(false))
                {
                    return lasted;
                }

                var tick = Task.Delay(_settings.KeepAliveInterval, cancellationToken);
                if (await Task.WhenAny(tick, drained).ConfigureAwait(false) == drained)
                {
                    KeepAliveLost(await drained.ConfigureAwait(false));
                    if (!lasted)
                    {
                        MappingLog.KeepAliveClosedEarly(_logger, _httpText);
                    }

                    return lasted;
                }

                await tick.ConfigureAwait(false);
                lasted = true;

                // SO_BINDTODEVICE holds an interface index: after a PPPoE redial the keep-alive's
                // device is gone for good, though the connection would only time out in minutes.
                if (_binder.Sockets.IsDeviceGone(keepAlive))
                {
                    _failure = "the interface of the keep-alive connection is gone";
                    return lasted;
                }
            }
        }
        finally
        {
            await session.CancelAsync().ConfigureAwait(false);
            await drained.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// One STUN check from the mapping's port; false when the session must be set up again: the host's
    /// address changed under the keep-alive connection (a DHCP renumbering: the new one is what the
    /// check left from, while the keep-alive, still on the old one, holds nothing at the NAT any more),
    /// or the <c>-i</c> interface is gone.
    /// </summary>
    private async Task<bool> CheckAsync(IMappingSink sink, IPEndPoint local, CancellationToken cancellationToken)
    {
        try
        {
            var observation = await _stun.QueryTcpAsync(_settings.AddressFamily, family => CreateStunSocket(family, local.Port), cancellationToken).ConfigureAwait(false);
            _health.Succeeded(local, observation.MappedEndPoint);
            if (observation.LocalEndPoint is { } from && !from.Address.Equals(local.Address) && !IsWildcard(from.Address))
            {
                MappingLog.LocalAddressChanged(_logger, local.Address, from.Address);
                _failure = "the local address changed";
                return false;
            }

            await sink.ReportAsync(IPv4Mapped.Unmap(observation.MappedEndPoint), local, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or TimeoutException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            _health.Failed(local, ex.Message);
            _failure = ex.Message;
            sink.Lost(ex.Message);
            if (_binder.Sockets.InterfaceMissing || ex is SocketException { SocketErrorCode: SocketError.AddressNotAvailable })
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsWildcard(IPAddress address) => address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any);

    private Socket CreateStunSocket(AddressFamily family, int port)
    {
        var socket = _binder.Sockets.Create(family, ProtocolType.Tcp, shareLocalPort: true);
        try
        {
            socket.LingerState = new LingerOption(true, 0);
            socket.Bind(new IPEndPoint(_settings.BindAddress, port));
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private async Task<bool> TryConnectAsync(Socket socket, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_settings.ConnectTimeout);
        try
        {
            var addresses = _http.Address is { } literal
                ? [literal]
                : await Dns.GetHostAddressesAsync(_http.Host, _settings.AddressFamily, timeout.Token).ConfigureAwait(false);
            addresses = Array.FindAll(addresses, a => a.AddressFamily == _settings.AddressFamily);
            if (addresses.Length == 0)
            {
                ConnectFailed("the host name has no address of the mapper's family");
                return false;
            }

            await socket.ConnectAsync(new IPEndPoint(addresses[0], _http.Port), timeout.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            ConnectFailed("timed out");
            return false;
        }
        catch (SocketException ex)
        {
            ConnectFailed(ex.Message);
            return false;
        }
    }

    private async Task<bool> TrySendAsync(Socket socket, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_settings.ConnectTimeout);
        try
        {
            await socket.SendAsync(_request, SocketFlags.None, timeout.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            KeepAliveLost("sending the request timed out");
            return false;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            KeepAliveLost(ex.Message);
            return false;
        }
    }

    private void ConnectFailed(string reason)
    {
        MappingLog.KeepAliveConnectFailed(_logger, _httpText, reason);
        _failure = "cannot connect to the HTTP keep-alive server " + _httpText + ": " + reason;
    }

    private void KeepAliveLost(string reason)
    {
        MappingLog.KeepAliveLost(_logger, _httpText, reason);
        _failure = "keep-alive connection to " + _httpText + " lost: " + reason;
    }

    /// <summary>Reads and discards the server's answers; completes with the reason the connection ended.</summary>
    private static async Task<string> DrainAsync(Socket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[DrainBufferSize];
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false) > 0)
            {
            }

            return "the server closed the connection";
        }
        catch (OperationCanceledException)
        {
            return "stopped";
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return ex.Message;
        }
    }

    /// <summary>The Host header value, RFC 9110 section 7.2: the port only when not the default, IPv6 in brackets.</summary>
    internal static string HostHeader(StunServerEndPoint server)
    {
        string host = server.Host.Contains(':', StringComparison.Ordinal) ? "[" + server.Host + "]" : server.Host;
        return server.Port == PortMapperOptions.DefaultHttpPort ? host : host + ":" + server.Port.ToString(CultureInfo.InvariantCulture);
    }
}
