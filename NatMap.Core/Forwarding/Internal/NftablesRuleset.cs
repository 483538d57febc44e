using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using NatMap.Internal;

namespace NatMap.Forwarding.Internal;

/// <summary>
/// The text of a kernel forwarder's table, in nft's own syntax, and the readers of nft's JSON
/// listings. A table is always loaded after <c>table X</c> + <c>delete table X</c> in the same
/// buffer: that replaces a table of the same name (left by a killed process, or the one being
/// retargeted) in one transaction, where a plain <c>table X { … }</c> would add to it.
/// </summary>
internal static class NftablesRuleset
{
    /// <summary>Every table of NatMap's starts with this, and no other table is ever touched.</summary>
    public const string TablePrefix = "natmap_";

    public const string ToTargetComment = "natmap to_target";
    public const string FromTargetComment = "natmap from_target";
    public const string ForwardedComment = "natmap forwarded";

    public static string TableName(MappingProtocol protocol, int localPort) =>
        string.Create(CultureInfo.InvariantCulture, $"{TablePrefix}{(protocol == MappingProtocol.Tcp ? "tcp" : "udp")}_{localPort}");

    /// <summary>Removes the table if it exists, in one transaction (a missing table is no error).</summary>
    public static string Delete(string table) => $"table inet {table}\ndelete table inet {table}\n";

    /// <summary>The whole table: the forward rule, the exclusion set, the opt-in masquerade, and the counting rules.</summary>
    public static string Replace(string table, MappingProtocol protocol, IPEndPoint local, IPEndPoint target, bool masquerade, IEnumerable<IPEndPoint> excluded)
    {
        bool v6 = local.AddressFamily == AddressFamily.InterNetworkV6;
        string ip = v6 ? "ip6" : "ip";
        string proto = protocol == MappingProtocol.Tcp ? "tcp" : "udp";
        string port = local.Port.ToString(CultureInfo.InvariantCulture);
        bool anyLocal = local.Address.Equals(IPAddress.Any) || local.Address.Equals(IPAddress.IPv6Any);

        // Narrowed to the mapping's own address where it is known; meta nfproto keeps a v4 rule off v6 packets and back.
        string toLocal = anyLocal ? $"meta nfproto {(v6 ? "ipv6" : "ipv4")} {proto} dport {port}" : $"{ip} daddr {local.Address} {proto} dport {port}";
        string ourFlows = anyLocal
            ? $"ct status dnat meta nfproto {(v6 ? "ipv6" : "ipv4")} meta l4proto {proto} ct original proto-dst {port}"
            : $"ct status dnat ct original {ip} daddr {local.Address} meta l4proto {proto} ct original proto-dst {port}";

        var text = new StringBuilder(Delete(table));
        text.Append(CultureInfo.InvariantCulture, $"table inet {table} {{\n");
        text.Append(CultureInfo.InvariantCulture, $"\tset peers {{\n\t\ttype {(v6 ? "ipv6_addr" : "ipv4_addr")} . inet_service\n");
        if (Elements(excluded) is { Length: > 0 } elements)
        {
            text.Append(CultureInfo.InvariantCulture, $"\t\telements = {{ {elements} }}\n");
        }

        text.Append("\t}\n");
        text.Append("\tchain pre {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n");
        text.Append(CultureInfo.InvariantCulture, $"\t\t{toLocal} {ip} saddr . {proto} sport != @peers counter {Action(target, ip)} comment \"{ForwardedComment}\"\n\t}}\n");
        if (masquerade)
        {
            text.Append("\tchain post {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n");
            text.Append(CultureInfo.InvariantCulture, $"\t\t{ourFlows} ct direction original masquerade\n\t}}\n");
        }

        // Counting only: a forwarded flow passes forward (another host) or input and output (this host).
        AppendCounter(text, "count_forward", "forward", ourFlows, original: true, reply: true);
        AppendCounter(text, "count_input", "input", ourFlows, original: true, reply: false);
        AppendCounter(text, "count_output", "output", ourFlows, original: false, reply: true);
        text.Append("}\n");
        return text.ToString();
    }

    /// <summary>Replaces the exclusion set's elements in one transaction.</summary>
    public static string SetPeers(string table, IEnumerable<IPEndPoint> excluded)
    {
        var text = new StringBuilder("flush set inet " + table + " peers\n");
        if (Elements(excluded) is { Length: > 0 } elements)
        {
            text.Append(CultureInfo.InvariantCulture, $"add element inet {table} peers {{ {elements} }}\n");
        }

        return text.ToString();
    }

    /// <summary>How the target is reached: the wildcard (and <c>::1</c>, which IPv6 cannot reach from outside) by redirect, the rest by DNAT.</summary>
    private static string Action(IPEndPoint target, string ip)
    {
        string port = target.Port.ToString(CultureInfo.InvariantCulture);
        if (IsRedirect(target.Address))
        {
            return "redirect to :" + port;
        }

        return target.AddressFamily == AddressFamily.InterNetworkV6 ? $"dnat {ip} to [{target.Address}]:{port}" : $"dnat {ip} to {target.Address}:{port}";
    }

    public static bool IsRedirect(IPAddress target) =>
        target.Equals(IPAddress.Any) || target.Equals(IPAddress.IPv6Any) || target.Equals(IPAddress.IPv6Loopback);

