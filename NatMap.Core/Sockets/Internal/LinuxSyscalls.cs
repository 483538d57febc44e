using System.Runtime.InteropServices;

namespace NatMap.Sockets.Internal;

/// <summary>
/// The few raw Linux calls the port takeover needs, as source-generated (AOT-safe) imports; errno
/// values and close(2) are <see cref="LinuxIo"/>'s.
/// </summary>
internal static partial class LinuxSyscalls
{
    // The generic syscall table numbers these the same on every architecture (added in Linux 5.3 and 5.6).
    private const long SysPidfdOpen = 434;
    private const long SysPidfdGetfd = 438;

    private const int SolSocket = 1;
    private const int SoReusePort = 15;
    private const int SoBindToDevice = 25;

    /// <summary>pidfd_open(2): a file descriptor that refers to process <paramref name="pid"/>; -1 and errno on failure.</summary>
    public static int PidfdOpen(int pid, out int errno)
    {
        long result = Syscall(SysPidfdOpen, pid, 0, 0);
        errno = result < 0 ? Marshal.GetLastPInvokeError() : 0;
        return (int)result;
    }

    /// <summary>pidfd_getfd(2): a duplicate, in this process, of descriptor <paramref name="targetFd"/> of the pidfd's process.</summary>
    public static int PidfdGetfd(int pidfd, int targetFd, out int errno)
    {
        long result = Syscall(SysPidfdGetfd, pidfd, targetFd, 0);
        errno = result < 0 ? Marshal.GetLastPInvokeError() : 0;
        return (int)result;
    }

    /// <summary>Sets SO_REUSEPORT on a raw socket descriptor; returns 0 or errno.</summary>
    public static unsafe int SetReusePort(int fd)
    {
        int one = 1;
        return SetSockOpt(fd, SolSocket, SoReusePort, &one, sizeof(int)) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>
    /// Sets SO_BINDTODEVICE on a raw socket descriptor to the NUL-terminated <paramref name="name"/>;
    /// returns 0 or errno (ENODEV while no interface of that name exists). Called directly rather than
    /// through <see cref="System.Net.Sockets.Socket.SetRawSocketOption"/>, which folds ENODEV into a
    /// generic SocketError and so loses the one reason a user can act on.
    /// </summary>
    public static unsafe int SetBindToDevice(int fd, ReadOnlySpan<byte> name)
    {
        fixed (byte* value = name)
        {
            return SetSockOpt(fd, SolSocket, SoBindToDevice, value, (uint)name.Length) == 0 ? 0 : Marshal.GetLastPInvokeError();
        }
    }

    /// <summary>access(2) with X_OK: whether this process may execute <paramref name="path"/>, by its real user and group.</summary>
    public static bool IsExecutable(string path) => Access(path, 1) == 0;

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, long arg1, long arg2, long arg3);

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    private static unsafe partial int SetSockOpt(int fd, int level, int name, void* value, uint length);

    [LibraryImport("libc", EntryPoint = "access", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Access(string path, int mode);
}
