using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using NatMap.Gateway.Internal;

namespace NatMap.Discovery;

/// <summary>
/// Renders a <see cref="NatDiscoveryReport"/> as <c>natmap check</c> prints it: the short table with a
/// one-line verdict, or one JSON object, so that an application shows the same words.
/// </summary>
public static class NatDiscoveryText
{
    /// <summary>The report as a table of labelled rows, indented by two spaces, then the verdict; every line ends with <c>\n</c>.</summary>
    /// <param name="report">What <see cref="NatDiscoveryClient.RunAsync"/> returned.</param>
    /// <returns>The text, as <c>natmap check</c> prints it.</returns>
    public static string FormatTable(NatDiscoveryReport report) => Format(WriteText, report, null);

    /// <summary>
    /// The report as one JSON object on one line, ending with <c>\n</c>: <c>protocol</c>, <c>mapping</c>,
    /// <c>filtering</c>, <c>natType</c>, <c>publicEndpoint</c>, <c>localEndpoint</c>, <c>server</c>,
    /// <c>otherAddress</c>, <c>hairpinning</c>, <c>verdict</c>, then <c>tcp</c> and <c>lifetime</c> objects
    /// where tested, and <c>notes</c>. Behaviours and types are kebab-case words
    /// (<c>address-and-port-dependent</c>, <c>port-restricted-cone</c>).
    /// </summary>
    /// <param name="report">What <see cref="NatDiscoveryClient.RunAsync"/> returned.</param>
    /// <returns>The JSON text, as <c>natmap check --json</c> prints it.</returns>
    public static string FormatJson(NatDiscoveryReport report) => Format(WriteJson, report, null);

    /// <summary>The table, with the home router's rows when <c>--upnp</c> probed it.</summary>
    internal static string FormatTable(NatDiscoveryReport report, GatewayProbeReport? gateway) => Format(WriteText, report, gateway);

    /// <summary>The JSON object, with a <c>gateway</c> object when <c>--upnp</c> probed the home router.</summary>
    internal static string FormatJson(NatDiscoveryReport report, GatewayProbeReport? gateway) => Format(WriteJson, report, gateway);

    /// <summary>
    /// The JSON and table word for a behaviour or NAT type: its name in kebab case (<c>address-and-port-dependent</c>).
    /// The names are fixed by the shipped public API, so the words cannot drift; a value without a name is <c>unknown</c>.
    /// </summary>
    internal static string Name<T>(T value)
        where T : struct, Enum =>
        Enum.IsDefined(value)
            ? string.Concat(value.ToString().Select((c, i) => i > 0 && char.IsUpper(c) ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()))
            : "unknown";

    /// <summary>The one-line verdict on one protocol's result: what the NAT type means for a mapping made by natmap.</summary>
    /// <param name="result">The UDP or TCP result of a report.</param>
    /// <returns>One sentence, such as <c>Full cone: mappings made by natmap are reachable by anyone.</c></returns>
    public static string Verdict(NatDiscoveryResult result) => result.NatType switch
    {
        _ when !result.ServerAnswered => "No answer: the STUN server did not answer, so nothing is known about the NAT.",
        NatType.Open when result.Filtering is NatBehavior.AddressDependent or NatBehavior.AddressAndPortDependent =>
            "Open, but firewalled: there is no NAT, yet a firewall only lets in hosts this host has sent to.",
        NatType.Open => "Open: there is no NAT on this path; natmap's port is the host's own.",
        NatType.FullCone => "Full cone: mappings made by natmap are reachable by anyone.",
        NatType.RestrictedCone => "Restricted cone: the public port is stable, but only hosts natmap has sent to can reach it; others cannot.",
        NatType.PortRestrictedCone => "Port-restricted cone: the public port is stable, but only the exact address and port natmap has sent to can reach it; others cannot.",
        NatType.Symmetric => "Symmetric: each destination sees another public port, so the port natmap reports is not the one others would reach.",
        _ when result.Mapping == NatBehavior.UnsupportedServer || result.Filtering == NatBehavior.UnsupportedServer =>
            "Unknown: this STUN server cannot run the RFC 5780 tests (it needs two IP addresses); try another with -s.",
        _ when result.Protocol == MappingProtocol.Tcp && result.Mapping == NatBehavior.EndpointIndependent =>
            "Unknown type: TCP mapping is endpoint-independent; filtering is a UDP notion in RFC 5780, so run the UDP test for the full verdict.",
        _ => "Unknown: " + (result.Notes.Count > 0 ? result.Notes[0] : "the tests could not decide") + ".",
    };

