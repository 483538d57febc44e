using System.Net;
using System.Runtime.InteropServices;
using NatMap.Sockets.Internal;

namespace NatMap.Forwarding.Internal;

/// <summary>
/// A batch of datagrams in preallocated native memory: recvmmsg(2) fills it from a socket, up to
/// <see cref="Capacity"/> datagrams per system call, and sendmmsg(2) passes a run of them on in one
/// call, straight from the same buffers: to a connected socket, or to one address. The relay loops
/// neither allocate nor copy nor pay a system call per datagram. The native structures
/// (<see cref="MMsgHdr"/>, <see cref="IoVec"/>, <see cref="UdpSegmentControl"/>) have the layouts of
/// LP64 Linux (x86-64, arm64).
/// </summary>
internal sealed unsafe class UdpDatagramBatch : IDisposable
{
    private const int NameCapacity = 128;

    /// <summary>
    /// The largest datagram sent as a segment of a UDP GSO send: what fits a 1500-byte path over
    /// IPv6. The kernel refuses a segment size above the path MTU (EINVAL), so larger datagrams
    /// go one message each, and so does everything after a refusal.
    /// </summary>
    private const int MaxSegmentSize = 1452;

    /// <summary>UDP_MAX_SEGMENTS of the kernel, and room for the payload of one GSO send.</summary>
    private const int MaxSegments = 64;
    private const int MaxGsoPayload = 65_000;

    private readonly int _datagramCapacity;
    private readonly MMsgHdr* _messages;
    private readonly byte* _names;
    private readonly IoVec* _iovecs;
    private readonly MMsgHdr* _sendMessages;
    private readonly IoVec* _sendIovecs;
    private readonly byte* _sendName;
    private readonly UdpSegmentControl* _controls;
    private readonly int* _groupFirst;
    private readonly int* _groupCount;
    private readonly byte* _buffers;

    public UdpDatagramBatch(int datagramCapacity, int capacity = 32)
    {
        _datagramCapacity = datagramCapacity;
        Capacity = capacity;
        _messages = (MMsgHdr*)NativeMemory.AllocZeroed((nuint)(capacity * sizeof(MMsgHdr)));
        _names = (byte*)NativeMemory.AllocZeroed((nuint)(capacity * NameCapacity));
        _iovecs = (IoVec*)NativeMemory.AllocZeroed((nuint)(capacity * sizeof(IoVec)));
        _sendMessages = (MMsgHdr*)NativeMemory.AllocZeroed((nuint)(capacity * sizeof(MMsgHdr)));
        _sendIovecs = (IoVec*)NativeMemory.AllocZeroed((nuint)(capacity * sizeof(IoVec)));
        _sendName = (byte*)NativeMemory.AllocZeroed(NameCapacity);
        _controls = (UdpSegmentControl*)NativeMemory.AllocZeroed((nuint)(capacity * sizeof(UdpSegmentControl)));
        _groupFirst = (int*)NativeMemory.AllocZeroed((nuint)(capacity * sizeof(int)));
        _groupCount = (int*)NativeMemory.AllocZeroed((nuint)(capacity * sizeof(int)));
        _buffers = (byte*)NativeMemory.Alloc((nuint)capacity * (nuint)datagramCapacity);
        for (int i = 0; i < capacity; i++)
        {
            byte* buffer = _buffers + ((nint)i * datagramCapacity);
            _iovecs[i].Base = buffer;
            _iovecs[i].Length = (nuint)datagramCapacity;
            _messages[i].Header.Name = _names + (i * NameCapacity);
            _messages[i].Header.Iov = &_iovecs[i];
            _messages[i].Header.IovLength = 1;

            // Send messages are built per call, over these iovecs: the lengths are set per send.
            _sendIovecs[i].Base = buffer;
            _controls[i].Header.Length = UdpSegmentControl.MessageLength;
            _controls[i].Header.Level = UdpSegmentControl.SolUdp;
            _controls[i].Header.Type = UdpSegmentControl.UdpSegment;
        }
    }

    /// <summary>Linux on a 64-bit process, where the layouts above hold.</summary>
    public static bool IsSupported => OperatingSystem.IsLinux() && IntPtr.Size == 8
        && RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64;

    public int Capacity { get; }

    /// <summary>How many UDP GSO messages (several datagrams each) the kernel has taken from this batch.</summary>
    public long SegmentedSends { get; private set; }

    /// <summary>
    /// Receives what the socket <paramref name="fd"/> has queued, without waiting: how many
    /// datagrams, 0 when none is queued, or the negated errno of a failure (such as a pending ICMP
    /// error, which the failing call reports and clears).
    /// </summary>
    public int Receive(int fd)
    {
        for (int i = 0; i < Capacity; i++)
        {
            _messages[i].Header.NameLength = NameCapacity;
            _messages[i].Header.Flags = 0;
        }

        int count = LinuxIo.RecvMmsg(fd, _messages, (uint)Capacity, LinuxIo.MsgDontWait, null);
        if (count >= 0)
        {
            return count;
        }

        int errno = Marshal.GetLastPInvokeError();
        return errno == LinuxIo.EAGAIN ? 0 : -errno;
    }

    public ReadOnlySpan<byte> Datagram(int index) =>
        new(_buffers + ((nint)index * _datagramCapacity), Length(index));

