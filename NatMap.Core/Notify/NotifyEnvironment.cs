namespace NatMap.Notify;

/// <summary>
/// Names of the environment variables that <see cref="ScriptNotifier"/> sets for the script, carrying the
/// same facts as its six positional arguments (see <see cref="MappingText.ToArguments"/>).
/// </summary>
public static class NotifyEnvironment
{
    /// <summary>The public address (argument 1).</summary>
    public const string PublicAddress = "NATMAP_PUBLIC_ADDR";

    /// <summary>The public port (argument 2).</summary>
    public const string PublicPort = "NATMAP_PUBLIC_PORT";

    /// <summary>The IP4P text (argument 3); empty for an IPv6 mapping.</summary>
    public const string Ip4p = "NATMAP_IP4P";

    /// <summary>The private (bound) port (argument 4).</summary>
    public const string PrivatePort = "NATMAP_PRIVATE_PORT";

    /// <summary>The protocol, <c>tcp</c> or <c>udp</c> (argument 5).</summary>
    public const string Protocol = "NATMAP_PROTOCOL";

    /// <summary>The private (bound) address (argument 6).</summary>
    public const string PrivateAddress = "NATMAP_PRIVATE_ADDR";

    /// <summary>The mapping's name (<see cref="ScriptNotifier.Name"/>, the CLI's <c>--name</c>); set only when named, and not an argument.</summary>
    public const string Name = "NATMAP_NAME";

    /// <summary>The variable names in argument order.</summary>
    /// <returns>A new array of six names.</returns>
    public static string[] Names() => [PublicAddress, PublicPort, Ip4p, PrivatePort, Protocol, PrivateAddress];
}
