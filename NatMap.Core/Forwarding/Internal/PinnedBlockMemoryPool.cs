using System.Buffers;

namespace NatMap.Forwarding.Internal;

/// <summary>
/// A forwarder's pool of equally sized, pinned blocks for its pipes. Pinned, so a socket operation
/// in flight never makes the GC copy or pin a buffer; equally sized, so a block freed by one
/// connection fits the next; owned by one forwarder and lock-protected, so a rent on whichever
/// thread a relay loop resumes on finds a block another thread returned (the shared pools keep
/// per-thread caches and miss there). At most <c>retain</c> idle blocks are kept when the load
/// falls; the rest go to the GC, so memory follows the load instead of its peak.
/// </summary>
internal sealed class PinnedBlockMemoryPool : MemoryPool<byte>
{
    private readonly Stack<PinnedBlock> _free = new();
    private readonly int _retain;
    private bool _disposed;

    public PinnedBlockMemoryPool(int blockSize, int retain)
    {
        BlockSize = blockSize;
        _retain = retain;
    }

    /// <summary>The size of every block.</summary>
    public int BlockSize { get; }

    public override int MaxBufferSize => BlockSize;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, BlockSize);
        lock (_free)
        {
            if (_free.TryPop(out var block))
            {
                block.Rented = true;
                return block;
            }
        }

        return new PinnedBlock(this, GC.AllocateUninitializedArray<byte>(BlockSize, pinned: true)) { Rented = true };
    }

    /// <summary>Takes a block back (from <see cref="PinnedBlock.Dispose"/>).</summary>
    public void Return(PinnedBlock block)
    {
        lock (_free)
        {
            if (!_disposed && _free.Count < _retain)
            {
                _free.Push(block);
            }
        }
    }

    protected override void Dispose(bool disposing)
    {
        lock (_free)
        {
            _disposed = true;
            _free.Clear();
        }
    }
}
