using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;

namespace NatMap.Notify.Internal;

/// <summary>TSIG with HMAC-SHA256, RFC 8945: signing a request (section 5.1) and checking the answer's signature (section 5.3).</summary>
internal static class Tsig
{
    public const ushort TypeTsig = 250;
    public const string Algorithm = "hmac-sha256";

    /// <summary>The permitted clock difference in seconds; 300, as RFC 8945 section 10 recommends.</summary>
    public const ushort Fudge = 300;

    public const int BadSig = 16;
    public const int BadKey = 17;
    public const int BadTime = 18;

    /// <summary>
    /// <paramref name="unsigned"/> (a message whose ARCOUNT does not count the TSIG record yet) with its TSIG
    /// record appended and ARCOUNT incremented; <paramref name="mac"/> is the request MAC the answer's is chained to.
    /// </summary>
    public static byte[] Sign(ReadOnlySpan<byte> unsigned, TsigKey key, long timeSigned, out byte[] mac)
    {
        ushort id = BinaryPrimitives.ReadUInt16BigEndian(unsigned);
        mac = Mac(key, [], unsigned, timeSigned, Fudge, error: 0);
        var signed = new ArrayBufferWriter<byte>(unsigned.Length + 128);
        signed.Write(unsigned);
        var arcount = signed.WrittenSpan[10..12].ToArray();
        DnsNames.Write(signed, key.Name);
        var fixedPart = signed.GetSpan(10);
        BinaryPrimitives.WriteUInt16BigEndian(fixedPart, TypeTsig);
        BinaryPrimitives.WriteUInt16BigEndian(fixedPart[2..], DnsUpdate.ClassAny);
        BinaryPrimitives.WriteUInt32BigEndian(fixedPart[4..], 0);
        signed.Advance(10);
        int rdataStart = signed.WrittenCount;
        DnsNames.Write(signed, Algorithm);
        var rest = signed.GetSpan(16 + mac.Length);
        WriteTime(rest, timeSigned);
        BinaryPrimitives.WriteUInt16BigEndian(rest[6..], Fudge);
        BinaryPrimitives.WriteUInt16BigEndian(rest[8..], (ushort)mac.Length);
        mac.CopyTo(rest[10..]);
        int after = 10 + mac.Length;
        BinaryPrimitives.WriteUInt16BigEndian(rest[after..], id);
        BinaryPrimitives.WriteUInt16BigEndian(rest[(after + 2)..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(rest[(after + 4)..], 0);
        signed.Advance(after + 6);
        var message = signed.WrittenSpan.ToArray();
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(rdataStart - 2), (ushort)(message.Length - rdataStart));
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(10), (ushort)(BinaryPrimitives.ReadUInt16BigEndian(arcount) + 1));
        return message;
    }

    /// <summary>
    /// The MAC of RFC 8945 section 4.3: the request MAC (for an answer; with its length), the message as it was
    /// before the TSIG record was added, then the TSIG variables in canonical form.
    /// </summary>
    public static byte[] Mac(TsigKey key, ReadOnlySpan<byte> requestMac, ReadOnlySpan<byte> message, long timeSigned, ushort fudge, ushort error, ReadOnlySpan<byte> otherData = default)
    {
        var input = new ArrayBufferWriter<byte>(message.Length + 128);
        if (!requestMac.IsEmpty)
        {
            BinaryPrimitives.WriteUInt16BigEndian(input.GetSpan(2), (ushort)requestMac.Length);
            input.Advance(2);
            input.Write(requestMac);
        }

        input.Write(message);
        DnsNames.Write(input, key.Name, lowerCase: true);
        var classTtl = input.GetSpan(6);
        BinaryPrimitives.WriteUInt16BigEndian(classTtl, DnsUpdate.ClassAny);
        BinaryPrimitives.WriteUInt32BigEndian(classTtl[2..], 0);
        input.Advance(6);
        DnsNames.Write(input, Algorithm, lowerCase: true);
        var variables = input.GetSpan(12);
        WriteTime(variables, timeSigned);
        BinaryPrimitives.WriteUInt16BigEndian(variables[6..], fudge);
        BinaryPrimitives.WriteUInt16BigEndian(variables[8..], error);
        BinaryPrimitives.WriteUInt16BigEndian(variables[10..], (ushort)otherData.Length);
        input.Advance(12);
        input.Write(otherData);
        return HMACSHA256.HashData(key.Secret.Span, input.WrittenSpan);
    }

    public static string ErrorName(int error) => error switch
    {
        BadSig => "BADSIG",
        BadKey => "BADKEY",
        BadTime => "BADTIME",
        22 => "BADTRUNC",
        _ => error.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private static void WriteTime(Span<byte> span, long seconds)
    {
        BinaryPrimitives.WriteUInt16BigEndian(span, (ushort)(seconds >> 32));
        BinaryPrimitives.WriteUInt32BigEndian(span[2..], (uint)seconds);
    }
}
