using System.Net;
using NatMap.Forwarding.Internal;
using NatMap.Tests.Infrastructure;

namespace NatMap.Tests.Forwarding;

public sealed class NftablesRulesetTests
{
    private static readonly IPEndPoint Local = new(IPAddress.Parse("192.0.2.2"), 5555);

    [Fact]
    public void Replace_RemoteTarget_OneTableReplacedInPlaceWithExclusionAndNoSnat()
    {
        var text = NftablesRuleset.Replace("natmap_tcp_5555", MappingProtocol.Tcp, Local, new IPEndPoint(IPAddress.Parse("198.51.100.10"), 8080), masquerade: false, [new IPEndPoint(IPAddress.Parse("203.0.113.2"), 3478), new IPEndPoint(IPAddress.Parse("203.0.113.2"), 80)]);

        // The prologue makes the load replace a leftover table instead of adding to it.
        Assert.StartsWith("table inet natmap_tcp_5555\ndelete table inet natmap_tcp_5555\ntable inet natmap_tcp_5555 {\n", text, StringComparison.Ordinal);
        Assert.Contains("elements = { 203.0.113.2 . 3478, 203.0.113.2 . 80 }", text, StringComparison.Ordinal);
        Assert.Contains("ip daddr 192.0.2.2 tcp dport 5555 ip saddr . tcp sport != @peers counter dnat ip to 198.51.100.10:8080", text, StringComparison.Ordinal);
        Assert.DoesNotContain("masquerade", text, StringComparison.Ordinal);
        Assert.DoesNotContain("table ip ", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Replace_Masquerade_AddsPostroutingRuleForOurFlowsOnly()
    {
        var text = NftablesRuleset.Replace("natmap_udp_5555", MappingProtocol.Udp, Local, new IPEndPoint(IPAddress.Parse("198.51.100.10"), 8080), masquerade: true, []);

        Assert.Contains("type nat hook postrouting priority srcnat", text, StringComparison.Ordinal);
        Assert.Contains("ct status dnat ct original ip daddr 192.0.2.2 meta l4proto udp ct original proto-dst 5555 ct direction original masquerade", text, StringComparison.Ordinal);
        Assert.DoesNotContain("elements", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0.0.0.0", "redirect to :8080")]
    [InlineData("127.0.0.1", "dnat ip to 127.0.0.1:8080")]
    [InlineData("192.0.2.2", "dnat ip to 192.0.2.2:8080")]
    public void Replace_SameHostTargets_RedirectForWildcardDnatOtherwise(string target, string action)
    {
        var text = NftablesRuleset.Replace("natmap_tcp_5555", MappingProtocol.Tcp, Local, new IPEndPoint(IPAddress.Parse(target), 8080), masquerade: false, []);

        Assert.Contains(action + " comment", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Replace_Ipv6_Ip6MatchesAndBracketedTarget()
    {
        var local = new IPEndPoint(IPAddress.Parse("2001:db8:1::2"), 5555);
        var text = NftablesRuleset.Replace("natmap_tcp_5555", MappingProtocol.Tcp, local, new IPEndPoint(IPAddress.Parse("2001:db8:3::10"), 8080), masquerade: false, [new IPEndPoint(IPAddress.Parse("2001:db8:2::2"), 3478)]);

        Assert.Contains("type ipv6_addr . inet_service", text, StringComparison.Ordinal);
        Assert.Contains("ip6 daddr 2001:db8:1::2 tcp dport 5555 ip6 saddr . tcp sport != @peers counter dnat ip6 to [2001:db8:3::10]:8080", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Counters_SumsRulesByComment()
    {
        const string Json = """
            {"nftables": [{"metainfo": {"version": "1.0.6"}},
             {"rule": {"family": "inet", "table": "natmap_tcp_5555", "chain": "pre", "handle": 2, "comment": "natmap forwarded", "expr": [{"counter": {"packets": 3, "bytes": 180}}, {"dnat": {"family": "ip", "addr": "198.51.100.10", "port": 8080}}]}},
             {"rule": {"family": "inet", "table": "natmap_tcp_5555", "chain": "count_forward", "handle": 3, "comment": "natmap to_target", "expr": [{"counter": {"packets": 10, "bytes": 1000}}]}},
             {"rule": {"family": "inet", "table": "natmap_tcp_5555", "chain": "count_input", "handle": 4, "comment": "natmap to_target", "expr": [{"counter": {"packets": 1, "bytes": 60}}]}},
             {"rule": {"family": "inet", "table": "natmap_tcp_5555", "chain": "count_forward", "handle": 5, "comment": "natmap from_target", "expr": [{"counter": {"packets": 9, "bytes": 7000}}]}}]}
            """;

        Assert.Equal((3L, 1060L, 7000L), NftablesRuleset.Counters(Json));
    }

    [Fact]
    public void DroppingChains_OtherTablesPolicyDropWithoutDnatAccept_Listed()
    {
        const string Json = """
            {"nftables": [
             {"chain": {"family": "inet", "table": "hostfw", "name": "forward", "handle": 1, "type": "filter", "hook": "forward", "prio": 0, "policy": "drop"}},
             {"chain": {"family": "ip", "table": "filter", "name": "FORWARD", "handle": 1, "type": "filter", "hook": "forward", "prio": 0, "policy": "drop"}},
             {"rule": {"family": "ip", "table": "filter", "chain": "FORWARD", "handle": 4, "expr": [{"match": {"op": "in", "left": {"ct": {"key": "status"}}, "right": "dnat"}}, {"accept": null}]}},
             {"chain": {"family": "inet", "table": "natmap_tcp_5555", "name": "count_forward", "handle": 1, "type": "filter", "hook": "forward", "prio": 0, "policy": "drop"}},
             {"chain": {"family": "inet", "table": "hostfw", "name": "input", "handle": 2, "type": "filter", "hook": "input", "prio": 0, "policy": "drop"}}]}
            """;

        Assert.Equal([("inet", "hostfw", "forward")], NftablesRuleset.DroppingChains(Json, "forward"));
        Assert.Equal([("inet", "hostfw", "input")], NftablesRuleset.DroppingChains(Json, "input"));
    }

    /// <summary>The seeds of the <c>nftables</c> fuzz target are libnftables' own listings, and read as they should.</summary>
    [Fact]
    public void FuzzSeeds_LibnftablesListings_Read()
    {
        var root = RepoPaths.Root;
        if (root is null)
        {
            Assert.Skip("the tests run outside a checkout: no NatMap.Fuzz/Corpus");
        }

        string Seed(string name) => File.ReadAllText(Path.Combine(root, "NatMap.Fuzz", "Corpus", "nftables", name));

        Assert.Equal(["natmap_tcp_5555"], NftablesRuleset.NatMapTables(Seed("list-tables.json")));
        Assert.Equal((7L, 9000L, 120000L), NftablesRuleset.Counters(Seed("list-table-natmap.json")));
        Assert.Equal([("inet", "firewall", "forward")], NftablesRuleset.DroppingChains(Seed("list-ruleset.json"), "forward"));
        Assert.Empty(NftablesRuleset.DroppingChains(Seed("list-ruleset.json"), "input"));
    }

    /// <summary>JSON of another shape than nft's reads as absent: no exception escapes that the callers do not handle.</summary>
    [Theory]
    [InlineData("""[1, 2]""")]
    [InlineData("""{"nftables": 5}""")]
    [InlineData("""{"nftables": [7, "x", {"table": "natmap_x"}, {"rule": [1]}]}""")]
    [InlineData("""{"nftables": [{"table": {"family": 4, "name": {"a": 1}}}]}""")]
    [InlineData("""{"nftables": [{"rule": {"comment": "natmap forwarded", "expr": {"counter": 1}}}]}""")]
    [InlineData("""{"nftables": [{"rule": {"comment": "natmap forwarded", "expr": [1, {"counter": {"packets": "9", "bytes": 1e30}}]}}]}""")]
    [InlineData("""{"nftables": [{"chain": {"hook": "forward", "policy": "drop"}}, {"rule": {"family": 1, "expr": 2}}]}""")]
    public void Readers_OtherShapes_ReadAsAbsent(string json)
    {
        Assert.Empty(NftablesRuleset.NatMapTables(json));
        Assert.Equal((0L, 0L, 0L), NftablesRuleset.Counters(json));
        foreach (var (family, table, chain) in NftablesRuleset.DroppingChains(json, "forward"))
        {
            // A chain with its names missing is still reported (as empty names), never thrown over.
            Assert.Equal(("", "", ""), (family, table, chain));
        }
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{"nftables": [""")]
    public void Readers_NotJson_RefusedAsNotSupported(string json)
    {
        Assert.Equal(NatMapErrorKind.NotSupported, Assert.Throws<NatMapException>(() => NftablesRuleset.NatMapTables(json)).Kind);
        Assert.Equal(NatMapErrorKind.NotSupported, Assert.Throws<NatMapException>(() => NftablesRuleset.Counters(json)).Kind);
        Assert.Equal(NatMapErrorKind.NotSupported, Assert.Throws<NatMapException>(() => NftablesRuleset.DroppingChains(json, "input")).Kind);
    }

    [Fact]
    public void NatMapTables_OnlyInetTablesWithThePrefix()
    {
        const string Json = """{"nftables": [{"table": {"family": "inet", "name": "natmap_udp_5555"}}, {"table": {"family": "ip", "name": "natmap_x"}}, {"table": {"family": "inet", "name": "hostfw"}}]}""";

        Assert.Equal(["natmap_udp_5555"], NftablesRuleset.NatMapTables(Json));
    }

    [Fact]
    public void NftablesForwarder_TableNameAndArguments_CheckedWithoutTouchingTheKernel()
    {
        var options = new NatMap.Forwarding.NftablesForwarderOptions { Protocol = MappingProtocol.Udp, LocalEndPoint = Local, Target = new IPEndPoint(IPAddress.Parse("198.51.100.10"), 8080) };
        using var forwarder = new NatMap.Forwarding.NftablesForwarder(options);

        Assert.Equal("natmap_udp_5555", forwarder.TableName);
        Assert.Equal("natmap_tcp_1", NatMap.Forwarding.NftablesForwarder.TableNameFor(MappingProtocol.Tcp, 1));
        Assert.Throws<InvalidOperationException>(() => forwarder.Retarget(new IPEndPoint(IPAddress.Parse("198.51.100.11"), 8080)));
        Assert.Throws<ArgumentException>(() => new NatMap.Forwarding.NftablesForwarder(new() { LocalEndPoint = Local }));
        Assert.Throws<ArgumentException>(() => new NatMap.Forwarding.NftablesForwarder(new() { LocalEndPoint = Local, Target = new IPEndPoint(IPAddress.Parse("2001:db8::1"), 1) }));
    }
}