    private static string Format(Action<TextWriter, NatDiscoveryReport, GatewayProbeReport?> write, NatDiscoveryReport report, GatewayProbeReport? gateway)
    {
        ArgumentNullException.ThrowIfNull(report);
        using var output = new StringWriter(CultureInfo.InvariantCulture);
        write(output, report, gateway);
        return output.ToString();
    }

    private static void WriteText(TextWriter output, NatDiscoveryReport report, GatewayProbeReport? gateway)
    {
        var main = Primary(report);
        Row(output, "protocol", main.Protocol == MappingProtocol.Udp ? "UDP" : "TCP");
        Row(output, "STUN server", main.OtherAddress is null ? main.Server.ToString() : $"{main.Server} (other address {main.OtherAddress})");
        Row(output, "local endpoint", main.LocalEndPoint.ToString());
        Row(output, "public endpoint", main.PublicEndPoint?.ToString() ?? "-");
        Row(output, "mapping", Name(main.Mapping));
        Row(output, "filtering", main.Filtering == NatBehavior.NotApplicable ? "not tested (a UDP notion in RFC 5780)" : Name(main.Filtering));
        Row(output, "NAT type", Name(main.NatType));
        if (main.Hairpinning is bool hairpin)
        {
            Row(output, "hairpinning", hairpin ? "yes" : "no");
        }

        if (report.Udp is not null && report.Tcp is { } tcp)
        {
            Row(output, "TCP mapping", tcp.ServerAnswered
                ? $"{Name(tcp.Mapping)} (public {tcp.PublicEndPoint}; filtering is a UDP notion in RFC 5780)"
                : "no answer over TCP");
        }

        if (report.Lifetime is { } lifetime)
        {
            Row(output, "UDP lifetime", LifetimeText(lifetime));
        }

        if (gateway is not null)
        {
            GatewayRows(output, gateway, main.PublicEndPoint?.Address);
        }

        foreach (var note in Notes(report))
        {
            Row(output, "note", note);
        }

        output.Write(Verdict(main) + "\n");
    }

