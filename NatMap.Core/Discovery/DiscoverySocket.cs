namespace NatMap.Discovery;

/// <summary>Which local socket a <see cref="DiscoveryRequest"/> is sent from.</summary>
public enum DiscoverySocket
{
    /// <summary>The socket under test (bound to the <c>-b</c> port when one is given); every behaviour test uses it.</summary>
    Primary = 0,

    /// <summary>A second socket on another local port, used only to send the hairpinning probe.</summary>
    Secondary = 1,
}
