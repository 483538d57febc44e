using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace NatMap.Sockets.Internal;

/// <summary>
/// The one parser of IP literals in user text (STUN and HTTP servers, <c>-i</c>, the forward target).
/// <see cref="IPAddress.TryParse(string, out IPAddress)"/> is not used on its own because it reads
/// inet_aton forms: <c>010.0.0.1</c> as octal (8.0.0.1), <c>0x7f.1</c> and <c>1</c> as 127.0.0.1 and
/// 0.0.0.1, while users and the original natmap mean dotted decimal; and because it drops an IPv6 zone
/// it cannot resolve (<c>fe80::1%nosuch</c> becomes fe80::1 without a word).
/// </summary>
internal static class IPAddressText
{
    // IFNAMSIZ is 16 on Linux, the terminating NUL included.
    private const int MaxInterfaceNameLength = 15;

    /// <summary>
    /// Sorts <paramref name="text"/> into an address, a name, or an invalid literal (with a reason).
    /// IPv4 is four decimal numbers 0-255 without leading zeros (<c>0</c> itself allowed), since a
    /// leading zero means octal to inet_aton and to getaddrinfo. A text whose dot-separated labels are
    /// all decimal or <c>0x</c> hex numbers is an invalid literal, never a name: RFC 3696 section 2
    /// forbids an all-numeric top-level label, and the resolver would read it as inet_aton does.
    /// A text with a colon is IPv6 or invalid. An IPv6 zone (<c>%eth0</c> or <c>%2</c>, RFC 4007
    /// section 11) is kept in <see cref="IPAddress.ScopeId"/>; a name is resolved to its interface
    /// index now, and a name that no interface has is invalid rather than dropped.
    /// </summary>
    public static IPLiteralKind Classify(ReadOnlySpan<char> text, out IPAddress? address, out string? reason)
    {
        address = null;
        reason = null;
        if (text.Contains(':'))
        {
            return ClassifyIPv6(text, out address, out reason);
        }

        if (TryParseDottedDecimal(text, out address))
        {
            return IPLiteralKind.Address;
        }

        if (IsNumericLabels(text))
        {
            reason = $"'{text}' is not an IPv4 address: write four decimal numbers from 0 to 255 without leading zeros (octal, hex and short forms are not accepted)";
            return IPLiteralKind.Invalid;
        }

        return IPLiteralKind.NotALiteral;
    }

    /// <summary>Parses an IPv4 or IPv6 literal as <see cref="Classify"/> does; false for names and invalid literals.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IPAddress? address) =>
        Classify(text, out address, out _) == IPLiteralKind.Address;

    /// <summary>
    /// RFC 6874: inside brackets, as in a URI, the zone's '%' may be written "%25"
    /// (<c>fe80::1%25eth0</c> is <c>fe80::1%eth0</c>); text without that escape is returned as is.
    /// </summary>
    public static string UnescapeZone(string bracketed)
    {
        int percent = bracketed.IndexOf('%', StringComparison.Ordinal);
        return percent >= 0 && bracketed.Length > percent + 3 && bracketed.AsSpan(percent + 1, 2).SequenceEqual("25")
            ? bracketed.Remove(percent + 1, 2)
            : bracketed;
    }

