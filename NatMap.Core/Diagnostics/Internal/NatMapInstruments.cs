using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using NatMap.Gateway;
using NatMap.Gateway.Internal;

namespace NatMap.Diagnostics.Internal;

/// <summary>The meter and instruments named in <see cref="NatMapMetrics"/>, and the calls that record them.</summary>
internal static class NatMapInstruments
{
    public static readonly Meter Meter = new(NatMapMetrics.MeterName, typeof(NatMapInstruments).Assembly.GetName().Version?.ToString());

    private static readonly Counter<long> MappingChanges = Meter.CreateCounter<long>(
        NatMapMetrics.MappingChanges, "{change}", "Public mappings reported by port mappers.");

    private static readonly Counter<long> StunTransactions = Meter.CreateCounter<long>(
        NatMapMetrics.StunTransactions, "{transaction}", "STUN Binding transactions, by outcome.");

    private static readonly Histogram<double> StunDuration = Meter.CreateHistogram<double>(
        NatMapMetrics.StunDuration, "s", "Duration of successful STUN Binding transactions.");

    private static readonly Counter<long> StunDiscards = Meter.CreateCounter<long>(
        NatMapMetrics.StunDiscarded, "{message}", "Messages discarded by waiting STUN transactions, by reason.");

    private static readonly ObservableUpDownCounter<long> ForwardActive = Meter.CreateObservableUpDownCounter(
        NatMapMetrics.ForwardConnectionsActive, ForwarderMetricsRegistry.ObserveActive, "{connection}",
        "TCP connections and UDP sessions being relayed.");

    private static readonly ObservableCounter<long> ForwardConnections = Meter.CreateObservableCounter(
        NatMapMetrics.ForwardConnections, ForwarderMetricsRegistry.ObserveConnections, "{connection}",
        "TCP connections and UDP sessions offered to forwarders, by outcome.");

    private static readonly ObservableCounter<long> ForwardBytes = Meter.CreateObservableCounter(
        NatMapMetrics.ForwardBytes, ForwarderMetricsRegistry.ObserveBytes, "By",
        "Payload bytes relayed by forwarders, by direction.");

    private static readonly Counter<long> NotifyDeliveries = Meter.CreateCounter<long>(
        NatMapMetrics.NotifyDeliveries, "{change}", "Mapping changes handed to built-in notifiers, by outcome.");

    private static readonly Counter<long> NotifyErrors = Meter.CreateCounter<long>(
        NatMapMetrics.NotifyErrors, "{attempt}", "Failed attempts of built-in notifiers.");

    private static readonly Counter<long> GatewayRequests = Meter.CreateCounter<long>(
        NatMapMetrics.GatewayRequests, "{request}", "Requests to the home router (PCP, NAT-PMP, UPnP IGD), by operation and outcome.");

    /// <summary>Makes sure the observable instruments exist before the first forwarder registers.</summary>
    public static void EnsureCreated() => GC.KeepAlive(ForwardActive);

    public static void MappingChanged(MappingProtocol protocol, int localPort)
    {
        if (!MappingChanges.Enabled)
        {
            return;
        }

        var tags = new TagList
        {
            { NatMapMetrics.ProtocolTag, protocol == MappingProtocol.Tcp ? "tcp" : "udp" },
            { NatMapMetrics.LocalPortTag, localPort },
        };
        MappingChanges.Add(1, tags);
    }

    /// <summary>Records one STUN transaction; <paramref name="startTimestamp"/> is from <see cref="Stopwatch.GetTimestamp"/>.</summary>
    public static void StunTransaction(ProtocolType protocol, StunOutcome outcome, string serverAddress, int serverPort, long startTimestamp)
    {
        if (!StunTransactions.Enabled && !StunDuration.Enabled)
        {
            return;
        }

        var tags = new TagList
        {
            { NatMapMetrics.ProtocolTag, protocol == ProtocolType.Tcp ? "tcp" : "udp" },
            { NatMapMetrics.ServerAddressTag, serverAddress },
            { NatMapMetrics.ServerPortTag, serverPort },
        };
        if (outcome == StunOutcome.Success)
        {
            StunDuration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, tags);
        }

        tags.Add(NatMapMetrics.OutcomeTag, OutcomeName(outcome));
        StunTransactions.Add(1, tags);
    }

    /// <summary>Records one message discarded by a waiting transaction (RFC 8489 section 6.3); <paramref name="reason"/> is the tag value, such as <c>bad_fingerprint</c>.</summary>
    public static void StunDiscarded(ProtocolType protocol, string reason, IPEndPoint server)
    {
        if (!StunDiscards.Enabled)
        {
            return;
        }

        var tags = new TagList
        {
            { NatMapMetrics.ProtocolTag, protocol == ProtocolType.Tcp ? "tcp" : "udp" },
            { NatMapMetrics.ReasonTag, reason },
            { NatMapMetrics.ServerAddressTag, server.Address.ToString() },
            { NatMapMetrics.ServerPortTag, server.Port },
        };
        StunDiscards.Add(1, tags);
    }

    /// <summary>Records how one change handed to a notifier ended: <c>delivered</c>, <c>failed</c> or <c>superseded</c>.</summary>
    public static void NotifyFinished(string notifier, string outcome)
    {
        if (NotifyDeliveries.Enabled)
        {
            NotifyDeliveries.Add(1, new KeyValuePair<string, object?>(NatMapMetrics.NotifierTag, notifier), new KeyValuePair<string, object?>(NatMapMetrics.OutcomeTag, outcome));
        }
    }

    public static void NotifyError(string notifier)
    {
        if (NotifyErrors.Enabled)
        {
            NotifyErrors.Add(1, new KeyValuePair<string, object?>(NatMapMetrics.NotifierTag, notifier));
        }
    }

    /// <summary>Records one request to the home router: <paramref name="operation"/> is <c>map</c>, <c>renew</c>, <c>check</c> or <c>delete</c>.</summary>
    public static void GatewayRequest(GatewayProtocol protocol, string operation, string outcome)
    {
        if (!GatewayRequests.Enabled)
        {
            return;
        }

        var tags = new TagList
        {
            { NatMapMetrics.GatewayProtocolTag, GatewayProtocolNames.Tag(protocol) },
            { NatMapMetrics.OperationTag, operation },
            { NatMapMetrics.OutcomeTag, outcome },
        };
        GatewayRequests.Add(1, tags);
    }

    private static string OutcomeName(StunOutcome outcome) => outcome switch
    {
        StunOutcome.Success => "success",
        StunOutcome.Timeout => "timeout",
        StunOutcome.ErrorResponse => "error_response",
        StunOutcome.Malformed => "malformed",
        _ => "unreachable",
    };
}
