using System.Buffers.Binary;
using System.Security.Cryptography;

namespace NatMap.Notify.Internal;

/// <summary>Checks the answer to an UPDATE: id, QR, opcode, RCODE, and its TSIG signature when the request was signed.</summary>
internal static class DnsUpdateResponse
{
    /// <summary>Whether <paramref name="message"/> answers the request <paramref name="id"/> at all (others are ignored, as stray datagrams).</summary>
    public static bool IsAnswerTo(ReadOnlySpan<byte> message, ushort id) =>
        message.Length >= 12 && BinaryPrimitives.ReadUInt16BigEndian(message) == id && (message[2] & 0x80) != 0;

    /// <summary>Null when the update was applied and, for a signed request, the answer's signature holds; otherwise the reason.</summary>
    public static string? Check(ReadOnlySpan<byte> message, TsigKey? key, ReadOnlySpan<byte> requestMac, long now)
    {
        int opcode = (message[2] >> 3) & 0xF;
        int rcode = message[3] & 0xF;
        if (opcode != DnsUpdate.OpcodeUpdate)
        {
            return "the answer is not to an UPDATE";
        }

        if (!TryFindLastRecord(message, out int tsigStart, out int rdataStart, out int rdataLength, out ushort type, out string? owner))
        {
            return "the answer is malformed";
        }

        bool signed = type == Tsig.TypeTsig;
        if (key is null)
        {
            return rcode == 0 ? null : "the server answered " + RcodeName(rcode);
        }

        if (!signed)
        {
            return "the server answered " + RcodeName(rcode) + " without a TSIG signature";
        }

        // The digest takes class ANY, TTL 0 and the algorithm as RFC 8945 section 4.2 fixes them; a record
        // that says otherwise is not one this key signed.
        var rdata = message.Slice(rdataStart, rdataLength);
        var classTtl = message.Slice(rdataStart - 8, 6);
        if (!TryReadName(rdata, 0, out var algorithm, out int at) || at + 10 > rdata.Length
            || BinaryPrimitives.ReadUInt16BigEndian(classTtl) != DnsUpdate.ClassAny || BinaryPrimitives.ReadUInt32BigEndian(classTtl[2..]) != 0
            || !string.Equals(algorithm, Tsig.Algorithm, StringComparison.OrdinalIgnoreCase))
        {
            return "the answer's TSIG record is malformed";
        }

        long timeSigned = ((long)BinaryPrimitives.ReadUInt16BigEndian(rdata[at..]) << 32) | BinaryPrimitives.ReadUInt32BigEndian(rdata[(at + 2)..]);
        ushort fudge = BinaryPrimitives.ReadUInt16BigEndian(rdata[(at + 6)..]);
        int macLength = BinaryPrimitives.ReadUInt16BigEndian(rdata[(at + 8)..]);
        at += 10;
        if (at + macLength + 6 > rdata.Length)
        {
            return "the answer's TSIG record is malformed";
        }

        var mac = rdata.Slice(at, macLength);
        at += macLength;
        ushort originalId = BinaryPrimitives.ReadUInt16BigEndian(rdata[at..]);
        ushort error = BinaryPrimitives.ReadUInt16BigEndian(rdata[(at + 2)..]);
        int otherLength = BinaryPrimitives.ReadUInt16BigEndian(rdata[(at + 4)..]);
        if (at + 6 + otherLength > rdata.Length)
        {
            return "the answer's TSIG record is malformed";
        }

        if (error != 0)
        {
            // The server could not check our signature (an unknown key, a wrong secret, clocks apart).
            return $"the server answered {RcodeName(rcode)} (TSIG {Tsig.ErrorName(error)}): check the key name, secret and clock";
        }

        var unsigned = message[..tsigStart].ToArray();
        BinaryPrimitives.WriteUInt16BigEndian(unsigned, originalId);
        BinaryPrimitives.WriteUInt16BigEndian(unsigned.AsSpan(10), (ushort)(BinaryPrimitives.ReadUInt16BigEndian(unsigned.AsSpan(10)) - 1));
        var expected = Tsig.Mac(key, requestMac, unsigned, timeSigned, fudge, error, rdata.Slice(at + 6, otherLength));
        if (!string.Equals(owner, key.Name, StringComparison.OrdinalIgnoreCase) || !CryptographicOperations.FixedTimeEquals(expected, mac))
        {
            return "the answer's TSIG signature does not verify";
        }

        if (Math.Abs(now - timeSigned) > fudge)
        {
            return "the answer's TSIG time is outside the fudge: check the clocks";
        }

        return rcode == 0 ? null : "the server answered " + RcodeName(rcode);
    }

