using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using NatMap.Diagnostics;

namespace NatMap.Tests.Diagnostics;

/// <summary>One measurement of a NatMap instrument, with its tags.</summary>
internal sealed record RecordedMeasurement(string Instrument, double Value, IReadOnlyDictionary<string, object?> Tags)
{
    public bool HasTags(params (string Key, object Value)[] tags) =>
        tags.All(t => Tags.TryGetValue(t.Key, out var value) && Equals(value, t.Value));
}

/// <summary>
/// Listens to the NatMap meter. Instruments are process-wide and tests run in parallel, so the
/// tests pick their own measurements by tags that only their sockets can have (a port they hold).
/// </summary>
internal sealed class MetricsRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<RecordedMeasurement> _pushed = new();
    private readonly object _collectGate = new();
    private List<RecordedMeasurement>? _collecting;

    public MetricsRecorder(string meterName = NatMapMetrics.MeterName)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == meterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => OnMeasurement(instrument, value, tags));
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => OnMeasurement(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => OnMeasurement(instrument, value, tags));
        _listener.Start();
    }

    /// <summary>Measurements of counters and histograms recorded since this recorder started.</summary>
    public IReadOnlyList<RecordedMeasurement> Pushed(string instrument, params (string Key, object Value)[] tags) =>
        [.. _pushed.Where(m => m.Instrument == instrument && m.HasTags(tags))];

    /// <summary>The sum of the pushed values of <paramref name="instrument"/> with these tags.</summary>
    public double PushedSum(string instrument, params (string Key, object Value)[] tags) =>
        Pushed(instrument, tags).Sum(m => m.Value);

    /// <summary>Runs the observable instruments' callbacks once and returns what they reported.</summary>
    public IReadOnlyList<RecordedMeasurement> Collect()
    {
        lock (_collectGate)
        {
            _collecting = [];
            _listener.RecordObservableInstruments();
            var collected = _collecting;
            _collecting = null;
            return collected;
        }
    }

    /// <summary>The observed value of <paramref name="instrument"/> with these tags in one collection (0 when absent).</summary>
    public static long Observed(IReadOnlyList<RecordedMeasurement> collection, string instrument, params (string Key, object Value)[] tags) =>
        (long)collection.Where(m => m.Instrument == instrument && m.HasTags(tags)).Sum(m => m.Value);

    public void Dispose() => _listener.Dispose();

    private void OnMeasurement(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var measurement = new RecordedMeasurement(instrument.Name, value, new Dictionary<string, object?>(tags.ToArray()));
        if (instrument.IsObservable)
        {
            // RecordObservableInstruments calls back on the collecting thread, under _collectGate.
            _collecting?.Add(measurement);
        }
        else
        {
            _pushed.Enqueue(measurement);
        }
    }
}
