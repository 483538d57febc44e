using System.Buffers;

namespace NatMap.Forwarding.Internal;

/// <summary>
/// One block of a <see cref="PinnedBlockMemoryPool"/>, and its own owner: the pipe disposes it to
/// give it back, so renting allocates nothing once the pool holds enough blocks.
/// </summary>
internal sealed class PinnedBlock : IMemoryOwner<byte>
{
    private readonly PinnedBlockMemoryPool _pool;
    private readonly byte[] _array;

    public PinnedBlock(PinnedBlockMemoryPool pool, byte[] array)
    {
        _pool = pool;
        _array = array;
    }

    public Memory<byte> Memory => _array;

    /// <summary>Whether the block is out of the pool; guards against a double return.</summary>
    public bool Rented { get; set; }

    public void Dispose()
    {
        if (Rented)
        {
            Rented = false;
            _pool.Return(this);
        }
    }
}
