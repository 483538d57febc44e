namespace NatMap.Tests.Infrastructure;

/// <summary>Finds the repository (the folder holding NatMap.sln) from the test output folder.</summary>
internal static class RepoPaths
{
    private static readonly Lazy<string?> LazyRoot = new(FindRoot);

    /// <summary>The repository root, or null when the tests run outside a checkout.</summary>
    public static string? Root => LazyRoot.Value;

    /// <summary>scripts/testbed.sh, or null when the tests run outside a checkout.</summary>
    public static string? TestbedScript => Root is null ? null : Path.Combine(Root, "scripts", "testbed.sh");

    /// <summary>scripts/testbed-peer.py (echo, ask and STUN peers), or null when the tests run outside a checkout.</summary>
    public static string? PeerScript => Root is null ? null : Path.Combine(Root, "scripts", "testbed-peer.py");

    private static string? FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "NatMap.sln")))
            {
                return dir.FullName;
            }
        }

        return null;
    }
}
