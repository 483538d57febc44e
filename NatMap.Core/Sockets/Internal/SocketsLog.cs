using System.Net;
using Microsoft.Extensions.Logging;

namespace NatMap.Sockets.Internal;

/// <summary>Log messages of the platform socket layer: EventIds 4000-4499 (names and ids are a contract).</summary>
internal static partial class SocketsLog
{
    [LoggerMessage(EventId = 4000, Level = LogLevel.Warning, Message = "Cannot share the local port (SO_REUSEADDR/SO_REUSEPORT): {Reason}; binding without it")]
    public static partial void ReusePortUnavailable(ILogger logger, string reason);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Cannot bind to interface {Interface} (SO_BINDTODEVICE): {Error}; the option has no effect")]
    public static partial void BindToDeviceUnavailable(ILogger logger, string @interface, string error);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "Cannot set firewall mark {Mark} (SO_MARK): {Reason}; the option has no effect")]
    public static partial void MarkUnavailable(ILogger logger, uint mark, string reason);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "Cannot set TCP congestion control {Algorithm} (TCP_CONGESTION): {Reason}; the option has no effect")]
    public static partial void CongestionControlUnavailable(ILogger logger, string algorithm, string reason);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Warning, Message = "Interface {Interface} does not exist ({Reason}); nothing is mapped until it appears, trying again with back-off")]
    public static partial void InterfaceMissing(ILogger logger, string @interface, string reason);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Information, Message = "Interface {Interface} is present; mapping through it")]
    public static partial void InterfacePresent(ILogger logger, string @interface);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Information, Message = "Interface {Interface} went away under a socket bound to it; binding again")]
    public static partial void BoundInterfaceGone(ILogger logger, string @interface);

    [LoggerMessage(EventId = 4010, Level = LogLevel.Debug, Message = "Port {LocalEndPoint} is held by inode {Inode} in process {ProcessId}, fd {Fd}")]
    public static partial void HolderFound(ILogger logger, IPEndPoint localEndPoint, ulong inode, int processId, int fd);

    [LoggerMessage(EventId = 4011, Level = LogLevel.Information, Message = "Set SO_REUSEPORT on the socket of process {ProcessId} ({ProcessName}) holding {LocalEndPoint}")]
    public static partial void HolderShared(ILogger logger, int processId, string processName, IPEndPoint localEndPoint);

    [LoggerMessage(EventId = 4012, Level = LogLevel.Warning, Message = "Cannot take over port {LocalEndPoint}: {Reason}")]
    public static partial void TakeoverFailed(ILogger logger, IPEndPoint localEndPoint, string reason);
}
