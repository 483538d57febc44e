using System.Net;
using System.Net.Sockets;
using NatMap.CommandLine;

namespace NatMap.Cli;

/// <summary>
/// The command-line plumbing <c>natmap</c> and <c>natmap check</c> share: how options are declared, the
/// runtime failure, and the options both commands read the same way.
/// </summary>
internal static class CliSyntax
{
    /// <summary>Writes a runtime failure's line; returns <see cref="ExitCodes.Fatal"/>.</summary>
    public static int Fail(TextWriter stderr, string line)
    {
        stderr.WriteLine(line);
        stderr.Flush();
        return ExitCodes.Fatal;
    }

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

    /// <summary>A flag; <paramref name="binds"/> names the library properties it sets (<see cref="Option.Binds"/>).</summary>
    public static Option<bool> Flag(string name, string description, params string[] binds) =>
        new(name) { Description = description, Binds = binds };

    public static Option<string> Value(string name, string helpName, string description, params string[] binds) =>
        new(name) { Description = description, HelpName = helpName, Binds = binds };

    /// <summary><c>-s</c>, the same in both commands.</summary>
    public static Option<string[]> Servers() =>
        Repeated("-s", "addr[:port]", "STUN server, host or address with optional :port (default 3478). Repeat to give several; they are tried in order. Required.", nameof(Mapping.PortMapperOptions.StunServers));

    /// <summary>
    /// An option that may repeat, one value per occurrence as getopt reads it (<c>-s a b</c> leaves
    /// <c>b</c> unmatched, an error).
    /// </summary>
    public static Option<string[]> Repeated(string name, string helpName, string description, params string[] binds) =>
        new(name) { Description = description, HelpName = helpName, Binds = binds };
}
