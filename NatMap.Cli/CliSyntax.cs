using System.Net;
using System.Net.Sockets;
using NatMap.CommandLine;

namespace NatMap.Cli;

/// <summary>
/// The command-line plumbing <c>natmap</c> and <c>natmap check</c> share: how options are declared and
/// parsed, help, the usage error (one line, then the hint) and the option letter of each library option.
/// </summary>
internal static class CliSyntax
{
    /// <summary>
    /// The option each library property is set from, for <see cref="Mapping.PortMapperOptions"/> and
    /// <see cref="Discovery.NatDiscoveryOptions"/> alike, so that the library's validation message names it.
    /// </summary>
    private static readonly Dictionary<string, string> Letters = new(StringComparer.Ordinal)
    {
        ["Protocol"] = "-u",
        ["AddressFamily"] = "-4/-6",
        ["BindAddress"] = "-i",
        ["BindInterface"] = "-i",
        ["Port"] = "-b",
        ["StunServers"] = "-s",
        ["HttpServer"] = "-h",
        ["KeepAliveInterval"] = "-k",
        ["UdpCheckCycle"] = "-c",
        ["FirewallMark"] = "-f",
        ["CongestionControl"] = "-C",
        ["TargetHost"] = "-t",
        ["TargetPort"] = "-p",
        ["IdleTimeout"] = "-T",
        ["ForwardMethod"] = "--forward-method",
        ["ForwardMasquerade"] = "--forward-masquerade",
        ["Gateway"] = "--upnp",
        ["GatewayAddress"] = "--gateway",
        ["GatewayLease"] = "--upnp-lease",
        ["RequestTimeout"] = "--timeout",
        ["MaxLifetimeProbe"] = "--lifetime-max",
        ["scriptPath"] = "-e",
    };

    /// <summary>Writes <c>natmap: message</c> (<c>natmap: check: message</c>) and the hint; returns <see cref="ExitCodes.Usage"/>.</summary>
    public static int Usage(TextWriter stderr, Command command, string message)
    {
        string name = command.FullName;
        stderr.WriteLine(name.Replace(" ", ": ", StringComparison.Ordinal) + ": " + OneLine(message));
        stderr.WriteLine($"Try '{name} --help'.");
        stderr.Flush();
        return ExitCodes.Usage;
    }

    /// <summary>Writes a runtime failure's line; returns <see cref="ExitCodes.Fatal"/>.</summary>
    public static int Fail(TextWriter stderr, string line)
    {
        stderr.WriteLine(line);
        stderr.Flush();
        return ExitCodes.Fatal;
    }

    /// <summary>A library <see cref="ArgumentException"/> as <c>-x: reason</c>, the option named by its letter.</summary>
    public static string Describe(ArgumentException exception)
    {
        // Message appends the parameter's name (and an out-of-range value) in the runtime's own words,
        // " (Parameter 'x')", or " Arg_ParamName_Name, x" where resource strings are trimmed away:
        // cut at that suffix, whichever it is.
        string message = exception.Message;
        string suffix = exception.ParamName is { } param ? new ArgumentException(string.Empty, param).Message.Trim() : " (Parameter '";
        int cut = suffix.Length > 0 ? message.IndexOf(suffix, StringComparison.Ordinal) : -1;
        message = (cut >= 0 ? message[..cut] : message).TrimEnd().TrimEnd('.');
        return exception.ParamName is { } name && Letters.TryGetValue(name, out var letter) ? letter + ": " + message : message;
    }

    /// <summary>Error lines stay one line even when a message carries line breaks.</summary>
    public static string OneLine(string message) => message.ReplaceLineEndings(" ").TrimEnd();

    /// <summary>
    /// <c>-4</c>/<c>-6</c> and <c>-i</c>, the same in both commands; whether the address fits the family is
    /// the library's to say.
    /// </summary>
    public static string? BindFamilyAndInterface(ParseResult result, Option<bool> ipv4, Option<bool> ipv6, Option<string> iface, out AddressFamily family, out IPAddress? address, out string? name)
    {
        family = result.GetValue(ipv6) ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
        (address, name) = (null, null);
        if (result.GetValue(ipv4) && result.GetValue(ipv6))
        {
            return "-4 and -6 exclude each other: choose one address family";
        }

        return result.GetValue(iface) is { } text && !OptionParsers.TryParseInterface(text, out address, out name, out var error) ? error : null;
    }

    public static Option<bool> Flag(string name, string description, params string[] aliases) =>
        new(name, aliases) { Description = description };

    public static Option<string> Value(string name, string helpName, string description) =>
        new(name) { Description = description, HelpName = helpName };

    /// <summary><c>-s</c>, the same in both commands.</summary>
    public static Option<string[]> Servers() =>
        Repeated("-s", "addr[:port]", "STUN server, host or address with optional :port (default 3478). Repeat to give several; they are tried in order. Required.");

    /// <summary>
    /// An option that may repeat, one value per occurrence as getopt reads it (<c>-s a b</c> leaves
    /// <c>b</c> unmatched, an error).
    /// </summary>
    public static Option<string[]> Repeated(string name, string helpName, string description) =>
        new(name) { Description = description, HelpName = helpName };
}
