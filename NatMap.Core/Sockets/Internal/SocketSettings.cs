namespace NatMap.Sockets.Internal;

/// <summary>The platform socket options (<c>-i</c> interface, <c>-f</c> fwmark, <c>-C</c> congestion control) to apply.</summary>
/// <param name="BindInterface">SO_BINDTODEVICE interface name, or <see langword="null"/>.</param>
/// <param name="FirewallMark">SO_MARK value, or <see langword="null"/>.</param>
/// <param name="CongestionControl">TCP_CONGESTION algorithm for TCP sockets, or <see langword="null"/>.</param>
internal sealed record SocketSettings(string? BindInterface, uint? FirewallMark, string? CongestionControl)
{
    /// <summary>No platform option: the forwarders' listeners and sockets a caller did not configure.</summary>
    public static SocketSettings None { get; } = new(null, null, null);

    /// <summary>Only <c>-i</c>'s SO_BINDTODEVICE: the sockets that find or talk to a gateway rather than map.</summary>
    public static SocketSettings Interface(string? bindInterface) => bindInterface is null ? None : new(bindInterface, null, null);
}
