using System.Runtime.InteropServices;

namespace NatMap.Sockets.Internal;

/// <summary>struct epoll_event on x86 and x86-64, where the kernel declares it packed: 12 bytes, data at 4.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 4)]
internal struct PackedEpollEvent
{
    public uint Events;
    public ulong Data;
}
