using NatMap.Discovery;

namespace NatMap.Tests.Cli;

/// <summary>The words of <c>natmap check</c>'s table and JSON are a contract; they come from the enum names.</summary>
public sealed class CheckReportWordsTests
{
    [Theory]
    [InlineData(NatBehavior.Unknown, "unknown")]
    [InlineData(NatBehavior.Direct, "direct")]
    [InlineData(NatBehavior.EndpointIndependent, "endpoint-independent")]
    [InlineData(NatBehavior.AddressDependent, "address-dependent")]
    [InlineData(NatBehavior.AddressAndPortDependent, "address-and-port-dependent")]
    [InlineData(NatBehavior.UnsupportedServer, "unsupported-server")]
    [InlineData(NatBehavior.NotApplicable, "not-applicable")]
    [InlineData((NatBehavior)99, "unknown")]
    public void Name_Behavior_IsTheFixedWord(NatBehavior behavior, string word) =>
        Assert.Equal(word, NatDiscoveryText.Name(behavior));

    [Theory]
    [InlineData(NatType.Unknown, "unknown")]
    [InlineData(NatType.Open, "open")]
    [InlineData(NatType.FullCone, "full-cone")]
    [InlineData(NatType.RestrictedCone, "restricted-cone")]
    [InlineData(NatType.PortRestrictedCone, "port-restricted-cone")]
    [InlineData(NatType.Symmetric, "symmetric")]
    [InlineData((NatType)99, "unknown")]
    public void Name_NatType_IsTheFixedWord(NatType type, string word) =>
        Assert.Equal(word, NatDiscoveryText.Name(type));
}
