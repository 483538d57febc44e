namespace NatMap.Forwarding.Internal;

/// <summary>
/// A forwarder's own pool of equally sized, pinned relay buffers. The shared ArrayPool keeps
/// arrays per thread and per core, and relay loops resume on whichever pool thread completed the
/// socket operation, so a rent there can miss and allocate while buffers sit in another thread's
/// cache; one lock-protected stack per forwarder never does once it holds as many buffers as
/// there are busy directions. At most <c>retain</c> buffers are kept when the load falls.
/// </summary>
internal sealed class RelayBufferPool
{
    private readonly Stack<byte[]> _free = new();
    private readonly int _size;
    private readonly int _retain;

    public RelayBufferPool(int size, int retain)
    {
        _size = size;
        _retain = retain;
    }

    public byte[] Rent()
    {
        lock (_free)
        {
            if (_free.TryPop(out var buffer))
            {
                return buffer;
            }
        }

        return GC.AllocateUninitializedArray<byte>(_size, pinned: true);
    }

    public void Return(byte[] buffer)
    {
        lock (_free)
        {
            if (_free.Count < _retain)
            {
                _free.Push(buffer);
            }
        }
    }
}
