using System.Runtime.InteropServices;

namespace NatMap.Sockets.Internal;

/// <summary>struct cmsghdr of cmsg(3): length, level and type, 16 bytes on LP64; the data follows, 8-byte aligned.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct CmsgHdr
{
    public nuint Length;
    public int Level;
    public int Type;
}
