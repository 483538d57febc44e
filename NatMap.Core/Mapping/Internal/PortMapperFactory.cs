using Microsoft.Extensions.Logging;
using NatMap.Sockets.Internal;

namespace NatMap.Mapping.Internal;

/// <summary>Wires a mapper from checked settings and a STUN probe (tests pass their own probe).</summary>
internal static class PortMapperFactory
{
    public static PortMapperRunner Create(MapperSettings settings, IStunProbe stun, ILoggerFactory loggerFactory)
    {
        var logger = loggerFactory.CreateLogger("NatMap.Mapping.PortMapper");
        var sockets = new BoundSocketFactory(settings.Sockets, loggerFactory.CreateLogger("NatMap.Sockets"));
        var takeover = new PortTakeover(loggerFactory.CreateLogger("NatMap.Sockets.PortTakeover"));
        var binder = new LocalPortBinder(settings, sockets, takeover, new PortSelector(settings.Port), logger);
        IMappingLoop loop = settings.Protocol == MappingProtocol.Tcp
            ? new TcpMappingLoop(settings, stun, binder, logger)
            : new UdpMappingLoop(settings, stun, binder, logger);
        return new PortMapperRunner(loop, settings.Protocol, logger);
    }
}
