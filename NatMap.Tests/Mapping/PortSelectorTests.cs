using NatMap.Mapping;
using NatMap.Mapping.Internal;

namespace NatMap.Tests.Mapping;

public sealed class PortSelectorTests
{
    [Fact]
    public void Sequential_BindFailureAndResetup_MoveToNextAndWrap()
    {
        var selector = new PortSelector(PortSpec.Range(5000, 5002, random: false));
        Assert.Equal(5000, selector.Current);
        selector.BindFailed();
        Assert.Equal(5001, selector.Current);
        selector.Resetup();
        Assert.Equal(5002, selector.Current);
        selector.BindFailed();
        Assert.Equal(5000, selector.Current);
        Assert.Equal(3, selector.AttemptsPerSetup);
        Assert.False(selector.MayTakeOver);
    }

    [Fact]
    public void Random_EachMove_PicksAnotherPortInRange()
    {
        var selector = new PortSelector(PortSpec.Range(6000, 6003, random: true), new Random(1));
        var seen = new HashSet<int>();
        for (int i = 0; i < 50; i++)
        {
            int before = selector.Current;
            Assert.InRange(before, 6000, 6003);
            seen.Add(before);
            selector.Resetup();
            Assert.NotEqual(before, selector.Current);
        }

        Assert.Equal(4, seen.Count);
    }

    [Fact]
    public void Any_KeepsTheBoundPortAcrossResetupButNotAfterBindFailure()
    {
        var selector = new PortSelector(PortSpec.Any);
        Assert.Equal(0, selector.Current);
        selector.Bound(41000);
        selector.Resetup();
        Assert.Equal(41000, selector.Current);
        selector.BindFailed();
        Assert.Equal(0, selector.Current);
    }

    [Fact]
    public void Fixed_NeverMovesAndMayTakeOver()
    {
        var selector = new PortSelector(PortSpec.Fixed(7000));
        selector.BindFailed();
        selector.Resetup();
        Assert.Equal(7000, selector.Current);
        Assert.True(selector.MayTakeOver);
        Assert.Equal(1, selector.AttemptsPerSetup);
    }

    [Fact]
    public void AttemptsPerSetup_LargeRange_IsCapped()
    {
        Assert.Equal(64, new PortSelector(PortSpec.Range(1000, 60000, random: false)).AttemptsPerSetup);
    }
}
