using System.Net;
using System.Net.Sockets;
using System.Numerics;

namespace NatMap.Mapping.Internal;

/// <summary>
/// Between the receive loop of in-process UDP serving and the app: a datagram goes straight into a
/// waiting receive's buffer, or waits in a ring of <see cref="Capacity"/> slots whose buffers are
/// kept and only grow (to the next power of two of a datagram's size), so steady state allocates
/// nothing. With the ring full, a new datagram is dropped and counted: the app fell behind.
/// </summary>
internal sealed class UdpAppQueue
{
    public const int Capacity = 64;

    private const int MinimumSlotBuffer = 2048;

    private readonly object _gate = new();
    private readonly byte[]?[] _buffers = new byte[]?[Capacity];
    private readonly int[] _lengths = new int[Capacity];
    private readonly SocketAddress[] _senders;
    private readonly Queue<UdpAppReceive> _waiting = new();
    private readonly Stack<UdpAppReceive> _free = new();
    private int _head;
    private int _count;
    private long _dropped;
    private bool _disposed;

    public UdpAppQueue(AddressFamily family)
    {
        _senders = new SocketAddress[Capacity];
        for (int i = 0; i < Capacity; i++)
        {
            _senders[i] = new SocketAddress(family);
        }
    }

    public long Dropped => Interlocked.Read(ref _dropped);

    public ValueTask<int> ReceiveAsync(Memory<byte> buffer, SocketAddress remoteAddress, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<int>(cancellationToken);
        }

        UdpAppReceive receive;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, typeof(IMappedUdpServer));
            if (_count > 0)
            {
                return new ValueTask<int>(TakeQueued(buffer.Span, remoteAddress));
            }

            receive = _free.TryPop(out var pooled) ? pooled : new UdpAppReceive(this);
            receive.Arm(buffer, remoteAddress, cancellationToken);
        }

        if (cancellationToken.CanBeCanceled)
        {
            // Registered before the receive is queued, so a datagram cannot complete it first.
            receive.Registration = cancellationToken.UnsafeRegister(static state => ((UdpAppReceive)state!).Cancel(), receive);
        }

        int length;
        lock (_gate)
        {
            if (_disposed || cancellationToken.IsCancellationRequested)
            {
                length = -1;
            }
            else if (_count > 0)
            {
                // A datagram was queued while the registration was made.
                length = TakeQueued(buffer.Span, remoteAddress);
            }
            else
            {
                _waiting.Enqueue(receive);
                return receive.Task;
            }
        }

        var task = receive.Task;
        if (length >= 0)
        {
            receive.Registration.Dispose();
            Return(receive);
            return new ValueTask<int>(length);
        }

        receive.Fail(_disposed ? new ObjectDisposedException(nameof(IMappedUdpServer)) : new OperationCanceledException(cancellationToken));
        return task;
    }

    /// <summary>Hands a datagram from the socket to the app; called by the one receive loop.</summary>
    public void Deliver(ReadOnlySpan<byte> datagram, SocketAddress from)
    {
        UdpAppReceive? receive;
        lock (_gate)
        {
            if (!_waiting.TryDequeue(out receive))
            {
                if (_count == Capacity || _disposed)
                {
                    _dropped++;
                    return;
                }

                int slot = (_head + _count) % Capacity;
                var buffer = _buffers[slot];
                if (buffer is null || buffer.Length < datagram.Length)
                {
                    buffer = new byte[Math.Max(MinimumSlotBuffer, (int)BitOperations.RoundUpToPowerOf2((uint)datagram.Length))];
                    _buffers[slot] = buffer;
                }

                datagram.CopyTo(buffer);
                _lengths[slot] = datagram.Length;
                var sender = _senders[slot];
                from.Buffer.Span[..from.Size].CopyTo(sender.Buffer.Span);
                sender.Size = from.Size;
                _count++;
                return;
            }
        }

        receive.Complete(datagram, from);
    }

    /// <summary>Fails every waiting receive (the mapping stopped); with <paramref name="dispose"/>, later receives fail too.</summary>
    public void FailWaiting(Exception error, bool dispose)
    {
        UdpAppReceive[] waiting;
        lock (_gate)
        {
            _disposed |= dispose;
            waiting = [.. _waiting];
            _waiting.Clear();
        }

        foreach (var receive in waiting)
        {
            receive.Fail(error);
        }
    }

    public void Return(UdpAppReceive receive)
    {
        lock (_gate)
        {
            if (_free.Count < Capacity)
            {
                _free.Push(receive);
            }
        }
    }

    /// <summary>Copies the oldest queued datagram out, under the lock; returns its length, cut to the buffer.</summary>
    private int TakeQueued(Span<byte> buffer, SocketAddress remoteAddress)
    {
        int slot = _head;
        int length = Math.Min(_lengths[slot], buffer.Length);
        _buffers[slot].AsSpan(0, length).CopyTo(buffer);
        var sender = _senders[slot];
        sender.Buffer.Span[..sender.Size].CopyTo(remoteAddress.Buffer.Span);
        remoteAddress.Size = sender.Size;
        _head = (_head + 1) % Capacity;
        _count--;
        return length;
    }

    /// <summary>The receive's token fired: fails it, unless a datagram or a stop got to it first.</summary>
    public void Cancel(UdpAppReceive receive)
    {
        lock (_gate)
        {
            int waiting = _waiting.Count;
            bool found = false;
            for (int i = 0; i < waiting; i++)
            {
                var next = _waiting.Dequeue();
                if (ReferenceEquals(next, receive))
                {
                    found = true;
                }
                else
                {
                    _waiting.Enqueue(next);
                }
            }

            if (!found)
            {
                // Already completed by a datagram, or failed by a stop.
                return;
            }
        }

        receive.Fail(new OperationCanceledException(receive.CancellationToken));
    }
}
