using System.Runtime.InteropServices;

namespace NatMap.Sockets.Internal;

/// <summary>struct pollfd of poll(2): 8 bytes, the same on every Linux ABI.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct PollFd
{
    public int Fd;
    public short Events;
    public short ReturnedEvents;
}
