namespace NatMap.Tests.Infrastructure;

/// <summary>
/// Environment checks for tests that need root, network namespaces or real servers. Outside CI a
/// missing requirement skips the test with its reason; under CI (CI=true) it fails the test, since
/// CI must run them all.
/// </summary>
internal static class Requirements
{
    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static bool IsRoot => OperatingSystem.IsLinux() && Environment.UserName == "root";

    /// <summary>Skips (or, under CI, fails) with <paramref name="reason"/>.</summary>
    public static void Unmet(string reason)
    {
        if (IsCi)
        {
            Assert.Fail("Required under CI but unavailable: " + reason);
        }

        Assert.Skip(reason);
    }

    public static void Root()
    {
        if (!IsRoot)
        {
            Unmet("needs Linux and root (network namespaces, nftables)");
        }
    }

    public static void Command(string name)
    {
        if (FindOnPath(name) is null)
        {
            Unmet($"needs the '{name}' command on PATH (./scripts/test.sh, run as root, installs it)");
        }
    }

    public static string? FindOnPath(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        foreach (var dir in new[] { "/usr/sbin", "/sbin", "/usr/bin", "/bin" })
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
