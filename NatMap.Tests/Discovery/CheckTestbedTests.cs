using System.Text.Json;
using NatMap.Tests.Infrastructure;

namespace NatMap.Tests.Discovery;

using Testbed = NatMap.Tests.Infrastructure.Testbed;

/// <summary>
/// <c>natmap check</c> as a real process inside the testbed's LAN namespace, against coturn on
/// 203.0.113.2 and .3 (RFC 5780 capable), one router behaviour per test.
/// </summary>
public sealed class CheckTestbedTests
{
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Check_FullConeMapWithMappedPort_EndpointIndependentMappingAndFiltering()
    {
        await using var testbed = await Testbed.StartAsync(nat: "fullcone", coturn: true);

        var (code, json) = await RunCheckAsync(testbed, "-s", testbed.WanAddress.ToString(), "-b", "5555", "--hairpin");

        Assert.Equal(0, code);
        Assert.Equal("endpoint-independent", json.GetProperty("mapping").GetString());
        Assert.Equal("endpoint-independent", json.GetProperty("filtering").GetString());
        Assert.Equal("full-cone", json.GetProperty("natType").GetString());
        Assert.Equal($"{testbed.PublicAddress}:45555", json.GetProperty("publicEndpoint").GetString());
        Assert.Equal($"{testbed.LanAddress}:5555", json.GetProperty("localEndpoint").GetString());
        Assert.Equal($"{testbed.WanAddress}:{Testbed.StunPort}", json.GetProperty("server").GetString());
        Assert.Equal($"{testbed.WanAddress2}:{Testbed.StunPort + 1}", json.GetProperty("otherAddress").GetString());

        // The router DNATs only packets arriving from the WAN side, so nothing hairpins.
        Assert.False(json.GetProperty("hairpinning").GetBoolean());

        // TCP from the same local port goes through the same static map.
        var tcp = json.GetProperty("tcp");
        Assert.Equal("endpoint-independent", tcp.GetProperty("mapping").GetString());
        Assert.Equal($"{testbed.PublicAddress}:45555", tcp.GetProperty("publicEndpoint").GetString());
    }

    [Fact]
    public async Task Check_Masquerade_PortRestrictedCone()
    {
        await using var testbed = await Testbed.StartAsync(nat: "masquerade", coturn: true);

        var (code, json) = await RunCheckAsync(testbed, "-s", testbed.WanAddress.ToString());

        Assert.Equal(0, code);
        Assert.Equal("endpoint-independent", json.GetProperty("mapping").GetString());
        Assert.Equal("address-and-port-dependent", json.GetProperty("filtering").GetString());
        Assert.Equal("port-restricted-cone", json.GetProperty("natType").GetString());
        Assert.StartsWith($"{testbed.PublicAddress}:", json.GetProperty("publicEndpoint").GetString(), StringComparison.Ordinal);
        Assert.Equal("endpoint-independent", json.GetProperty("tcp").GetProperty("mapping").GetString());
    }

    [Fact]
    public async Task Check_MasqueradeRandom_Symmetric()
    {
        await using var testbed = await Testbed.StartAsync(nat: "symmetric", coturn: true);

        var (code, json) = await RunCheckAsync(testbed, "-s", testbed.WanAddress.ToString());

        Assert.Equal(0, code);
        Assert.Equal("address-and-port-dependent", json.GetProperty("mapping").GetString());
        Assert.Equal("symmetric", json.GetProperty("natType").GetString());
        Assert.Equal("address-and-port-dependent", json.GetProperty("tcp").GetProperty("mapping").GetString());
    }

