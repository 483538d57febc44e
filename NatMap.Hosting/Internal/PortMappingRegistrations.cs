namespace NatMap.Hosting.Internal;

/// <summary>The names registered with AddPortMapping, in order, and the configuration values of each that did not parse.</summary>
internal sealed class PortMappingRegistrations
{
    public List<string> Names { get; } = [];

    /// <summary>Name to the first configuration value of that mapping that does not parse, reported by the validator at start.</summary>
    public Dictionary<string, string> Problems { get; } = new(StringComparer.Ordinal);
}
