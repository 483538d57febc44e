using System.Net;
using Microsoft.Extensions.Logging;
using NatMap.CommandLine;
using NatMap.Mapping;
using NatMap.Notify;

namespace NatMap.Cli;

/// <summary>
/// The built-in notifiers' options (<c>--notify-url</c> and the rest): each may repeat, and each occurrence
/// becomes one <see cref="MappingNotifier"/> that runs beside <c>-e</c>.
/// </summary>
internal sealed class NotifierFlags
{
    private readonly Option<string[]> _notifyUrl = CliSyntax.Repeated("--notify-url", "url", "POST each mapping change as the --json object to this http(s) URL. Repeatable.");
    private readonly Option<string[]> _notifyHeader = CliSyntax.Repeated("--notify-header", "'Name: value'", "Add this header to every --notify-url request. Repeatable.");

    private readonly Option<string[]> _nsupdate = new("--nsupdate")
    {
        Description = "Update DNS (RFC 2136) at server addr[:port] (default 53) for the zone: an A record of the public address at name and an SRV record _natmap._tcp|_udp.name of the port. Repeatable.",
        HelpName = "server> <zone> <name",
        ValuesPerOccurrence = 3,
    };

    private readonly Option<string> _nsupdateKey = CliSyntax.Value("--nsupdate-key", "file", "Sign --nsupdate updates with this TSIG key (HMAC-SHA256, as tsig-keygen writes it).");
    private readonly Option<bool> _nsupdateIp4p = CliSyntax.Flag("--nsupdate-ip4p", "--nsupdate writes the IP4P address (address and port) as one AAAA record at name instead.");

    private readonly Option<string[]> _transmission = CliSyntax.Repeated("--transmission", "url", "Set Transmission's peer-port through its RPC URL (http://user:pass@127.0.0.1:9091/transmission/rpc): the public port with -t/-p 0, the -p port, else the bound port. Repeatable.");
    private readonly Option<string[]> _qbittorrent = CliSyntax.Repeated("--qbittorrent", "url", "Set qBittorrent's listen_port (and announce_port where it has one) through its Web UI URL (http://user:pass@127.0.0.1:8080/), by the rule of --transmission. Repeatable.");

    public IEnumerable<Option> All => [_notifyUrl, _notifyHeader, _nsupdate, _nsupdateKey, _nsupdateIp4p, _transmission, _qbittorrent];

    /// <summary>Reads the notifiers' options into factories, one per notifier; <paramref name="mapper"/> is already bound.</summary>
    /// <returns>The first problem as <c>--flag: reason</c>, or null.</returns>
    public string? Bind(ParseResult result, PortMapperOptions mapper, string? name, Func<string, string?> environment, out IReadOnlyList<Func<ILoggerFactory, MappingNotifier>> notifiers)
    {
        var list = new List<Func<ILoggerFactory, MappingNotifier>>();
        notifiers = list;
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var text in result.GetValue(_notifyHeader) ?? [])
        {
            int colon = text.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                return $"--notify-header: '{text}' is not 'Name: value'";
            }