    private static void WriteJson(TextWriter output, NatDiscoveryReport report, GatewayProbeReport? gateway)
    {
        var main = Primary(report);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("protocol", main.Protocol == MappingProtocol.Udp ? "udp" : "tcp");
            json.WriteString("mapping", Name(main.Mapping));

            // The issue fixes filtering's words; over TCP alone there is no filtering verdict.
            json.WriteString("filtering", main.Filtering == NatBehavior.NotApplicable ? "unknown" : Name(main.Filtering));
            json.WriteString("natType", Name(main.NatType));
            json.WriteString("publicEndpoint", main.PublicEndPoint?.ToString());
            json.WriteString("localEndpoint", main.LocalEndPoint.ToString());
            json.WriteString("server", main.Server.ToString());
            json.WriteString("otherAddress", main.OtherAddress?.ToString());
            WriteLiteral(json, "hairpinning", main.Hairpinning is { } hairpin ? (hairpin ? "true" : "false") : null);
            json.WriteString("verdict", Verdict(main));
            if (report.Udp is not null && report.Tcp is { } tcp)
            {
                json.WriteStartObject("tcp");
                json.WriteString("mapping", Name(tcp.Mapping));
                json.WriteString("filtering", Name(tcp.Filtering));
                json.WriteString("publicEndpoint", tcp.PublicEndPoint?.ToString());
                json.WriteString("localEndpoint", tcp.LocalEndPoint.ToString());
                json.WriteString("server", tcp.Server.ToString());
                json.WriteEndObject();
            }

            if (report.Lifetime is { } lifetime)
            {
                json.WriteStartObject("lifetime");
                json.WriteBoolean("measured", lifetime.Measured);
                json.WriteNumber("survivedSeconds", lifetime.Survived.TotalSeconds);
                WriteLiteral(json, "expiredSeconds", lifetime.Expired?.TotalSeconds.ToString(CultureInfo.InvariantCulture));
                WriteLiteral(json, "recommendedKeepAliveSeconds", lifetime.RecommendedKeepAlive?.TotalSeconds.ToString(CultureInfo.InvariantCulture));
                json.WriteString("reason", lifetime.Reason);
                json.WriteEndObject();
            }

            if (gateway is not null)
            {
                json.WriteStartObject("gateway");
                json.WriteString("address", gateway.Gateway?.ToString());
                foreach (var answer in gateway.Answers)
                {
                    json.WriteBoolean(GatewayProtocolNames.Tag(answer.Protocol), answer.Answered);
                }

                json.WriteString("externalAddress", gateway.ExternalAddress?.ToString());
                WriteLiteral(json, "natLayers", gateway.NatLayers(main.PublicEndPoint?.Address)?.ToString(CultureInfo.InvariantCulture));
                json.WriteEndObject();
            }

            json.WriteStartArray("notes");
            foreach (var note in Notes(report))
            {
                json.WriteStringValue(note);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        output.Write(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length) + "\n");
    }

    private static void GatewayRows(TextWriter output, GatewayProbeReport gateway, System.Net.IPAddress? stunPublic)
    {
        if (gateway.Gateway is null)
        {
            Row(output, "home router", "none: no default gateway for the bound address or interface (name one with --gateway)");
            return;
        }

        Row(output, "home router", gateway.Gateway + ": " + string.Join(", ", gateway.Answers.Select(a => GatewayProtocolNames.Display(a.Protocol) + (a.Answered ? " answers" : " no"))));
        foreach (var answer in gateway.Answers.Where(a => a.Reason is not null))
        {
            Row(output, GatewayProtocolNames.Display(answer.Protocol), answer.Reason!);
        }

        Row(output, "router address", gateway.ExternalAddress is { } external
            ? external + (GatewayProbe.IsPrivateOrReserved(external) ? " (private or reserved)" : "")
            : "-");
        if (gateway.NatLayers(stunPublic) is { } layers)
        {
            Row(output, "NAT layers", $"behind {layers} NAT layers: the home router's external address is not the public {stunPublic}; natmap --upnp opens the inner one");
        }
    }

    private static NatDiscoveryResult Primary(NatDiscoveryReport report) => report.Udp ?? report.Tcp!;

    private static IEnumerable<string> Notes(NatDiscoveryReport report) =>
        (report.Udp?.Notes ?? []).Concat((report.Tcp?.Notes ?? []).Select(note => "TCP: " + note));

    private static string LifetimeText(BindingLifetimeEstimate lifetime)
    {
        if (!lifetime.Measured)
        {
            return "not measured: " + lifetime.Reason;
        }

        var survived = lifetime.Survived.TotalSeconds.ToString(CultureInfo.InvariantCulture);
        var keepAlive = lifetime.RecommendedKeepAlive!.Value.TotalSeconds.ToString(CultureInfo.InvariantCulture);
        return lifetime.Expired is { } expired
            ? $"alive after {survived} s idle, gone after {expired.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s: use -k {keepAlive} or less"
            : $"alive after {survived} s idle (the longest probed): -k {keepAlive} is safe";
    }

    private static void Row(TextWriter output, string label, string value) => output.Write("  " + label.PadRight(16) + value + "\n");

    /// <summary>A number or boolean in its JSON spelling, or null.</summary>
    private static void WriteLiteral(Utf8JsonWriter json, string name, string? literal)
    {
        json.WritePropertyName(name);
        json.WriteRawValue(literal ?? "null");
    }
}
