using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace NatMap.Notify.Internal;

/// <summary>
/// An RFC 2136 UPDATE message: the zone section, no prerequisites, and for each record set a
/// "delete all RRsets of this type at this name" (class ANY, section 2.5.2) followed by the new record
/// (section 2.5.1), so the update replaces whatever was there.
/// </summary>
internal sealed class DnsUpdate
{
    public const ushort TypeA = 1;
    public const ushort TypeSoa = 6;
    public const ushort TypeAaaa = 28;
    public const ushort TypeSrv = 33;
    public const ushort ClassIn = 1;
    public const ushort ClassAny = 255;
    public const int OpcodeUpdate = 5;

    private readonly ArrayBufferWriter<byte> _body = new(256);
    private ushort _updateCount;

    public DnsUpdate(ushort id, string zone)
    {
        Id = id;
        Zone = zone;
    }

    public ushort Id { get; }

    public string Zone { get; }

    /// <summary>Replaces the A or AAAA record set at <paramref name="name"/> by <paramref name="address"/>.</summary>
    public void ReplaceAddress(string name, IPAddress address, uint ttl)
    {
        ushort type = address.AddressFamily == AddressFamily.InterNetworkV6 ? TypeAaaa : TypeA;
        DeleteRecordSet(name, type);
        var data = address.GetAddressBytes();
        Record(name, type, ClassIn, ttl, data);
    }

    /// <summary>Replaces the SRV record set at <paramref name="name"/> by one record: priority 0, weight 0, <paramref name="port"/>, <paramref name="target"/> (RFC 2782).</summary>
    public void ReplaceSrv(string name, int port, string target, uint ttl)
    {
        DeleteRecordSet(name, TypeSrv);
        var data = new ArrayBufferWriter<byte>(64);
        var fixedPart = data.GetSpan(6);
        BinaryPrimitives.WriteUInt16BigEndian(fixedPart, 0);
        BinaryPrimitives.WriteUInt16BigEndian(fixedPart[2..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(fixedPart[4..], (ushort)port);
        data.Advance(6);
        DnsNames.Write(data, target);
        Record(name, TypeSrv, ClassIn, ttl, data.WrittenSpan);
    }

    /// <summary>Deletes every record of <paramref name="type"/> at <paramref name="name"/> (RFC 2136 section 2.5.2).</summary>
    public void DeleteRecordSet(string name, ushort type) => Record(name, type, ClassAny, 0, []);

    /// <summary>The message without TSIG; <paramref name="additionalCount"/> is what ARCOUNT says (1 when a TSIG record follows).</summary>
    public byte[] ToArray(ushort additionalCount = 0)
    {
        var message = new ArrayBufferWriter<byte>(12 + 64 + _body.WrittenCount);
        var header = message.GetSpan(12);
        BinaryPrimitives.WriteUInt16BigEndian(header, Id);
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], OpcodeUpdate << 11);
        BinaryPrimitives.WriteUInt16BigEndian(header[4..], 1);
        BinaryPrimitives.WriteUInt16BigEndian(header[6..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(header[8..], _updateCount);
        BinaryPrimitives.WriteUInt16BigEndian(header[10..], additionalCount);
        message.Advance(12);
        DnsNames.Write(message, Zone);
        var zoneType = message.GetSpan(4);
        BinaryPrimitives.WriteUInt16BigEndian(zoneType, TypeSoa);
        BinaryPrimitives.WriteUInt16BigEndian(zoneType[2..], ClassIn);
        message.Advance(4);
        message.Write(_body.WrittenSpan);
        return message.WrittenSpan.ToArray();
    }

    private void Record(string name, ushort type, ushort @class, uint ttl, ReadOnlySpan<byte> data)
    {
        DnsNames.Write(_body, name);
        var fixedPart = _body.GetSpan(10);
        BinaryPrimitives.WriteUInt16BigEndian(fixedPart, type);
        BinaryPrimitives.WriteUInt16BigEndian(fixedPart[2..], @class);
        BinaryPrimitives.WriteUInt32BigEndian(fixedPart[4..], ttl);
        BinaryPrimitives.WriteUInt16BigEndian(fixedPart[8..], (ushort)data.Length);
        _body.Advance(10);
        _body.Write(data);
        _updateCount++;
    }
}
