using System.Net;

namespace NatMap.Tests.Testbed;

using NatMap.Tests.Infrastructure;

/// <summary>
/// Proves the testbed's servers: coturn answers STUN on UDP and TCP (both families, RFC 5780 with
/// two addresses), nginx answers HTTP, and both can be stopped and restarted.
/// </summary>
public sealed class ServersTestbedTests
{
    [Theory]
    [InlineData("udp")]
    [InlineData("tcp")]
    public async Task Coturn_BindingFromMappedPort_ReportsMappedPublicEndpoint(string protocol)
    {
        await using var testbed = await Infrastructure.Testbed.StartAsync(coturn: true);

        var mapped = await testbed.StunAsync(TestbedNode.Lan, protocol, testbed.WanAddress, localPort: 5555);

        Assert.Equal(new IPEndPoint(testbed.PublicAddress, 45555), mapped);
    }

    [Theory]
    [InlineData("udp")]
    [InlineData("tcp")]
    public async Task Coturn_Ipv6Binding_ReportsLanAddress(string protocol)
    {
        await using var testbed = await Infrastructure.Testbed.StartAsync(coturn: true);

        var mapped = await testbed.StunAsync(TestbedNode.Lan, protocol, testbed.WanAddress6, localPort: 5555);

        Assert.Equal(new IPEndPoint(testbed.LanAddress6, 5555), mapped);
    }

    [Fact]
    public async Task Coturn_AfterRemap_ReportsNewPublicPort()
    {
        await using var testbed = await Infrastructure.Testbed.StartAsync(coturn: true);
        await testbed.StunAsync(TestbedNode.Lan, "udp", testbed.WanAddress, localPort: 5555);

        await testbed.RemapAsync(5555, 45555, 45600);
        var mapped = await testbed.StunAsync(TestbedNode.Lan, "udp", testbed.WanAddress, localPort: 5555);

        Assert.Equal(new IPEndPoint(testbed.PublicAddress, 45600), mapped);
    }

    [Fact]
    public async Task Coturn_TwoAddresses_StunClientSeesRfc5780OtherAddress()
    {
        await using var testbed = await Infrastructure.Testbed.StartAsync(coturn: true);

        // The client waits on after its RFC 5780 probes, so it is read up to the lines we need and then stopped.
        await using var client = testbed.Start(TestbedNode.Lan, "turnutils_stunclient", [testbed.WanAddress.ToString()]);
        var other = await client.ReadLineAsync(line => line.Contains("Other addr:", StringComparison.Ordinal), Infrastructure.Testbed.CommandTimeout, "'Other addr'");
        var reflexive = await client.ReadLineAsync(line => line.Contains("reflexive addr:", StringComparison.Ordinal), Infrastructure.Testbed.CommandTimeout, "'reflexive addr'");

        Assert.EndsWith(" 203.0.113.3:3479", other, StringComparison.Ordinal);
        Assert.Contains("UDP reflexive addr: 203.0.113.1:", reflexive, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Coturn_Single_AnswersOnlyOnFirstAddress()
    {
        await using var testbed = await Infrastructure.Testbed.StartAsync();
        await testbed.CoturnAsync("start", single: true);

        var mapped = await testbed.StunAsync(TestbedNode.Lan, "udp", testbed.WanAddress, localPort: 5555);
        var second = await testbed.ExecAsync(TestbedNode.Lan, ["python3", RepoPaths.PeerScript!, "stun", "udp", testbed.WanAddress2.ToString(), "3478"]);

        Assert.Equal(new IPEndPoint(testbed.PublicAddress, 45555), mapped);
        Assert.Equal(2, second.ExitCode);
    }

    [Fact]
    public async Task Coturn_StopThenRestart_AnswersAgain()
    {
        await using var testbed = await Infrastructure.Testbed.StartAsync(coturn: true);

        await testbed.CoturnAsync("stop");
        var whileStopped = await testbed.ExecAsync(TestbedNode.Lan, ["python3", RepoPaths.PeerScript!, "stun", "tcp", testbed.WanAddress.ToString(), "3478"]);
        await testbed.CoturnAsync("restart");
        var mapped = await testbed.StunAsync(TestbedNode.Lan, "tcp", testbed.WanAddress, localPort: 5556);

        Assert.Equal(2, whileStopped.ExitCode);
        Assert.Equal(new IPEndPoint(testbed.PublicAddress, 45556), mapped);
    }

    [Theory]
    [InlineData("203.0.113.2")]
    [InlineData("[2001:db8:2::2]")]
    public async Task Nginx_HttpRequestFromLan_AnswersOk(string host)
    {
        await using var testbed = await Infrastructure.Testbed.StartAsync(nginx: true);

        var response = await HttpHeadAsync(testbed, host);

        Assert.True(response.ExitCode == 0, response.ToString());
        Assert.StartsWith("HTTP/1.1 200 OK", response.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Nginx_Restart_ClosesKeepAliveConnectionAndAnswersAgain()
    {
        await using var testbed = await Infrastructure.Testbed.StartAsync(nginx: true);

        // A keep-alive connection held open by socat: stdin stays open, so only the server can end it.
        var client = testbed.Start(TestbedNode.Lan, "socat", ["-", $"TCP4:{testbed.WanAddress}:80"]);
        await client.WriteInputAsync("HEAD / HTTP/1.1\r\nHost: testbed\r\nConnection: keep-alive\r\n\r\n", close: false);
        await client.ReadLineAsync(line => line.StartsWith("HTTP/1.1 200", StringComparison.Ordinal), Infrastructure.Testbed.CommandTimeout, "HTTP 200");

        await testbed.NginxAsync("restart");
        var exit = await client.WaitForExitAsync(Infrastructure.Testbed.CommandTimeout);
        var again = await HttpHeadAsync(testbed, testbed.WanAddress.ToString());

        Assert.Equal(0, exit);
        Assert.StartsWith("HTTP/1.1 200 OK", again.Stdout, StringComparison.Ordinal);
    }

    private static Task<CommandResult> HttpHeadAsync(Infrastructure.Testbed testbed, string host) =>
        testbed.ExecAsync(
            TestbedNode.Lan,
            ["socat", "-t", "5", "-", host.StartsWith('[') ? $"TCP6:{host}:80" : $"TCP4:{host}:80"],
            $"HEAD / HTTP/1.1\r\nHost: testbed\r\nConnection: close\r\n\r\n");
}
