using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace NatMap.Tests.Forwarding;

/// <summary>
/// IPv4 loopback sockets through libc, blocking, as plain descriptors: a test peer that allocates
/// no managed memory per connection or datagram, so process-wide allocation counters measure the
/// forwarder alone (a managed <see cref="System.Net.Sockets.Socket"/> allocates on every accept,
/// connect and close).
/// </summary>
internal static unsafe partial class RawLoopbackSocket
{
    private const int AF_INET = 2;
    private const int SOCK_STREAM = 1;
    private const int SOCK_DGRAM = 2;
    private const int SOL_SOCKET = 1;
    private const int SO_RCVTIMEO = 20;

    public static int Tcp() => Check(socket(AF_INET, SOCK_STREAM, 0), "socket");

    public static int Udp() => Check(socket(AF_INET, SOCK_DGRAM, 0), "socket");

    /// <summary>Binds to 127.0.0.1:0, sets a receive timeout so a lost packet fails the test instead of hanging it, and returns the port.</summary>
    public static int BindLoopback(int fd)
    {
        var address = Loopback(0);
        Check(bind(fd, &address, sizeof(SockAddrIn)), "bind");
        var timeout = new TimeVal { Seconds = 10 };
        Check(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(TimeVal)), "setsockopt");
        int length = sizeof(SockAddrIn);
        Check(getsockname(fd, &address, &length), "getsockname");
        return BinaryPrimitives.ReverseEndianness(address.Port);
    }

    public static void Listen(int fd) => Check(listen(fd, 1024), "listen");

    public static void Connect(int fd, int port)
    {
        var address = Loopback(port);
        Check(connect(fd, &address, sizeof(SockAddrIn)), "connect");
        var timeout = new TimeVal { Seconds = 10 };
        Check(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(TimeVal)), "setsockopt");
    }

    public static int Accept(int fd)
    {
        int accepted = Check(accept(fd, null, null), "accept");
        var timeout = new TimeVal { Seconds = 10 };
        Check(setsockopt(accepted, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(TimeVal)), "setsockopt");
        return accepted;
    }

    public static void Send(int fd, byte value)
    {
        if (send(fd, &value, 1, 0) != 1)
        {
            Fail("send");
        }
    }

    /// <summary>Receives one byte (or datagram) and returns its sender's port (UDP; 0 for TCP).</summary>
    public static int Receive(int fd, out SockAddrIn from)
    {
        byte value;
        SockAddrIn address = default;
        int length = sizeof(SockAddrIn);
        if (recvfrom(fd, &value, 1, 0, &address, &length) != 1)
        {
            Fail("recvfrom");
        }

        from = address;
        return BinaryPrimitives.ReverseEndianness(address.Port);
    }

    public static void SendTo(int fd, byte value, in SockAddrIn to)
    {
        fixed (SockAddrIn* address = &to)
        {
            if (sendto(fd, &value, 1, 0, address, sizeof(SockAddrIn)) != 1)
            {
                Fail("sendto");
            }
        }
    }

    public static void SendTo(int fd, byte value, int port) => SendTo(fd, value, Loopback(port));

    public static void Close(int fd) => close(fd);

    private static SockAddrIn Loopback(int port) => new()
    {
        Family = AF_INET,
        Port = BinaryPrimitives.ReverseEndianness((ushort)port),
        Address = BinaryPrimitives.ReverseEndianness(0x7f000001u),
    };

    private static int Check(int result, string call)
    {
        if (result < 0)
        {
            Fail(call);
        }

        return result;
    }

    private static void Fail(string call) =>
        throw new InvalidOperationException(call + " failed: errno " + Marshal.GetLastPInvokeError());

    [StructLayout(LayoutKind.Sequential)]
    public struct SockAddrIn
    {
        public ushort Family;
        public ushort Port;
        public uint Address;
        public ulong Zero;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeVal
    {
        public long Seconds;
        public long Microseconds;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int socket(int domain, int type, int protocol);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int bind(int fd, SockAddrIn* address, int length);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int listen(int fd, int backlog);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int connect(int fd, SockAddrIn* address, int length);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int accept(int fd, SockAddrIn* address, int* length);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int getsockname(int fd, SockAddrIn* address, int* length);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setsockopt(int fd, int level, int name, void* value, int length);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint send(int fd, byte* buffer, nint length, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint sendto(int fd, byte* buffer, nint length, int flags, SockAddrIn* address, int addressLength);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint recvfrom(int fd, byte* buffer, nint length, int flags, SockAddrIn* address, int* addressLength);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);
}
