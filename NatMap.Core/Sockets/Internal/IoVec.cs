using System.Runtime.InteropServices;

namespace NatMap.Sockets.Internal;

/// <summary>struct iovec of readv(2) and sendmsg(2): a base pointer and a length, 16 bytes on LP64.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct IoVec
{
    public byte* Base;
    public nuint Length;
}
