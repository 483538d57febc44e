using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace NatMap.Discovery.Internal;

/// <summary>Log messages of the NAT behaviour check. EventIds 5000-5999 are a contract: never reuse one.</summary>
/// <remarks>Retired: 5007 and 5011 (binding to an interface and SO_REUSEPORT, now logged by the one socket factory as 4000 and 4001).</remarks>
internal static partial class DiscoveryLog
{
    [LoggerMessage(EventId = 5000, Level = LogLevel.Information, Message = "Checking {Protocol} NAT behaviour from {LocalEndPoint} with STUN server {Server}")]
    public static partial void DiscoveryStarted(ILogger logger, MappingProtocol protocol, IPEndPoint localEndPoint, IPEndPoint server);

    [LoggerMessage(EventId = 5001, Level = LogLevel.Debug, Message = "{Step}: Binding request from the {Socket} socket to {Destination}, change flags {ChangeFlags}")]
    public static partial void RequestSent(ILogger logger, DiscoveryStep step, DiscoverySocket socket, IPEndPoint destination, DiscoveryChangeFlags changeFlags);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Debug, Message = "{Step}: {Response}")]
    public static partial void ResponseReceived(ILogger logger, DiscoveryStep step, DiscoveryResponse response);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Information, Message = "{Protocol} result with {Server}: mapping {Mapping}, filtering {Filtering}, NAT type {NatType}, public endpoint {PublicEndPoint}")]
    public static partial void DiscoveryCompleted(ILogger logger, MappingProtocol protocol, IPEndPoint server, NatBehavior mapping, NatBehavior filtering, NatType natType, IPEndPoint? publicEndPoint);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Warning, Message = "STUN server {Server} did not answer over {Protocol}")]
    public static partial void ServerUnanswered(ILogger logger, IPEndPoint server, MappingProtocol protocol);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Warning, Message = "STUN server {Server} cannot run the RFC 5780 tests (no usable OTHER-ADDRESS); any further server is tried")]
    public static partial void ServerUnsupported(ILogger logger, IPEndPoint server);

    [LoggerMessage(EventId = 5006, Level = LogLevel.Warning, Message = "Could not resolve STUN server {Server} to an {AddressFamily} address: {Reason}")]
    public static partial void ResolveFailed(ILogger logger, string server, AddressFamily addressFamily, string reason);

    [LoggerMessage(EventId = 5008, Level = LogLevel.Debug, Message = "TCP connection to {Destination} failed: {Error}")]
    public static partial void TcpConnectFailed(ILogger logger, IPEndPoint destination, SocketError error);

    [LoggerMessage(EventId = 5009, Level = LogLevel.Information, Message = "Binding lifetime probe after {IdleSeconds} s idle: mapping {State}")]
    public static partial void LifetimeProbe(ILogger logger, int idleSeconds, string state);

    [LoggerMessage(EventId = 5010, Level = LogLevel.Warning, Message = "Binding lifetime cannot be measured with {Server}: {Reason}")]
    public static partial void LifetimeUnsupported(ILogger logger, IPEndPoint server, string reason);
}
