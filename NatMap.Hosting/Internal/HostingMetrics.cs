using System.Diagnostics.Metrics;
using NatMap.Mapping;

namespace NatMap.Hosting.Internal;

/// <summary>
/// The host's own instruments, on the meter <see cref="PortMappings.MeterName"/>
/// created through the host's <see cref="IMeterFactory"/> (so its metrics providers see them):
/// <c>natmap.hosting.mapped</c>, an observable gauge per mapping name (1 mapped, 0 otherwise), and
/// <c>natmap.hosting.remappings</c>, a counter of the times a mapping went from mapped to re-mapping.
/// The mappers' own instruments stay on NatMap.Core's meter (<see cref="Diagnostics.NatMapMetrics"/>).
/// </summary>
internal sealed class HostingMetrics : IDisposable
{
    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _remappings;

    public HostingMetrics(IMeterFactory? meterFactory, PortMappings mappings)
    {
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(PortMappings.MeterName) ?? new Meter(PortMappings.MeterName);
        _remappings = _meter.CreateCounter<long>("natmap.hosting.remappings", description: "Times a named mapping went from mapped to re-mapping");
        _meter.CreateObservableGauge(
            "natmap.hosting.mapped",
            () => mappings.Statuses.Select(s => new Measurement<int>(s.State == MappingState.Mapped ? 1 : 0, new KeyValuePair<string, object?>("name", s.Name))),
            description: "1 while the named mapping is mapped, else 0");
    }

    public void Remapped(string name) => _remappings.Add(1, new KeyValuePair<string, object?>("name", name));

    /// <summary>A meter from the factory is the factory's to dispose.</summary>
    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
