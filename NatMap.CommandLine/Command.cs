using System.Collections;

namespace NatMap.CommandLine;

/// <summary>
/// A command (<c>natmap</c>, or a subcommand such as <c>natmap check</c>): its options, subcommands,
/// description for the help, and the action that runs it.
/// </summary>
public sealed class Command : IEnumerable
{
    public Command(string name, string? description = null)
    {
        Name = name;
        Description = description;
    }

    public string Name { get; }

    public string? Description { get; }

    public List<Option> Options { get; } = [];

    public List<Command> Subcommands { get; } = [];

    public Command? Parent { get; private set; }

    /// <summary>What runs when this command is parsed without error, help or version.</summary>
    public Func<ParseResult, CancellationToken, Task<int>>? Action { get; private set; }

    /// <summary>The name errors and the help give: <c>natmap</c>, <c>natmap check</c>.</summary>
    public string FullName => Parent is null ? Name : Parent.FullName + " " + Name;

    public void SetAction(Func<ParseResult, CancellationToken, Task<int>> action) => Action = action;

    public void SetAction(Func<ParseResult, int> action) => Action = (result, _) => Task.FromResult(action(result));

    /// <summary>Collection-initializer support: adds an option or a subcommand.</summary>
    public void Add(Option option) => Options.Add(option);

    /// <inheritdoc cref="Add(Option)"/>
    public void Add(Command subcommand)
    {
        subcommand.Parent = this;
        Subcommands.Add(subcommand);
    }

    /// <summary>
    /// A validation error as <c>-x: reason</c>, named by the options bound (<see cref="Option.Binds"/>) to its
    /// <see cref="ArgumentException.ParamName"/>, joined by '/' (<c>-4/-6</c>); the bare reason when none is.
    /// </summary>
    public string Describe(ArgumentException exception)
    {
        var names = Options.Where(o => exception.ParamName is { } bound && o.Binds.Contains(bound)).Select(o => o.Name).ToList();
        string reason = UsageError.Reason(exception);
        return names.Count > 0 ? string.Join("/", names) + ": " + reason : reason;
    }

    public ParseResult Parse(IReadOnlyList<string> args) => Parser.Parse(this, args);

    /// <summary>
    /// Parses <paramref name="args"/> and does what they ask: the help or the version on <paramref name="output"/>
    /// (exit code 0), the usage error on <paramref name="error"/> (<see cref="UsageError.ExitCode"/>), or the
    /// parsed command's action, whose exit code it returns.
    /// </summary>
    public Task<int> InvokeAsync(IReadOnlyList<string> args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var parsed = Parse(args);
        if (parsed.HelpRequested)
        {
            HelpWriter.WriteHelp(output, parsed.Command);
            return Task.FromResult(0);
        }

        if (parsed.Error is { } message)
        {
            return Task.FromResult(UsageError.Write(error, parsed.Command, message));
        }

        if (parsed.VersionRequested)
        {
            output.WriteLine(HelpWriter.Version());
            output.Flush();
            return Task.FromResult(0);
        }

        var action = parsed.Command.Action ?? throw new InvalidOperationException(parsed.Command.FullName + " has no action");
        return action(parsed, cancellationToken);
    }

    /// <summary>The options, then the subcommands (what the collection initializer added).</summary>
    public IEnumerator GetEnumerator() => Options.Cast<object>().Concat(Subcommands).GetEnumerator();
}
