using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NatMap.Mapping;
using NatMap.Notify.Internal;

namespace NatMap.Notify;

/// <summary>
/// Tells whoever supervises the process how a mapping stands: a status file that a UI can poll
/// (<see cref="ServiceStatusOptions.StatusFile"/>) and the service manager (sd_notify, when
/// <c>NOTIFY_SOCKET</c> is set). It follows the mapper's <see cref="IPortMapper.StateChanged"/> from
/// <see cref="Start"/>; call <see cref="Update"/> after each change the watch loop reads, and
/// <see cref="Stop"/> once the mapper is disposed. Writes follow one another in order, and a status file
/// that cannot be written (a full disk) is logged once per outage and never stops the mapping.
/// </summary>
/// <remarks>
/// The status file holds the fields of the CLI's <c>--json</c> event (null before the first mapping),
/// then <c>name</c>, <c>pid</c>, <c>state</c> (<c>starting</c>, <c>mapped</c>, <c>remapping</c>,
/// <c>stopped</c>), <c>since</c> (ISO 8601 UTC), <c>forwardMethod</c> (null without a forward target),
/// <c>targetAddress</c>, <c>targetPort</c> and <c>lastError</c>. Each write goes to a temporary file in
/// the same folder, is flushed to disk and renamed over the path, so a reader never sees part of one.
/// </remarks>
public sealed class ServiceStatusReporter : IDisposable
{
    private readonly object _gate = new();
    private readonly IPortMapper _mapper;
    private readonly StatusFile? _file;
    private readonly SystemdNotifier? _systemd;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private MappingState _state = MappingState.Starting;
    private MappingChanged? _mapping;
    private string? _lastError;
    private DateTimeOffset _since;
    private bool _ready;
    private bool _fileFailed;

    /// <summary>Creates the reporter; nothing is written before <see cref="Start"/>.</summary>
    /// <param name="mapper">The mapper to report on.</param>
    /// <param name="mapperOptions">The mapper's options, for the forward method and target.</param>
    /// <param name="options">The status file, the name and whether to notify the service manager.</param>
    /// <param name="loggerFactory">Where the status file's failures are logged; none when null.</param>
    /// <param name="timeProvider">The clock of <c>since</c>; the system's when null.</param>
    /// <exception cref="ArgumentException"><paramref name="options"/> does not pass <see cref="ServiceStatusOptions.Validate"/>.</exception>
    public ServiceStatusReporter(IPortMapper mapper, PortMapperOptions mapperOptions, ServiceStatusOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        // Everything is checked before the service manager's socket is opened.
        ArgumentNullException.ThrowIfNull(mapper);
        ArgumentNullException.ThrowIfNull(mapperOptions);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _mapper = mapper;
        _file = options.StatusFile is { } path ? new StatusFile(path, options.Name, mapperOptions) : null;
        _systemd = options.NotifyServiceManager ? SystemdNotifier.FromEnvironment(Environment.GetEnvironmentVariable) : null;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("NatMap.Notify");
        _time = timeProvider ?? TimeProvider.System;
        _since = _time.GetUtcNow();
        if (_systemd is not null)
        {
            NotifyLog.ServiceManagerNotifying(_logger, _systemd.WatchdogInterval);
        }
    }

    /// <summary>Whether there is anyone to report to: a status file, or a service manager that asked for notifications.</summary>
    public bool IsActive => _file is not null || _systemd is not null;

    /// <summary>How often <c>WATCHDOG=1</c> is sent, or null without a watchdog.</summary>
    public TimeSpan? WatchdogInterval => _systemd?.WatchdogInterval;

    /// <summary>Writes the starting state and follows the mapper's state changes from now on; without <see cref="IsActive"/>, it writes nothing.</summary>
    public void Start()
    {
        lock (_gate)
        {
            WriteFile();
            _systemd?.Send(SystemdNotifier.Status("starting"));
        }

        _mapper.StateChanged += OnStateChanged;
    }

    /// <summary>Reports the mapper's current state and mapping, if either changed since the last report.</summary>
    public void Update() => Report(stopped: false);

    /// <summary>Reports the stopped state (<c>STOPPING=1</c> to the service manager); call it once the mapper is disposed.</summary>
    public void Stop()
    {
        _mapper.StateChanged -= OnStateChanged;
        Report(stopped: true);
    }

    /// <summary>Stops following the mapper and closes the service manager's socket; it writes nothing.</summary>
    public void Dispose()
    {
        _mapper.StateChanged -= OnStateChanged;
        _systemd?.Dispose();
    }

    private void OnStateChanged(object? sender, EventArgs e) => Update();

    private void Report(bool stopped)
    {
        lock (_gate)
        {
            var state = stopped ? MappingState.Stopped : _mapper.State;
            var mapping = _mapper.Current ?? _mapping;
            var error = _mapper.LastError;
            bool newMapping = mapping is not null && !mapping.IsSameMapping(_mapping);
            if (state == _state && !newMapping && error == _lastError)
            {
                return;
            }

            if (state != _state)
            {
                _since = _time.GetUtcNow();
            }

            (_state, _mapping, _lastError) = (state, mapping, error);
            WriteFile();
            if (_systemd is null)
            {
                return;
            }

            string line = _mapping is null ? "" : MappingText.FormatLine(_mapping);
            string status = _state switch
            {
                MappingState.Mapped => line,
                MappingState.Remapping => "remapping (" + _lastError + "); last " + line,
                MappingState.Stopped => "stopped",
                _ => "starting" + (_lastError is null ? "" : " (" + _lastError + ")"),
            };
            if (_state == MappingState.Mapped && !_ready)
            {
                _ready = true;
                _systemd.Send("READY=1\n" + SystemdNotifier.Status(status));
            }
            else
            {
                _systemd.Send((_state == MappingState.Stopped ? "STOPPING=1\n" : "") + SystemdNotifier.Status(status));
            }
        }
    }

    private void WriteFile()
    {
        if (_file is null)
        {
            return;
        }

        try
        {
            _file.Write(_state, _mapping, _lastError, _since);
            _fileFailed = false;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A full or read-only disk must not stop the mapping: say so once per outage.
            if (!_fileFailed)
            {
                _fileFailed = true;
                NotifyLog.StatusFileFailed(_logger, ex.Message);
            }

            try
            {
                _file.DeleteTemporary();
            }
            catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException)
            {
            }
        }
    }
}
