using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace NatMap.Mapping.Internal;

/// <summary>A server given as <c>host[:port]</c> or <c>[v6]:port</c>, with the protocol's default port.</summary>
internal readonly record struct HostPort(string Host, int Port)
{
    public const int DefaultStunPort = 3478;
    public const int DefaultHttpPort = 80;

    /// <summary>The text for an HTTP <c>Host</c> header: the port only when it is not the default.</summary>
    public string ToHostHeader(int defaultPort)
    {
        string host = Host.Contains(':', StringComparison.Ordinal) ? "[" + Host + "]" : Host;
        return Port == defaultPort ? host : host + ":" + Port.ToString(CultureInfo.InvariantCulture);
    }

    public static bool TryParse(string? text, int defaultPort, out HostPort value, [NotNullWhen(false)] out string? error)
    {
        value = default;
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "it is empty";
            return false;
        }

        var span = text.AsSpan().Trim();
        ReadOnlySpan<char> host;
        ReadOnlySpan<char> port = default;
        if (span[0] == '[')
        {
            int close = span.IndexOf(']');
            if (close < 0)
            {
                error = "the '[' of an IPv6 address is not closed";
                return false;
            }

            host = span[1..close];
            var rest = span[(close + 1)..];
            if (!rest.IsEmpty)
            {
                if (rest[0] != ':')
                {
                    error = "expected ':port' after ']'";
                    return false;
                }

                port = rest[1..];
                if (port.IsEmpty)
                {
                    error = "the port after ':' is missing";
                    return false;
                }
            }
        }
        else
        {
            int colon = span.IndexOf(':');
            if (colon >= 0 && span.LastIndexOf(':') != colon)
            {
                // Several colons and no brackets: a bare IPv6 address, default port.
                host = span;
            }
            else if (colon >= 0)
            {
                host = span[..colon];
                port = span[(colon + 1)..];
                if (port.IsEmpty)
                {
                    error = "the port after ':' is missing";
                    return false;
                }
            }
            else
            {
                host = span;
            }
        }

        if (host.IsEmpty || host.ContainsAny(' ', '\t', '/'))
        {
            error = "the host is empty or contains spaces or '/'";
            return false;
        }

        int portNumber = defaultPort;
        if (!port.IsEmpty && (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out portNumber) || portNumber is < 1 or > 65535))
        {
            error = $"'{port}' is not a port number from 1 to 65535";
            return false;
        }

        value = new HostPort(host.ToString(), portNumber);
        return true;
    }
}
