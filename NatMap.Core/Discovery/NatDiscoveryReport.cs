namespace NatMap.Discovery;

/// <summary>Everything one <see cref="NatDiscoveryClient.RunAsync"/> found.</summary>
public sealed class NatDiscoveryReport
{
    internal NatDiscoveryReport(NatDiscoveryResult? udp, NatDiscoveryResult? tcp, BindingLifetimeEstimate? lifetime)
    {
        Udp = udp;
        Tcp = tcp;
        Lifetime = lifetime;
    }

    /// <summary>The UDP mapping, filtering and hairpinning results, or null if UDP was not tested.</summary>
    public NatDiscoveryResult? Udp { get; }

    /// <summary>The TCP mapping result (filtering not applicable), or null if TCP was not tested.</summary>
    public NatDiscoveryResult? Tcp { get; }

    /// <summary>The UDP binding lifetime estimate, or null if not requested.</summary>
    public BindingLifetimeEstimate? Lifetime { get; }

    /// <summary>True when at least one server answered at least one Binding request.</summary>
    public bool AnyServerAnswered => Udp?.ServerAnswered == true || Tcp?.ServerAnswered == true;
}
