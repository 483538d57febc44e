using System.Net;

namespace NatMap.Gateway;

/// <summary>A port mapping as an IGD lists it (GetSpecificPortMappingEntry, WANIPConnection section 2.4.16).</summary>
public sealed class UpnpPortMappingEntry
{
    internal UpnpPortMappingEntry(IPAddress? internalClient, int internalPort, bool enabled, string description, TimeSpan leaseDuration)
    {
        InternalClient = internalClient;
        InternalPort = internalPort;
        Enabled = enabled;
        Description = description;
        LeaseDuration = leaseDuration;
    }

    /// <summary>The host the port is forwarded to, or <see langword="null"/> when the IGD gave no address.</summary>
    public IPAddress? InternalClient { get; }

    /// <summary>The host's port.</summary>
    public int InternalPort { get; }

    /// <summary>Whether the mapping is enabled.</summary>
    public bool Enabled { get; }

    /// <summary>The description given when it was added.</summary>
    public string Description { get; }

    /// <summary>The lease left; <see cref="TimeSpan.Zero"/> for a permanent mapping.</summary>
    public TimeSpan LeaseDuration { get; }
}