    /// <summary>Copies the sender's address into <paramref name="address"/> and returns it.</summary>
    public SocketAddress Sender(int index, SocketAddress address)
    {
        ReadOnlySpan<byte> name = Name(index);
        int length = Math.Min(name.Length, address.Buffer.Length);
        name[..length].CopyTo(address.Buffer.Span);
        address.Size = length;
        return address;
    }

    /// <summary>Whether datagrams <paramref name="first"/> and <paramref name="second"/> came from the same endpoint.</summary>
    public bool SameSender(int first, int second) => Name(first).SequenceEqual(Name(second));

    /// <summary>
    /// Sends datagrams <paramref name="start"/> to <paramref name="start"/> + <paramref name="count"/> - 1,
    /// in order, from the socket <paramref name="fd"/> to <paramref name="to"/> (or, when null, on a connected socket), with as few
    /// system calls as the kernel allows: one sendmmsg(2) for the run, where consecutive datagrams of
    /// one size (the last of them may be shorter) go as a single UDP GSO message (UDP_SEGMENT, RFC
    /// 768 datagrams cut by the kernel or the NIC at the same boundaries), the rest one message
    /// each. A datagram the kernel refuses (a pending ICMP error is reported on the next send) is
    /// dropped and the rest still go; a full send buffer drops what is left, as UDP may. Returns
    /// how many were sent and their total length.
    /// </summary>
    public int Send(int fd, int start, int count, SocketAddress? to, out long bytes)
    {
        uint nameLength = 0;
        if (to is not null)
        {
            nameLength = (uint)Math.Min(to.Size, NameCapacity);
            to.Buffer.Span[..(int)nameLength].CopyTo(new Span<byte>(_sendName, NameCapacity));
        }

        for (int i = start; i < start + count; i++)
        {
            _sendIovecs[i].Length = (nuint)Length(i);
        }

        int sent = 0;
        bytes = 0;
        bool segmentation = true;
        int next = start;
        int end = start + count;
        while (next < end)
        {
            int groups = BuildMessages(next, end, to is null ? null : _sendName, nameLength, segmentation);
            int done = LinuxIo.SendMmsg(fd, _sendMessages, (uint)groups, LinuxIo.MsgDontWait);
            if (done > 0)
            {
                for (int g = 0; g < done; g++)
                {
                    for (int i = _groupFirst[g]; i < _groupFirst[g] + _groupCount[g]; i++)
                    {
                        bytes += Length(i);
                    }

                    sent += _groupCount[g];
                    SegmentedSends += _groupCount[g] > 1 ? 1 : 0;
                }

                next = _groupFirst[done - 1] + _groupCount[done - 1];
                continue;
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno == LinuxIo.EINTR)
            {
                continue;
            }

            if (errno == LinuxIo.EAGAIN)
            {
                break;
            }

            if (_groupCount[0] > 1 && segmentation)
            {
                // No UDP GSO here (an old kernel, a path MTU below the segment size, a route
                // through IPsec): the same datagrams again, one message each.
                segmentation = false;
                continue;
            }

            next++;
        }

        return sent;
    }

    public void Dispose()
    {
        NativeMemory.Free(_messages);
        NativeMemory.Free(_names);
        NativeMemory.Free(_iovecs);
        NativeMemory.Free(_sendMessages);
        NativeMemory.Free(_sendIovecs);
        NativeMemory.Free(_sendName);
        NativeMemory.Free(_controls);
        NativeMemory.Free(_groupFirst);
        NativeMemory.Free(_groupCount);
        NativeMemory.Free(_buffers);
    }

    /// <summary>
    /// Lays out send messages for datagrams <paramref name="first"/> to <paramref name="end"/> - 1
    /// from the start of the message array, grouping runs of equal size for UDP GSO when
    /// <paramref name="segmentation"/> allows; returns how many messages.
    /// </summary>
    private int BuildMessages(int first, int end, byte* name, uint nameLength, bool segmentation)
    {
        int groups = 0;
        int i = first;
        while (i < end)
        {
            int size = Length(i);
            int last = i + 1;
            if (segmentation && size > 0 && size <= MaxSegmentSize)
            {
                int payload = size;
                while (last < end && last - i < MaxSegments && Length(last) <= size && Length(last) > 0
                    && payload + Length(last) <= MaxGsoPayload)
                {
                    payload += Length(last);
                    if (Length(last++) < size)
                    {
                        break;
                    }
                }
            }

            ref MsgHdr message = ref _sendMessages[groups].Header;
            message.Name = name;
            message.NameLength = nameLength;
            message.Iov = &_sendIovecs[i];
            message.IovLength = (nuint)(last - i);
            UdpSegmentControl* control = &_controls[groups];
            bool segmented = last - i > 1;
            if (segmented)
            {
                control->SegmentSize = (ushort)size;
            }

            message.Control = segmented ? (byte*)control : null;
            message.ControlLength = (nuint)(segmented ? sizeof(UdpSegmentControl) : 0);
            message.Flags = 0;
            _groupFirst[groups] = i;
            _groupCount[groups] = last - i;
            groups++;
            i = last;
        }

        return groups;
    }

    private int Length(int index) =>
        Math.Min((int)_messages[index].Length, _datagramCapacity);

    private ReadOnlySpan<byte> Name(int index)
    {
        int length = (int)_messages[index].Header.NameLength;
        return new ReadOnlySpan<byte>(_names + (index * NameCapacity), Math.Min(length, NameCapacity));
    }
}
