namespace NatMap.Tests.Infrastructure;

/// <summary>The network namespaces of the testbed.</summary>
internal enum TestbedNode
{
    /// <summary>Behind the NAT: where natmap and the services it maps run.</summary>
    Lan,

    /// <summary>The NAT router (nftables).</summary>
    Router,

    /// <summary>The internet side: coturn, nginx, peers.</summary>
    Wan,

    /// <summary>The service host behind lan (198.51.100.10, 2001:db8:3::10), built with <c>up --service</c> only.</summary>
    Service,

    /// <summary>The home router between lan and the ISP's NAT (miniupnpd), with <c>up --home-router</c> only.</summary>
    Home,
}
