using NatMap.Mapping;

namespace NatMap.Hosting;

/// <summary>
/// What one named mapping is doing, at one moment: a snapshot taken by <see cref="PortMappings"/>
/// each time the mapping or its state changes.
/// </summary>
public sealed class PortMappingStatus
{
    /// <summary>Creates a snapshot.</summary>
    /// <param name="name">The mapping's name.</param>
    /// <param name="state">Where its mapper is.</param>
    /// <param name="mapping">The mapping last reported, or <see langword="null"/> before the first.</param>
    /// <param name="lastError">Why the mapping was last lost or a check failed, or <see langword="null"/>.</param>
    /// <param name="since">When <paramref name="state"/> was entered.</param>
    /// <param name="isNewMapping">Whether this snapshot was taken because <paramref name="mapping"/> is new.</param>
    public PortMappingStatus(string name, MappingState state, MappingChanged? mapping, string? lastError, DateTimeOffset since, bool isNewMapping = false)
    {
        ArgumentNullException.ThrowIfNull(name);
        Name = name;
        State = state;
        Mapping = mapping;
        LastError = lastError;
        Since = since;
        IsNewMapping = isNewMapping;
    }

    /// <summary>The mapping's name, as configured.</summary>
    public string Name { get; }

    /// <summary>Where the mapper is: starting, mapped, re-mapping or stopped.</summary>
    public MappingState State { get; }

    /// <summary>
    /// The mapping last reported, or <see langword="null"/> before the first. While
    /// <see cref="State"/> is <see cref="MappingState.Remapping"/> it may no longer hold.
    /// </summary>
    public MappingChanged? Mapping { get; }

    /// <summary>Why the mapping was last lost, or the last check or setup failed; <see langword="null"/> when nothing has failed.</summary>
    public string? LastError { get; }

    /// <summary>When <see cref="State"/> was entered.</summary>
    public DateTimeOffset Since { get; }

    /// <summary>Whether this snapshot reports a new mapping (the first or a change) rather than only a new state.</summary>
    public bool IsNewMapping { get; }
}