            headers.Add(new(text[..colon].Trim(), text[(colon + 1)..].Trim()));
        }

        var urls = result.GetValue(_notifyUrl) ?? [];
        if (headers.Count > 0 && urls.Length == 0)
        {
            return "--notify-header needs --notify-url: give the webhook's URL with --notify-url <url>";
        }

        foreach (var text in urls)
        {
            var options = new WebhookNotifierOptions { Url = Uri.TryCreate(text, UriKind.Absolute, out var url) ? url : null, Name = name };
            foreach (var header in headers)
            {
                options.Headers.Add(header);
            }

            if (Check(options, "--notify-url", options.Url is null ? NotAUrl(text) : null) is { } problem)
            {
                return problem;
            }

            list.Add(loggerFactory => new WebhookNotifier(options, loggerFactory));
        }

        return BindNsUpdate(result, list)
            ?? BindPeerPort<TransmissionNotifierOptions>(result, _transmission, mapper, environment, list, (o, f) => new TransmissionNotifier(o, f))
            ?? BindPeerPort<QBittorrentNotifierOptions>(result, _qbittorrent, mapper, environment, list, (o, f) => new QBittorrentNotifier(o, f));
    }

    /// <summary>
    /// A BitTorrent client's flag: the login is the URL's user information or else
    /// <c>NATMAP_{CLIENT}_USER</c> and <c>NATMAP_{CLIENT}_PASSWORD</c>, which keep it off the command line.
    /// </summary>
    private static string? BindPeerPort<T>(ParseResult result, Option<string[]> flag, PortMapperOptions mapper, Func<string, string?> environment, List<Func<ILoggerFactory, MappingNotifier>> list, Func<T, ILoggerFactory, MappingNotifier> notifier)
        where T : PeerPortNotifierOptions, new()
    {
        string client = flag.Name[2..].ToUpperInvariant();
        foreach (var text in result.GetValue(flag) ?? [])
        {
            var options = new T { Url = Uri.TryCreate(text, UriKind.Absolute, out var url) ? url : null, ForwardTargetPort = mapper.TargetHost is null ? null : mapper.TargetPort };
            if (url is { UserInfo.Length: 0 } && environment($"NATMAP_{client}_USER") is { Length: > 0 } user)
            {
                (options.UserName, options.Password) = (user, environment($"NATMAP_{client}_PASSWORD"));
            }

            if (Check(options, flag.Name, options.Url is null ? NotAUrl(text) : null) is { } problem)
            {
                return problem;
            }

            list.Add(loggerFactory => notifier(options, loggerFactory));
        }

        return null;
    }

    private string? BindNsUpdate(ParseResult result, List<Func<ILoggerFactory, MappingNotifier>> list)
    {
        // The parser gives three values per occurrence, or an error ("needs 3 values").
        var values = result.GetValue(_nsupdate) ?? [];
        int occurrences = result.Occurrences(_nsupdate);

        if (occurrences == 0)
        {
            return result.GetValue(_nsupdateKey) is not null ? "--nsupdate-key needs --nsupdate: give --nsupdate <server> <zone> <name>"
                : result.GetValue(_nsupdateIp4p) ? "--nsupdate-ip4p needs --nsupdate: give --nsupdate <server> <zone> <name>"
                : null;
        }

        TsigKey? key = null;
        if (result.GetValue(_nsupdateKey) is { } keyFile)
        {
            try
            {
                key = TsigKey.ReadFile(keyFile);
            }
            catch (Exception ex) when (ex is IOException or FormatException)
            {
                return "--nsupdate-key: " + ex.Message;
            }
        }

        for (int i = 0; i < values.Length; i += 3)
        {
            IPEndPoint? server = IPEndPoint.TryParse(values[i], out var parsed) ? parsed : null;
            var options = new NsUpdateNotifierOptions { Server = server, Zone = values[i + 1], Name = values[i + 2], Key = key, Ip4p = result.GetValue(_nsupdateIp4p) };
            if (Check(options, "--nsupdate", server is null ? $"'{values[i]}' is not an address with an optional :port" : null) is { } problem)
            {
                return problem;
            }

            list.Add(loggerFactory => new NsUpdateNotifier(options, loggerFactory));
        }

        return null;
    }

    private static string? Check(MappingNotifierOptions options, string flag, string? syntaxProblem)
    {
        if (syntaxProblem is not null)
        {
            return flag + ": " + syntaxProblem;
        }

        try
        {
            options.Validate();
            return null;
        }
        catch (ArgumentException ex)
        {
            return (ex.ParamName == nameof(WebhookNotifierOptions.Headers) ? "--notify-header" : flag) + ": " + UsageError.Reason(ex);
        }
    }

    /// <summary>A URL that may carry a password is not echoed back.</summary>
    private static string NotAUrl(string text) => text.Contains('@', StringComparison.Ordinal) ? "the value is not a URL" : $"'{text}' is not a URL";
}
