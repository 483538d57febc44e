using System.Net.Sockets;

namespace NatMap.Sockets.Internal;

/// <summary>
/// The one place that turns a socket error or errno into a short reason, so every component reports
/// the same failure the same way.
/// </summary>
internal static class SocketErrorClassifier
{
    /// <summary>
    /// A short reason for messages, e.g. "connection refused". An errno that .NET has no
    /// <see cref="SocketError"/> for (ENODEV, ENXIO: the interface of a bound socket is gone) comes
    /// as <see cref="SocketError.SocketError"/>; the native code or the system's text names it then.
    /// </summary>
    public static string Describe(SocketException exception) =>
        exception.SocketErrorCode != SocketError.SocketError ? Describe(exception.SocketErrorCode)
        : exception.NativeErrorCode is LinuxIo.ENODEV or LinuxIo.ENXIO ? DescribeErrno(exception.NativeErrorCode)
        : exception.Message.Length > 0 ? exception.Message
        : "socket error";

    /// <summary>The socket error of a Linux errno from a system call made outside <see cref="Socket"/>.</summary>
    public static SocketError FromErrno(int errno) => errno switch
    {
        LinuxIo.ECONNREFUSED => SocketError.ConnectionRefused,
        LinuxIo.ENETUNREACH => SocketError.NetworkUnreachable,
        LinuxIo.EHOSTUNREACH => SocketError.HostUnreachable,
        LinuxIo.EAGAIN => SocketError.WouldBlock,
        LinuxIo.EINTR => SocketError.Interrupted,
        LinuxIo.EBADF => SocketError.OperationAborted,
        LinuxIo.EADDRINUSE => SocketError.AddressAlreadyInUse,
        LinuxIo.EADDRNOTAVAIL => SocketError.AddressNotAvailable,
        LinuxIo.ENETDOWN => SocketError.NetworkDown,
        LinuxIo.EPERM => SocketError.AccessDenied,
        LinuxIo.ECONNRESET => SocketError.ConnectionReset,
        LinuxIo.ECONNABORTED => SocketError.ConnectionAborted,
        LinuxIo.ETIMEDOUT => SocketError.TimedOut,
        LinuxIo.EPIPE => SocketError.Shutdown,
        _ => SocketError.SocketError,
    };

    /// <summary>
    /// A short reason for a Linux errno from a system call made outside <see cref="Socket"/>, e.g.
    /// "no such device" for ENODEV, which has no <see cref="SocketError"/> of its own.
    /// </summary>
    public static string DescribeErrno(int errno) => errno switch
    {
        0 => "not supported on this system",
        LinuxIo.ENODEV => "no such device",
        LinuxIo.ENXIO => "no such device or address",
        LinuxIo.EPERM => "operation not permitted",
        _ when FromErrno(errno) is var error && error != SocketError.SocketError => Describe(error),
        _ => "errno " + errno.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>A short reason for messages, e.g. "connection refused (ConnectionRefused)".</summary>
    public static string Describe(SocketError error) => error switch
    {
        SocketError.ConnectionRefused => "connection refused",
        SocketError.ConnectionReset => "connection reset",
        SocketError.ConnectionAborted => "connection aborted",
        SocketError.HostUnreachable => "host unreachable",
        SocketError.NetworkUnreachable => "network unreachable",
        SocketError.HostDown => "host down",
        SocketError.NetworkDown => "network down",
        SocketError.TimedOut => "timed out",
        SocketError.HostNotFound => "host not found",
        SocketError.NoData => "no address of the requested family",
        SocketError.TryAgain => "name resolution failed temporarily",
        SocketError.AddressAlreadyInUse => "address already in use",
        SocketError.AddressNotAvailable => "address not available",
        SocketError.AccessDenied => "access denied",
        SocketError.AddressFamilyNotSupported => "address family not supported",
        SocketError.Shutdown => "broken pipe",
        SocketError.OperationAborted => "operation aborted",
        SocketError.WouldBlock => "no data ready",
        SocketError.Interrupted => "interrupted",
        SocketError.MessageSize => "datagram too large",
        SocketError.NoBufferSpaceAvailable => "no buffer space",
        SocketError.SocketError => "unspecified socket error",
        _ => "socket error " + error,
    };
}
