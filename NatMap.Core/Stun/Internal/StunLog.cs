using System.Net;
using Microsoft.Extensions.Logging;

namespace NatMap.Stun.Internal;

/// <summary>Log messages of the STUN client. Event ids 1000-1999 are a contract: never reuse one.</summary>
internal static partial class StunLog
{
    [LoggerMessage(EventId = 1000, Level = LogLevel.Debug, Message = "STUN query over {Protocol}/{Family} starting with {ServerCount} server(s)")]
    public static partial void QueryStarting(ILogger logger, string protocol, string family, int serverCount);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Debug, Message = "STUN server {Server} resolved to {Addresses}")]
    public static partial void Resolved(ILogger logger, StunServerEndPoint server, string addresses);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Trace, Message = "STUN request {Attempt}/{MaxRequests} sent to {ServerEndPoint} (transaction {TransactionId}, waiting {WaitMs} ms)")]
    public static partial void UdpRequestSent(ILogger logger, int attempt, int maxRequests, IPEndPoint serverEndPoint, string transactionId, long waitMs);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Debug, Message = "Discarded a message of {Length} bytes from {Source} while waiting for {ServerEndPoint}: {Reason}")]
    public static partial void DatagramIgnored(ILogger logger, int length, EndPoint source, IPEndPoint serverEndPoint, string reason);

    // Debug: a failed server is part of the query's result. When a later server answers, 1008 says
    // so once; when none does, the exception names every server and reason, and the caller (the
    // mapper's loops) decides how loud that is.
    [LoggerMessage(EventId = 1004, Level = LogLevel.Debug, Message = "STUN server {Server} ({ServerEndPoint}) failed over {Protocol}: {Reason}")]
    public static partial void ServerFailed(ILogger logger, StunServerEndPoint server, IPEndPoint serverEndPoint, string protocol, string reason);

    // Debug: an unchanged answer every keep-alive interval would flood a steady state; the mapper
    // logs a change at information level.
    [LoggerMessage(EventId = 1005, Level = LogLevel.Debug, Message = "STUN server {Server} ({ServerEndPoint}) maps {Protocol} {LocalEndPoint} to {MappedEndPoint}")]
    public static partial void Mapped(ILogger logger, StunServerEndPoint server, IPEndPoint serverEndPoint, string protocol, IPEndPoint localEndPoint, IPEndPoint mappedEndPoint);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Debug, Message = "No STUN server answered over {Protocol}/{Family}: {Failures}")]
    public static partial void AllServersFailed(ILogger logger, string protocol, string family, string failures);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Debug, Message = "TCP connection to STUN server {ServerEndPoint} established from {LocalEndPoint}")]
    public static partial void TcpConnected(ILogger logger, IPEndPoint serverEndPoint, EndPoint? localEndPoint);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Warning, Message = "STUN server {Server} failed over {Protocol} ({Reason}); {AnsweringServer} answered instead. Said once until {Server} answers again")]
    public static partial void FailedOver(ILogger logger, StunServerEndPoint server, string protocol, string reason, StunServerEndPoint answeringServer);

    [LoggerMessage(EventId = 1009, Level = LogLevel.Debug, Message = "STUN server {Server} skipped over {Protocol}: {Reason}")]
    public static partial void ServerUnresolved(ILogger logger, StunServerEndPoint server, string protocol, string reason);
}
