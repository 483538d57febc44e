using System.Runtime.InteropServices;

namespace NatMap.Sockets.Internal;

/// <summary>
/// The control message of a UDP GSO send (SOL_UDP, UDP_SEGMENT, a 16-bit segment size):
/// CMSG_SPACE(sizeof(uint16_t)) is 24 bytes on LP64, and cmsg_len is CMSG_LEN(2), 18.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct UdpSegmentControl
{
    public const int SolUdp = 17;
    public const int UdpSegment = 103;

    /// <summary>CMSG_LEN(sizeof(uint16_t)): the header and the segment size, unpadded.</summary>
    public const int MessageLength = 18;

    public CmsgHdr Header;
    public ushort SegmentSize;
}
