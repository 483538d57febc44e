using System.Runtime.InteropServices;

namespace NatMap.Sockets.Internal;

/// <summary>
/// The Linux system calls the relays need (splice, pipes, epoll, eventfd, poll, recvmmsg/sendmmsg),
/// bound with source-generated P/Invoke so the library stays AOT-clean, and the library's one list
/// of errno values. Constants and errno values are those of the generic Linux ABI, shared by x86-64
/// and arm64.
/// </summary>
internal static unsafe partial class LinuxIo
{
    private const string Libc = "libc";

    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int ESRCH = 3;
    public const int ENXIO = 6;
    public const int EINTR = 4;
    public const int EBADF = 9;
    public const int EAGAIN = 11;
    public const int ENODEV = 19;
    public const int EPIPE = 32;
    public const int ENOSYS = 38;
    public const int EADDRINUSE = 98;
    public const int EADDRNOTAVAIL = 99;
    public const int ENETDOWN = 100;
    public const int ENETUNREACH = 101;
    public const int ECONNABORTED = 103;
    public const int ECONNRESET = 104;
    public const int ETIMEDOUT = 110;
    public const int ECONNREFUSED = 111;
    public const int EHOSTUNREACH = 113;
    public const int EINPROGRESS = 115;

    public const uint SpliceMove = 1;
    public const uint SpliceNonBlock = 2;

    public const int FGetFl = 3;
    public const int FSetFl = 4;
    public const int FSetPipeSize = 1031;
    public const int FGetPipeSize = 1032;
    public const int ONonBlock = 0x800;
    public const int OCloExec = 0x80000;

    public const int EpollCtlAdd = 1;
    public const int EpollCtlDel = 2;
    public const uint EpollIn = 0x001;
    public const uint EpollOut = 0x004;
    public const uint EpollErr = 0x008;
    public const uint EpollHup = 0x010;
    public const uint EpollRdHup = 0x2000;
    public const uint EpollEt = 0x80000000;

    public const short PollIn = 0x001;

    public const int SockDgram = 2;
    public const int SockNonBlock = 0x800;
    public const int SockCloExec = 0x80000;

    public const int SolSocket = 1;
    public const int SoError = 4;

    public const int ShutRd = 0;
    public const int ShutWr = 1;
    public const int MsgPeek = 0x2;
    public const int MsgDontWait = 0x40;

    /// <summary>
    /// struct epoll_event is packed (12 bytes) on x86 and x86-64 and naturally aligned (16 bytes)
    /// elsewhere: <see cref="PackedEpollEvent"/> or <see cref="EpollEvent"/>, chosen at run time.
    /// </summary>
    public static readonly bool EpollEventPacked =
        RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.X86;

    /// <summary>The size of one struct epoll_event in an array given to epoll_wait(2).</summary>
    public static readonly int EpollEventSize = EpollEventPacked ? sizeof(PackedEpollEvent) : sizeof(EpollEvent);

    [LibraryImport(Libc, EntryPoint = "splice", SetLastError = true)]
    public static partial nint Splice(int fdIn, nint offIn, int fdOut, nint offOut, nuint length, uint flags);

    [LibraryImport(Libc, EntryPoint = "pipe2", SetLastError = true)]
    public static partial int Pipe2(int* fds, int flags);

    [LibraryImport(Libc, EntryPoint = "fcntl", SetLastError = true)]
    public static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport(Libc, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport(Libc, EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int domain, int type, int protocol);

    [LibraryImport(Libc, EntryPoint = "connect", SetLastError = true)]
    public static partial int Connect(int fd, byte* address, int length);

    [LibraryImport(Libc, EntryPoint = "shutdown", SetLastError = true)]
    public static partial int Shutdown(int fd, int how);

    [LibraryImport(Libc, EntryPoint = "recv", SetLastError = true)]
    public static partial nint Recv(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport(Libc, EntryPoint = "recvmmsg", SetLastError = true)]
    public static partial int RecvMmsg(int fd, MMsgHdr* messages, uint count, int flags, void* timeout);

    [LibraryImport(Libc, EntryPoint = "sendmmsg", SetLastError = true)]
    public static partial int SendMmsg(int fd, MMsgHdr* messages, uint count, int flags);

    [LibraryImport(Libc, EntryPoint = "epoll_create1", SetLastError = true)]
    public static partial int EpollCreate1(int flags);

    [LibraryImport(Libc, EntryPoint = "epoll_ctl", SetLastError = true)]
    public static partial int EpollCtl(int epollFd, int operation, int fd, byte* epollEvent);

    [LibraryImport(Libc, EntryPoint = "epoll_wait", SetLastError = true)]
    public static partial int EpollWait(int epollFd, byte* events, int maxEvents, int timeoutMilliseconds);

    [LibraryImport(Libc, EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollFd* fds, nuint count, int timeoutMilliseconds);

    [LibraryImport(Libc, EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initialValue, int flags);

    [LibraryImport(Libc, EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, byte* buffer, nuint count);

    [LibraryImport(Libc, EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, byte* buffer, nuint count);

    /// <summary>epoll_ctl with one event mask and 64-bit user data.</summary>
    public static int EpollControl(int epollFd, int operation, int fd, uint events, ulong data)
    {
        if (EpollEventPacked)
        {
            var packed = new PackedEpollEvent { Events = events, Data = data };
            return EpollCtl(epollFd, operation, fd, (byte*)&packed);
        }

        var aligned = new EpollEvent { Events = events, Data = data };
        return EpollCtl(epollFd, operation, fd, (byte*)&aligned);
    }

    /// <summary>Reads event <paramref name="index"/> of an array filled by epoll_wait(2).</summary>
    public static void ReadEpollEvent(byte* events, int index, out uint mask, out ulong data)
    {
        if (EpollEventPacked)
        {
            var packed = ((PackedEpollEvent*)events)[index];
            mask = packed.Events;
            data = packed.Data;
            return;
        }

        var aligned = ((EpollEvent*)events)[index];
        mask = aligned.Events;
        data = aligned.Data;
    }

    /// <summary>Sets O_NONBLOCK on a descriptor; returns false with errno on failure.</summary>
    public static bool TrySetNonBlocking(int fd)
    {
        int flags = Fcntl(fd, FGetFl, 0);
        return flags >= 0 && ((flags & ONonBlock) != 0 || Fcntl(fd, FSetFl, flags | ONonBlock) == 0);
    }

    /// <summary>
    /// Whether splice(2) and pipe2(2) can be called here: Linux, and libc exports them. A pipe is
    /// created and closed to prove it.
    /// </summary>
    public static bool IsSpliceAvailable()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            int* fds = stackalloc int[2];
            if (Pipe2(fds, ONonBlock | OCloExec) != 0)
            {
                return false;
            }

            Close(fds[0]);
            Close(fds[1]);
            return true;
        }
        catch (DllNotFoundException)
        {
            return false;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
    }
}
