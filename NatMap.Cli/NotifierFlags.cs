using System.CommandLine;
using Microsoft.Extensions.Logging;
using NatMap.Mapping;
using NatMap.Notify;

namespace NatMap.Cli;

/// <summary>
/// The built-in notifiers' options (<c>--notify-url</c> and the rest): each may repeat, and each occurrence
/// becomes one <see cref="MappingNotifier"/> that runs beside <c>-e</c>.
/// </summary>
internal sealed class NotifierFlags
{
    private readonly Option<string[]> _notifyUrl = Repeatable("--notify-url", "url", "POST each mapping change as the --json object to this http(s) URL. Repeatable.");
    private readonly Option<string[]> _notifyHeader = Repeatable("--notify-header", "'Name: value'", "Add this header to every --notify-url request. Repeatable.");

    public IEnumerable<Option> All => [_notifyUrl, _notifyHeader];

    /// <summary>Reads the notifiers' options into factories, one per notifier; <paramref name="mapper"/> is already bound.</summary>
    /// <returns>The first problem as <c>--flag: reason</c>, or null.</returns>
    public string? Bind(ParseResult result, PortMapperOptions mapper, out IReadOnlyList<Func<ILoggerFactory, MappingNotifier>> notifiers)
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
            var options = new WebhookNotifierOptions { Url = Uri.TryCreate(text, UriKind.Absolute, out var url) ? url : null };
            foreach (var header in headers)
            {
                options.Headers.Add(header);
            }

            if (Check(options, "--notify-url", options.Url is null ? $"'{text}' is not a URL" : null) is { } problem)
            {
                return problem;
            }

            list.Add(loggerFactory => new WebhookNotifier(options, loggerFactory));
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
            return (ex.ParamName == nameof(WebhookNotifierOptions.Headers) ? "--notify-header" : flag) + ": " + CommandLine.Describe(ex);
        }
    }

    private static Option<string[]> Repeatable(string name, string helpName, string description) =>
        new(name) { Description = description, HelpName = helpName, Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false };
}
