using System.Buffers;
using System.Globalization;
using System.Text.Json;
using NatMap.Mapping;

namespace NatMap.Notify.Internal;

/// <summary>
/// <c>--status-file</c>: one JSON object that a UI can poll. Each write goes to a temporary file in
/// the same folder, is flushed to disk, then renamed over the path (rename(2) replaces it
/// atomically), so a reader sees the old object or the new one, never part of one. Fields: those of
/// the <c>--json</c> event (null before the first mapping), then <c>name</c>, <c>pid</c>,
/// <c>state</c> (<c>starting</c>, <c>mapped</c>, <c>remapping</c>, <c>stopped</c>), <c>since</c>
/// (when the state was entered, ISO 8601 UTC), <c>forwardMethod</c> (null without <c>-t</c>),
/// <c>targetAddress</c> and <c>targetPort</c> (the port forwarded to now: <c>-p</c>, or the public
/// port for <c>-p 0</c>), and <c>lastError</c>.
/// </summary>
internal sealed class StatusFile
{
    private readonly string _path;
    private readonly string _temporary;
    private readonly string? _name;
    private readonly string? _forwardMethod;
    private readonly string? _targetHost;
    private readonly int _targetPort;

    public StatusFile(string path, string? name, PortMapperOptions options)
    {
        _path = Path.GetFullPath(path);
        _temporary = Path.Combine(Path.GetDirectoryName(_path)!, "." + Path.GetFileName(_path) + "." + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + ".tmp");
        _name = name;
        _forwardMethod = ForwardMethod(options);
        _targetHost = options.TargetHost;
        _targetPort = options.TargetPort;
    }

    /// <summary>How a forward mode (<c>-t</c>) relays, or null without one: one place for every method the options can choose.</summary>
    public static string? ForwardMethod(PortMapperOptions options) =>
        options.TargetHost is null ? null : options.ForwardMethod == Forwarding.ForwardMethod.Nftables ? "nftables" : "relay";

    /// <summary>Replaces the file with the object for this moment.</summary>
    public void Write(MappingState state, MappingChanged? mapping, string? lastError, DateTimeOffset since)
    {
        using (var stream = new FileStream(_temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(Format(state, mapping, lastError, since));
            stream.Flush(flushToDisk: true);
        }

        File.Move(_temporary, _path, overwrite: true);
    }

    /// <summary>Deletes a temporary file left by a write that failed half-way.</summary>
    public void DeleteTemporary() => File.Delete(_temporary);

    public ReadOnlySpan<byte> Format(MappingState state, MappingChanged? mapping, string? lastError, DateTimeOffset since)
    {
        var buffer = new ArrayBufferWriter<byte>(768);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("event"u8, "status"u8);
            MappingJson.WriteFields(json, mapping);
            json.WriteString("name"u8, _name);
            json.WriteNumber("pid"u8, Environment.ProcessId);
            json.WriteString("state"u8, StateName(state));
            json.WriteString("since"u8, since.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            json.WriteString("forwardMethod"u8, _forwardMethod);
            json.WriteString("targetAddress"u8, _targetHost);
            if (_targetHost is null || (_targetPort == 0 && mapping is null))
            {
                json.WriteNull("targetPort"u8);
            }
            else
            {
                json.WriteNumber("targetPort"u8, _targetPort != 0 ? _targetPort : mapping!.PublicEndPoint.Port);
            }

            json.WriteString("lastError"u8, lastError);
            json.WriteEndObject();
        }

        buffer.Write("\n"u8);
        return buffer.WrittenSpan;
    }

    public static string StateName(MappingState state) => state switch
    {
        MappingState.Starting => "starting",
        MappingState.Mapped => "mapped",
        MappingState.Remapping => "remapping",
        _ => "stopped",
    };
}
