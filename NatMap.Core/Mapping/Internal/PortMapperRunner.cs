using System.Net;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using NatMap.Diagnostics.Internal;

namespace NatMap.Mapping.Internal;

/// <summary>
/// The <see cref="IPortMapper"/> shell around a mapping loop: runs it while a watcher enumerates, keeps
/// <see cref="Current"/>, emits only changes, and stops on cancellation or disposal.
/// </summary>
internal sealed class PortMapperRunner : IPortMapper, IMappingSink
{
    // A slow reader loses intermediate mappings, never the latest: DropOldest keeps the newest events.
    private const int ChannelCapacity = 16;

    private readonly IMappingLoop _loop;
    private readonly MappingProtocol _protocol;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _disposing = new();
    private readonly object _gate = new();
    private MappingChanged? _current;
    private MappingState _state;
    private string? _lastError;
    private ChannelWriter<MappingChanged>? _writer;
    private Task? _running;
    private int _disposed;

    public PortMapperRunner(IMappingLoop loop, MappingProtocol protocol, ILogger logger)
    {
        _loop = loop;
        _protocol = protocol;
        _logger = logger;
    }

    public MappingChanged? Current => Volatile.Read(ref _current);

    public MappingState State
    {
        get
        {
            lock (_gate)
            {
                return _state;
            }
        }
    }

    public string? LastError => Volatile.Read(ref _lastError);

    public event EventHandler? StateChanged;

    public async IAsyncEnumerable<MappingChanged> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            yield break;
        }

        var channel = Channel.CreateBounded<MappingChanged>(new BoundedChannelOptions(ChannelCapacity)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
            SingleWriter = true,
        });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposing.Token);
        Task run;
        lock (_gate)
        {
            if (_writer is not null)
            {
                throw new InvalidOperationException("This port mapper is already being watched; enumerate WatchAsync once at a time.");
            }

            _writer = channel.Writer;
            _state = _current is null ? MappingState.Starting : MappingState.Remapping;
            run = RunLoopAsync(channel.Writer, stop.Token);
            _running = run;
        }

        try
        {
            var reader = channel.Reader;
            while (true)
            {
                bool more;
                try
                {
                    more = await reader.WaitToReadAsync(stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    break;
                }

                if (!more)
                {
                    break;
                }

                while (reader.TryRead(out var item))
                {
                    yield return item;
                }
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await run.ConfigureAwait(false);
            lock (_gate)
            {
                _writer = null;
                _running = null;
            }
        }
    }

    public ValueTask<bool> ReportAsync(IPEndPoint publicEndPoint, IPEndPoint privateEndPoint, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Report(publicEndPoint, privateEndPoint));

    public void Lost(string reason)
    {
        lock (_gate)
        {
            Volatile.Write(ref _lastError, reason);
            _state = _current is null ? MappingState.Starting : MappingState.Remapping;
        }

        OnStateChanged();
    }

    private bool Report(IPEndPoint publicEndPoint, IPEndPoint privateEndPoint)
    {
        ChannelWriter<MappingChanged>? writer = null;
        MappingChanged? next = null;
        bool recovered;
        lock (_gate)
        {
            recovered = _state != MappingState.Mapped;
            _state = MappingState.Mapped;
            var current = _current;
            if (current is not null && current.PublicEndPoint.Equals(publicEndPoint) && current.PrivateEndPoint.Equals(privateEndPoint))
            {
                MappingLog.MappingUnchanged(_logger, publicEndPoint, privateEndPoint);
            }
            else
            {
                next = new MappingChanged(_protocol, publicEndPoint, privateEndPoint, current);
                Volatile.Write(ref _current, next);
                writer = _writer;
            }
        }

        if (recovered)
        {
            OnStateChanged();
        }

        if (next is null)
        {
            return false;
        }

        MappingLog.MappingReported(_logger, _protocol, publicEndPoint, privateEndPoint);
        NatMapInstruments.MappingChanged(_protocol, privateEndPoint.Port);
        writer?.TryWrite(next);
        return true;
    }

    private void OnStateChanged() => StateChanged?.Invoke(this, EventArgs.Empty);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _disposing.CancelAsync().ConfigureAwait(false);
        Task? running;
        lock (_gate)
        {
            running = _running;
        }

        if (running is not null)
        {
            await running.ConfigureAwait(false);
        }
    }

    private async Task RunLoopAsync(ChannelWriter<MappingChanged> writer, CancellationToken cancellationToken)
    {
        // Run the loop off the caller's stack so WatchAsync starts reading at once.
        await Task.Yield();
        try
        {
            await _loop.RunAsync(this, cancellationToken).ConfigureAwait(false);
            writer.TryComplete();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            writer.TryComplete();
        }
        catch (Exception ex)
        {
            // Not a network fault (those are retried inside the loop): a defect, surfaced to the watcher.
            MappingLog.Crashed(_logger, ex);
            writer.TryComplete(ex);
        }

        lock (_gate)
        {
            _state = MappingState.Stopped;
        }

        OnStateChanged();
        MappingLog.Stopped(_logger);
    }
}