    [Fact]
    public async Task Check_Ipv6RoutedWithoutNat_Open()
    {
        await using var testbed = await Testbed.StartAsync(nat: "masquerade", coturn: true);

        var (code, json) = await RunCheckAsync(testbed, "-6", "-s", $"[{testbed.WanAddress6}]", "-u");

        Assert.Equal(0, code);
        Assert.Equal("direct", json.GetProperty("mapping").GetString());
        Assert.Equal("endpoint-independent", json.GetProperty("filtering").GetString());
        Assert.Equal("open", json.GetProperty("natType").GetString());
        Assert.Equal(json.GetProperty("localEndpoint").GetString(), json.GetProperty("publicEndpoint").GetString());
        Assert.StartsWith($"[{testbed.LanAddress6}]:", json.GetProperty("localEndpoint").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_CoturnWithOneAddress_UnsupportedServerNotAVerdict()
    {
        await using var testbed = await Testbed.StartAsync(nat: "fullcone", coturn: false);
        await testbed.CoturnAsync("start", single: true);

        var (code, json) = await RunCheckAsync(testbed, "-s", testbed.WanAddress.ToString(), "-b", "5555");

        Assert.Equal(0, code);
        Assert.Equal("unsupported-server", json.GetProperty("mapping").GetString());
        Assert.Equal("unsupported-server", json.GetProperty("filtering").GetString());
        Assert.Equal("unknown", json.GetProperty("natType").GetString());
        Assert.Equal($"{testbed.PublicAddress}:45555", json.GetProperty("publicEndpoint").GetString());
    }

    [Fact]
    public async Task Check_NoServerListening_ExitsNonZero()
    {
        await using var testbed = await Testbed.StartAsync(nat: "masquerade", coturn: false);

        var (code, json) = await RunCheckAsync(testbed, "-s", testbed.WanAddress.ToString(), "--timeout", "1");

        Assert.NotEqual(0, code);
        Assert.Equal(JsonValueKind.Null, json.GetProperty("publicEndpoint").ValueKind);
    }

    [Fact]
    public async Task Check_Lifetime_ConntrackTimeoutBracketedAndKeepAliveRecommended()
    {
        await using var testbed = await Testbed.StartAsync(nat: "masquerade", coturn: true);

        // Linux keeps a UDP flow that has seen one answer for nf_conntrack_udp_timeout seconds.
        var sysctl = await testbed.ExecAsync(TestbedNode.Router, ["sysctl", "-qw", "net.netfilter.nf_conntrack_udp_timeout=3"]);
        Assert.True(sysctl.ExitCode == 0, sysctl.ToString());

        var (code, json) = await RunCheckAsync(testbed, "-s", testbed.WanAddress.ToString(), "-u", "--lifetime", "--lifetime-max", "10");

        Assert.Equal(0, code);
        var lifetime = json.GetProperty("lifetime");
        Assert.True(lifetime.GetProperty("measured").GetBoolean(), lifetime.ToString());
        Assert.Equal(2, lifetime.GetProperty("survivedSeconds").GetDouble());
        Assert.Equal(5, lifetime.GetProperty("expiredSeconds").GetDouble());
        Assert.Equal(1, lifetime.GetProperty("recommendedKeepAliveSeconds").GetDouble());
    }

    [Fact]
    public async Task Check_Masquerade_AgreesWithTurnutilsNatdiscovery()
    {
        Requirements.Command("turnutils_natdiscovery");
        await using var testbed = await Testbed.StartAsync(nat: "masquerade", coturn: true);

        var reference = await testbed.ExecAsync(TestbedNode.Lan, ["turnutils_natdiscovery", "-m", "-f", testbed.WanAddress.ToString()], timeout: CheckTimeout);
        var (code, json) = await RunCheckAsync(testbed, "-s", testbed.WanAddress.ToString(), "-u");

        Assert.Equal(0, code);
        Assert.Contains("NAT with Endpoint Independent Mapping!", reference.Stdout, StringComparison.Ordinal);
        Assert.Contains("NAT with Address and Port Dependent Filtering!", reference.Stdout, StringComparison.Ordinal);
        Assert.Equal("endpoint-independent", json.GetProperty("mapping").GetString());
        Assert.Equal("address-and-port-dependent", json.GetProperty("filtering").GetString());
    }

    private static async Task<(int Code, JsonElement Json)> RunCheckAsync(Testbed testbed, params string[] arguments)
    {
        // Two seconds per unanswered request keeps a filtered test short; a test may ask for less.
        string[] timeout = arguments.Contains("--timeout") ? [] : ["--timeout", "2"];
        await using var natmap = NatmapProcess.Start(testbed, TestbedNode.Lan, ["check", "--json", .. timeout, .. arguments]);
        int code = await natmap.Process.WaitForExitAsync(CheckTimeout);
        var stdout = string.Join('\n', natmap.Process.DrainOutput());
        if (stdout.Length == 0 || stdout[0] != '{')
        {
            Assert.Fail("natmap check printed no JSON object (is `check` wired into the root command?)\n" + natmap.Process.Describe());
        }

        using var document = JsonDocument.Parse(stdout);
        return (code, document.RootElement.Clone());
    }
}
