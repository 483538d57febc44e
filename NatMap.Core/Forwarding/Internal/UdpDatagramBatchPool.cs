using System.Diagnostics.CodeAnalysis;

namespace NatMap.Forwarding.Internal;

/// <summary>
/// The batches the reply loops of a <see cref="UdpForwarder"/>'s sessions borrow while draining a
/// target's replies. A batch holds <c>capacity</c> datagrams of up to 64 KiB in native memory, so
/// at most <c>maxOutstanding</c> exist at once: a session that finds none free relays one datagram
/// at a time, as on other systems. At most <c>retain</c> are kept when the load falls; disposing
/// frees those, and any returned later.
/// </summary>
internal sealed class UdpDatagramBatchPool : IDisposable
{
    private readonly Stack<UdpDatagramBatch> _free = new();
    private readonly int _datagramCapacity;
    private readonly int _capacity;
    private readonly int _maxOutstanding;
    private readonly int _retain;
    private int _outstanding;
    private bool _disposed;

    public UdpDatagramBatchPool(int datagramCapacity, int capacity, int maxOutstanding, int retain)
    {
        _datagramCapacity = datagramCapacity;
        _capacity = capacity;
        _maxOutstanding = maxOutstanding;
        _retain = retain;
    }

    public bool TryRent([NotNullWhen(true)] out UdpDatagramBatch? batch)
    {
        lock (_free)
        {
            if (_disposed || _outstanding >= _maxOutstanding)
            {
                batch = null;
                return false;
            }

            _outstanding++;
            if (_free.TryPop(out batch))
            {
                return true;
            }
        }

        batch = new UdpDatagramBatch(_datagramCapacity, _capacity);
        return true;
    }

    public void Return(UdpDatagramBatch batch)
    {
        lock (_free)
        {
            _outstanding--;
            if (!_disposed && _free.Count < _retain)
            {
                _free.Push(batch);
                return;
            }
        }

        batch.Dispose();
    }

    public void Dispose()
    {
        lock (_free)
        {
            _disposed = true;
            while (_free.TryPop(out var batch))
            {
                batch.Dispose();
            }
        }
    }
}
