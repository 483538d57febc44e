using System.Net;
using Microsoft.Extensions.Logging;

namespace NatMap.Gateway.Internal;

/// <summary>Log messages of the home-router layer: EventIds 8000-8099 (names and ids are a contract).</summary>
internal static partial class GatewayLog
{
    [LoggerMessage(EventId = 8000, Level = LogLevel.Information, Message = "Home router {Gateway} opened {Transport} port {Port} with {GatewayProtocol}: external {ExternalAddress}, lease {Lease} s")]
    public static partial void Opened(ILogger logger, IPAddress gateway, MappingProtocol transport, int port, string gatewayProtocol, string externalAddress, long lease);

    [LoggerMessage(EventId = 8001, Level = LogLevel.Warning, Message = "Home router {Gateway} refused {Transport} port {Port} with {GatewayProtocol}: {Reason}")]
    public static partial void Refused(ILogger logger, IPAddress gateway, MappingProtocol transport, int port, string gatewayProtocol, string reason);

    [LoggerMessage(EventId = 8002, Level = LogLevel.Warning, Message = "Home router {Gateway} offered external port {Offered} instead of {Port} with {GatewayProtocol}; released, since inbound traffic must arrive on the port the host maps")]
    public static partial void OtherPortOffered(ILogger logger, IPAddress gateway, int port, int offered, string gatewayProtocol);

    [LoggerMessage(EventId = 8003, Level = LogLevel.Debug, Message = "{GatewayProtocol} does not answer: {Reason}")]
    public static partial void ProtocolUnavailable(ILogger logger, string gatewayProtocol, string reason);

    [LoggerMessage(EventId = 8004, Level = LogLevel.Warning, Message = "No home router answered {Protocols} (gateway {Gateway}); the mapping runs, but may be unreachable from outside: {Reason}")]
    public static partial void NoGateway(ILogger logger, string protocols, string gateway, string reason);

    [LoggerMessage(EventId = 8005, Level = LogLevel.Debug, Message = "Home router {Gateway} renewed {Transport} port {Port} with {GatewayProtocol}: lease {Lease} s")]
    public static partial void Renewed(ILogger logger, IPAddress gateway, MappingProtocol transport, int port, string gatewayProtocol, long lease);

    [LoggerMessage(EventId = 8006, Level = LogLevel.Warning, Message = "Home router {Gateway} no longer has {Transport} port {Port} ({GatewayProtocol}); re-creating it")]
    public static partial void Lost(ILogger logger, IPAddress gateway, MappingProtocol transport, int port, string gatewayProtocol);

    [LoggerMessage(EventId = 8007, Level = LogLevel.Warning, Message = "Keeping {Transport} port {Port} open on home router {Gateway} ({GatewayProtocol}) failed: {Reason}; trying again in {Delay}")]
    public static partial void MaintainFailed(ILogger logger, MappingProtocol transport, int port, IPAddress gateway, string gatewayProtocol, string reason, TimeSpan delay);

    [LoggerMessage(EventId = 8008, Level = LogLevel.Information, Message = "Home router {Gateway}: {Transport} port {Port} deleted ({GatewayProtocol})")]
    public static partial void Deleted(ILogger logger, IPAddress gateway, MappingProtocol transport, int port, string gatewayProtocol);

    [LoggerMessage(EventId = 8009, Level = LogLevel.Warning, Message = "Deleting {Transport} port {Port} on home router {Gateway} ({GatewayProtocol}) failed: {Reason}")]
    public static partial void DeleteFailed(ILogger logger, MappingProtocol transport, int port, IPAddress gateway, string gatewayProtocol, string reason);

    [LoggerMessage(EventId = 8010, Level = LogLevel.Information, Message = "Home router {Gateway} answers again: {Transport} port {Port} opened")]
    public static partial void Recovered(ILogger logger, IPAddress gateway, MappingProtocol transport, int port);
}
