using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using NatMap.Sockets.Internal;

namespace NatMap.Forwarding.Internal;

/// <summary>
/// recvmmsg(2) on a UDP socket: up to <see cref="Capacity"/> datagrams per system call into
/// preallocated native memory, so the relay loop neither allocates nor pays a call per datagram.
/// Layouts are those of LP64 Linux (x86-64, arm64): struct mmsghdr is 64 bytes, its msghdr
/// starts with the name pointer and length, iovec pointer and count; msg_len follows at 56.
/// </summary>
internal sealed unsafe class UdpBatchReceiver : IDisposable
{
    private const int MessageSize = 64;
    private const int NameLengthOffset = 8;
    private const int IovOffset = 16;
    private const int IovLengthOffset = 24;
    private const int FlagsOffset = 48;
    private const int ReceivedLengthOffset = 56;
    private const int NameCapacity = 128;
    private const int IovSize = 16;

    private readonly Socket _socket;
    private readonly int _datagramCapacity;
    private readonly byte* _messages;
    private readonly byte* _names;
    private readonly byte* _iovecs;
    private readonly byte* _buffers;

    public UdpBatchReceiver(Socket socket, int datagramCapacity, int capacity = 32)
    {
        _socket = socket;
        _datagramCapacity = datagramCapacity;
        Capacity = capacity;
        _messages = (byte*)NativeMemory.AllocZeroed((nuint)(capacity * MessageSize));
        _names = (byte*)NativeMemory.AllocZeroed((nuint)(capacity * NameCapacity));
        _iovecs = (byte*)NativeMemory.AllocZeroed((nuint)(capacity * IovSize));
        _buffers = (byte*)NativeMemory.Alloc((nuint)capacity * (nuint)datagramCapacity);
        for (int i = 0; i < capacity; i++)
        {
            byte* iov = _iovecs + (i * IovSize);
            Unsafe.WriteUnaligned(iov, (nint)(_buffers + ((nint)i * datagramCapacity)));
            Unsafe.WriteUnaligned(iov + 8, (nuint)datagramCapacity);
            byte* message = _messages + (i * MessageSize);
            Unsafe.WriteUnaligned(message, (nint)(_names + (i * NameCapacity)));
            Unsafe.WriteUnaligned(message + IovOffset, (nint)iov);
            Unsafe.WriteUnaligned(message + IovLengthOffset, (nuint)1);
        }
    }

    /// <summary>Linux on a 64-bit process, where the layouts above hold.</summary>
    public static bool IsSupported => OperatingSystem.IsLinux() && IntPtr.Size == 8
        && RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64;

    public int Capacity { get; }

    /// <summary>Receives what is queued, without waiting; returns how many datagrams (0 when none or on error).</summary>
    public int Receive()
    {
        for (int i = 0; i < Capacity; i++)
        {
            byte* message = _messages + (i * MessageSize);
            Unsafe.WriteUnaligned(message + NameLengthOffset, (uint)NameCapacity);
            Unsafe.WriteUnaligned(message + FlagsOffset, 0);
        }

        int count = LinuxIo.RecvMmsg((int)_socket.SafeHandle.DangerousGetHandle(), _messages, (uint)Capacity, LinuxIo.MsgDontWait, null);
        return count < 0 ? 0 : count;
    }

    public ReadOnlySpan<byte> Datagram(int index)
    {
        int length = (int)Unsafe.ReadUnaligned<uint>(_messages + (index * MessageSize) + ReceivedLengthOffset);
        return new ReadOnlySpan<byte>(_buffers + ((nint)index * _datagramCapacity), Math.Min(length, _datagramCapacity));
    }

    /// <summary>Copies the sender's address into <paramref name="address"/> and returns it.</summary>
    public SocketAddress Sender(int index, SocketAddress address)
    {
        int length = (int)Unsafe.ReadUnaligned<uint>(_messages + (index * MessageSize) + NameLengthOffset);
        length = Math.Min(length, address.Buffer.Length);
        new ReadOnlySpan<byte>(_names + (index * NameCapacity), length).CopyTo(address.Buffer.Span);
        address.Size = length;
        return address;
    }

    public void Dispose()
    {
        NativeMemory.Free(_messages);
        NativeMemory.Free(_names);
        NativeMemory.Free(_iovecs);
        NativeMemory.Free(_buffers);
    }
}
