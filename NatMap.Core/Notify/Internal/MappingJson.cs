using System.Buffers;
using System.Net;
using System.Text;
using System.Text.Json;
using NatMap.Mapping;
using NatMap.Sockets.Internal;

namespace NatMap.Notify.Internal;

/// <summary>
/// The CLI's <c>--json</c> event and the body <see cref="WebhookNotifier"/> posts: one JSON object per mapping
/// change, written with <see cref="Utf8JsonWriter"/> (no reflection, so trimmed and native builds stay safe). Example:
/// <c>{"event":"mapping","protocol":"tcp","publicAddress":"203.0.113.1","publicPort":45555,"ip4p":"2001::b1f3:cb00:7101","privateAddress":"192.0.2.2","privatePort":5555,"previousPublicAddress":null,"previousPublicPort":null,"previousPrivateAddress":null,"previousPrivatePort":null}</c>.
/// With <c>--name</c>, <c>"name"</c> follows <c>"event"</c>.
/// </summary>
internal static class MappingJson
{
    public static string Format(MappingChanged mapping, string? name = null) => Encoding.UTF8.GetString(FormatUtf8(mapping, name).Span);

    /// <summary>
    /// The event as UTF-8. <paramref name="name"/> is the mapping's name, written as <c>"name"</c> after
    /// <c>"event"</c> when given (the hook for a named instance); without it the object is the CLI's
    /// <c>--json</c> line byte for byte.
    /// </summary>
    public static ReadOnlyMemory<byte> FormatUtf8(MappingChanged mapping, string? name = null)
    {
        var buffer = new ArrayBufferWriter<byte>(384);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("event"u8, "mapping"u8);
            if (name is not null)
            {
                json.WriteString("name"u8, name);
            }

            WriteFields(json, mapping);
            json.WriteEndObject();
        }

        return buffer.WrittenMemory;
    }

    /// <summary>The event's mapping fields, from <c>"protocol"</c> on; all null before the first mapping (the status file).</summary>
    public static void WriteFields(Utf8JsonWriter json, MappingChanged? mapping)
    {
        if (mapping is null)
        {
            foreach (var field in (ReadOnlySpan<string>)["protocol", "publicAddress", "publicPort", "ip4p", "privateAddress", "privatePort", "previousPublicAddress", "previousPublicPort", "previousPrivateAddress", "previousPrivatePort"])
            {
                json.WriteNull(field);
            }

            return;
        }

        var arguments = MappingText.ToArguments(mapping);
        json.WriteString("protocol"u8, arguments[4]);
        json.WriteString("publicAddress"u8, arguments[0]);
        json.WriteNumber("publicPort"u8, mapping.PublicEndPoint.Port);
        json.WriteString("ip4p"u8, arguments[2].Length > 0 ? arguments[2] : null);
        json.WriteString("privateAddress"u8, arguments[5]);
        json.WriteNumber("privatePort"u8, mapping.PrivateEndPoint.Port);
        WriteEndPoint(json, "previousPublicAddress"u8, "previousPublicPort"u8, mapping.PreviousPublicEndPoint);
        WriteEndPoint(json, "previousPrivateAddress"u8, "previousPrivatePort"u8, mapping.PreviousPrivateEndPoint);
    }

    private static void WriteEndPoint(Utf8JsonWriter json, ReadOnlySpan<byte> addressName, ReadOnlySpan<byte> portName, IPEndPoint? endPoint)
    {
        if (endPoint is null)
        {
            json.WriteNull(addressName);
            json.WriteNull(portName);
            return;
        }

        json.WriteString(addressName, IPv4Mapped.Unmap(endPoint.Address).ToString());
        json.WriteNumber(portName, endPoint.Port);
    }
}
