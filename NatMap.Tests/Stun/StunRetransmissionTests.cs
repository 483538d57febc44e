using NatMap.Stun.Internal;

namespace NatMap.Tests.Stun;

public sealed class StunRetransmissionTests
{
    [Fact]
    public void WaitAfter_Rfc8489Defaults_SendTimesAndTotalMatch()
    {
        var rto = TimeSpan.FromMilliseconds(500);
        var sendTimes = new List<double>();
        var clock = TimeSpan.Zero;
        for (int request = 1; request <= 7; request++)
        {
            sendTimes.Add(clock.TotalSeconds);
            clock += StunRetransmission.WaitAfter(request, rto, 7, 16);
        }

        Assert.Equal([0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5], sendTimes);
        Assert.Equal(TimeSpan.FromSeconds(39.5), clock);
        Assert.Equal(TimeSpan.FromSeconds(39.5), StunRetransmission.Total(rto, 7, 16));
    }

    [Fact]
    public void WaitAfter_SingleRequest_OnlyLastWait()
    {
        Assert.Equal(TimeSpan.FromSeconds(8), StunRetransmission.WaitAfter(1, TimeSpan.FromMilliseconds(500), 1, 16));
    }

    [Fact]
    public void WaitAfter_ManyRequests_CappedWithoutOverflow()
    {
        Assert.Equal(StunRetransmission.MaxWait, StunRetransmission.WaitAfter(99, TimeSpan.FromSeconds(1), 100, 16));
        Assert.Equal(StunRetransmission.MaxWait, StunRetransmission.WaitAfter(100, TimeSpan.FromMinutes(30), 100, 1000));
    }

    [Fact]
    public void WaitAfter_OutOfRange_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => StunRetransmission.WaitAfter(0, TimeSpan.FromSeconds(1), 7, 16));
        Assert.Throws<ArgumentOutOfRangeException>(() => StunRetransmission.WaitAfter(8, TimeSpan.FromSeconds(1), 7, 16));
    }
}
