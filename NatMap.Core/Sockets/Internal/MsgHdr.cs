using System.Runtime.InteropServices;

namespace NatMap.Sockets.Internal;

/// <summary>
/// struct msghdr of recvmsg(2) and sendmsg(2) on LP64 Linux (x86-64, arm64): 56 bytes, with the
/// padding that natural alignment puts after <see cref="NameLength"/> and <see cref="Flags"/>.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct MsgHdr
{
    public byte* Name;
    public uint NameLength;
    public IoVec* Iov;
    public nuint IovLength;
    public byte* Control;
    public nuint ControlLength;
    public int Flags;
}
