using System.Runtime.CompilerServices;
using System.Threading.Channels;
using NatMap.Mapping;

namespace NatMap.Tests.Cli;

/// <summary>A port mapper driven by the test: it yields what the test writes, then ends or throws.</summary>
internal sealed class FakePortMapper : IPortMapper
{
    private readonly Channel<MappingChanged> _events = Channel.CreateUnbounded<MappingChanged>();

    public MappingChanged? Current { get; private set; }

    public int DisposeCount { get; private set; }

    public Exception? FailWith { get; set; }

    public void Emit(MappingChanged change) => Assert.True(_events.Writer.TryWrite(change));

    /// <summary>Ends the stream after the events written so far (as if the mapper stopped by itself).</summary>
    public void End() => _events.Writer.Complete(FailWith);

    public async IAsyncEnumerable<MappingChanged> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (await _events.Reader.WaitToReadAsync(cancellationToken))
        {
            while (_events.Reader.TryRead(out var change))
            {
                Current = change;
                yield return change;
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        DisposeCount++;
        return ValueTask.CompletedTask;
    }
}
