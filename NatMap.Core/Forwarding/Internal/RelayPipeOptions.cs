using System.IO.Pipelines;

namespace NatMap.Forwarding.Internal;

/// <summary>
/// The pipe settings of the managed engine and of in-process serving: segments from the
/// forwarder's pinned pool, and a bounded pause threshold, so a reader that falls behind stops
/// the receiver (and then, through the kernel's receive window, the peer) instead of letting the
/// pipe grow.
/// </summary>
internal static class RelayPipeOptions
{
    /// <summary>The least pause threshold: a writer's flush waits once this much (or one segment, if larger) is buffered and unread.</summary>
    public const int MinimumPauseThreshold = 1024 * 1024;

    /// <summary>
    /// The least room asked for one receive: a receive fills the rest of a segment if at least this
    /// much is left, so every segment but the last holds at least its size minus this, and a paused
    /// pipe spans at most three segments.
    /// </summary>
    public const int MinimumReceive = 256 * 1024;

    /// <summary>The pause threshold for a pool's segment size.</summary>
    public static long PauseThreshold(PinnedBlockMemoryPool pool) => Math.Max(MinimumPauseThreshold, pool.BlockSize);

    /// <summary>
    /// Options for a pipe between two sockets: both ends run inline, as each is a relay loop of
    /// ours, so no continuation is queued (nor allocated) per flush or read.
    /// </summary>
    public static PipeOptions SocketToSocket(PinnedBlockMemoryPool pool) => Create(pool, PipeScheduler.Inline, PipeScheduler.Inline);

    /// <summary>Options for a pipe whose reader is the app: the app's continuations run on the thread pool, never on a relay loop's stack.</summary>
    public static PipeOptions SocketToApp(PinnedBlockMemoryPool pool) => Create(pool, PipeScheduler.ThreadPool, PipeScheduler.Inline);

    /// <summary>Options for a pipe whose writer is the app.</summary>
    public static PipeOptions AppToSocket(PinnedBlockMemoryPool pool) => Create(pool, PipeScheduler.Inline, PipeScheduler.ThreadPool);

    private static PipeOptions Create(PinnedBlockMemoryPool pool, PipeScheduler readerScheduler, PipeScheduler writerScheduler)
    {
        long pause = PauseThreshold(pool);
        return new PipeOptions(
            pool,
            readerScheduler,
            writerScheduler,
            pauseWriterThreshold: pause,
            resumeWriterThreshold: pause / 2,
            minimumSegmentSize: pool.BlockSize,
            useSynchronizationContext: false);
    }
}
