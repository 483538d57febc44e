using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;

namespace NatMap.Sockets.Internal;

/// <summary>
/// Reads the kernel's socket tables in /proc/net. Addresses there are the in-memory words printed as hex
/// (so byte order is the machine's); ports are printed as numbers.
/// </summary>
internal static class ProcNetTable
{
    /// <summary>Parses a table's text; malformed rows are skipped.</summary>
    public static List<ProcNetSocket> Parse(string text)
    {
        var rows = new List<ProcNetSocket>();
        foreach (var line in text.Split('\n'))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);

            // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
            if (fields.Length < 10 || !fields[0].EndsWith(':'))
            {
                continue;
            }

            if (TryParseEndPoint(fields[1], out var local)
                && int.TryParse(fields[3], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int state)
                && uint.TryParse(fields[7], NumberStyles.None, CultureInfo.InvariantCulture, out uint uid)
                && ulong.TryParse(fields[9], NumberStyles.None, CultureInfo.InvariantCulture, out ulong inode))
            {
                rows.Add(new ProcNetSocket(local, state, uid, inode));
            }
        }

        return rows;
    }

    /// <summary>Whether a socket bound at <paramref name="held"/> stops a bind to <paramref name="wanted"/>.</summary>
    public static bool Conflicts(IPEndPoint held, IPEndPoint wanted)
    {
        if (held.Port != wanted.Port)
        {
            return false;
        }

        var a = IPv4Mapped.Unmap(held.Address);
        var b = IPv4Mapped.Unmap(wanted.Address);
        if (IsAny(a) || IsAny(b))
        {
            // A wildcard IPv6 socket may also hold the IPv4 port (unless IPV6_V6ONLY, which /proc does not show).
            return a.AddressFamily == b.AddressFamily || a.Equals(IPAddress.IPv6Any) || b.Equals(IPAddress.IPv6Any);
        }

        return a.Equals(b);
    }

    public static bool TryParseEndPoint(string text, out IPEndPoint endPoint)
    {
        endPoint = null!;
        int colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int port)
            || !TryParseAddress(text.AsSpan(0, colon), out var address))
        {
            return false;
        }

        endPoint = new IPEndPoint(address, port);
        return true;
    }

    /// <summary>An address as /proc/net prints it (its socket tables and its route table): 8 or 32 hex digits, each 32-bit word as the machine stores it.</summary>
    public static bool TryParseAddress(ReadOnlySpan<char> hex, [NotNullWhen(true)] out IPAddress? address)
    {
        address = null;
        if (hex.Length is not (8 or 32))
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[hex.Length / 2];
        for (int word = 0; word < hex.Length / 8; word++)
        {
            if (!uint.TryParse(hex.Slice(word * 8, 8), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out uint value))
            {
                return false;
            }

            var slot = bytes.Slice(word * 4, 4);
            if (BitConverter.IsLittleEndian)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(slot, value);
            }
            else
            {
                BinaryPrimitives.WriteUInt32BigEndian(slot, value);
            }
        }

        address = new IPAddress(bytes);
        return true;
    }

    private static bool IsAny(IPAddress address) => address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any);
}
