using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using NatMap.Forwarding;
using NatMap.Forwarding.Internal;
using NatMap.Stun;

namespace NatMap.Mapping.Internal;

/// <summary>
/// Forward mode with <see cref="ForwardMethod.Nftables"/>: runs the plain mapping loop (TCP or UDP,
/// whose sockets stay the mapper's own) and keeps an <see cref="NftablesForwarder"/> in step with
/// it, as <see cref="TcpForwardingLoop"/> does with the relay: installed before the first mapping
/// is announced, retargeted in one transaction when <c>-p 0</c> follows a new public port, replaced
/// when the local port changes, and removed when the loop ends. Every configured STUN server and
/// the HTTP server are excluded from the forward (looked up again at each report, so a name that
/// moves, or a failover to another server, stays excluded).
/// </summary>
internal sealed class KernelForwardingLoop : IMappingLoop, IMappingSink
{
    private readonly IMappingLoop _inner;
    private readonly MapperSettings _settings;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly TargetResolver _target;
    private IMappingSink? _sink;
    private NftablesForwarder? _forwarder;

    public KernelForwardingLoop(IMappingLoop inner, MapperSettings settings, ILoggerFactory loggerFactory, ILogger logger)
    {
        _inner = inner;
        _settings = settings;
        _loggerFactory = loggerFactory;
        _logger = logger;

        // The port is given per report (the public one with -p 0); 1 stands in for it here.
        _target = new TargetResolver(settings.TargetHost!, 1, settings.AddressFamily);
    }

    public async Task RunAsync(IMappingSink sink, CancellationToken cancellationToken)
    {
        // No privilege, no nf_tables or no libnftables: fail before any socket is bound.
        NftablesForwarder.CheckAvailable();
        _sink = sink;
        try
        {
            await _inner.RunAsync(this, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _forwarder?.Stop();
            _forwarder = null;
        }
    }

    public async ValueTask<bool> ReportAsync(IPEndPoint publicEndPoint, IPEndPoint privateEndPoint, CancellationToken cancellationToken)
    {
        int targetPort = _settings.TargetPort != 0 ? _settings.TargetPort : publicEndPoint.Port;
        var address = (await _target.ResolveAsync(cancellationToken).ConfigureAwait(false)).Address;
        var target = new IPEndPoint(address, targetPort);
        var excluded = await ExcludedPeersAsync(cancellationToken).ConfigureAwait(false);
        if (_forwarder is { } running && running.TableName == NftablesForwarder.TableNameFor(_settings.Protocol, privateEndPoint.Port))
        {
            running.SetExcludedPeers(excluded);
            running.Retarget(target);
        }
        else
        {
            _forwarder?.Stop();
            _forwarder = null;
            var options = new NftablesForwarderOptions
            {
                Protocol = _settings.Protocol,
                LocalEndPoint = privateEndPoint,
                Target = target,
                Masquerade = _settings.ForwardMasquerade,
                IngressInterface = _settings.Sockets.BindInterface,
            };
            foreach (var peer in excluded)
            {
                options.ExcludedPeers.Add(peer);
            }

            var forwarder = new NftablesForwarder(options, _loggerFactory);
            forwarder.Start();
            _forwarder = forwarder;
            MappingLog.ForwarderStarted(_logger, _settings.Protocol == MappingProtocol.Tcp ? ProtocolType.Tcp : ProtocolType.Udp, privateEndPoint, _settings.TargetHost!, targetPort);
        }

        return await _sink!.ReportAsync(publicEndPoint, privateEndPoint, cancellationToken).ConfigureAwait(false);
    }

    public void Lost(string reason) => _sink!.Lost(reason);

    private async Task<List<IPEndPoint>> ExcludedPeersAsync(CancellationToken cancellationToken)
    {
        var peers = new List<IPEndPoint>();
        IEnumerable<StunServerEndPoint> servers = _settings.HttpServer is { } http ? [.. _settings.StunServers, http] : _settings.StunServers;
        foreach (var server in servers)
        {
            if (server.Address is { } literal)
            {
                peers.Add(new IPEndPoint(Unmapped(literal), server.Port));
                continue;
            }

            try
            {
                foreach (var resolved in await Dns.GetHostAddressesAsync(server.Host, _settings.AddressFamily, cancellationToken).ConfigureAwait(false))
                {
                    peers.Add(new IPEndPoint(Unmapped(resolved), server.Port));
                }
            }
            catch (SocketException)
            {
                // The mapper's own lookup reports it; the server cannot be in use while it does not resolve.
            }
        }

        return peers;
    }

    private static IPAddress Unmapped(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
