using System.ComponentModel;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NatMap.Mapping;
using NatMap.Notify.Internal;

namespace NatMap.Notify;

/// <summary>
/// Runs a notify script for each mapping change, as the original natmap's <c>-e</c> does: the script is
/// executed directly (no shell) with the six arguments of <see cref="MappingText.ToArguments"/>, and the
/// same facts in the environment variables named by <see cref="NotifyEnvironment"/>.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="NotifyAsync"/> never blocks the caller: the script is started on the thread pool and tracked
/// until it exits, then reaped and disposed. A script that cannot be started or that exits with a
/// non-zero code is logged (EventIds 4502, 4503), never thrown.
/// </para>
/// <para>
/// The script's standard input is an empty pipe that is closed at once, so reads see end of file; its
/// standard output and standard error are inherited from this process, as the original does (a
/// detached <c>natmap -d</c> points them at <c>/dev/null</c>). Scripts run concurrently when mappings
/// change faster than they finish.
/// </para>
/// </remarks>
public sealed class ScriptNotifier : IAsyncDisposable
{
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private readonly HashSet<Task<int?>> _running = [];
    private bool _disposed;

    /// <summary>Creates a notifier for a script.</summary>
    /// <param name="scriptPath">The executable to run (a path, or a name looked up on <c>PATH</c>).</param>
    /// <param name="loggerFactory">Where failures are logged; none when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="scriptPath"/> is empty.</exception>
    public ScriptNotifier(string scriptPath, ILoggerFactory? loggerFactory = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(scriptPath);
        ScriptPath = scriptPath;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<ScriptNotifier>();
    }

    /// <summary>The script that is run.</summary>
    public string ScriptPath { get; }

