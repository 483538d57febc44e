using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using NatMap.Sockets.Internal;

namespace NatMap.Cli;

/// <summary>Parsers for option values; each returns a one-line reason on failure.</summary>
internal static class OptionParsers
{
    /// <summary>
    /// Whole seconds, 0 or more. 0 keeps the default, as the original treats it; anything else that is not
    /// a plain decimal number is rejected (the original silently reads garbage as 0).
    /// </summary>
    public static bool TryParseSeconds(string option, string text, out TimeSpan? value, [NotNullWhen(false)] out string? error)
    {
        value = null;
        if (!TryParseCount(option, text, "a number of seconds", out int seconds, out error))
        {
            return false;
        }

        if (seconds > 0)
        {
            value = TimeSpan.FromSeconds(seconds);
        }

        return true;
    }

    /// <summary>A whole number from 0 to <see cref="int.MaxValue"/>.</summary>
    public static bool TryParseCount(string option, string text, string what, out int value, [NotNullWhen(false)] out string? error)
    {
        error = null;
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value))
        {
            error = text.Length > 0 && text.AsSpan().IndexOfAnyExceptInRange('0', '9') < 0
                ? $"option {option}: {text} is too large"
                : $"option {option}: '{text}' is not {what}";
            return false;
        }

        return true;
    }

    /// <summary>A port from 0 to 65535.</summary>
    public static bool TryParsePort(string option, string text, out int port, [NotNullWhen(false)] out string? error)
    {
        if (!TryParseCount(option, text, "a port number", out port, out error))
        {
            return false;
        }

        if (port > 65535)
        {
            error = string.Create(CultureInfo.InvariantCulture, $"option {option}: port {port} is out of range (0 to 65535)");
            return false;
        }

        return true;
    }

    /// <summary>An fwmark, as strtoul base 0 reads it: <c>0x1f</c> hex, <c>017</c> octal, <c>31</c> decimal.</summary>
    public static bool TryParseMark(string text, out uint mark, [NotNullWhen(false)] out string? error)
    {
        error = null;
        mark = 0;
        var span = text.AsSpan();
        bool ok;
        if (span.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            ok = span.Length > 2 && uint.TryParse(span[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out mark);
        }
        else if (span.Length > 1 && span[0] == '0')
        {
            ok = TryParseOctal(span[1..], out mark);
        }
        else
        {
            ok = uint.TryParse(span, NumberStyles.None, CultureInfo.InvariantCulture, out mark);
        }

        if (!ok)
        {
            error = $"option -f: '{text}' is not a mark (hex 0x1, decimal 1 or octal 01, at most 32 bits)";
        }

        return ok;
    }

    /// <summary>
    /// A server as <c>host</c>, <c>host:port</c>, <c>[v6]</c>, <c>[v6]:port</c> or a bare IPv6 literal. The text
    /// itself is handed to the mapper; this only rejects what can never work.
    /// </summary>
    public static bool TryValidateServer(string option, string text, [NotNullWhen(false)] out string? error)
    {
        error = null;
        ReadOnlySpan<char> host;
        ReadOnlySpan<char> port = default;
        var span = text.AsSpan();
        if (span.StartsWith('['))
        {
            int close = span.IndexOf(']');
            if (close < 0)
            {
                error = $"option {option}: '{text}' has '[' without ']'";
                return false;
            }

            host = span[1..close];
            var rest = span[(close + 1)..];
            if (!rest.IsEmpty)
            {
                if (rest[0] != ':')
                {
                    error = $"option {option}: '{text}' has text after ']' that is not ':port'";
                    return false;
                }

                port = rest[1..];
                if (port.IsEmpty)
                {
                    error = $"option {option}: '{text}' ends with ':' but gives no port";
                    return false;
                }
            }

            var kind = IPAddressText.Classify(IPAddressText.UnescapeZone(host.ToString()), out var address, out var reason);
            if (kind != IPLiteralKind.Address || address!.AddressFamily != AddressFamily.InterNetworkV6)
            {
                error = kind == IPLiteralKind.Invalid && host.Contains('%')
                    ? $"option {option}: {reason}"
                    : $"option {option}: '{host}' in brackets is not an IPv6 address";
                return false;
            }
        }
        else if (span.Count(':') > 1)
        {
            if (IPAddressText.Classify(span, out _, out var reason) != IPLiteralKind.Address)
            {
                error = span.Contains('%')
                    ? $"option {option}: {reason}"
                    : $"option {option}: '{text}' is not an IPv6 address; write [address]:port to give a port";
                return false;
            }

            host = span;
        }
        else
        {
            int colon = span.IndexOf(':');
            host = colon < 0 ? span : span[..colon];
            if (colon >= 0)
            {
                port = span[(colon + 1)..];
                if (port.IsEmpty)
                {
                    error = $"option {option}: '{text}' ends with ':' but gives no port";
                    return false;
                }
            }
        }

        if (host.IsEmpty || host.ContainsAny(' ', '\t', '/'))
        {
            error = $"option {option}: '{text}' is not a host name or address";
            return false;
        }

        if (IPAddressText.Classify(host, out _, out var hostReason) == IPLiteralKind.Invalid)
        {
            error = $"option {option}: {hostReason}";
            return false;
        }

        if (!port.IsEmpty && (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out int number) || number is < 1 or > 65535))
        {
            error = $"option {option}: port '{port}' in '{text}' is not a port number (1 to 65535)";
            return false;
        }

        return true;
    }

    /// <summary>
    /// <c>-i</c>: a local IP address (dotted decimal, or IPv6 with an optional zone) or else an interface
    /// name. Numeric text that is not a valid address (<c>010.0.0.1</c>, <c>1</c>) is refused rather than
    /// read as octal or taken as a name; the caller checks the address family.
    /// </summary>
    public static bool TryParseInterface(string text, out IPAddress? address, out string? name, [NotNullWhen(false)] out string? error)
    {
        name = null;
        error = null;
        if (text.Length == 0)
        {
            address = null;
            error = "option -i: the interface name or address is empty";
            return false;
        }

        switch (IPAddressText.Classify(text, out address, out var reason))
        {
            case IPLiteralKind.Address:
                return true;
            case IPLiteralKind.Invalid:
                error = $"option -i: {reason}";
                return false;
            default:
                name = text;
                return true;
        }
    }

    private static bool TryParseOctal(ReadOnlySpan<char> digits, out uint value)
    {
        value = 0;
        if (digits.IsEmpty)
        {
            return false;
        }

        ulong acc = 0;
        foreach (char c in digits)
        {
            if (c is < '0' or > '7')
            {
                return false;
            }

            acc = (acc * 8) + (uint)(c - '0');
            if (acc > uint.MaxValue)
            {
                return false;
            }
        }

        value = (uint)acc;
        return true;
    }
}
