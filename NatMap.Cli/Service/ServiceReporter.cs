using Microsoft.Extensions.Logging;
using NatMap.Mapping;
using NatMap.Notify;

namespace NatMap.Cli.Service;

/// <summary>
/// What the CLI tells whoever supervises it: the status file (<c>--status-file</c>) and the service
/// manager (sd_notify, when <c>NOTIFY_SOCKET</c> is set). Fed from the watch loop (each change) and
/// from the mapper's <see cref="IPortMapper.StateChanged"/> (re-mapping, recovery), under one lock so
/// that the file's writes follow one another in order.
/// </summary>
internal sealed class ServiceReporter : IDisposable
{
    private readonly object _gate = new();
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

    public ServiceReporter(StatusFile? file, SystemdNotifier? systemd, ILogger logger, TimeProvider time)
    {
        _file = file;
        _systemd = systemd;
        _logger = logger;
        _time = time;
        _since = time.GetUtcNow();
    }

    /// <summary>Whether there is anyone to report to.</summary>
    public bool IsActive => _file is not null || _systemd is not null;

    /// <summary>Writes the starting state.</summary>
    public void Start()
    {
        lock (_gate)
        {
            WriteFile();
            _systemd?.Send(SystemdNotifier.Status("starting"));
        }
    }

    /// <summary>The mapper's state (or mapping) changed.</summary>
    public void Update(IPortMapper mapper, bool stopped = false)
    {
        lock (_gate)
        {
            var state = stopped ? MappingState.Stopped : mapper.State;
            var mapping = mapper.Current ?? _mapping;
            var error = mapper.LastError;
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
                CliLog.StatusFileFailed(_logger, ex.Message);
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

    public void Dispose() => _systemd?.Dispose();
}
