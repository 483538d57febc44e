using Microsoft.Extensions.Logging;
using NatMap.Gateway.Internal;
using NatMap.Sockets.Internal;

namespace NatMap.Mapping.Internal;

/// <summary>Wires a mapper from checked settings and a STUN probe (tests pass their own probe).</summary>
internal static class PortMapperFactory
{
    /// <summary>A TCP mapper whose listener hands its connections to the app (<see cref="PortMapper.CreateTcpServer"/>).</summary>
    public static MappedTcpServer CreateTcpServer(MapperSettings settings, IStunProbe stun, ILoggerFactory loggerFactory)
    {
        var logger = loggerFactory.CreateLogger("NatMap.Mapping.PortMapper");
        var sockets = new BoundSocketFactory(settings.Sockets, loggerFactory.CreateLogger("NatMap.Sockets"));
        var binder = CreateBinder(settings, sockets, loggerFactory, logger);
        var server = new MappedTcpServer();
        var loop = new TcpForwardingLoop(new TcpMappingLoop(settings, stun, binder, logger), settings, sockets, loggerFactory, logger, server.Enqueue);
        server.Attach(new PortMapperRunner(loop, MappingProtocol.Tcp, logger, binder.InnerLayer));
        return server;
    }

    public static PortMapperRunner Create(MapperSettings settings, IStunProbe stun, ILoggerFactory loggerFactory)
    {
        var logger = CreateLogger(loggerFactory);
        var sockets = new BoundSocketFactory(settings.Sockets, loggerFactory.CreateLogger("NatMap.Sockets"));
        var binder = CreateBinder(settings, sockets, loggerFactory, logger);
        bool forwarding = settings.TargetHost is not null;
        bool kernel = forwarding && settings.ForwardMethod == Forwarding.ForwardMethod.Nftables;
        IMappingLoop loop = (settings.Protocol, forwarding) switch
        {
            (MappingProtocol.Tcp, _) when kernel => new KernelForwardingLoop(new TcpMappingLoop(settings, stun, binder, logger), settings, loggerFactory, logger),
            (_, _) when kernel => new KernelForwardingLoop(new UdpMappingLoop(settings, stun, binder, logger), settings, loggerFactory, logger),
            (MappingProtocol.Tcp, false) => new TcpMappingLoop(settings, stun, binder, logger),
            (MappingProtocol.Tcp, true) => new TcpForwardingLoop(new TcpMappingLoop(settings, stun, binder, logger), settings, sockets, loggerFactory, logger),
            (_, false) => new UdpMappingLoop(settings, stun, binder, logger),
            (_, true) => new UdpForwardingLoop(settings, stun, binder, loggerFactory, logger),
        };
        return new PortMapperRunner(loop, settings.Protocol, logger, binder.InnerLayer);
    }

    /// <summary>In-process UDP serving: settings for UDP without a forward target.</summary>
    public static MappedUdpServer CreateUdpServer(MapperSettings settings, IStunProbe stun, ILoggerFactory loggerFactory)
    {
        var logger = CreateLogger(loggerFactory);
        var sockets = new BoundSocketFactory(settings.Sockets, loggerFactory.CreateLogger("NatMap.Sockets"));
        var serving = new UdpServingSocket(settings.AddressFamily, logger);
        var binder = CreateBinder(settings, sockets, loggerFactory, logger);
        var loop = new UdpMappingLoop(settings, stun, binder, logger, serving);
        return new MappedUdpServer(new PortMapperRunner(loop, settings.Protocol, logger, binder.InnerLayer), serving);
    }

    private static ILogger CreateLogger(ILoggerFactory loggerFactory) => loggerFactory.CreateLogger("NatMap.Mapping.PortMapper");

    private static LocalPortBinder CreateBinder(MapperSettings settings, BoundSocketFactory sockets, ILoggerFactory loggerFactory, ILogger logger)
    {
        var takeover = new PortTakeover(loggerFactory.CreateLogger("NatMap.Sockets.PortTakeover"));
        var innerLayer = settings.Gateway is { } gateway
            ? new InnerLayerMapper(gateway, settings.Protocol, settings.KeepAliveInterval, loggerFactory.CreateLogger("NatMap.Gateway"))
            : null;
        return new LocalPortBinder(settings, sockets, takeover, new PortSelector(settings.Port), logger, innerLayer);
    }
}
