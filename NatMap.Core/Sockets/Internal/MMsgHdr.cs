using System.Runtime.InteropServices;

namespace NatMap.Sockets.Internal;

/// <summary>struct mmsghdr of recvmmsg(2) and sendmmsg(2): a msghdr and the length moved, 64 bytes on LP64.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MMsgHdr
{
    public MsgHdr Header;
    public uint Length;
}