    private static IPLiteralKind ClassifyIPv6(ReadOnlySpan<char> text, out IPAddress? address, out string? reason)
    {
        address = null;
        int percent = text.IndexOf('%');
        var literal = percent < 0 ? text : text[..percent];

        // IPAddress also reads "[::1]:80" and "::1/64"; neither is an address here.
        if (literal.IndexOfAny("[]/% \t") >= 0 || !IPAddress.TryParse(literal, out var parsed) || parsed.AddressFamily != AddressFamily.InterNetworkV6)
        {
            reason = $"'{text}' is not an IPv6 address";
            return IPLiteralKind.Invalid;
        }

        // An embedded IPv4 part (::ffff:1.2.3.4) follows the same dotted-decimal rule.
        int lastColon = literal.LastIndexOf(':');
        if (literal[(lastColon + 1)..].Contains('.') && !TryParseDottedDecimal(literal[(lastColon + 1)..], out _))
        {
            reason = $"'{text}' is not an IPv6 address: its IPv4 part must be four decimal numbers from 0 to 255 without leading zeros";
            return IPLiteralKind.Invalid;
        }

        if (percent >= 0)
        {
            var zone = text[(percent + 1)..];
            if (!TryResolveZone(zone, out long scope))
            {
                reason = zone.IsEmpty
                    ? $"'{text}' has an empty zone after '%': name the interface, as in fe80::1%eth0"
                    : $"'{text}' has zone '{zone}', but no network interface has that name or index";
                return IPLiteralKind.Invalid;
            }

            parsed.ScopeId = scope;
        }

        address = parsed;
        reason = null;
        return IPLiteralKind.Address;
    }

    private static bool TryResolveZone(ReadOnlySpan<char> zone, out long scope)
    {
        scope = 0;
        if (zone.IsEmpty || zone.Length > MaxInterfaceNameLength || zone.IndexOfAny("%[]/: \t") >= 0)
        {
            return false;
        }

        if (zone.IndexOfAnyExceptInRange('0', '9') < 0)
        {
            // A numeric zone is the interface index itself (RFC 4007 section 11.2).
            if (!uint.TryParse(zone, NumberStyles.None, CultureInfo.InvariantCulture, out uint index))
            {
                return false;
            }

            scope = index;
            return true;
        }

        // IPAddress resolves a zone name with if_nametoindex and silently leaves 0 when none matches.
        if (!IPAddress.TryParse("fe80::%" + zone.ToString(), out var probe) || probe.ScopeId == 0)
        {
            return false;
        }

        scope = probe.ScopeId;
        return true;
    }

    private static bool TryParseDottedDecimal(ReadOnlySpan<char> text, out IPAddress? address)
    {
        address = null;
        Span<byte> bytes = stackalloc byte[4];
        int part = 0;
        for (var rest = text; ; rest = rest[(rest.IndexOf('.') + 1)..])
        {
            int dot = rest.IndexOf('.');
            var digits = dot < 0 ? rest : rest[..dot];
            if (part == 4 || digits.IsEmpty || digits.Length > 3 || digits.IndexOfAnyExceptInRange('0', '9') >= 0 || (digits.Length > 1 && digits[0] == '0'))
            {
                return false;
            }

            int value = int.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture);
            if (value > 255)
            {
                return false;
            }

            bytes[part++] = (byte)value;
            if (dot < 0)
            {
                break;
            }
        }

        if (part != 4)
        {
            return false;
        }

        address = new IPAddress(bytes);
        return true;
    }

    // "1", "1.2.3", "010.0.0.1", "0x7f.1", "300.1.1.1", "1.2.3.4." and the like: what inet_aton would
    // read as a number, or an all-numeric name that resolvers treat the same way.
    private static bool IsNumericLabels(ReadOnlySpan<char> text)
    {
        bool any = false;
        for (var rest = text; ; rest = rest[(rest.IndexOf('.') + 1)..])
        {
            int dot = rest.IndexOf('.');
            var label = dot < 0 ? rest : rest[..dot];
            if (label.IsEmpty)
            {
                if (dot < 0)
                {
                    break;
                }

                continue;
            }

            bool hex = label.Length >= 2 && label[0] == '0' && (label[1] | 0x20) == 'x';
            var digits = hex ? label[2..] : label;
            if ((hex ? digits.IndexOfAnyExcept("0123456789abcdefABCDEF") : digits.IndexOfAnyExceptInRange('0', '9')) >= 0)
            {
                return false;
            }

            any = true;
            if (dot < 0)
            {
                break;
            }
        }

        return any;
    }
}
