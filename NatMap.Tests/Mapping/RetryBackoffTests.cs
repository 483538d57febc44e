using NatMap.Mapping.Internal;

namespace NatMap.Tests.Mapping;

public sealed class RetryBackoffTests
{
    [Fact]
    public void Next_RepeatedFailures_DoublesUpToCapAndResets()
    {
        var backoff = new RetryBackoff(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(60));
        var delays = Enumerable.Range(0, 6).Select(_ => backoff.Next().TotalSeconds).ToArray();
        Assert.Equal([5, 10, 20, 40, 60, 60], delays);

        backoff.Reset();
        Assert.Equal(TimeSpan.FromSeconds(5), backoff.Next());
    }

    [Fact]
    public void Next_CapEqualsDelay_StaysConstant()
    {
        var backoff = new RetryBackoff(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5));
        Assert.Equal(TimeSpan.FromSeconds(5), backoff.Next());
        Assert.Equal(TimeSpan.FromSeconds(5), backoff.Next());
    }
}
