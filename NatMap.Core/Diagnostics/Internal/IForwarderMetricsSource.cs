namespace NatMap.Diagnostics.Internal;

/// <summary>A running forwarder whose counters <see cref="ForwarderMetricsRegistry"/> observes.</summary>
internal interface IForwarderMetricsSource
{
    /// <summary><c>tcp</c> or <c>udp</c>.</summary>
    string MetricsProtocol { get; }

    /// <summary>How it forwards: <c>relay</c> (this process) or <c>nftables</c> (the kernel).</summary>
    string MetricsMethod => "relay";

    /// <summary>The listening port.</summary>
    int MetricsLocalPort { get; }

    /// <summary>Reads the counters; called on a metrics collection, never on the relay path.</summary>
    ForwarderCounts ReadMetricsCounts();
}
