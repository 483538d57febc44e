using NatMap.Mapping.Internal;

namespace NatMap.Tests.Mapping;

public sealed class UdpCheckScheduleTests
{
    [Fact]
    public void NextIsFullCheck_CycleOne_AlwaysChecks()
    {
        var schedule = new UdpCheckSchedule(1);
        Assert.All(Enumerable.Range(0, 5), _ => Assert.True(schedule.NextIsFullCheck()));
    }

    [Fact]
    public void NextIsFullCheck_CycleThree_ChecksEveryThirdRoundAndAfterFailure()
    {
        var schedule = new UdpCheckSchedule(3);
        var rounds = Enumerable.Range(0, 7).Select(_ => schedule.NextIsFullCheck()).ToArray();
        Assert.Equal([true, false, false, true, false, false, true], rounds);

        schedule.CheckFailed();
        Assert.True(schedule.NextIsFullCheck());
        Assert.False(schedule.NextIsFullCheck());
    }
}
