namespace NatMap.Tests.Forwarding;

/// <summary>
/// The testbed as the forward-mode testbed tests use it: natmap binds lan's <see cref="PrivatePort"/>,
/// which the full-cone router maps to <see cref="PublicPort"/> on 203.0.113.1, and to
/// <see cref="NewPublicPort"/> when a test makes it re-assign the mapping.
/// </summary>
internal static class ForwardModeTestbedLayout
{
    public const int PrivatePort = 5555;
    public const int PublicPort = 45555;
    public const int NewPublicPort = 45600;

    /// <summary>The service's port when natmap is given a fixed <c>-p</c>; the router maps nothing to it.</summary>
    public const int ServicePort = 6000;

    /// <summary>How long natmap may take to report its first mapping.</summary>
    public static readonly TimeSpan FirstMapping = TimeSpan.FromSeconds(30);

    /// <summary>How long natmap may take to report the mapping after the router re-assigned it.</summary>
    public static readonly TimeSpan Recovery = TimeSpan.FromSeconds(60);
}