    private static void AppendCounter(StringBuilder text, string chain, string hook, string ourFlows, bool original, bool reply)
    {
        text.Append(CultureInfo.InvariantCulture, $"\tchain {chain} {{\n\t\ttype filter hook {hook} priority filter; policy accept;\n");
        if (original)
        {
            text.Append(CultureInfo.InvariantCulture, $"\t\t{ourFlows} ct direction original counter comment \"{ToTargetComment}\"\n");
        }

        if (reply)
        {
            text.Append(CultureInfo.InvariantCulture, $"\t\t{ourFlows} ct direction reply counter comment \"{FromTargetComment}\"\n");
        }

        text.Append("\t}\n");
    }

    private static string Elements(IEnumerable<IPEndPoint> peers) =>
        string.Join(", ", peers.Distinct().Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Address} . {p.Port}")));

    /// <summary>Names of the tables in a <c>list tables</c> listing that are NatMap's.</summary>
    /// <exception cref="NatMapException">The listing is not JSON (<see cref="NatMapErrorKind.NotSupported"/>).</exception>
    public static List<string> NatMapTables(string json)
    {
        var names = new List<string>();
        foreach (var item in Items(json, "table"))
        {
            if (Text(item, "family") == "inet" && Text(item, "name") is { } text && text.StartsWith(TablePrefix, StringComparison.Ordinal))
            {
                names.Add(text);
            }
        }

        return names;
    }

    /// <summary>Sums the counters of the rules with each comment: (forwarded flows, packets and bytes to the target, packets and bytes from it).</summary>
    /// <exception cref="NatMapException">The listing is not JSON (<see cref="NatMapErrorKind.NotSupported"/>).</exception>
    public static (long Flows, long BytesToTarget, long BytesFromTarget) Counters(string json)
    {
        long flows = 0, to = 0, from = 0;
        foreach (var rule in Items(json, "rule"))
        {
            if (Text(rule, "comment") is not { } comment || !rule.TryGetProperty("expr", out var expr) || expr.ValueKind != JsonValueKind.Array)
            {
                continue;
            }

            foreach (var e in expr.EnumerateArray())
            {
                if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty("counter", out var counter) || counter.ValueKind != JsonValueKind.Object)
                {
                    continue;
                }

                switch (comment)
                {
                    case ForwardedComment:
                        flows += Number(counter, "packets");
                        break;
                    case ToTargetComment:
                        to += Number(counter, "bytes");
                        break;
                    case FromTargetComment:
                        from += Number(counter, "bytes");
                        break;
                }
            }
        }

        return (flows, to, from);
    }

    /// <summary>
    /// Base chains of other tables hooked at <paramref name="hook"/> with policy drop and no rule that
    /// accepts DNATed flows: an accept in our table ends only our chain, and their drop still applies.
    /// </summary>
    /// <exception cref="NatMapException">The listing is not JSON (<see cref="NatMapErrorKind.NotSupported"/>).</exception>
    public static List<(string Family, string Table, string Chain)> DroppingChains(string json, string hook)
    {
        var dropping = new List<(string, string, string)>();
        var items = Items(json, "chain").ToList();
        var rules = Items(json, "rule").ToList();
        foreach (var chain in items)
        {
            if (Text(chain, "hook") != hook || Text(chain, "policy") != "drop")
            {
                continue;
            }

            string family = Text(chain, "family") ?? "";
            string table = Text(chain, "table") ?? "";
            string name = Text(chain, "name") ?? "";
            if (table.StartsWith(TablePrefix, StringComparison.Ordinal))
            {
                continue;
            }

            bool accepts = rules.Any(r => Text(r, "family") == family && Text(r, "table") == table && Text(r, "chain") == name && AcceptsDnat(r));
            if (!accepts)
            {
                dropping.Add((family, table, name));
            }
        }

        return dropping;
    }

    private static bool AcceptsDnat(JsonElement rule)
    {
        if (!rule.TryGetProperty("expr", out var expr))
        {
            return false;
        }

        string text = expr.GetRawText();
        return text.Contains("\"status\"", StringComparison.Ordinal) && text.Contains("\"dnat\"", StringComparison.Ordinal)
            && text.Contains("\"accept\"", StringComparison.Ordinal);
    }

    /// <summary>The string property <paramref name="name"/> of an object; null when it is missing or not a string.</summary>
    private static string? Text(JsonElement item, string name) =>
        item.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>The counter <paramref name="name"/>; 0 when it is missing, not a number, or not a 64-bit integer.</summary>
    private static long Number(JsonElement counter, string name) =>
        counter.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long number) ? number : 0;

    /// <summary>
    /// The objects of kind <paramref name="kind"/> in an nft JSON listing (<c>{"nftables": [{"table": {…}}, …]}</c>).
    /// Only objects are returned, so that their properties can be read; anything else is skipped.
    /// </summary>
    private static IEnumerable<JsonElement> Items(string json, string kind)
    {
        if (json.Length == 0)
        {
            yield break;
        }

        using var document = Parse(json);
        if (document.RootElement.ValueKind != JsonValueKind.Object
            || !document.RootElement.TryGetProperty("nftables", out var items) || items.ValueKind != JsonValueKind.Array)
        {
            yield break;
        }

        foreach (var item in items.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty(kind, out var value) && value.ValueKind == JsonValueKind.Object)
            {
                yield return value.Clone();
            }
        }
    }

    private static JsonDocument Parse(string json)
    {
        try
        {
            return JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            return ThrowHelper.Throw<JsonDocument>(NatMapErrorKind.NotSupported, "nftables printed a listing that is not JSON: " + ex.Message, ex);
        }
    }
}
