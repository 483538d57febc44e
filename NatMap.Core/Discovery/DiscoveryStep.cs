namespace NatMap.Discovery;

/// <summary>The test a <see cref="DiscoveryRequest"/> belongs to (RFC 5780 section 4).</summary>
public enum DiscoveryStep
{
    /// <summary>Test I: a plain Binding request to the server's primary address (sections 4.3 and 4.4).</summary>
    Binding = 0,

    /// <summary>Filtering test II: ask the server to answer from its other address and port (section 4.4).</summary>
    FilteringChangeAddressAndPort = 1,

    /// <summary>Filtering test III: ask the server to answer from its other port only (section 4.4).</summary>
    FilteringChangePort = 2,

    /// <summary>Mapping test II: a Binding request to the other address, primary port (section 4.3).</summary>
    MappingAlternateAddress = 3,

    /// <summary>Mapping test III: a Binding request to the other address and port (section 4.3).</summary>
    MappingAlternateAddressAndPort = 4,

    /// <summary>Hairpinning: a request from a second socket to the first socket's public endpoint (section 4.5).</summary>
    Hairpinning = 5,
}
