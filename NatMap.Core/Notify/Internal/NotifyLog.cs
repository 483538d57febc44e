using Microsoft.Extensions.Logging;

namespace NatMap.Notify.Internal;

/// <summary>Log messages of the notifiers (the script hook and <see cref="MappingNotifier"/>s); EventIds 4500-4999 are a contract.</summary>
internal static partial class NotifyLog
{
    [LoggerMessage(EventId = 4500, Level = LogLevel.Debug, Message = "Started notify script {Script} (pid {ProcessId}) for {PublicAddress} port {PublicPort}")]
    public static partial void ScriptStarted(ILogger logger, string script, int processId, string publicAddress, string publicPort);

    [LoggerMessage(EventId = 4501, Level = LogLevel.Debug, Message = "Notify script {Script} (pid {ProcessId}) exited with code 0")]
    public static partial void ScriptSucceeded(ILogger logger, string script, int processId);

    [LoggerMessage(EventId = 4502, Level = LogLevel.Warning, Message = "Notify script {Script} (pid {ProcessId}) exited with code {ExitCode}")]
    public static partial void ScriptFailed(ILogger logger, string script, int processId, int exitCode);

    [LoggerMessage(EventId = 4503, Level = LogLevel.Error, Message = "Notify script {Script} could not be started: {Reason}")]
    public static partial void ScriptStartFailed(ILogger logger, string script, string reason);

    [LoggerMessage(EventId = 4504, Level = LogLevel.Warning, Message = "{Count} notify script(s) still running at shutdown; leaving them to finish on their own")]
    public static partial void ScriptsStillRunning(ILogger logger, int count);

    [LoggerMessage(EventId = 4510, Level = LogLevel.Warning, Message = "{Notifier} {Target}: notification of {PublicEndPoint} failed (attempt {Attempt} of {Attempts}): {Reason}; retrying in {Delay} s")]
    public static partial void AttemptFailed(ILogger logger, string notifier, string target, string publicEndPoint, int attempt, int attempts, string reason, double delay);

    [LoggerMessage(EventId = 4511, Level = LogLevel.Error, Message = "{Notifier} {Target}: gave up notifying {PublicEndPoint} after {Attempts} attempt(s): {Reason}")]
    public static partial void GaveUp(ILogger logger, string notifier, string target, string publicEndPoint, int attempts, string reason);

    [LoggerMessage(EventId = 4512, Level = LogLevel.Information, Message = "{Notifier} {Target}: notified {PublicEndPoint} (attempt {Attempt})")]
    public static partial void Delivered(ILogger logger, string notifier, string target, string publicEndPoint, int attempt);

    [LoggerMessage(EventId = 4513, Level = LogLevel.Debug, Message = "{Notifier} {Target}: notification of {PublicEndPoint} superseded by a newer change")]
    public static partial void Superseded(ILogger logger, string notifier, string target, string publicEndPoint);

    [LoggerMessage(EventId = 4520, Level = LogLevel.Warning, Message = "transmission {Target}: peer-port set to {ListenPort}, but Transmission has no announce port: peers will be told port {ListenPort}, not the public port {PublicPort}")]
    public static partial void TransmissionHasNoAnnouncePort(ILogger logger, string target, int listenPort, int publicPort);

    [LoggerMessage(EventId = 4530, Level = LogLevel.Warning, Message = "qbittorrent {Target}: listen_port set to {ListenPort}, but this qBittorrent has no announce_port preference: peers will be told port {ListenPort}, not the public port {PublicPort}")]
    public static partial void QBittorrentHasNoAnnouncePort(ILogger logger, string target, int listenPort, int publicPort);

    [LoggerMessage(EventId = 4540, Level = LogLevel.Warning, Message = "Cannot write the status file: {Reason}; the mapping goes on")]
    public static partial void StatusFileFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 4541, Level = LogLevel.Debug, Message = "Notifying the service manager (NOTIFY_SOCKET); watchdog every {Interval}")]
    public static partial void ServiceManagerNotifying(ILogger logger, TimeSpan? interval);
}
