using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using NatMap.Sockets.Internal;
using NatMap.Stun.Internal;

namespace NatMap.Mapping.Internal;

/// <summary>
/// The UDP mapping: one bound socket, and a STUN Binding from it every interval, which both keeps the
/// NAT's entry alive and shows its public endpoint. A failed check is retried after the retry delay
/// (doubling up to the cap, but never longer than the interval, since the requests keep the entry
/// alive) on the same socket: the NAT's entry belongs to that local port, so moving to another would
/// only lose it. The socket is bound once, retrying the bind the same way. Its checks go through
/// <see cref="ConnectedStunTransport"/>, so that a service sharing the port with SO_REUSEPORT gets
/// every datagram but the server's answers.
/// Forward mode is <see cref="UdpForwardingLoop"/>; in-process serving (<see cref="IMappedUdpServer"/>) is
/// this loop with a <see cref="UdpServingSocket"/>, whose receive loop reads the socket and hands
/// the checks their answers.
/// </summary>
internal sealed class UdpMappingLoop : IMappingLoop
{
    private readonly MapperSettings _settings;
    private readonly IStunProbe _stun;
    private readonly LocalPortBinder _binder;
    private readonly ILogger _logger;
    private readonly StunCheckHealth _health;
    private readonly UdpServingSocket? _serving;

    /// <summary>With <paramref name="serving"/> (in-process serving) the app reads the socket, and the checks go through its receive loop.</summary>
    public UdpMappingLoop(MapperSettings settings, IStunProbe stun, LocalPortBinder binder, ILogger logger, UdpServingSocket? serving = null)
    {
        _settings = settings;
        _stun = stun;
        _binder = binder;
        _logger = logger;
        _health = new StunCheckHealth(logger);
        _serving = serving;
    }

    public async Task RunAsync(IMappingSink sink, CancellationToken cancellationToken)
    {
        var backoff = new RetryBackoff(_settings.RetryDelay, _settings.MaxRetryDelay);
        try
        {
            while (true)
            {
                var socket = await _binder.BindUdpAsync(backoff, cancellationToken).ConfigureAwait(false);
                using (socket)
                {
                    backoff.Reset();
                    var served = _serving?.Attach(socket);
                    try
                    {
                        if (served is not null)
                        {
                            MappingLog.ServingStarted(_logger, socket.LocalEndPoint);
                        }

                        await MapAsync(socket, served, sink, backoff, cancellationToken).ConfigureAwait(false);
                    }
                    finally
                    {
                        if (_serving is not null)
                        {
                            await _serving.DetachAsync().ConfigureAwait(false);
                        }
                    }
                }
            }
        }
        finally
        {
            _serving?.Stopped(disposed: false);
        }
    }

    /// <summary>
    /// The checks from one bound socket, until the <c>-i</c> interface it is bound to is gone (a PPPoE
    /// link torn down: its next incarnation is a new device, which the old socket can never send
    /// through), or until the host's address changed under the connected socket.
    /// </summary>
    private async Task MapAsync(Socket socket, ServedUdpStun? served, IMappingSink sink, RetryBackoff backoff, CancellationToken cancellationToken)
    {
        var bound = (IPEndPoint)socket.LocalEndPoint!;
        IStunDatagramTransport transport = served is null ? new ConnectedStunTransport(socket, _binder.Sockets) : served;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            TimeSpan wait = _settings.KeepAliveInterval;
            if (await TryCheckAsync(transport, served, bound, sink, cancellationToken).ConfigureAwait(false) is { } observation)
            {
                backoff.Reset();

                // Found again at every check: a DHCP renumbering changes it under a wildcard-bound socket.
                var source = _binder.PrivateAddress(bound, observation);
                await sink.ReportAsync(IPv4Mapped.Unmap(observation.MappedEndPoint), new IPEndPoint(source, bound.Port), cancellationToken).ConfigureAwait(false);
            }
            else
            {
                if (_binder.Sockets.IsDeviceGone(socket))
                {
                    return;
                }

                if (transport is ConnectedStunTransport connected && connected.SourceMoved(out var from, out var to))
                {
                    MappingLog.LocalAddressChanged(_logger, from!, to!);
                    return;
                }

                // The requests are the keep-alive too: never pause longer than the interval, or the
                // NAT could drop the entry while the servers are out.
                var delay = backoff.Next();
                wait = delay < wait ? delay : wait;
                MappingLog.RetryScheduled(_logger, wait);
            }

            await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<StunObservation?> TryCheckAsync(IStunDatagramTransport transport, ServedUdpStun? served, IPEndPoint bound, IMappingSink sink, CancellationToken cancellationToken)
    {
        try
        {
            served?.BeginCheck();
            var observation = await _stun.QueryUdpAsync(transport, bound.AddressFamily, cancellationToken).ConfigureAwait(false);
            _health.Succeeded(bound, observation.MappedEndPoint);
            return observation;
        }
        catch (Exception ex) when (ex is IOException or SocketException or TimeoutException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            _health.Failed(bound, ex.Message);
            sink.Lost(ex.Message);
            return null;
        }
    }
}
