using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using NatMap.Gateway;
using NatMap.Mapping;
using NatMap.Sockets.Internal;
using NatMap.Stun;

namespace NatMap.Cli;

/// <summary>
/// Command-line syntax of option values, shared by <c>natmap</c> and <c>natmap check</c>. Each gives a reason
/// on failure, which names the option as <c>-x: reason</c>. Meaning (ranges, families, combinations) is the library's to check.
/// </summary>
internal static class OptionParsers
{
    /// <summary>A parser of one option's value; <see cref="CliSyntax.Read"/> puts the option's letter before <paramref name="error"/>.</summary>
    public delegate bool Parser<T>(string text, out T value, [NotNullWhen(false)] out string? error);

    /// <summary><c>natmap</c>'s seconds: a whole number (the original silently reads garbage as 0; this refuses it).</summary>
    public static bool TryParseWholeSeconds(string text, out TimeSpan value, [NotNullWhen(false)] out string? error) =>
        TryParseNumber(text, NumberStyles.None, "a number of seconds", TimeSpan.FromSeconds, out value, out error);

    /// <summary><c>natmap check</c>'s seconds, which may have a fraction: <c>0.5</c>.</summary>
    public static bool TryParseSeconds(string text, out TimeSpan value, [NotNullWhen(false)] out string? error) =>
        TryParseNumber(text, NumberStyles.AllowDecimalPoint, "a number of seconds", TimeSpan.FromSeconds, out value, out error);

    /// <summary>A whole number from 0 to <see cref="int.MaxValue"/>.</summary>
    public static bool TryParseCount(string text, out int value, [NotNullWhen(false)] out string? error) =>
        TryParseNumber(text, NumberStyles.None, "a count", number => (int)number, out value, out error);

    /// <summary><c>--forward-method</c>: <c>relay</c> or <c>nftables</c>, as written.</summary>
    public static bool TryParseForwardMethod(string text, out Forwarding.ForwardMethod method, [NotNullWhen(false)] out string? error) =>
        TryParseWord(text, [("relay", Forwarding.ForwardMethod.Relay), ("nftables", Forwarding.ForwardMethod.Nftables)], "is not a forward method: expected relay or nftables", out method, out error);

    /// <summary>One port, 0 to 65535, with the wording of the library's <c>-b</c> parser.</summary>
    public static bool TryParsePort(string text, out int port, [NotNullWhen(false)] out string? error) =>
        PortSpec.TryPort(text, allowZero: true, out port, out error);

    /// <summary>
    /// <c>-s</c>, repeatable and required, through the library's parser (<see cref="StunServerEndPoint.Parse"/>)
    /// and its message, in both commands.
    /// </summary>
    public static bool TryParseServers(string[]? texts, ICollection<StunServerEndPoint> servers, [NotNullWhen(false)] out string? error)
    {
        error = texts is null or [] ? "-s: a STUN server is required: give -s <addr>[:port]" : null;
        foreach (var text in texts ?? [])
        {
            try
            {
                servers.Add(StunServerEndPoint.Parse(text));
            }
            catch (FormatException ex)
            {
                error = "-s: " + ex.Message.TrimEnd('.');
                return false;
            }
        }

        return error is null;
    }

    /// <summary>An fwmark, as strtoul base 0 reads it: <c>0x1f</c> hex, <c>017</c> octal, <c>31</c> decimal.</summary>
    public static bool TryParseMark(string text, out uint mark, [NotNullWhen(false)] out string? error)
    {
        var (digits, radix) = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? (text[2..], 16u)
            : text.Length > 1 && text[0] == '0' ? (text[1..], 8u)
            : (text, 10u);
        ulong value = 0;
        bool ok = digits.Length > 0;
        foreach (char c in digits)
        {
            uint digit = char.IsAsciiDigit(c) ? (uint)(c - '0') : char.IsAsciiHexDigit(c) ? (uint)((c | 0x20) - 'a' + 10) : radix;
            value = (value * radix) + digit;
            ok &= digit < radix && value <= uint.MaxValue;
        }

        mark = ok ? (uint)value : 0;
        error = ok ? null : $"'{text}' is not a mark (hex 0x1, decimal 1 or octal 01, at most 32 bits)";
        return ok;
    }

    /// <summary>
    /// <c>-i</c>: a local IP address (dotted decimal, or IPv6 with an optional zone) or else an interface
    /// name. Numeric text that is not a valid address (<c>010.0.0.1</c>, <c>1</c>) is refused rather than
    /// read as octal or taken as a name; the library checks the address family and the name.
    /// </summary>
    public static bool TryParseInterface(string text, out IPAddress? address, out string? name, [NotNullWhen(false)] out string? error)
    {
        var kind = IPAddressText.Classify(text, out address, out var reason);
        name = kind == IPLiteralKind.NotALiteral ? text : null;
        error = kind == IPLiteralKind.Invalid ? "-i: " + reason : null;
        return error is null;
    }

    /// <summary><c>--upnp</c>'s protocol: <c>auto</c>, <c>pcp</c>, <c>nat-pmp</c> (or <c>natpmp</c>) or <c>upnp</c>.</summary>
    public static bool TryParseGatewayProtocol(string text, out GatewayProtocol protocol, [NotNullWhen(false)] out string? error) =>
        TryParseWord(text, [("auto", GatewayProtocol.Auto), ("pcp", GatewayProtocol.Pcp), ("nat-pmp", GatewayProtocol.NatPmp), ("natpmp", GatewayProtocol.NatPmp), ("upnp", GatewayProtocol.Upnp)], "is not a protocol: use auto, pcp, nat-pmp or upnp", out protocol, out error);

    /// <summary><c>--gateway</c>: an IPv4 address in dotted decimal.</summary>
    public static bool TryParseGatewayAddress(string text, out IPAddress address, [NotNullWhen(false)] out string? error)
    {
        bool ok = IPAddressText.Classify(text, out var parsed, out _) == IPLiteralKind.Address && parsed!.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork;
        address = ok ? parsed! : IPAddress.None;
        error = ok ? null : $"'{text}' is not an IPv4 address";
        return ok;
    }

    /// <summary>A plain decimal number up to <see cref="int.MaxValue"/>: no sign, no exponent, no spaces.</summary>
    private static bool TryParseNumber<T>(string text, NumberStyles style, string what, Func<double, T> convert, out T value, [NotNullWhen(false)] out string? error)
    {
        bool ok = double.TryParse(text, style, CultureInfo.InvariantCulture, out double number) && number <= int.MaxValue;
        error = ok ? null : number > int.MaxValue ? $"{text} is too large" : $"'{text}' is not {what}";
        value = convert(ok ? number : 0);
        return ok;
    }

    /// <summary>One of a fixed set of words, as written (no case folding, no numbers).</summary>
    private static bool TryParseWord<T>(string text, (string Word, T Value)[] words, string refusal, out T value, [NotNullWhen(false)] out string? error)
    {
        int index = Array.FindIndex(words, w => w.Word == text);
        (value, error) = index >= 0 ? (words[index].Value, null) : (words[0].Value, $"'{text}' {refusal}");
        return error is null;
    }
}
