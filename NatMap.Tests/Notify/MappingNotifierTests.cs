using System.Net;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using NatMap.Diagnostics;
using NatMap.Mapping;
using NatMap.Notify;
using NatMap.Tests.Diagnostics;
using NatMap.Tests.Infrastructure;

namespace NatMap.Tests.Notify;

/// <summary>The common shape of the built-in notifiers, through a notifier whose deliveries the test drives.</summary>
public sealed class MappingNotifierTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static MappingChanged Mapping(int publicPort) =>
        new(MappingProtocol.Tcp, new IPEndPoint(IPAddress.Parse("203.0.113.1"), publicPort), IPEndPoint.Parse("192.0.2.2:5555"));

    private static MappingNotifierOptions Fast(int attempts = 5) => new()
    {
        MaxAttempts = attempts,
        RetryDelay = TimeSpan.FromMilliseconds(5),
        MaxRetryDelay = TimeSpan.FromMilliseconds(20),
    };

    [Fact]
    public async Task Notify_FailsTwice_RetriesAndDeliversOnce()
    {
        using var metrics = new MetricsRecorder();
        var log = new RecordingLoggerFactory();
        await using var notifier = new DrivenNotifier(Fast(), log) { Outcome = attempt => attempt <= 2 ? new IOException("refused") : null };

        notifier.Notify(Mapping(40001));
        await notifier.WaitForIdleAsync(Ct).WaitAsync(Timeout, Ct);

        Assert.Equal([40001, 40001, 40001], notifier.Attempts);
        Assert.Equal(2, log.Entries.Count(e => e.Id.Id == 4510 && e.Message.Contains("refused", StringComparison.Ordinal)));
        Assert.Single(log.Entries, e => e.Id.Id == 4512);
        var tag = (NatMapMetrics.NotifierTag, (object)notifier.Kind);
        Assert.Equal(2, metrics.PushedSum(NatMapMetrics.NotifyErrors, tag));
        Assert.Equal(1, metrics.PushedSum(NatMapMetrics.NotifyDeliveries, tag, (NatMapMetrics.OutcomeTag, "delivered")));
    }

    [Fact]
    public async Task Notify_AlwaysFails_GivesUpAfterMaxAttempts()
    {
        using var metrics = new MetricsRecorder();
        var log = new RecordingLoggerFactory();
        await using var notifier = new DrivenNotifier(Fast(attempts: 3), log) { Outcome = _ => new InvalidOperationException("HTTP 500") };

        notifier.Notify(Mapping(40002));
        await notifier.WaitForIdleAsync(Ct).WaitAsync(Timeout, Ct);

        Assert.Equal(3, notifier.Attempts.Count);
        Assert.Equal(2, log.Entries.Count(e => e.Id.Id == 4510));
        var gaveUp = Assert.Single(log.Entries, e => e.Id.Id == 4511);
        Assert.Equal(LogLevel.Error, gaveUp.Level);
        Assert.Contains("after 3 attempt(s): HTTP 500", gaveUp.Message, StringComparison.Ordinal);
        var tag = (NatMapMetrics.NotifierTag, (object)notifier.Kind);
        Assert.Equal(3, metrics.PushedSum(NatMapMetrics.NotifyErrors, tag));
        Assert.Equal(1, metrics.PushedSum(NatMapMetrics.NotifyDeliveries, tag, (NatMapMetrics.OutcomeTag, "failed")));
    }

    [Fact]
    public async Task Notify_WhileDelivering_LatestWinsAndCallerNeverWaits()
    {
        using var metrics = new MetricsRecorder();
        await using var notifier = new DrivenNotifier(Fast(), null) { Hold = true };

        notifier.Notify(Mapping(40010));
        Assert.Equal(40010, await notifier.Started.Reader.ReadAsync(Ct).AsTask().WaitAsync(Timeout, Ct));

        // The first delivery hangs; these return at once, and only the last of them is delivered.
        notifier.Notify(Mapping(40011));
        notifier.Notify(Mapping(40012));
        notifier.Notify(Mapping(40013));
        Assert.False(notifier.WaitForIdleAsync(Ct).IsCompleted);
        notifier.Release();
        await notifier.WaitForIdleAsync(Ct).WaitAsync(Timeout, Ct);

        Assert.Equal([40010, 40013], notifier.Attempts);
        var tag = (NatMapMetrics.NotifierTag, (object)notifier.Kind);
        Assert.Equal(2, metrics.PushedSum(NatMapMetrics.NotifyDeliveries, tag, (NatMapMetrics.OutcomeTag, "superseded")));
        Assert.Equal(2, metrics.PushedSum(NatMapMetrics.NotifyDeliveries, tag, (NatMapMetrics.OutcomeTag, "delivered")));
    }

    [Fact]
    public async Task Notify_DuringRetryWait_NewerChangeEndsOlderRetries()
    {
        var options = Fast();
        options.RetryDelay = options.MaxRetryDelay = TimeSpan.FromMinutes(10);
        await using var notifier = new DrivenNotifier(options, null) { Outcome = attempt => attempt == 1 ? new IOException("down") : null };

        notifier.Notify(Mapping(40020));
        Assert.Equal(40020, await notifier.Started.Reader.ReadAsync(Ct).AsTask().WaitAsync(Timeout, Ct));
        notifier.Notify(Mapping(40021));
        await notifier.WaitForIdleAsync(Ct).WaitAsync(Timeout, Ct);

        // Without the newer change, the retry would wait ten minutes.
        Assert.Equal([40020, 40021], notifier.Attempts);
    }

    [Fact]
    public async Task Notify_AttemptHangs_TimesOutAndRetries()
    {
        var options = Fast(attempts: 2);
        options.AttemptTimeout = TimeSpan.FromMilliseconds(50);
        var log = new RecordingLoggerFactory();
        await using var notifier = new DrivenNotifier(options, log) { Hold = true };

        notifier.Notify(Mapping(40030));
        await notifier.WaitForIdleAsync(Ct).WaitAsync(Timeout, Ct);

        Assert.Equal(2, notifier.Attempts.Count);
        Assert.Contains(log.Entries, e => e.Id.Id == 4511 && e.Message.Contains("no answer in 0.05 s", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DisposeAsync_DeliveryInFlight_CancelsItAndRefusesMore()
    {
        var notifier = new DrivenNotifier(Fast(), null) { Hold = true };
        notifier.Notify(Mapping(40040));
        await notifier.Started.Reader.ReadAsync(Ct).AsTask().WaitAsync(Timeout, Ct);

        await notifier.DisposeAsync().AsTask().WaitAsync(Timeout, Ct);
        await notifier.DisposeAsync();

        Assert.True(notifier.SawCancellation);
        Assert.True(notifier.WaitForIdleAsync(Ct).IsCompleted);
        Assert.Throws<ObjectDisposedException>(() => notifier.Notify(Mapping(40041)));
    }

    [Fact]
    public void Options_Invalid_ThrowWithPropertyName()
    {
        Assert.Equal("MaxAttempts", Assert.Throws<ArgumentOutOfRangeException>(() => new MappingNotifierOptions { MaxAttempts = 0 }.Validate()).ParamName);
        Assert.Equal("RetryDelay", Assert.Throws<ArgumentOutOfRangeException>(() => new MappingNotifierOptions { RetryDelay = TimeSpan.FromMinutes(2) }.Validate()).ParamName);
        Assert.Equal("AttemptTimeout", Assert.Throws<ArgumentOutOfRangeException>(() => new MappingNotifierOptions { AttemptTimeout = TimeSpan.Zero }.Validate()).ParamName);
    }

    /// <summary>Records each attempt's public port; fails it as <see cref="Outcome"/> says, or holds it until <see cref="Release"/>.</summary>
    private sealed class DrivenNotifier(MappingNotifierOptions options, ILoggerFactory? loggerFactory)
        : MappingNotifier("test-" + Guid.NewGuid().ToString("N"), "driven", options, loggerFactory)
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly List<int> _attempts = [];

        public Func<int, Exception?> Outcome { get; init; } = _ => null;

        public bool Hold { get; set; }

        public bool SawCancellation { get; private set; }

        public Channel<int> Started { get; } = Channel.CreateUnbounded<int>();

        public IReadOnlyList<int> Attempts
        {
            get
            {
                lock (_attempts)
                {
                    return [.. _attempts];
                }
            }
        }

        public void Release()
        {
            Hold = false;
            _release.TrySetResult();
        }

        protected override async Task DeliverAsync(MappingChanged mapping, CancellationToken cancellationToken)
        {
            int attempt;
            lock (_attempts)
            {
                _attempts.Add(mapping.PublicEndPoint.Port);
                attempt = _attempts.Count;
            }

            Started.Writer.TryWrite(mapping.PublicEndPoint.Port);
            if (Hold)
            {
                try
                {
                    await _release.Task.WaitAsync(cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    SawCancellation = true;
                    throw;
                }
            }

            if (Outcome(attempt) is { } failure)
            {
                throw failure;
            }
        }
    }
}
