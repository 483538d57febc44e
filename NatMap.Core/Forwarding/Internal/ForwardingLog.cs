using System.Net;
using Microsoft.Extensions.Logging;

namespace NatMap.Forwarding.Internal;

/// <summary>Log messages of the forwarders; event ids 3000-3999 are theirs and are a contract.</summary>
/// <remarks>Retired: 3008 (SO_REUSEPORT refused on a listener, now event 4000 of the one socket factory).</remarks>
internal static partial class ForwardingLog
{
    [LoggerMessage(EventId = 3000, Level = LogLevel.Information, Message = "TCP forwarder on {LocalEndPoint} relays to {TargetHost}:{TargetPort} with the {Engine} engine")]
    public static partial void TcpStarted(ILogger logger, EndPoint? localEndPoint, string targetHost, int targetPort, Forwarding.TcpRelayEngine engine);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "TCP forwarder on {LocalEndPoint} stopped")]
    public static partial void TcpStopped(ILogger logger, EndPoint? localEndPoint);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Refused a TCP connection from {RemoteEndPoint}: {Limit} connections already relayed")]
    public static partial void TcpRefused(ILogger logger, EndPoint? remoteEndPoint, int limit);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "Cannot reach the forwarding target {Target} for the connection from {RemoteEndPoint}: {Reason}")]
    public static partial void TargetUnreachable(ILogger logger, string target, EndPoint? remoteEndPoint, string reason);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Debug, Message = "TCP connection from {RemoteEndPoint} ended: {Reason}")]
    public static partial void TcpConnectionEnded(ILogger logger, EndPoint? remoteEndPoint, string reason);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Warning, Message = "Accepting a TCP connection failed: {Reason}")]
    public static partial void AcceptFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Warning, Message = "Cannot set TCP congestion control {Algorithm}: {Reason}")]
    public static partial void CongestionControlFailed(ILogger logger, string algorithm, string reason);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Information, Message = "splice(2) is unavailable here; the TCP forwarder uses the managed engine")]
    public static partial void SpliceUnavailable(ILogger logger);

    [LoggerMessage(EventId = 3009, Level = LogLevel.Error, Message = "The splice event loop failed with errno {Errno}; its connections are closed")]
    public static partial void SpliceLoopFailed(ILogger logger, int errno);

    [LoggerMessage(EventId = 3010, Level = LogLevel.Warning, Message = "Cannot set TCP keepalive on relayed connections: {Reason}; a connection whose peer is gone lasts until the idle timeout")]
    public static partial void KeepAliveFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Information, Message = "TCP server on {LocalEndPoint} hands its connections to the app in-process")]
    public static partial void TcpServing(ILogger logger, EndPoint? localEndPoint);

    [LoggerMessage(EventId = 3020, Level = LogLevel.Information, Message = "UDP forwarder on {LocalEndPoint} relays to {TargetHost}:{TargetPort}")]
    public static partial void UdpStarted(ILogger logger, EndPoint? localEndPoint, string targetHost, int targetPort);

    [LoggerMessage(EventId = 3021, Level = LogLevel.Information, Message = "UDP forwarder on {LocalEndPoint} stopped")]
    public static partial void UdpStopped(ILogger logger, EndPoint? localEndPoint);

    [LoggerMessage(EventId = 3022, Level = LogLevel.Debug, Message = "UDP session for {RemoteEndPoint} opened towards {Target}")]
    public static partial void UdpSessionOpened(ILogger logger, EndPoint remoteEndPoint, EndPoint target);

    [LoggerMessage(EventId = 3023, Level = LogLevel.Warning, Message = "Refused a UDP session for {RemoteEndPoint}: {Limit} sessions already open")]
    public static partial void UdpSessionRefused(ILogger logger, EndPoint remoteEndPoint, int limit);

    [LoggerMessage(EventId = 3024, Level = LogLevel.Debug, Message = "UDP session for {RemoteEndPoint} closed: {Reason}")]
    public static partial void UdpSessionClosed(ILogger logger, EndPoint? remoteEndPoint, string reason);

    [LoggerMessage(EventId = 3025, Level = LogLevel.Warning, Message = "Cannot open a UDP session towards {Target}: {Reason}")]
    public static partial void UdpSessionFailed(ILogger logger, string target, string reason);

    [LoggerMessage(EventId = 3026, Level = LogLevel.Warning, Message = "The control datagram handler threw")]
    public static partial void ControlHandlerFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3027, Level = LogLevel.Debug, Message = "UDP receive on {LocalEndPoint} failed: {Reason}")]
    public static partial void UdpReceiveFailed(ILogger logger, EndPoint? localEndPoint, string reason);

    [LoggerMessage(EventId = 3028, Level = LogLevel.Warning, Message = "UDP forwarder on {LocalEndPoint} got a {Effective}-byte receive buffer instead of {Requested} (raise net.core.rmem_max, or run with CAP_NET_ADMIN); bursts may be dropped")]
    public static partial void UdpReceiveBufferCapped(ILogger logger, EndPoint? localEndPoint, int effective, int requested);

    [LoggerMessage(EventId = 3040, Level = LogLevel.Information, Message = "Kernel forwarder (nftables table inet {Table}): {Protocol} to {LocalEndPoint} is forwarded to {Target}")]
    public static partial void NftablesStarted(ILogger logger, System.Net.Sockets.ProtocolType protocol, EndPoint localEndPoint, EndPoint target, string table);

    [LoggerMessage(EventId = 3041, Level = LogLevel.Information, Message = "Kernel forwarder {Table} retargeted from {Former} to {Target}")]
    public static partial void NftablesRetargeted(ILogger logger, string table, EndPoint former, EndPoint target);

    [LoggerMessage(EventId = 3042, Level = LogLevel.Information, Message = "Kernel forwarder {Table} removed")]
    public static partial void NftablesStopped(ILogger logger, string table);

    [LoggerMessage(EventId = 3043, Level = LogLevel.Warning, Message = "Replacing the nftables table {Table} left behind by an earlier run")]
    public static partial void NftablesLeftoverReplaced(ILogger logger, string table);

    [LoggerMessage(EventId = 3044, Level = LogLevel.Warning, Message = "The {Hook} chain {Chain} of table {Family} {Table} has policy drop and will drop the forwarded traffic; to let it through, add: {Rule}")]
    public static partial void NftablesChainDrops(ILogger logger, string family, string table, string chain, string hook, string rule);

    [LoggerMessage(EventId = 3045, Level = LogLevel.Debug, Message = "Cannot read the nftables ruleset to look for dropping chains: {Reason}")]
    public static partial void NftablesRulesetUnreadable(ILogger logger, string reason);

    [LoggerMessage(EventId = 3046, Level = LogLevel.Warning, Message = "Removing {What} failed: {Reason}")]
    public static partial void NftablesStopFailed(ILogger logger, string what, string reason);

    [LoggerMessage(EventId = 3047, Level = LogLevel.Warning, Message = "route_localnet set on {Interface} for a loopback target: that link can now reach 127.0.0.0/8 addresses")]
    public static partial void NftablesRouteLocalnet(ILogger logger, string @interface);

    [LoggerMessage(EventId = 3048, Level = LogLevel.Debug, Message = "Cannot run conntrack to end the forwarded flows; they expire on conntrack's timeouts: {Reason}")]
    public static partial void NftablesConntrackMissing(ILogger logger, string reason);
}
