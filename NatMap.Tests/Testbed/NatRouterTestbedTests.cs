using System.Net;

namespace NatMap.Tests.Testbed;

using NatMap.Tests.Infrastructure;

/// <summary>
/// Proves the testbed's router before any NatMap code relies on it: the NAT modes of
/// scripts/testbed.sh do what TESTBED.md says, seen from the wan side by an echo peer.
/// </summary>
public sealed class NatRouterTestbedTests
{
    private const int EchoPort = 7000;

    [Theory]
    [InlineData("udp", 5555, 45555)]
    [InlineData("tcp", 5555, 45555)]
    [InlineData("udp", 5556, 45556)]
    [InlineData("tcp", 5556, 45556)]
    public async Task FullCone_FlowFromMappedPort_LeavesWithMappedPublicPort(string protocol, int privatePort, int publicPort)
    {
        await using var testbed = await Infrastructure.Testbed.StartAsync();
        await testbed.StartEchoAsync(TestbedNode.Wan, protocol, testbed.WanAddress, EchoPort);

        var seen = await testbed.AskAsync(TestbedNode.Lan, protocol, testbed.WanAddress, EchoPort, privatePort);

        Assert.Equal(new IPEndPoint(testbed.PublicAddress, publicPort), seen);
    }

    [Theory]
    [InlineData("udp")]
    [InlineData("tcp")]
    public async Task FullCone_InboundToPublicPort_ReachesLanService(string protocol)
    {
        await using var testbed = await Infrastructure.Testbed.StartAsync();
        await testbed.StartEchoAsync(TestbedNode.Lan, protocol, testbed.LanAddress, 5555);

        // Endpoint-independent filtering: a wan host that the lan never contacted gets in.
        var seen = await testbed.AskAsync(TestbedNode.Wan, protocol, testbed.PublicAddress, 45555, 6000);

        Assert.Equal(new IPEndPoint(testbed.WanAddress, 6000), seen);
    }

    [Fact]
    public async Task FullCone_CustomMap_UsesGivenPorts()
    {
        await using var testbed = await Infrastructure.Testbed.StartAsync(map: "5555:40001");
        await testbed.StartEchoAsync(TestbedNode.Wan, "udp", testbed.WanAddress, EchoPort);

        var seen = await testbed.AskAsync(TestbedNode.Lan, "udp", testbed.WanAddress, EchoPort, 5555);

        Assert.Equal(new IPEndPoint(testbed.PublicAddress, 40001), seen);
    }

    [Theory]
    [InlineData("udp")]
    [InlineData("tcp")]
    public async Task Remap_NextFlow_LeavesWithNewPublicPort(string protocol)
    {
        await using var testbed = await Infrastructure.Testbed.StartAsync();
        await testbed.StartEchoAsync(TestbedNode.Wan, protocol, testbed.WanAddress, EchoPort);
        var before = await testbed.AskAsync(TestbedNode.Lan, protocol, testbed.WanAddress, EchoPort, 5555);

        await testbed.RemapAsync(5555, 45555, 45600);
        var after = await testbed.AskAsync(TestbedNode.Lan, protocol, testbed.WanAddress, EchoPort, 5555);

        Assert.Equal(45555, before.Port);
        Assert.Equal(new IPEndPoint(testbed.PublicAddress, 45600), after);
    }

    [Fact]
    public async Task Remap_OldPublicPort_NoLongerReachesLan()
    {
        await using var testbed = await Infrastructure.Testbed.StartAsync();
        await testbed.StartEchoAsync(TestbedNode.Lan, "tcp", testbed.LanAddress, 5555);

        await testbed.RemapAsync(5555, 45555, 45600);
        var viaNew = await testbed.AskAsync(TestbedNode.Wan, "tcp", testbed.PublicAddress, 45600);
        var viaOld = await testbed.ExecAsync(TestbedNode.Wan, ["python3", RepoPaths.PeerScript!, "ask", "tcp", testbed.PublicAddress.ToString(), "45555"]);

        Assert.Equal(testbed.WanAddress, viaNew.Address);
        Assert.NotEqual(0, viaOld.ExitCode);
    }

    [Fact]
    public async Task Symmetric_TwoDestinations_GetDifferentPublicPorts()
    {
        await using var testbed = await Infrastructure.Testbed.StartAsync(nat: "symmetric");
        await testbed.StartEchoAsync(TestbedNode.Wan, "udp", testbed.WanAddress, EchoPort);
        await testbed.StartEchoAsync(TestbedNode.Wan, "udp", testbed.WanAddress2, EchoPort);

        var first = await testbed.AskAsync(TestbedNode.Lan, "udp", testbed.WanAddress, EchoPort, 5555);
        var second = await testbed.AskAsync(TestbedNode.Lan, "udp", testbed.WanAddress2, EchoPort, 5555);

        Assert.Equal(testbed.PublicAddress, first.Address);
        Assert.Equal(testbed.PublicAddress, second.Address);
        Assert.NotEqual(first.Port, second.Port);
    }

    [Fact]
    public async Task Masquerade_FreeSourcePort_IsKept()
    {
        await using var testbed = await Infrastructure.Testbed.StartAsync(nat: "masquerade");
        await testbed.StartEchoAsync(TestbedNode.Wan, "udp", testbed.WanAddress, EchoPort);

        var seen = await testbed.AskAsync(TestbedNode.Lan, "udp", testbed.WanAddress, EchoPort, 5555);

        Assert.Equal(new IPEndPoint(testbed.PublicAddress, 5555), seen);
    }

    [Fact]
    public async Task SetNat_FromSymmetricToFullCone_MapsDeterministicallyAgain()
    {
        await using var testbed = await Infrastructure.Testbed.StartAsync(nat: "symmetric");
        await testbed.StartEchoAsync(TestbedNode.Wan, "udp", testbed.WanAddress, EchoPort);

        await testbed.SetNatAsync("fullcone");
        var seen = await testbed.AskAsync(TestbedNode.Lan, "udp", testbed.WanAddress, EchoPort, 5555);

        Assert.Equal(new IPEndPoint(testbed.PublicAddress, 45555), seen);
    }

    [Fact]
    public async Task Ipv6_LanToWan_IsRoutedWithoutTranslation()
    {
        await using var testbed = await Infrastructure.Testbed.StartAsync();
        await testbed.StartEchoAsync(TestbedNode.Wan, "tcp", testbed.WanAddress6, EchoPort);

        var seen = await testbed.AskAsync(TestbedNode.Lan, "tcp", testbed.WanAddress6, EchoPort, 5555);

        Assert.Equal(new IPEndPoint(testbed.LanAddress6, 5555), seen);
    }

    [Fact]
    public async Task Dispose_AfterUse_RemovesNamespacesAndProcesses()
    {
        var testbed = await Infrastructure.Testbed.StartAsync();
        var echo = await testbed.StartEchoAsync(TestbedNode.Wan, "udp", testbed.WanAddress, EchoPort);
        var names = new[] { testbed.LanNamespace, testbed.RouterNamespace, testbed.WanNamespace };

        await testbed.DisposeAsync();

        foreach (var name in names)
        {
            Assert.False(File.Exists("/run/netns/" + name), name + " is still there");
        }

        Assert.True(echo.HasExited);
    }
}
