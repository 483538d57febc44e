using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Net.Sockets;
using System.Text;

namespace NatMap.Sockets.Internal;

/// <summary>
/// Linux socket options that .NET does not name, set with <see cref="Socket.SetRawSocketOption"/>.
/// Each returns false (never throws) where the OS lacks the option or refuses it, so callers can
/// log a warning and go on, as the original tool does.
/// </summary>
internal static class LinuxSocketOptions
{
    private const int SolSocket = 1;
    private const int SoReusePort = 15;
    private const int SoRcvBufForce = 33;
    private const int SoBindToDevice = 25;
    private const int SoMark = 36;
    private const int IpProtoTcp = 6;
    private const int TcpCongestion = 13;
    private const string NotSupported = "not supported on this system";
    private const int TcpUserTimeout = 18;

    /// <summary>The largest TCP_KEEPIDLE and TCP_KEEPINTVL Linux takes (MAX_TCP_KEEPIDLE, MAX_TCP_KEEPINTVL).</summary>
    public static readonly TimeSpan MaxKeepAliveTime = TimeSpan.FromSeconds(32767);

    /// <summary>SO_REUSEADDR and, on Linux, SO_REUSEPORT, so that several sockets share one local port.</summary>
    public static bool TrySetReuseAddressAndPort(Socket socket, [NotNullWhen(false)] out string? reason)
    {
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        }
        catch (SocketException ex)
        {
            reason = SocketErrorClassifier.Describe(ex);
            return false;
        }

        return TrySetInt(socket, SolSocket, SoReusePort, 1, out reason);
    }

    /// <summary>
    /// Asks for a receive buffer of <paramref name="bytes"/> and returns what the socket got, in the
    /// same units. SO_RCVBUF alone is silently capped at net.core.rmem_max on Linux (212,992 bytes on
    /// many systems), so SO_RCVBUFFORCE, which ignores that cap but needs CAP_NET_ADMIN, is tried
    /// first there, and SO_RCVBUF is the fallback. Linux reports twice the size it was given (the
    /// other half is its bookkeeping allowance, socket(7)), so the value read back is halved there.
    /// Where the OS refuses a size over its limit instead of capping it (ENOBUFS on the BSDs), the
    /// socket keeps what it had, and that is returned.
    /// </summary>
    public static int SetReceiveBufferSize(Socket socket, int bytes)
    {
        bool linux = OperatingSystem.IsLinux();
        if (!linux || !TrySetInt(socket, SolSocket, SoRcvBufForce, bytes, out _))
        {
            try
            {
                socket.ReceiveBufferSize = bytes;
            }
            catch (SocketException)
            {
                // Refused rather than capped: the caller sees the shortfall in the returned size.
            }
        }

        return linux ? socket.ReceiveBufferSize / 2 : socket.ReceiveBufferSize;
    }

    /// <summary>
    /// SO_BINDTODEVICE: send and receive only through the named interface. <paramref name="errno"/> is
    /// the Linux errno on failure (ENODEV: no interface of that name exists now), or 0 where the OS
    /// has no such option.
    /// </summary>
    public static bool TryBindToDevice(Socket socket, string interfaceName, out int errno)
    {
        errno = 0;
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        Span<byte> name = stackalloc byte[Encoding.UTF8.GetMaxByteCount(interfaceName.Length) + 1];
        int length = Encoding.UTF8.GetBytes(interfaceName, name);
        name[length] = 0;
        errno = LinuxSyscalls.SetBindToDevice((int)socket.SafeHandle.DangerousGetHandle(), name[..(length + 1)]);
        return errno == 0;
    }

    /// <summary>SO_MARK: the firewall mark (fwmark) for policy routing; needs CAP_NET_ADMIN.</summary>
    public static bool TrySetMark(Socket socket, uint mark, [NotNullWhen(false)] out string? reason) =>
        TrySetInt(socket, SolSocket, SoMark, unchecked((int)mark), out reason);

    /// <summary>TCP_CONGESTION: the congestion control algorithm, such as <c>bbr</c> or <c>cubic</c>.</summary>
    public static bool TrySetCongestionControl(Socket socket, string algorithm, [NotNullWhen(false)] out string? reason)
    {
        reason = NotSupported;
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        Span<byte> name = stackalloc byte[Encoding.ASCII.GetMaxByteCount(algorithm.Length)];
        int length = Encoding.ASCII.GetBytes(algorithm, name);
        try
        {
            socket.SetRawSocketOption(IpProtoTcp, TcpCongestion, name[..length]);
            reason = null;
            return true;
        }
        catch (SocketException ex)
        {
            // ENOENT means the kernel has no such algorithm; .NET reads it as AddressNotAvailable, which
            // setsockopt(TCP_CONGESTION) has no other cause for.
            reason = ex.NativeErrorCode == LinuxIo.ENOENT || ex.SocketErrorCode == SocketError.AddressNotAvailable
                ? "the kernel has no such algorithm (see /proc/sys/net/ipv4/tcp_available_congestion_control)"
                : SocketErrorClassifier.Describe(ex);
            return false;
        }
    }

    /// <summary>
    /// SO_KEEPALIVE with the probe timing (TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT), and on Linux
    /// TCP_USER_TIMEOUT set to the same total, so unacknowledged data is given up on no later than
    /// a silent peer (tcp(7): with both set, the user timeout decides when keepalive gives up).
    /// </summary>
    public static bool TrySetKeepAlive(Socket socket, TimeSpan time, TimeSpan interval, int count, [NotNullWhen(false)] out string? reason)
    {
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, (int)time.TotalSeconds);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, (int)interval.TotalSeconds);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, count);
        }
        catch (SocketException ex)
        {
            reason = SocketErrorClassifier.Describe(ex);
            return false;
        }

        if (!OperatingSystem.IsLinux())
        {
            reason = null;
            return true;
        }

        long total = (long)(time + (interval * count)).TotalMilliseconds;
        return TrySetInt(socket, IpProtoTcp, TcpUserTimeout, (int)Math.Min(total, int.MaxValue), out reason);
    }

    private static bool TrySetInt(Socket socket, int level, int name, int value, [NotNullWhen(false)] out string? reason)
    {
        reason = NotSupported;
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        if (!BitConverter.IsLittleEndian)
        {
            BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        }

        return TrySetRaw(socket, level, name, bytes, out reason);
    }

    /// <summary>The option is set, or <paramref name="reason"/> says why not in words (the errno's, where .NET has no name for it).</summary>
    private static bool TrySetRaw(Socket socket, int level, int name, ReadOnlySpan<byte> value, [NotNullWhen(false)] out string? reason)
    {
        try
        {
            socket.SetRawSocketOption(level, name, value);
            reason = null;
            return true;
        }
        catch (SocketException ex)
        {
            reason = SocketErrorClassifier.Describe(ex);
            return false;
        }
    }
}
