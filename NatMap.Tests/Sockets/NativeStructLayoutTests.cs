using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using NatMap.Sockets.Internal;

namespace NatMap.Tests.Sockets;

/// <summary>
/// The native structures of the batched UDP relay and the splice loop against the LP64 Linux ABI
/// (x86-64 and arm64, from the kernel's and glibc's headers): sizes with Marshal.SizeOf and
/// Unsafe.SizeOf, field offsets with Marshal.OffsetOf.
/// </summary>
public sealed class NativeStructLayoutTests
{
    [Fact]
    public void PollFd_Layout_MatchesLinuxAbi()
    {
        AssertSize<PollFd>(8);
        AssertOffset<PollFd>(nameof(PollFd.Fd), 0);
        AssertOffset<PollFd>(nameof(PollFd.Events), 4);
        AssertOffset<PollFd>(nameof(PollFd.ReturnedEvents), 6);
    }

    [Fact]
    public void IoVec_Layout_MatchesLinuxAbi()
    {
        Assert.SkipUnless(Environment.Is64BitProcess, "The LP64 layout is checked in a 64-bit process.");
        AssertSize<IoVec>(16);
        AssertOffset<IoVec>(nameof(IoVec.Base), 0);
        AssertOffset<IoVec>(nameof(IoVec.Length), 8);
    }

    [Fact]
    public void MsgHdr_Layout_MatchesLinuxAbi()
    {
        Assert.SkipUnless(Environment.Is64BitProcess, "The LP64 layout is checked in a 64-bit process.");
        AssertSize<MsgHdr>(56);
        AssertOffset<MsgHdr>(nameof(MsgHdr.Name), 0);
        AssertOffset<MsgHdr>(nameof(MsgHdr.NameLength), 8);
        AssertOffset<MsgHdr>(nameof(MsgHdr.Iov), 16);
        AssertOffset<MsgHdr>(nameof(MsgHdr.IovLength), 24);
        AssertOffset<MsgHdr>(nameof(MsgHdr.Control), 32);
        AssertOffset<MsgHdr>(nameof(MsgHdr.ControlLength), 40);
        AssertOffset<MsgHdr>(nameof(MsgHdr.Flags), 48);
    }

    [Fact]
    public void MMsgHdr_Layout_MatchesLinuxAbi()
    {
        Assert.SkipUnless(Environment.Is64BitProcess, "The LP64 layout is checked in a 64-bit process.");
        AssertSize<MMsgHdr>(64);
        AssertOffset<MMsgHdr>(nameof(MMsgHdr.Header), 0);
        AssertOffset<MMsgHdr>(nameof(MMsgHdr.Length), 56);
    }

    [Fact]
    public void CmsgHdr_Layout_MatchesLinuxAbi()
    {
        Assert.SkipUnless(Environment.Is64BitProcess, "The LP64 layout is checked in a 64-bit process.");
        AssertSize<CmsgHdr>(16);
        AssertOffset<CmsgHdr>(nameof(CmsgHdr.Length), 0);
        AssertOffset<CmsgHdr>(nameof(CmsgHdr.Level), 8);
        AssertOffset<CmsgHdr>(nameof(CmsgHdr.Type), 12);
    }

    [Fact]
    public void UdpSegmentControl_Layout_IsCmsgSpaceOfUint16()
    {
        Assert.SkipUnless(Environment.Is64BitProcess, "The LP64 layout is checked in a 64-bit process.");
        AssertSize<UdpSegmentControl>(24);
        AssertOffset<UdpSegmentControl>(nameof(UdpSegmentControl.SegmentSize), 16);
        Assert.Equal(18, UdpSegmentControl.MessageLength);
    }

    [Fact]
    public void EpollEvent_Layouts_MatchPackedAndAlignedAbis()
    {
        AssertSize<PackedEpollEvent>(12);
        AssertOffset<PackedEpollEvent>(nameof(PackedEpollEvent.Data), 4);
        AssertSize<EpollEvent>(16);
        AssertOffset<EpollEvent>(nameof(EpollEvent.Data), 8);
        bool x86 = RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.X86;
        Assert.Equal(x86, LinuxIo.EpollEventPacked);
        Assert.Equal(x86 ? 12 : 16, LinuxIo.EpollEventSize);
    }

    private static void AssertSize<T>(int expected)
        where T : struct
    {
        Assert.Equal(expected, Marshal.SizeOf<T>());
        Assert.Equal(expected, Unsafe.SizeOf<T>());
    }

    private static void AssertOffset<T>(string field, int expected) =>
        Assert.Equal(expected, (int)Marshal.OffsetOf<T>(field));
}
