using System.Net;
using System.Text.Json;
using NatMap.Discovery;

namespace NatMap.Tests.Discovery;

public sealed class NatDiscoveryTextTests
{
    private static readonly IPEndPoint Server = IPEndPoint.Parse("203.0.113.2:3478");
    private static readonly IPEndPoint Other = IPEndPoint.Parse("203.0.113.3:3479");
    private static readonly IPEndPoint Local = IPEndPoint.Parse("192.0.2.2:5555");
    private static readonly IPEndPoint Public = IPEndPoint.Parse("203.0.113.1:45555");

    private static NatDiscoveryResult Drive(MappingProtocol protocol, params DiscoveryResponse[] responses)
    {
        var discovery = new NatBehaviorDiscovery(protocol, Server, Local);
        foreach (var response in responses)
        {
            discovery.Advance(response);
        }

        Assert.True(discovery.IsComplete);
        return discovery.Result;
    }

    private static NatDiscoveryResult FullCone() =>
        Drive(MappingProtocol.Udp, DiscoveryResponse.Success(Public, Other), DiscoveryResponse.Success(Public, source: Other), DiscoveryResponse.Success(Public));

    private static JsonElement Json(NatDiscoveryReport report)
    {
        using var output = new StringWriter();
        output.Write(NatDiscoveryText.FormatJson(report));
        using var document = JsonDocument.Parse(output.ToString());
        return document.RootElement.Clone();
    }

    [Fact]
    public void WriteJson_TcpOnly_ProtocolTcpAndFilteringUnknown()
    {
        var tcp = Drive(MappingProtocol.Tcp, DiscoveryResponse.Success(Public, Other), DiscoveryResponse.Success(Public));

        var json = Json(new NatDiscoveryReport(null, tcp, null));

        Assert.Equal("tcp", json.GetProperty("protocol").GetString());
        Assert.Equal("endpoint-independent", json.GetProperty("mapping").GetString());
        Assert.Equal("unknown", json.GetProperty("filtering").GetString());
        Assert.Equal("unknown", json.GetProperty("natType").GetString());
        Assert.Contains("UDP notion", json.GetProperty("verdict").GetString(), StringComparison.Ordinal);
        Assert.False(json.TryGetProperty("tcp", out _));
    }

    [Fact]
    public void WriteJson_UdpTcpAndLifetime_AllSections()
    {
        var tcp = Drive(MappingProtocol.Tcp, DiscoveryResponse.Success(Public, Other), DiscoveryResponse.Success(Public));
        var lifetime = new BindingLifetimeEstimate(true, TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(10), null);

        var json = Json(new NatDiscoveryReport(FullCone(), tcp, lifetime));

        Assert.Equal("udp", json.GetProperty("protocol").GetString());
        Assert.Equal("full-cone", json.GetProperty("natType").GetString());
        Assert.Equal("203.0.113.1:45555", json.GetProperty("publicEndpoint").GetString());
        Assert.Equal("192.0.2.2:5555", json.GetProperty("localEndpoint").GetString());
        Assert.Equal("203.0.113.2:3478", json.GetProperty("server").GetString());
        Assert.Equal("not-applicable", json.GetProperty("tcp").GetProperty("filtering").GetString());
        Assert.Equal(20, json.GetProperty("lifetime").GetProperty("survivedSeconds").GetDouble());
        Assert.Equal(30, json.GetProperty("lifetime").GetProperty("expiredSeconds").GetDouble());
        Assert.Equal(10, json.GetProperty("lifetime").GetProperty("recommendedKeepAliveSeconds").GetDouble());
    }

    [Fact]
    public void WriteText_Lifetime_RecommendsKeepAlive()
    {
        var lifetime = new BindingLifetimeEstimate(true, TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(10), null);
        using var output = new StringWriter();

        output.Write(NatDiscoveryText.FormatTable(new NatDiscoveryReport(FullCone(), null, lifetime)));

        var text = output.ToString();
        Assert.Contains("alive after 20 s idle, gone after 30 s: use -k 10 or less", text, StringComparison.Ordinal);
        Assert.EndsWith("Full cone: mappings made by natmap are reachable by anyone.\n", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(NatBehavior.EndpointIndependent, NatBehavior.AddressDependent, "Restricted cone: ")]
    [InlineData(NatBehavior.EndpointIndependent, NatBehavior.AddressAndPortDependent, "Port-restricted cone: ")]
    [InlineData(NatBehavior.AddressAndPortDependent, NatBehavior.AddressAndPortDependent, "Symmetric: ")]
    public void Verdict_ClassicTypes_NamedFirst(NatBehavior mapping, NatBehavior filtering, string start)
    {
        var other2 = new IPEndPoint(Other.Address, Server.Port);
        var responses = new List<DiscoveryResponse> { DiscoveryResponse.Success(Public, Other), DiscoveryResponse.Timeout };
        responses.Add(filtering == NatBehavior.AddressDependent
            ? DiscoveryResponse.Success(Public, source: new IPEndPoint(Server.Address, Other.Port))
            : DiscoveryResponse.Timeout);
        if (mapping == NatBehavior.EndpointIndependent)
        {
            responses.Add(DiscoveryResponse.Success(Public, source: other2));
        }
        else
        {
            responses.Add(DiscoveryResponse.Success(IPEndPoint.Parse("203.0.113.1:40001")));
            responses.Add(DiscoveryResponse.Success(IPEndPoint.Parse("203.0.113.1:40002")));
        }

        var result = Drive(MappingProtocol.Udp, [.. responses]);

        Assert.Equal(mapping, result.Mapping);
        Assert.Equal(filtering, result.Filtering);
        Assert.StartsWith(start, NatDiscoveryText.Verdict(result), StringComparison.Ordinal);
    }

    [Fact]
    public void Verdict_OpenButFiltered_SaysFirewall()
    {
        var result = Drive(MappingProtocol.Udp, DiscoveryResponse.Success(Local, Other), DiscoveryResponse.Timeout, DiscoveryResponse.Timeout);

        Assert.Equal(NatType.Open, result.NatType);
        Assert.StartsWith("Open, but firewalled", NatDiscoveryText.Verdict(result), StringComparison.Ordinal);
    }
}
