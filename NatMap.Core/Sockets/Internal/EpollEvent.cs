using System.Runtime.InteropServices;

namespace NatMap.Sockets.Internal;

/// <summary>struct epoll_event where it is naturally aligned (arm64 and other non-x86 ABIs): 16 bytes, data at 8.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct EpollEvent
{
    public uint Events;
    public ulong Data;
}
