using System.Globalization;
using System.Net;
using NatMap.Mapping;

namespace NatMap.Tests.Testbed.Library;

/// <summary>
/// One <see cref="MappingChanged"/> as the library driver prints it and the test reads it back:
/// <c>mapping protocol=tcp public=A:P private=A:P ip4p=X previous-public=A:P|- previous-private=A:P|- ms=N</c>,
/// where ms is the time since the driver began watching.
/// </summary>
internal sealed record MappingEvent(
    MappingProtocol Protocol,
    IPEndPoint PublicEndPoint,
    IPEndPoint PrivateEndPoint,
    IPAddress? Ip4p,
    IPEndPoint? PreviousPublicEndPoint,
    IPEndPoint? PreviousPrivateEndPoint,
    TimeSpan SinceWatchStart)
{
    public const string Prefix = "mapping ";

    public static string Format(MappingChanged change, TimeSpan sinceWatchStart) => string.Create(
        CultureInfo.InvariantCulture,
        $"{Prefix}protocol={(change.Protocol == MappingProtocol.Tcp ? "tcp" : "udp")} public={change.PublicEndPoint} private={change.PrivateEndPoint} ip4p={change.Ip4p?.ToString() ?? "-"} previous-public={change.PreviousPublicEndPoint?.ToString() ?? "-"} previous-private={change.PreviousPrivateEndPoint?.ToString() ?? "-"} ms={sinceWatchStart.TotalMilliseconds:0}");

    /// <summary>Reads a line written by <see cref="Format"/>; throws <see cref="FormatException"/> on anything else.</summary>
    public static MappingEvent Parse(string line)
    {
        if (!line.StartsWith(Prefix, StringComparison.Ordinal))
        {
            throw new FormatException($"not a mapping line: '{line}'");
        }

        var fields = line[Prefix.Length..].Split(' ')
            .Select(field => field.Split('=', 2))
            .ToDictionary(pair => pair[0], pair => pair.Length == 2 ? pair[1] : throw new FormatException($"field '{pair[0]}' has no value in '{line}'"));
        return new MappingEvent(
            fields["protocol"] switch
            {
                "tcp" => MappingProtocol.Tcp,
                "udp" => MappingProtocol.Udp,
                var other => throw new FormatException($"protocol '{other}' in '{line}'"),
            },
            IPEndPoint.Parse(fields["public"]),
            IPEndPoint.Parse(fields["private"]),
            fields["ip4p"] == "-" ? null : IPAddress.Parse(fields["ip4p"]),
            fields["previous-public"] == "-" ? null : IPEndPoint.Parse(fields["previous-public"]),
            fields["previous-private"] == "-" ? null : IPEndPoint.Parse(fields["previous-private"]),
            TimeSpan.FromMilliseconds(double.Parse(fields["ms"], CultureInfo.InvariantCulture)));
    }
}
