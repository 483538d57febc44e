using System.Diagnostics;
using System.Text;
using System.Threading.Channels;

namespace NatMap.Tests.Infrastructure;

/// <summary>
/// A child process whose stdout and stderr are captured line by line into channels, so a test can
/// await the line it needs (a readiness message, a reported mapping) with a timeout instead of
/// sleeping. Every line is also kept for failure messages. Disposing stops the process (SIGTERM,
/// then SIGKILL) if it still runs.
/// </summary>
internal sealed class CapturedProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _stdout = Channel.CreateUnbounded<string>(new() { SingleReader = true });
    private readonly Channel<string> _stderr = Channel.CreateUnbounded<string>(new() { SingleReader = true });
    private readonly List<string> _all = [];
    private readonly Task _pump;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private int _disposed;
    private string _state = "running";

    private CapturedProcess(Process process, string name)
    {
        _process = process;
        Name = name;
        Id = process.Id;
        _pump = Task.WhenAll(
            PumpAsync(process.StandardOutput, _stdout, "out"),
            PumpAsync(process.StandardError, _stderr, "err"));
    }

    /// <summary>A short name for messages (the program and the namespace it runs in).</summary>
    public string Name { get; }

    public int Id { get; }

    public bool HasExited => Volatile.Read(ref _disposed) != 0 || _process.HasExited;

    /// <summary>Time since the process was started.</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>Every line seen so far, each prefixed with "out: " or "err: " and its time.</summary>
    public IReadOnlyList<string> Transcript
    {
        get
        {
            lock (_all)
            {
                return [.. _all];
            }
        }
    }

    /// <summary>Starts <paramref name="fileName"/> with <paramref name="arguments"/>, stdin kept open for <see cref="WriteInputAsync"/>.</summary>
    public static CapturedProcess Start(string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, string? name = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start " + fileName);
        return new CapturedProcess(process, name ?? Path.GetFileName(fileName));
    }

    /// <summary>Writes <paramref name="text"/> to stdin; <paramref name="close"/> then closes it (end of input).</summary>
    public async Task WriteInputAsync(string text, bool close = true)
    {
        await _process.StandardInput.WriteAsync(text);
        await _process.StandardInput.FlushAsync();
        if (close)
        {
            _process.StandardInput.Close();
        }
    }

    /// <summary>
    /// Reads stdout lines until one matches <paramref name="match"/> and returns it; lines read on
    /// the way are consumed. Fails with the transcript when the process ends or time runs out first.
    /// </summary>
    public Task<string> ReadLineAsync(Func<string, bool> match, TimeSpan timeout, string? what = null) =>
        ReadAsync(_stdout, "stdout", match, timeout, what);

    /// <summary>As <see cref="ReadLineAsync"/>, on stderr.</summary>
    public Task<string> ReadErrorLineAsync(Func<string, bool> match, TimeSpan timeout, string? what = null) =>
        ReadAsync(_stderr, "stderr", match, timeout, what);

    /// <summary>Stdout lines available now, without waiting.</summary>
    public IReadOnlyList<string> DrainOutput() => Drain(_stdout);

    /// <summary>Stderr lines available now, without waiting.</summary>
    public IReadOnlyList<string> DrainErrors() => Drain(_stderr);

    private static List<string> Drain(Channel<string> channel)
    {
        var lines = new List<string>();
        while (channel.Reader.TryRead(out var line))
        {
            lines.Add(line);
        }

        return lines;
    }

    /// <summary>Sends <paramref name="signal"/> (SIGTERM by default); false when the process is gone.</summary>
    public bool Signal(int signal = NativeSignals.SigTerm)
    {
        try
        {
            return !_process.HasExited && NativeSignals.Send(Id, signal);
        }
        catch (InvalidOperationException)
        {
            return false; // already disposed
        }
    }

    /// <summary>Waits for the process to end and its output to be read; returns the exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        try
        {
            await _process.WaitForExitAsync().WaitAsync(timeout);
            await _pump.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{Name} did not exit within {timeout.TotalSeconds:0.#} s.\n{Describe()}");
        }

        return _process.ExitCode;
    }

    /// <summary>Sends <paramref name="signal"/> and waits for the exit; returns the exit code.</summary>
    public async Task<int> StopAsync(TimeSpan timeout, int signal = NativeSignals.SigTerm)
    {
        Signal(signal);
        return await WaitForExitAsync(timeout);
    }

    /// <summary>The transcript as one block of text, for failure messages and test output.</summary>
    public string Describe(int lastLines = 60)
    {
        var lines = Transcript;
        var shown = lines.Skip(Math.Max(0, lines.Count - lastLines));
        if (Volatile.Read(ref _disposed) == 0 && _process.HasExited)
        {
            _state = "exited with " + _process.ExitCode;
        }

        return $"--- {Name} (pid {Id}, {_state}), last {Math.Min(lastLines, lines.Count)} of {lines.Count} lines:\n"
            + string.Join('\n', shown);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            if (!_process.HasExited)
            {
                Signal(NativeSignals.SigTerm);
                try
                {
                    await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(5));
                }
                catch (TimeoutException)
                {
                    _process.Kill(entireProcessTree: true);
                    await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(5));
                }
            }

            await _pump.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
        {
            // Best effort: the namespace teardown kills whatever is left inside it.
        }
        finally
        {
            _state = _process.HasExited ? "exited with " + _process.ExitCode : "left running";
            _process.Dispose();
        }
    }

    private async Task<string> ReadAsync(Channel<string> channel, string stream, Func<string, bool> match, TimeSpan timeout, string? what)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (await channel.Reader.WaitToReadAsync(cts.Token))
            {
                while (channel.Reader.TryRead(out var line))
                {
                    if (match(line))
                    {
                        return line;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            throw new TimeoutException($"{Name}: no {stream} line {what ?? "matching"} within {timeout.TotalSeconds:0.#} s.\n{Describe()}");
        }

        throw new InvalidOperationException($"{Name} closed {stream} before a line {what ?? "matching"} appeared.\n{Describe()}");
    }

    private async Task PumpAsync(StreamReader reader, Channel<string> channel, string tag)
    {
        try
        {
            while (await reader.ReadLineAsync() is { } line)
            {
                lock (_all)
                {
                    _all.Add($"{_clock.Elapsed.TotalSeconds,7:0.000} {tag}: {line}");
                }

                channel.Writer.TryWrite(line);
            }
        }
        catch (IOException)
        {
            // The pipe broke with the process; what was read is kept.
        }
        finally
        {
            channel.Writer.TryComplete();
        }
    }
}
