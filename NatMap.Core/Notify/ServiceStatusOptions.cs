namespace NatMap.Notify;

/// <summary>What a <see cref="ServiceStatusReporter"/> tells whoever supervises the process.</summary>
public sealed class ServiceStatusOptions
{
    /// <summary>
    /// Where to keep one JSON object with the mapping and its state, replaced atomically on start,
    /// each change and stop (the CLI's <c>--status-file</c>); null for no file. Its folder must exist.
    /// </summary>
    public string? StatusFile { get; set; }

    /// <summary>
    /// The mapping's name, written as <c>name</c> in the status file (the CLI's <c>--name</c>): 1 to 64
    /// letters, digits, <c>.</c>, <c>_</c>, <c>-</c> or <c>@</c>, which a systemd instance name, a file
    /// name and a JSON string all take as they are. Null for none.
    /// </summary>
    public string? Name { get; set; }

    /// <summary>
    /// Whether to notify the service manager by the sd_notify protocol when <c>NOTIFY_SOCKET</c> is set:
    /// <c>READY=1</c> at the first mapping, <c>STATUS=</c> on each change, <c>WATCHDOG=1</c> at half of
    /// <c>WATCHDOG_USEC</c>, <c>STOPPING=1</c>. The default is true.
    /// </summary>
    public bool NotifyServiceManager { get; set; } = true;

    /// <summary>Checks <see cref="Name"/> and <see cref="StatusFile"/>.</summary>
    /// <exception cref="ArgumentException">A value is unusable; <c>ParamName</c> names the property.</exception>
    public void Validate()
    {
        if (Name is { } name && !(name.Length is >= 1 and <= 64 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '@')))
        {
            throw new ArgumentException($"'{name}' is not a name: expected 1 to 64 letters, digits, '.', '_', '-' or '@'", nameof(Name));
        }

        if (StatusFile is not { } path)
        {
            return;
        }

        if (path.Length == 0 || path.EndsWith('/'))
        {
            throw new ArgumentException($"'{path}' is not a file path", nameof(StatusFile));
        }

        // The temporary file of each write goes to the same folder, so it must exist now.
        string folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(folder))
        {
            throw new ArgumentException($"folder '{folder}' does not exist", nameof(StatusFile));
        }
    }
}
