using System.Net;
using System.Net.Sockets;
using NatMap.Gateway;
using NatMap.Gateway.Internal;
using NatMap.Sockets.Internal;
using NatMap.Stun;

namespace NatMap.Mapping.Internal;

/// <summary>A checked, immutable copy of <see cref="PortMapperOptions"/>, taken when the mapper is created.</summary>
internal sealed record MapperSettings
{
    public required MappingProtocol Protocol { get; init; }

    public required AddressFamily AddressFamily { get; init; }

    public required IPAddress BindAddress { get; init; }

    public required PortSpec Port { get; init; }

    public required IReadOnlyList<StunServerEndPoint> StunServers { get; init; }

    public StunServerEndPoint? HttpServer { get; init; }

    public required TimeSpan KeepAliveInterval { get; init; }

    public required int UdpCheckCycle { get; init; }

    public required SocketSettings Sockets { get; init; }

    public required TimeSpan RetryDelay { get; init; }

    public required TimeSpan MaxRetryDelay { get; init; }

    /// <summary>The forward target host (<c>-t</c>), or <see langword="null"/> when not forwarding.</summary>
    public string? TargetHost { get; init; }

    /// <summary>The forward target port (<c>-p</c>); 0 means the current public port.</summary>
    public int TargetPort { get; init; }

    /// <summary>How forward mode forwards: the relay or the kernel.</summary>
    public Forwarding.ForwardMethod ForwardMethod { get; init; }

    /// <summary>Kernel forwarding masquerades towards the target.</summary>
    public bool ForwardMasquerade { get; init; }

    /// <summary>The most TCP connections forwarded or served at once.</summary>
    public int MaxConnections { get; init; } = 4096;

    /// <summary>Idle timeout of forwarded connections and sessions (<c>-T</c>).</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>
    /// TCP keepalive idle time of relayed connections: twice the keep-alive interval, from 10 s to
    /// 32767 s. With the probe interval below and 3 probes, a relayed connection whose peer is gone
    /// is closed within max(3 × <c>-k</c>, 13 s): 90 s with the TCP default of 30 s.
    /// </summary>
    public TimeSpan ForwardKeepAliveTime { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>TCP keepalive probe interval of relayed connections: a third of the keep-alive interval in whole seconds, from 1 s to 10 s.</summary>
    public TimeSpan ForwardKeepAliveInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The home router to open the port on, or <see langword="null"/> to leave it alone.</summary>
    public GatewaySettings? Gateway { get; init; }

    /// <summary>How long a connect to the HTTP server may take before the setup counts as failed.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Reads validated options; call <see cref="PortMapperOptions.Validate"/> first.</summary>
    public static MapperSettings From(PortMapperOptions options)
    {
        StunServerEndPoint? http = null;
        if (options.Protocol == MappingProtocol.Tcp && StunServerEndPoint.TryParse(options.HttpServer, PortMapperOptions.DefaultHttpPort, out var parsed))
        {
            http = parsed;
        }

        return new MapperSettings
        {
            Protocol = options.Protocol,
            AddressFamily = options.AddressFamily,
            BindAddress = options.BindAddress ?? (options.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any),
            Port = options.Port,
            StunServers = [.. options.StunServers],
            HttpServer = http,
            KeepAliveInterval = options.EffectiveKeepAliveInterval,
            UdpCheckCycle = options.UdpCheckCycle,
            Sockets = new SocketSettings(options.BindInterface, options.FirewallMark, options.CongestionControl),
            RetryDelay = options.RetryDelay,
            MaxRetryDelay = options.MaxRetryDelay,
            TargetHost = options.TargetHost,
            TargetPort = options.TargetPort,
            ForwardMethod = options.ForwardMethod,
            ForwardMasquerade = options.ForwardMasquerade,
            IdleTimeout = options.IdleTimeout,
            MaxConnections = options.MaxConnections,
            Gateway = options.Gateway == GatewayProtocol.None
                ? null
                : new GatewaySettings(options.Gateway, options.GatewayAddress, options.GatewayLease, options.BindAddress, options.BindInterface),
            ForwardKeepAliveTime = Seconds(Math.Ceiling(Math.Clamp(options.EffectiveKeepAliveInterval.TotalSeconds * 2, 10, 32767))),
            ForwardKeepAliveInterval = Seconds(Math.Floor(Math.Clamp(options.EffectiveKeepAliveInterval.TotalSeconds / 3, 1, 10))),
        };
    }

    private static TimeSpan Seconds(double seconds) => TimeSpan.FromSeconds(seconds);
}
