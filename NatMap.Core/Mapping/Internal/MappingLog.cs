using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace NatMap.Mapping.Internal;

/// <summary>Log messages of the port mapper: EventIds 2000-2999 (names and ids are a contract).</summary>
internal static partial class MappingLog
{
    [LoggerMessage(EventId = 2000, Level = LogLevel.Information, Message = "Mapping {Protocol} {PublicEndPoint} -> {PrivateEndPoint}")]
    public static partial void MappingReported(ILogger logger, MappingProtocol protocol, IPEndPoint publicEndPoint, IPEndPoint privateEndPoint);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Debug, Message = "Mapping unchanged: {PublicEndPoint} -> {PrivateEndPoint}")]
    public static partial void MappingUnchanged(ILogger logger, IPEndPoint publicEndPoint, IPEndPoint privateEndPoint);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Debug, Message = "Bound local {Protocol} port {LocalEndPoint}")]
    public static partial void Bound(ILogger logger, ProtocolType protocol, EndPoint localEndPoint);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "Cannot bind {Protocol} {LocalEndPoint}: {Error}")]
    public static partial void BindFailed(ILogger logger, ProtocolType protocol, IPEndPoint localEndPoint, string error);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "No port of {PortSpec} could be bound; retrying in {Delay}")]
    public static partial void NoPortBound(ILogger logger, PortSpec portSpec, TimeSpan delay);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Debug, Message = "Keep-alive connection from {LocalEndPoint} to HTTP server {Server} established")]
    public static partial void KeepAliveConnected(ILogger logger, EndPoint localEndPoint, EndPoint server);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Warning, Message = "Cannot connect to HTTP keep-alive server {Server}: {Reason}. Retrying; the STUN servers are not tried until it answers")]
    public static partial void KeepAliveConnectFailed(ILogger logger, string server, string reason);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Warning, Message = "Keep-alive connection to HTTP server {Server} lost: {Reason}")]
    public static partial void KeepAliveLost(ILogger logger, string server, string reason);

    [LoggerMessage(EventId = 2008, Level = LogLevel.Debug, Message = "Setting the mapping up again in {Delay}")]
    public static partial void RetryScheduled(ILogger logger, TimeSpan delay);

    [LoggerMessage(EventId = 2009, Level = LogLevel.Warning, Message = "STUN check from {LocalEndPoint} failed: {Reason}. Retrying")]
    public static partial void StunCheckFailed(ILogger logger, EndPoint localEndPoint, string reason);

    [LoggerMessage(EventId = 2010, Level = LogLevel.Debug, Message = "STUN check from {LocalEndPoint}: public endpoint {PublicEndPoint}")]
    public static partial void StunChecked(ILogger logger, EndPoint localEndPoint, IPEndPoint publicEndPoint);

    [LoggerMessage(EventId = 2011, Level = LogLevel.Error, Message = "Port mapper stopped by an unexpected error")]
    public static partial void Crashed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2012, Level = LogLevel.Debug, Message = "Port mapper stopped")]
    public static partial void Stopped(ILogger logger);

    [LoggerMessage(EventId = 2014, Level = LogLevel.Warning, Message = "Port {LocalEndPoint} is held by another socket and cannot be shared: {Reason}")]
    public static partial void TakeoverFailed(ILogger logger, IPEndPoint localEndPoint, string reason);

    [LoggerMessage(EventId = 2015, Level = LogLevel.Debug, Message = "UDP keep-alive sent from {LocalEndPoint}")]
    public static partial void UdpKeepAliveSent(ILogger logger, EndPoint localEndPoint);

    [LoggerMessage(EventId = 2016, Level = LogLevel.Warning, Message = "UDP keep-alive from {LocalEndPoint} failed: {Reason}")]
    public static partial void UdpKeepAliveFailed(ILogger logger, EndPoint localEndPoint, string reason);

    [LoggerMessage(EventId = 2017, Level = LogLevel.Information, Message = "Forwarding {Protocol} {LocalEndPoint} to {Target} port {TargetPort}")]
    public static partial void ForwarderStarted(ILogger logger, ProtocolType protocol, IPEndPoint localEndPoint, string target, int targetPort);

    [LoggerMessage(EventId = 2018, Level = LogLevel.Warning, Message = "Cannot start the forwarder on {LocalEndPoint}: {Reason}")]
    public static partial void ForwarderFailed(ILogger logger, IPEndPoint localEndPoint, string reason);

    [LoggerMessage(EventId = 2024, Level = LogLevel.Information, Message = "Serving TCP {LocalEndPoint} in-process")]
    public static partial void ServerStarted(ILogger logger, System.Net.EndPoint localEndPoint);

    [LoggerMessage(EventId = 2019, Level = LogLevel.Debug, Message = "Still waiting for the interface or address to bind; trying again in {Delay}")]
    public static partial void WaitingToBind(ILogger logger, TimeSpan delay);

    [LoggerMessage(EventId = 2020, Level = LogLevel.Warning, Message = "Address {Address} is not assigned to any interface ({Reason}); nothing is mapped until it is, trying again with back-off")]
    public static partial void AddressNotAssigned(ILogger logger, IPAddress address, string reason);

    [LoggerMessage(EventId = 2021, Level = LogLevel.Information, Message = "Address {Address} is assigned; mapping from it")]
    public static partial void AddressAssigned(ILogger logger, IPAddress address);

    [LoggerMessage(EventId = 2022, Level = LogLevel.Information, Message = "Local address changed from {Old} to {New}; setting the mapping up again")]
    public static partial void LocalAddressChanged(ILogger logger, IPAddress old, IPAddress @new);

    [LoggerMessage(EventId = 2023, Level = LogLevel.Information, Message = "HTTP server {Server} closed the keep-alive connection within one keep-alive interval; backing off")]
    public static partial void KeepAliveClosedEarly(ILogger logger, string server);

    [LoggerMessage(EventId = 2030, Level = LogLevel.Error, Message = "No STUN server has answered {Count} checks in a row from {LocalEndPoint}; still retrying. {Reason}")]
    public static partial void StunChecksFailing(ILogger logger, int count, EndPoint localEndPoint, string reason);

    [LoggerMessage(EventId = 2031, Level = LogLevel.Debug, Message = "STUN check from {LocalEndPoint} failed again ({Count} in a row): {Reason}")]
    public static partial void StunCheckFailedAgain(ILogger logger, EndPoint localEndPoint, int count, string reason);

    [LoggerMessage(EventId = 2032, Level = LogLevel.Information, Message = "STUN checks from {LocalEndPoint} answer again after {Count} failed")]
    public static partial void StunChecksRecovered(ILogger logger, EndPoint localEndPoint, int count);

    [LoggerMessage(EventId = 2040, Level = LogLevel.Information, Message = "Serving UDP in-process on {LocalEndPoint}")]
    public static partial void ServingStarted(ILogger logger, EndPoint? localEndPoint);

    [LoggerMessage(EventId = 2041, Level = LogLevel.Debug, Message = "Receive on the served UDP socket {LocalEndPoint} failed: {Error}")]
    public static partial void ServedReceiveFailed(ILogger logger, EndPoint? localEndPoint, SocketError error);
}
