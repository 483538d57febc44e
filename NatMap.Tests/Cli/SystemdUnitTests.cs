using System.Diagnostics;
using NatMap.Tests.Infrastructure;

namespace NatMap.Tests.Cli;

/// <summary>contrib/systemd/natmap@.service: what it promises, and that systemd accepts it.</summary>
public sealed class SystemdUnitTests
{
    private static string UnitPath => Path.Combine(RepoPaths.Root ?? throw new InvalidOperationException("the repository was not found"), "contrib", "systemd", "natmap@.service");

    [Fact]
    public void Unit_TemplateNamesTheInstanceReadsItsOptionsAndIsHardened()
    {
        var settings = File.ReadAllLines(UnitPath)
            .Where(l => l.Length > 0 && !l.StartsWith('#') && !l.StartsWith('['))
            .Select(l => l.Split('=', 2))
            .GroupBy(p => p[0], p => p[1])
            .ToDictionary(g => g.Key, g => g.ToArray());

        Assert.Equal(["notify"], settings["Type"]);
        Assert.Equal(["/etc/natmap/%i.conf"], settings["EnvironmentFile"]);
        Assert.Equal(["/usr/bin/natmap --name %i --status-file /run/natmap/%i/status.json $NATMAP_OPTIONS"], settings["ExecStart"]);
        Assert.Equal(["natmap/%i"], settings["RuntimeDirectory"]);
        Assert.Contains("WatchdogSec", settings.Keys);

        // No capability unless a drop-in grants one (the unit's comments say which option needs which).
        Assert.Equal([""], settings["CapabilityBoundingSet"]);
        Assert.Equal([""], settings["AmbientCapabilities"]);
        foreach (var (key, value) in new[] { ("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"), ("ProtectHome", "yes"), ("PrivateTmp", "yes"), ("DynamicUser", "yes") })
        {
            Assert.Equal([value], settings[key]);
        }

        string text = File.ReadAllText(UnitPath);
        foreach (var capability in new[] { "CAP_NET_ADMIN", "CAP_SYS_PTRACE", "CAP_NET_BIND_SERVICE" })
        {
            Assert.Contains("#   " + capability, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Unit_SystemdAnalyzeVerify_Accepts()
    {
        Requirements.Command("systemd-analyze");
        var folder = Directory.CreateTempSubdirectory("natmap-unit-");
        try
        {
            // verify checks that ExecStart's program exists: point it at the natmap next to the tests.
            string natmap = Path.Combine(AppContext.BaseDirectory, "natmap");
            File.WriteAllText(Path.Combine(folder.FullName, "natmap@.service"), File.ReadAllText(UnitPath).Replace("/usr/bin/natmap", natmap, StringComparison.Ordinal));
            var start = new ProcessStartInfo("systemd-analyze") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in new[] { "verify", "--man=no", Path.Combine(folder.FullName, "natmap@ho1.service") })
            {
                start.ArgumentList.Add(arg);
            }

            File.CreateSymbolicLink(Path.Combine(folder.FullName, "natmap@ho1.service"), Path.Combine(folder.FullName, "natmap@.service"));
            using var process = Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
            var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
            await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

            Assert.True(process.ExitCode == 0, "systemd-analyze verify: " + await stdout + await stderr);
            Assert.Equal("", (await stdout + await stderr).Trim());
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
