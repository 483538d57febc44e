using System.Net;

namespace NatMap.Tests.Testbed;

using NatMap.Tests.Infrastructure;

/// <summary>The shared class fixture gives every test of a class the same working testbed.</summary>
public sealed class TestbedFixtureTestbedTests(TestbedFixture fixture) : IClassFixture<TestbedFixture>
{
    [Fact]
    public async Task SharedTestbed_StunOverUdp_ReportsMappedPort()
    {
        var testbed = fixture.Testbed;

        var mapped = await testbed.StunAsync(TestbedNode.Lan, "udp", testbed.WanAddress, localPort: 5556);

        Assert.Equal(new IPEndPoint(testbed.PublicAddress, 45556), mapped);
    }

    [Fact]
    public async Task SharedTestbed_Http_AnswersOk()
    {
        var testbed = fixture.Testbed;

        var response = await testbed.ExecAsync(
            TestbedNode.Lan,
            ["socat", "-t", "5", "-", $"TCP4:{testbed.WanAddress}:80"],
            "HEAD / HTTP/1.1\r\nHost: testbed\r\nConnection: close\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 200 OK", response.Stdout, StringComparison.Ordinal);
    }
}
