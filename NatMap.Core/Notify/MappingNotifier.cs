using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NatMap.Diagnostics.Internal;
using NatMap.Mapping;
using NatMap.Notify.Internal;

namespace NatMap.Notify;

/// <summary>
/// The common shape of the built-in notifiers (<see cref="WebhookNotifier"/>, <see cref="NsUpdateNotifier"/>,
/// <see cref="TransmissionNotifier"/>, <see cref="QBittorrentNotifier"/>): <see cref="Notify"/> hands a change
/// over and returns at once, and one background loop per notifier delivers it.
/// </summary>
/// <remarks>
/// <para>
/// Only the latest change matters: a change handed over while an older one waits or retries replaces it
/// (the older is counted as <c>superseded</c>), so a slow or unreachable service never queues up stale
/// addresses and never holds up the mapper. A failed attempt is retried with a doubling delay, bounded by
/// <see cref="MappingNotifierOptions"/>; each failure is logged (EventId 4510) and counted in
/// <see cref="Diagnostics.NatMapMetrics.NotifyErrors"/>, and each change's end in
/// <see cref="Diagnostics.NatMapMetrics.NotifyDeliveries"/>.
/// </para>
/// <para>
/// Derive from it to add a notifier of your own: implement <see cref="DeliverAsync"/>, which is never called
/// concurrently and throws on failure.
/// </para>
/// </remarks>
public abstract class MappingNotifier : IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly MappingNotifierOptions _options;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _signal = new(0, 1);
    private MappingChanged? _pending;
    private TaskCompletionSource _idle = CompletedIdle();
    private Task? _worker;
    private bool _disposed;

    /// <summary>Sets up the notifier; nothing runs until the first <see cref="Notify"/>.</summary>
    /// <param name="kind">A short lower-case name of the kind of notifier (<c>webhook</c>), for logs and the metrics tag.</param>
    /// <param name="target">What is notified, for logs; it must hold no secret.</param>
    /// <param name="options">Retry settings; they are validated here and copied.</param>
    /// <param name="loggerFactory">Where deliveries and failures are logged; none when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">An argument is empty or <paramref name="options"/> is invalid.</exception>
    protected MappingNotifier(string kind, string target, MappingNotifierOptions options, ILoggerFactory? loggerFactory)
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        ArgumentException.ThrowIfNullOrEmpty(target);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Kind = kind;
        Target = target;
        _options = new MappingNotifierOptions
        {
            MaxAttempts = options.MaxAttempts,
            RetryDelay = options.RetryDelay,
            MaxRetryDelay = options.MaxRetryDelay,
            AttemptTimeout = options.AttemptTimeout,
        };
        Logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger(GetType().FullName ?? kind);
    }

    /// <summary>The kind of notifier, such as <c>webhook</c>: the <c>notifier</c> tag of its metrics.</summary>
    public string Kind { get; }

    /// <summary>What is notified, as logged (never with credentials).</summary>
    public string Target { get; }

    /// <summary>The logger of this notifier.</summary>
    protected ILogger Logger { get; }

    /// <summary>Hands <paramref name="mapping"/> to the background loop and returns at once.</summary>
    /// <param name="mapping">The new mapping; it replaces any change not yet delivered.</param>
    /// <exception cref="ObjectDisposedException">The notifier was disposed.</exception>
    public void Notify(MappingChanged mapping)
    {
        ArgumentNullException.ThrowIfNull(mapping);
        MappingChanged? superseded;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            superseded = _pending;
            _pending = mapping;
            if (_idle.Task.IsCompleted)
            {
                _idle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            _worker ??= Task.Run(RunAsync);
            if (_signal.CurrentCount == 0)
            {
                _signal.Release();
            }
        }

        if (superseded is not null)
        {
            Superseded(superseded);
        }
    }

    /// <summary>Waits until the latest change handed over has been delivered or given up.</summary>
    /// <param name="cancellationToken">Stops waiting (delivery goes on).</param>
    /// <returns>A task that completes when nothing is waiting or being delivered.</returns>
    public Task WaitForIdleAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return _idle.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Stops the background loop: an attempt in flight is cancelled and a change not yet delivered is dropped
    /// (call <see cref="WaitForIdleAsync"/> first to let it finish). Safe to call twice.
    /// </summary>
    /// <returns>A task that completes when the loop has ended and the notifier's resources are released.</returns>
    public async ValueTask DisposeAsync()
    {
        Task? worker;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            worker = _worker;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        if (worker is not null)
        {
            await worker.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        lock (_gate)
        {
            _idle.TrySetResult();
        }

        await DisposeCoreAsync().ConfigureAwait(false);
        _stop.Dispose();
        _signal.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Delivers one change; called from the background loop, never concurrently.</summary>
    /// <param name="mapping">The change to deliver.</param>
    /// <param name="cancellationToken">Cancelled when the attempt times out or the notifier is disposed.</param>
    /// <returns>A task that completes when the service has accepted the change; it faults on failure.</returns>
    protected abstract Task DeliverAsync(MappingChanged mapping, CancellationToken cancellationToken);

    /// <summary>Releases what the notifier holds, after the background loop has ended.</summary>
    /// <returns>A task that completes when they are released.</returns>
    protected virtual ValueTask DisposeCoreAsync() => ValueTask.CompletedTask;

    private static TaskCompletionSource CompletedIdle()
    {
        var idle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        idle.SetResult();
        return idle;
    }

    private async Task RunAsync()
    {
        var stop = _stop.Token;
        try
        {
            while (true)
            {
                await _signal.WaitAsync(stop).ConfigureAwait(false);
                while (TakePending() is { } mapping)
                {
                    await DeliverWithRetriesAsync(mapping, stop).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Disposed.
        }
    }

    private MappingChanged? TakePending()
    {
        lock (_gate)
        {
            var mapping = _pending;
            _pending = null;
            if (mapping is null)
            {
                _idle.TrySetResult();
            }

            return mapping;
        }
    }

    private bool HasPending()
    {
        lock (_gate)
        {
            return _pending is not null;
        }
    }

    private async Task DeliverWithRetriesAsync(MappingChanged mapping, CancellationToken stop)
    {
        string address = mapping.PublicEndPoint.ToString();
        var delay = _options.RetryDelay;
        for (int attempt = 1; ; attempt++)
        {
            string reason;
            using (var attemptTimeout = CancellationTokenSource.CreateLinkedTokenSource(stop))
            {
                attemptTimeout.CancelAfter(_options.AttemptTimeout);
                try
                {
                    await DeliverAsync(mapping, attemptTimeout.Token).ConfigureAwait(false);
                    NotifyLog.Delivered(Logger, Kind, Target, address, attempt);
                    NatMapInstruments.NotifyFinished(Kind, "delivered");
                    return;
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    throw;
                }
                catch (OperationCanceledException)
                {
                    reason = "no answer in " + _options.AttemptTimeout.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) + " s";
                }
                catch (Exception ex)
                {
                    // Whatever the service or the network does, the mapper goes on: a notifier's
                    // failure is logged and counted, never thrown.
                    reason = NotifierErrors.Describe(ex);
                }
            }

            NatMapInstruments.NotifyError(Kind);
            if (attempt >= _options.MaxAttempts)
            {
                NotifyLog.GaveUp(Logger, Kind, Target, address, attempt, reason);
                NatMapInstruments.NotifyFinished(Kind, "failed");
                return;
            }

            NotifyLog.AttemptFailed(Logger, Kind, Target, address, attempt, _options.MaxAttempts, reason, delay.TotalSeconds);

            // A newer change, handed over during the attempt or the wait, ends this one's retries.
            if (HasPending() || await _signal.WaitAsync(delay, stop).ConfigureAwait(false))
            {
                Superseded(mapping);
                return;
            }

            delay = delay * 2 < _options.MaxRetryDelay ? delay * 2 : _options.MaxRetryDelay;
        }
    }

    private void Superseded(MappingChanged mapping)
    {
        NotifyLog.Superseded(Logger, Kind, Target, mapping.PublicEndPoint.ToString());
        NatMapInstruments.NotifyFinished(Kind, "superseded");
    }
}
