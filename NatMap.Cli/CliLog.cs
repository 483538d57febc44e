using Microsoft.Extensions.Logging;

namespace NatMap.Cli;

/// <summary>Log messages of the command line; EventIds 6000-6999 are a contract.</summary>
internal static partial class CliLog
{
    [LoggerMessage(EventId = 6000, Level = LogLevel.Information, Message = "Started: {Protocol} mapping over {Family}, local port {Port}, STUN {StunServers}")]
    public static partial void Started(ILogger logger, string protocol, string family, string port, string stunServers);

    [LoggerMessage(EventId = 6001, Level = LogLevel.Debug, Message = "Reported: {Line}")]
    public static partial void MappingChanged(ILogger logger, string line);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Information, Message = "Stopping (SIGINT, SIGTERM or cancellation)")]
    public static partial void Stopping(ILogger logger);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Debug, Message = "Stopped")]
    public static partial void Stopped(ILogger logger);

    [LoggerMessage(EventId = 6004, Level = LogLevel.Information, Message = "Running in the background as pid {ProcessId}")]
    public static partial void Detached(ILogger logger, int processId);

    [LoggerMessage(EventId = 6005, Level = LogLevel.Error, Message = "Could not start {Program} in the background: {Reason}")]
    public static partial void DetachFailed(ILogger logger, string program, string reason);

    [LoggerMessage(EventId = 6006, Level = LogLevel.Warning, Message = "Option -w {Seconds} is ignored: a port held by a local service is taken over without waiting")]
    public static partial void ReuseWaitIgnored(ILogger logger, int seconds);

    [LoggerMessage(EventId = 6007, Level = LogLevel.Error, Message = "The port mapper stopped without being asked to")]
    public static partial void MapperEnded(ILogger logger);

    [LoggerMessage(EventId = 6008, Level = LogLevel.Debug, Message = "Waiting up to {Seconds} s for {Scripts} notify script(s) to exit and {Notifiers} notifier(s) to deliver the last change")]
    public static partial void WaitingForNotifiers(ILogger logger, int seconds, int scripts, int notifiers);

    [LoggerMessage(EventId = 6009, Level = LogLevel.Information, Message = "GC settings: {Settings}")]
    public static partial void GcSettings(ILogger logger, string settings);

    [LoggerMessage(EventId = 6010, Level = LogLevel.Information, Message = "GC heap: {HeapBytes} B in use, {CommittedBytes} B committed, gen0 {Gen0AfterBytes} B after last GC; collections {Gen0Count}/{Gen1Count}/{Gen2Count}; {AllocatedBytes} B allocated since start")]
    public static partial void GcHeap(ILogger logger, long heapBytes, long committedBytes, long gen0AfterBytes, int gen0Count, int gen1Count, int gen2Count, long allocatedBytes);

}
