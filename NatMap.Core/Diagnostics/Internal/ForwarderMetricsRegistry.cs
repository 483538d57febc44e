using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace NatMap.Diagnostics.Internal;

/// <summary>
/// The running forwarders, observed by the forwarder instruments of <see cref="NatMapInstruments"/>.
/// The relay path only bumps the forwarders' own Interlocked counters; they are read here when a
/// listener collects, so metrics cost the relay nothing.
/// </summary>
internal static class ForwarderMetricsRegistry
{
    private static readonly object Gate = new();
    private static readonly List<IForwarderMetricsSource> Live = [];

    // Totals of stopped forwarders, so a counter series never goes backwards when its forwarder
    // stops or is restarted on the same port.
    private static readonly Dictionary<(string Protocol, int Port, string Method), ForwarderCounts> Retired = [];

    /// <summary>Starts observing <paramref name="source"/>; called once its listening port is known.</summary>
    public static void Register(IForwarderMetricsSource source)
    {
        NatMapInstruments.EnsureCreated();
        lock (Gate)
        {
            Live.Add(source);
        }
    }

    /// <summary>Stops observing <paramref name="source"/>, keeping its final totals.</summary>
    public static void Unregister(IForwarderMetricsSource source)
    {
        var counts = source.ReadMetricsCounts();
        lock (Gate)
        {
            if (!Live.Remove(source))
            {
                return;
            }

            var key = (source.MetricsProtocol, source.MetricsLocalPort, source.MetricsMethod);
            Retired[key] = Retired.TryGetValue(key, out var retired)
                ? retired.AddTotals(counts)
                : counts with { Active = 0 };
        }
    }

    public static IEnumerable<Measurement<long>> ObserveActive() =>
        Observe(static (in ForwarderCounts c, List<Measurement<long>> into, in TagList tags) =>
            into.Add(new Measurement<long>(c.Active, tags)));

    public static IEnumerable<Measurement<long>> ObserveConnections() =>
        Observe(static (in ForwarderCounts c, List<Measurement<long>> into, in TagList tags) =>
        {
            Add(into, c.Accepted, tags, NatMapMetrics.OutcomeTag, "accepted");
            Add(into, c.Refused, tags, NatMapMetrics.OutcomeTag, "refused");
            Add(into, c.Failed, tags, NatMapMetrics.OutcomeTag, "failed");
        });

    public static IEnumerable<Measurement<long>> ObserveBytes() =>
        Observe(static (in ForwarderCounts c, List<Measurement<long>> into, in TagList tags) =>
        {
            Add(into, c.BytesToTarget, tags, NatMapMetrics.DirectionTag, "to_target");
            Add(into, c.BytesFromTarget, tags, NatMapMetrics.DirectionTag, "from_target");
        });

    private delegate void Emit(in ForwarderCounts counts, List<Measurement<long>> into, in TagList tags);

    private static void Add(List<Measurement<long>> into, long value, TagList tags, string key, string tagValue)
    {
        tags.Add(key, tagValue);
        into.Add(new Measurement<long>(value, tags));
    }

    private static List<Measurement<long>> Observe(Emit emit)
    {
        var totals = new Dictionary<(string Protocol, int Port, string Method), ForwarderCounts>();
        lock (Gate)
        {
            foreach (var (key, retired) in Retired)
            {
                totals[key] = retired;
            }

            foreach (var source in Live)
            {
                var key = (source.MetricsProtocol, source.MetricsLocalPort, source.MetricsMethod);
                var counts = source.ReadMetricsCounts();

                // Two live forwarders can share a port (SO_REUSEPORT): one series, their sum.
                totals[key] = totals.TryGetValue(key, out var earlier)
                    ? counts.AddTotals(earlier) with { Active = counts.Active + earlier.Active }
                    : counts;
            }
        }

        var measurements = new List<Measurement<long>>(totals.Count * 3);
        foreach (var ((protocol, port, method), counts) in totals)
        {
            var tags = new TagList
            {
                { NatMapMetrics.ProtocolTag, protocol },
                { NatMapMetrics.LocalPortTag, port },
                { NatMapMetrics.ForwardMethodTag, method },
            };
            emit(counts, measurements, tags);
        }

        return measurements;
    }
}
