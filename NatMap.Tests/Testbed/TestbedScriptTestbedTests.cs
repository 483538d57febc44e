namespace NatMap.Tests.Testbed;

using NatMap.Tests.Infrastructure;

/// <summary>scripts/testbed.sh refuses bad input with one clear line and leaves nothing half built.</summary>
public sealed class TestbedScriptTestbedTests
{
    [Theory]
    [InlineData("5555:99999", "testbed.sh: bad port in --map '5555:99999'")]
    [InlineData("5555-45555", "testbed.sh: bad --map '5555-45555': use PRIV:PUB[,PRIV:PUB...]")]
    public async Task Up_BadMap_FailsClearlyAndBuildsNothing(string map, string message)
    {
        Infrastructure.Testbed.Require();
        var id = "bad" + Environment.ProcessId % 100000;

        var result = await Infrastructure.Testbed.RunScriptUncheckedAsync("up", id, "--map", map);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Equal(message, result.Stderr.Trim());
        Assert.False(File.Exists($"/run/netns/nmtb-{id}-lan"));
    }

    [Theory]
    [InlineData("up", "Bad!")]
    [InlineData("down", "toolongid")]
    public async Task AnyCommand_BadId_FailsClearly(string command, string id)
    {
        Infrastructure.Testbed.Require();

        var result = await Infrastructure.Testbed.RunScriptUncheckedAsync(command, id);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Equal($"testbed.sh: bad testbed id '{id}': use 1-8 characters [a-z0-9]", result.Stderr.Trim());
    }

    [Fact]
    public async Task Remap_UnderMasquerade_FailsClearly()
    {
        await using var testbed = await Infrastructure.Testbed.StartAsync(nat: "masquerade");

        var result = await Infrastructure.Testbed.RunScriptUncheckedAsync("remap", testbed.Id, "5555", "45555", "45600");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Equal("testbed.sh: remap needs the fullcone NAT mode", result.Stderr.Trim());
    }

    [Fact]
    public async Task Up_SameIdTwice_ReplacesTheFirst()
    {
        await using var testbed = await Infrastructure.Testbed.StartAsync(nat: "symmetric");

        await testbed.ScriptAsync("up", "--nat", "fullcone");
        await testbed.StartEchoAsync(TestbedNode.Wan, "udp", testbed.WanAddress, 7000);
        var seen = await testbed.AskAsync(TestbedNode.Lan, "udp", testbed.WanAddress, 7000, 5555);

        Assert.Equal(45555, seen.Port);
    }
}