    public static string RcodeName(int rcode) => rcode switch
    {
        0 => "NOERROR",
        1 => "FORMERR",
        2 => "SERVFAIL",
        3 => "NXDOMAIN",
        4 => "NOTIMP",
        5 => "REFUSED",
        6 => "YXDOMAIN",
        7 => "YXRRSET",
        8 => "NXRRSET",
        9 => "NOTAUTH",
        10 => "NOTZONE",
        _ => "RCODE " + rcode.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>Walks every section and gives the last record (the TSIG, if any, is last: RFC 8945 section 5.1).</summary>
    private static bool TryFindLastRecord(ReadOnlySpan<byte> message, out int recordStart, out int rdataStart, out int rdataLength, out ushort type, out string? owner)
    {
        (recordStart, rdataStart, rdataLength, type, owner) = (0, 0, 0, 0, null);
        int zones = BinaryPrimitives.ReadUInt16BigEndian(message[4..]);
        int records = BinaryPrimitives.ReadUInt16BigEndian(message[6..]) + BinaryPrimitives.ReadUInt16BigEndian(message[8..]) + BinaryPrimitives.ReadUInt16BigEndian(message[10..]);
        int at = 12;
        for (int i = 0; i < zones; i++)
        {
            if (!TrySkipName(message, at, out at) || (at += 4) > message.Length)
            {
                return false;
            }
        }

        for (int i = 0; i < records; i++)
        {
            recordStart = at;
            if (!TryReadName(message, at, out owner, out at) || at + 10 > message.Length)
            {
                return false;
            }

            type = BinaryPrimitives.ReadUInt16BigEndian(message[at..]);
            rdataLength = BinaryPrimitives.ReadUInt16BigEndian(message[(at + 8)..]);
            rdataStart = at + 10;
            at = rdataStart + rdataLength;
            if (at > message.Length)
            {
                return false;
            }
        }

        return true;
    }

    private static bool TrySkipName(ReadOnlySpan<byte> message, int at, out int next) => TryReadName(message, at, out _, out next);

    /// <summary>Reads a name, following compression pointers (RFC 1035 section 4.1.4) backwards only, so a loop cannot hang it.</summary>
    private static bool TryReadName(ReadOnlySpan<byte> message, int at, out string? name, out int next)
    {
        var labels = new List<string>();
        next = -1;
        name = null;
        int limit = at;
        while (true)
        {
            if (at >= message.Length)
            {
                return false;
            }

            int length = message[at];
            if ((length & 0xC0) == 0xC0)
            {
                if (at + 1 >= message.Length)
                {
                    return false;
                }

                int pointer = ((length & 0x3F) << 8) | message[at + 1];
                if (next < 0)
                {
                    next = at + 2;
                }

                if (pointer >= limit)
                {
                    return false;
                }

                at = limit = pointer;
                continue;
            }

            if (length == 0)
            {
                if (next < 0)
                {
                    next = at + 1;
                }

                name = string.Join('.', labels);
                return true;
            }

            if (at + 1 + length > message.Length || (length & 0xC0) != 0)
            {
                return false;
            }

            labels.Add(System.Text.Encoding.ASCII.GetString(message.Slice(at + 1, length)));
            at += 1 + length;
        }
    }
}