    /// <summary>
    /// Checks now, rather than at the first mapping, that <paramref name="scriptPath"/> names an executable
    /// file: a path, or a name looked up where a process start looks (this program's folder, the current
    /// one, then <c>PATH</c>).
    /// </summary>
    /// <param name="scriptPath">The script a <see cref="ScriptNotifier"/> would run.</param>
    /// <exception cref="ArgumentException">No such file, or it is not executable; <c>ParamName</c> is <c>scriptPath</c>.</exception>
    public static void EnsureRunnable(string scriptPath)
    {
        ArgumentNullException.ThrowIfNull(scriptPath);
        var folders = scriptPath.Contains('/', StringComparison.Ordinal)
            ? [""]
            : new[] { Path.GetDirectoryName(Environment.ProcessPath) ?? "", Environment.CurrentDirectory }
                .Concat((Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        var found = scriptPath.Length == 0 ? null : folders.Select(f => Path.Combine(f, scriptPath)).FirstOrDefault(File.Exists);
        if (found is null)
        {
            throw new ArgumentException($"script '{scriptPath}' not found", nameof(scriptPath));
        }

        if (!OperatingSystem.IsWindows() && !Sockets.Internal.LinuxSyscalls.IsExecutable(found))
        {
            throw new ArgumentException($"script '{scriptPath}' is not executable", nameof(scriptPath));
        }
    }

    /// <summary>
    /// The mapping's name (the CLI's <c>--name</c>), given to the script as <see cref="NotifyEnvironment.Name"/>
    /// when set, so that one script can serve several mappings; its six arguments stay as they are.
    /// </summary>
    public string? Name { get; init; }

    /// <summary>How many started scripts have not exited yet.</summary>
    public int RunningCount
    {
        get
        {
            lock (_gate)
            {
                return _running.Count;
            }
        }
    }

    /// <summary>Starts the script for <paramref name="mapping"/> and returns at once.</summary>
    /// <param name="mapping">The new mapping.</param>
    /// <returns>
    /// A task that completes when the script has exited, with its exit code (128 + the signal number when
    /// a signal killed it), or with <see langword="null"/> when it could not be started. It never faults;
    /// awaiting it is optional.
    /// </returns>
    /// <exception cref="ObjectDisposedException">The notifier was disposed.</exception>
    public Task<int?> NotifyAsync(MappingChanged mapping)
    {
        ArgumentNullException.ThrowIfNull(mapping);
        var arguments = MappingText.ToArguments(mapping);
        Task<int?> task;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            task = Task.Run(() => RunAsync(arguments));
            _running.Add(task);
        }

        _ = task.ContinueWith(
            static (t, state) => ((ScriptNotifier)state!).Untrack(t),
            this,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        return task;
    }

    /// <summary>Waits until every script started so far has exited.</summary>
    /// <param name="cancellationToken">Stops waiting (the scripts keep running).</param>
    /// <returns>A task that completes when no script started before the call is running.</returns>
    public Task WaitForRunningAsync(CancellationToken cancellationToken = default)
    {
        Task[] snapshot;
        lock (_gate)
        {
            snapshot = [.. _running];
        }

        return Task.WhenAll(snapshot).WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Stops accepting new notifications. Scripts still running are neither waited for nor killed (call
    /// <see cref="WaitForRunningAsync"/> first to wait); they are logged and left to finish on their own.
    /// </summary>
    /// <returns>A completed task.</returns>
    public ValueTask DisposeAsync()
    {
        int running;
        lock (_gate)
        {
            if (_disposed)
            {
                return ValueTask.CompletedTask;
            }

            _disposed = true;
            running = _running.Count;
        }

        if (running > 0)
        {
            NotifyLog.ScriptsStillRunning(_logger, running);
        }

        return ValueTask.CompletedTask;
    }

    private const int TextFileBusy = 26;
    private const int StartAttempts = 5;

    private async Task<int?> RunAsync(string[] arguments)
    {
        var startInfo = new ProcessStartInfo(ScriptPath)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = false,
            RedirectStandardError = false,
        };
        var names = NotifyEnvironment.Names();
        for (int i = 0; i < arguments.Length; i++)
        {
            startInfo.ArgumentList.Add(arguments[i]);
            startInfo.Environment[names[i]] = arguments[i];
        }

        if (Name is not null)
        {
            startInfo.Environment[NotifyEnvironment.Name] = Name;
        }

        Process? process;
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                process = Process.Start(startInfo);
                break;
            }
            catch (Win32Exception ex) when (ex.NativeErrorCode == TextFileBusy && attempt < StartAttempts)
            {
                // ETXTBSY: the script was just written and some process forked in the meantime still
                // holds it open for writing until it execs. That window is short; waiting out a
                // few milliseconds beats dropping the notification.
                await Task.Delay(TimeSpan.FromMilliseconds(20 * attempt)).ConfigureAwait(false);
            }
            catch (Win32Exception ex)
            {
                NotifyLog.ScriptStartFailed(_logger, ScriptPath, ex.Message);
                return null;
            }
            catch (InvalidOperationException ex)
            {
                NotifyLog.ScriptStartFailed(_logger, ScriptPath, ex.Message);
                return null;
            }
        }

        if (process is null)
        {
            NotifyLog.ScriptStartFailed(_logger, ScriptPath, "no process was started");
            return null;
        }

        using (process)
        {
            int pid = process.Id;
            NotifyLog.ScriptStarted(_logger, ScriptPath, pid, arguments[0], arguments[1]);
            try
            {
                // The script reads end of file on stdin, like /dev/null: it gets nothing from us.
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // The script already exited and closed its end: nothing to close.
            }

            await process.WaitForExitAsync().ConfigureAwait(false);
            int exitCode = process.ExitCode;
            if (exitCode == 0)
            {
                NotifyLog.ScriptSucceeded(_logger, ScriptPath, pid);
            }
            else
            {
                NotifyLog.ScriptFailed(_logger, ScriptPath, pid, exitCode);
            }

            return exitCode;
        }
    }

    private void Untrack(Task<int?> task)
    {
        lock (_gate)
        {
            _running.Remove(task);
        }
    }
}
