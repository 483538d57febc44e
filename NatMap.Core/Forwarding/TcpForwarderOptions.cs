using System.Net;
using System.Net.Sockets;
using NatMap.Internal;
using NatMap.Sockets.Internal;

namespace NatMap.Forwarding;

/// <summary>Settings of a <see cref="TcpForwarder"/>.</summary>
public sealed class TcpForwarderOptions
{
    /// <summary>The local endpoint to listen on when <see cref="TcpForwarder.Start()"/> binds the socket itself.</summary>
    public IPEndPoint ListenEndPoint { get; set; } = new(IPAddress.Any, 0);

    /// <summary>
    /// The target host: an IP address or a host name. A name is resolved again for every new
    /// connection, so a DNS change is followed without a restart.
    /// </summary>
    public string TargetHost { get; set; } = "";

    /// <summary>The target port.</summary>
    public int TargetPort { get; set; }

    /// <summary>
    /// The address family wanted when <see cref="TargetHost"/> is a name; <see cref="AddressFamily.Unspecified"/>
    /// takes the first address the resolver returns.
    /// </summary>
    public AddressFamily TargetAddressFamily { get; set; } = AddressFamily.Unspecified;

    /// <summary>
    /// A connection with no bytes moving in either direction for this long is closed. Default
    /// 300 seconds; <see cref="Timeout.InfiniteTimeSpan"/> disables it.
    /// </summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(300);

    /// <summary>
    /// TCP keepalive on both sockets of every relayed connection (the client's and the target's):
    /// after this long without a segment from the peer, the kernel sends a probe every
    /// <see cref="KeepAliveInterval"/>, and closes the connection (both sides of the relay) after
    /// <see cref="KeepAliveProbeCount"/> go unanswered. TCP_USER_TIMEOUT is set to the same total
    /// on Linux, so data that is never acknowledged is bounded alike. A connection whose NAT entry
    /// vanished (a re-mapping, a router restart) is thus closed within
    /// <c>KeepAliveTime + KeepAliveInterval * KeepAliveProbeCount</c>, 90 seconds by default,
    /// instead of lingering until <see cref="IdleTimeout"/>. Default 60 seconds;
    /// <see cref="Timeout.InfiniteTimeSpan"/> turns keepalive off.
    /// </summary>
    public TimeSpan KeepAliveTime { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The time between keepalive probes (see <see cref="KeepAliveTime"/>). Default 10 seconds.</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How many unanswered keepalive probes close a connection (see <see cref="KeepAliveTime"/>). Default 3.</summary>
    public int KeepAliveProbeCount { get; set; } = 3;

    /// <summary>How long connecting to the target may take before the inbound connection is closed. Default 10 seconds.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The most connections relayed at once. A connection accepted beyond it is closed at once
    /// (refused), never queued. Default 4096.
    /// </summary>
    public int MaxConnections { get; set; } = 4096;

    /// <summary>
    /// The TCP congestion control algorithm (TCP_CONGESTION on Linux, such as <c>bbr</c>) for
    /// both sockets of every connection, or null for the system default. Where it cannot be set
    /// a warning is logged and the default stays.
    /// </summary>
    public string? CongestionControl { get; set; }

    /// <summary>
    /// Sets SO_REUSEADDR and SO_REUSEPORT on the listening socket, so that it can share its local
    /// endpoint with the socket that keeps a port mapping open. Default false.
    /// </summary>
    public bool ReuseAddress { get; set; }

    /// <summary>The relay engine; <see cref="TcpRelayEngine.Automatic"/> by default.</summary>
    public TcpRelayEngine Engine { get; set; } = TcpRelayEngine.Automatic;

    /// <summary>
    /// The segment size of the managed engine's pipes (and of in-process serving): at least
    /// 64 KiB, default 1 MiB. A busy direction holds one or two segments (its pipe pauses the
    /// receive at 1 MiB or one segment buffered, whichever is more); idle connections hold none. Larger segments mean fewer
    /// receive/send pairs per megabyte: on loopback 1 MiB needs about 40% less CPU per byte than
    /// 128 KiB (scripts/bench-forward.sh).
    /// </summary>
    public int BufferSize { get; set; } = 1024 * 1024;

    /// <summary>
    /// The kernel pipe size of the splice engine, per direction (F_SETPIPE_SZ; default 256 KiB,
    /// at least one page; the kernel caps it at /proc/sys/fs/pipe-max-size). Pipes are created on
    /// a direction's first data, so idle connections hold none.
    /// </summary>
    public int SplicePipeSize { get; set; } = 256 * 1024;

    /// <summary>The listen backlog. Default 512.</summary>
    public int ListenBacklog { get; set; } = 512;

    /// <summary>Throws on the first setting out of range (the target is checked by the forwarder's resolver).</summary>
    internal void Validate()
    {
        if (MaxConnections < 1)
        {
            ThrowHelper.ThrowOptionOutOfRange(nameof(MaxConnections), "MaxConnections must be at least 1.");
        }

        if (BufferSize < 64 * 1024)
        {
            ThrowHelper.ThrowOptionOutOfRange(nameof(BufferSize), "BufferSize must be at least 64 KiB.");
        }

        if (SplicePipeSize < 4096)
        {
            ThrowHelper.ThrowOptionOutOfRange(nameof(SplicePipeSize), "SplicePipeSize must be at least 4096 bytes.");
        }

        if (IdleTimeout <= TimeSpan.Zero && IdleTimeout != Timeout.InfiniteTimeSpan)
        {
            ThrowHelper.ThrowOptionOutOfRange(nameof(IdleTimeout), "IdleTimeout must be positive or infinite.");
        }

        if (ConnectTimeout <= TimeSpan.Zero)
        {
            ThrowHelper.ThrowOptionOutOfRange(nameof(ConnectTimeout), "ConnectTimeout must be positive.");
        }

        if (KeepAliveTime != Timeout.InfiniteTimeSpan
            && (KeepAliveTime < TimeSpan.FromSeconds(1) || KeepAliveTime > LinuxSocketOptions.MaxKeepAliveTime
                || KeepAliveInterval < TimeSpan.FromSeconds(1) || KeepAliveInterval > LinuxSocketOptions.MaxKeepAliveTime
                || KeepAliveProbeCount is < 1 or > 127))
        {
            ThrowHelper.ThrowOptionOutOfRange(nameof(KeepAliveTime), "KeepAliveTime and KeepAliveInterval must be from 1 s to 32767 s (or KeepAliveTime infinite), KeepAliveProbeCount from 1 to 127.");
        }
    }

    /// <summary>A copy, so that later changes to these options have no effect on a forwarder.</summary>
    internal TcpForwarderOptions Clone() => (TcpForwarderOptions)MemberwiseClone();
}
