using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using NatMap.Mapping;
using NatMap.Mapping.Internal;

namespace NatMap.Tests.Mapping;

public sealed class PortMapperRunnerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static readonly IPEndPoint Private = new(IPAddress.Parse("192.0.2.2"), 5555);

    [Fact]
    public async Task ReportAsync_SameMappingTwice_EmitsOnceAndChainsPrevious()
    {
        var loop = new ScriptedLoop();
        await using var runner = new PortMapperRunner(loop, MappingProtocol.Udp, NullLogger.Instance);
        await using var events = runner.WatchAsync(TestContext.Current.CancellationToken).GetAsyncEnumerator(TestContext.Current.CancellationToken);
        var pending = events.MoveNextAsync().AsTask();
        var sink = await loop.Started.Task.WaitAsync(Timeout, TestContext.Current.CancellationToken);

        Assert.True(await sink.ReportAsync(Public(45555), Private, TestContext.Current.CancellationToken));
        Assert.False(await sink.ReportAsync(Public(45555), Private, TestContext.Current.CancellationToken));
        Assert.True(await sink.ReportAsync(Public(45556), Private, TestContext.Current.CancellationToken));

        Assert.True(await pending.WaitAsync(Timeout, TestContext.Current.CancellationToken));
        var first = events.Current;
        Assert.True(await events.MoveNextAsync().AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken));
        var second = events.Current;
        Assert.Equal(Public(45555), first.PublicEndPoint);
        Assert.Null(first.PreviousPublicEndPoint);
        Assert.Equal(Public(45556), second.PublicEndPoint);
        Assert.Equal(Public(45555), second.PreviousPublicEndPoint);
        Assert.Same(second, runner.Current);
    }

    [Fact]
    public async Task State_LostAndReportedAgain_GoesStartingMappedRemappingMappedStopped()
    {
        var loop = new ScriptedLoop();
        var runner = new PortMapperRunner(loop, MappingProtocol.Udp, NullLogger.Instance);
        var seen = new List<(MappingState, string?)>();
        runner.StateChanged += (_, _) => seen.Add((runner.State, runner.LastError));
        Assert.Equal(MappingState.Starting, runner.State);
        await using var events = runner.WatchAsync(TestContext.Current.CancellationToken).GetAsyncEnumerator(TestContext.Current.CancellationToken);
        var pending = events.MoveNextAsync().AsTask();
        var sink = await loop.Started.Task.WaitAsync(Timeout, TestContext.Current.CancellationToken);

        sink.Lost("timed out");
        Assert.True(await sink.ReportAsync(Public(45555), Private, TestContext.Current.CancellationToken));
        Assert.False(await sink.ReportAsync(Public(45555), Private, TestContext.Current.CancellationToken));
        sink.Lost("keep-alive lost");
        Assert.Equal(MappingState.Remapping, runner.State);
        Assert.False(await sink.ReportAsync(Public(45555), Private, TestContext.Current.CancellationToken));
        Assert.True(await pending.WaitAsync(Timeout, TestContext.Current.CancellationToken));
        await runner.DisposeAsync();

        Assert.Equal(
            [(MappingState.Starting, "timed out"), (MappingState.Mapped, "timed out"), (MappingState.Remapping, "keep-alive lost"), (MappingState.Mapped, "keep-alive lost"), (MappingState.Stopped, "keep-alive lost")],
            seen);
    }

    [Fact]
    public async Task WatchAsync_SecondWatcherAtOnce_Throws()
    {
        var loop = new ScriptedLoop();
        await using var runner = new PortMapperRunner(loop, MappingProtocol.Tcp, NullLogger.Instance);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        await using var first = runner.WatchAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        var pending = first.MoveNextAsync().AsTask();
        await loop.Started.Task.WaitAsync(Timeout, TestContext.Current.CancellationToken);

        await using (var second = runner.WatchAsync(TestContext.Current.CancellationToken).GetAsyncEnumerator(TestContext.Current.CancellationToken))
        {
            await Assert.ThrowsAsync<InvalidOperationException>(() => second.MoveNextAsync().AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken));
        }

        Assert.False(pending.IsCompleted);
        await cts.CancelAsync();
        Assert.False(await pending.WaitAsync(Timeout, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task WatchAsync_AfterDispose_EndsAtOnce()
    {
        var runner = new PortMapperRunner(new ScriptedLoop(), MappingProtocol.Tcp, NullLogger.Instance);
        await runner.DisposeAsync();

        await using var events = runner.WatchAsync(TestContext.Current.CancellationToken).GetAsyncEnumerator(TestContext.Current.CancellationToken);

        Assert.False(await events.MoveNextAsync().AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task WatchAsync_LoopFailsWithDefect_SurfacesIt()
    {
        var loop = new ScriptedLoop { Failure = new InvalidOperationException("defect") };
        await using var runner = new PortMapperRunner(loop, MappingProtocol.Tcp, NullLogger.Instance);
        await using var events = runner.WatchAsync(TestContext.Current.CancellationToken).GetAsyncEnumerator(TestContext.Current.CancellationToken);

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => events.MoveNextAsync().AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken));
        Assert.Equal("defect", ex.Message);
    }

    [Fact]
    public async Task WatchAsync_WatchedAgainAfterCancel_KeepsCurrentAndChains()
    {
        var loop = new ScriptedLoop();
        await using var runner = new PortMapperRunner(loop, MappingProtocol.Tcp, NullLogger.Instance);
        using (var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken))
        {
            await using var events = runner.WatchAsync(cts.Token).GetAsyncEnumerator(cts.Token);
            var pending = events.MoveNextAsync().AsTask();
            var sink = await loop.Started.Task.WaitAsync(Timeout, TestContext.Current.CancellationToken);
            await sink.ReportAsync(Public(1000), Private, TestContext.Current.CancellationToken);
            Assert.True(await pending.WaitAsync(Timeout, TestContext.Current.CancellationToken));
            await cts.CancelAsync();
            Assert.False(await events.MoveNextAsync().AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken));
        }

        loop.Reset();
        await using var again = runner.WatchAsync(TestContext.Current.CancellationToken).GetAsyncEnumerator(TestContext.Current.CancellationToken);
        var next = again.MoveNextAsync().AsTask();
        var sink2 = await loop.Started.Task.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        await sink2.ReportAsync(Public(2000), Private, TestContext.Current.CancellationToken);

        Assert.True(await next.WaitAsync(Timeout, TestContext.Current.CancellationToken));
        Assert.Equal(Public(1000), again.Current.PreviousPublicEndPoint);
    }

    private static IPEndPoint Public(int port) => new(IPAddress.Parse("203.0.113.1"), port);

    /// <summary>A loop that hands its sink to the test and waits for cancellation (or fails at once).</summary>
    private sealed class ScriptedLoop : IMappingLoop
    {
        public TaskCompletionSource<IMappingSink> Started { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Exception? Failure { get; init; }

        public void Reset() => Started = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task RunAsync(IMappingSink sink, CancellationToken cancellationToken)
        {
            if (Failure is not null)
            {
                throw Failure;
            }

            Started.TrySetResult(sink);
            await Task.Delay(System.Threading.Timeout.Infinite, cancellationToken);
        }
    }
}
