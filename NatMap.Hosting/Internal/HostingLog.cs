using Microsoft.Extensions.Logging;
using NatMap.Mapping;

namespace NatMap.Hosting.Internal;

/// <summary>Log messages of NatMap.Hosting: EventIds 7000-7099 (names and ids are a contract).</summary>
internal static partial class HostingLog
{
    private static readonly Func<ILogger, string, IDisposable?> MappingScope = LoggerMessage.DefineScope<string>("NatMapName:{NatMapName}");

    /// <summary>A scope naming the mapping, around everything its mapper logs.</summary>
    public static IDisposable? BeginMapping(ILogger logger, string name) => MappingScope(logger, name);

    [LoggerMessage(EventId = 7000, Level = LogLevel.Information, Message = "Port mapping {Name}: starting ({Protocol}, local port {Port})")]
    public static partial void Starting(ILogger logger, string name, MappingProtocol protocol, PortSpec port);

    [LoggerMessage(EventId = 7001, Level = LogLevel.Information, Message = "Port mapping {Name}: {PublicEndPoint} -> {PrivateEndPoint}")]
    public static partial void Mapped(ILogger logger, string name, System.Net.IPEndPoint publicEndPoint, System.Net.IPEndPoint privateEndPoint);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Warning, Message = "Port mapping {Name}: re-mapping ({Reason})")]
    public static partial void Remapping(ILogger logger, string name, string? reason);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Information, Message = "Port mapping {Name}: stopped")]
    public static partial void Stopped(ILogger logger, string name);

    [LoggerMessage(EventId = 7004, Level = LogLevel.Error, Message = "Port mapping {Name}: stopped by an unexpected error")]
    public static partial void Crashed(ILogger logger, string name, Exception exception);

    [LoggerMessage(EventId = 7005, Level = LogLevel.Warning, Message = "No port mapping is configured: NatMap:Mappings is empty or missing")]
    public static partial void NoMappings(ILogger logger);
}
