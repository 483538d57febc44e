namespace NatMap.Forwarding;

/// <summary>How a <see cref="TcpForwarder"/> moves bytes between the two sockets of a connection.</summary>
public enum TcpRelayEngine
{
    /// <summary>
    /// <see cref="Splice"/> where the operating system offers it (Linux), otherwise
    /// <see cref="Managed"/>.
    /// </summary>
    Automatic = 0,

    /// <summary>
    /// splice(2) through a kernel pipe per direction, driven by one epoll thread for all
    /// connections: the bytes never enter user space. Linux only.
    /// </summary>
    Splice = 1,

    /// <summary>
    /// Socket → pipe → socket through System.IO.Pipelines, on every platform: pooled pinned
    /// segments, a bounded pause threshold per direction (a slow reader stops the receive instead
    /// of growing the pipe), and zero-byte receives while idle, so an idle connection holds no buffer.
    /// </summary>
    Managed = 2,
}
