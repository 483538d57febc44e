using System.Buffers;
using System.Text;

namespace NatMap.Notify.Internal;

/// <summary>Domain names in text and in wire form (RFC 1035 section 3.1), uncompressed.</summary>
internal static class DnsNames
{
    public static void Check(string? name, string paramName)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw new ArgumentException("A domain name is required.", paramName);
        }

        if (!TryEncodedLength(name, out _))
        {
            throw new ArgumentException($"'{name}' is not a domain name: labels of 1 to 63 ASCII characters, 255 bytes in all.", paramName);
        }
    }

    /// <summary>
    /// <paramref name="name"/> as an absolute name without the trailing dot: kept when it ends with a dot
    /// or with <paramref name="zone"/>, else put under <paramref name="zone"/> (as a zone file reads it).
    /// </summary>
    public static string Absolute(string name, string zone)
    {
        zone = zone.TrimEnd('.');
        if (name.EndsWith('.'))
        {
            return name.TrimEnd('.');
        }

        return name.Equals(zone, StringComparison.OrdinalIgnoreCase) || name.EndsWith("." + zone, StringComparison.OrdinalIgnoreCase) || name == "@"
            ? (name == "@" ? zone : name)
            : name + "." + zone;
    }

    /// <summary>Writes <paramref name="name"/> in wire form; <paramref name="lowerCase"/> gives the canonical form RFC 8945 section 4.3.3 digests.</summary>
    public static void Write(IBufferWriter<byte> writer, string name, bool lowerCase = false)
    {
        foreach (var label in Labels(name))
        {
            var span = writer.GetSpan(label.Length + 1);
            span[0] = (byte)label.Length;
            int written = Encoding.ASCII.GetBytes(lowerCase ? label.ToLowerInvariant() : label, span[1..]);
            writer.Advance(written + 1);
        }

        writer.GetSpan(1)[0] = 0;
        writer.Advance(1);
    }

    private static bool TryEncodedLength(string name, out int length)
    {
        length = 1;
        if (name == ".")
        {
            return true;
        }

        foreach (var label in name.TrimEnd('.').Split('.'))
        {
            if (label.Length is 0 or > 63 || !label.All(c => c is > ' ' and < (char)127))
            {
                return false;
            }

            length += label.Length + 1;
        }

        return length <= 255;
    }

    private static string[] Labels(string name) => name.Trim('.') is { Length: > 0 } trimmed ? trimmed.Split('.') : [];
}
