using System.Diagnostics;
using System.Globalization;
using NatMap.Tests.Infrastructure;

namespace NatMap.Tests.Testbed.Faults;

/// <summary>
/// One natmap CLI run in the lan namespace of a testbed for the fault tests (issue 13, section 4):
/// its stdout lines (the reported mappings) and stderr lines (the log) are kept as they arrive, so a
/// test can wait for a log line, watch a stretch of time for what must not happen, and count.
/// </summary>
internal sealed class FaultSession
{
    public static readonly TimeSpan Step = TimeSpan.FromSeconds(30);

    private readonly List<string> _log = [];
    private readonly List<string> _mappings = [];

    private FaultSession(Infrastructure.Testbed testbed, NatmapProcess natmap)
    {
        Testbed = testbed;
        Natmap = natmap;
    }

    public Infrastructure.Testbed Testbed { get; }

    public NatmapProcess Natmap { get; }

    /// <summary>Every log line so far.</summary>
    public IReadOnlyList<string> Log
    {
        get
        {
            Drain();
            return _log;
        }
    }

    /// <summary>Every mapping line so far.</summary>
    public IReadOnlyList<string> Mappings
    {
        get
        {
            Drain();
            return _mappings;
        }
    }

    public static FaultSession Start(Infrastructure.Testbed testbed, params string[] arguments) =>
        new(testbed, NatmapProcess.Start(testbed, TestbedNode.Lan, arguments));

    /// <summary>Waits for the next mapping line (one not returned before) and returns it.</summary>
    public async Task<string> NextMappingAsync(int seen, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (Mappings.Count <= seen)
        {
            var remaining = timeout - clock.Elapsed;
            if (remaining <= TimeSpan.Zero)
            {
                throw new TimeoutException($"no mapping line #{seen + 1} within {timeout.TotalSeconds:0} s.\n{Natmap.Process.Describe()}");
            }

            _mappings.Add(await Natmap.Process.ReadLineAsync(_ => true, remaining, "(a mapping)"));
        }

        return _mappings[seen];
    }

    /// <summary>The first log line containing <paramref name="text"/>, seen before or arriving within <paramref name="timeout"/>.</summary>
    public async Task<string> LogLineAsync(string text, TimeSpan? timeout = null)
    {
        if (Log.FirstOrDefault(line => line.Contains(text, StringComparison.Ordinal)) is { } found)
        {
            return found;
        }

        return await Natmap.Process.ReadErrorLineAsync(
            line =>
            {
                _log.Add(line);
                return line.Contains(text, StringComparison.Ordinal);
            },
            timeout ?? Step,
            $"containing '{text}'");
    }

    /// <summary>Waits until at least <paramref name="count"/> log lines contain <paramref name="text"/>.</summary>
    public async Task WaitLogCountAsync(string text, int count, TimeSpan? timeout = null)
    {
        if (CountLog(text) >= count)
        {
            return;
        }

        await Natmap.Process.ReadErrorLineAsync(
            line =>
            {
                _log.Add(line);
                return _log.Count(seen => seen.Contains(text, StringComparison.Ordinal)) >= count;
            },
            timeout ?? Step,
            $"(line #{count} containing '{text}')");
    }

    /// <summary>
    /// Watches natmap for <paramref name="duration"/>: a stretch in which something must not happen
    /// (a report, traffic), so it is a span of time by design, not a wait for readiness. Returns the
    /// time that really went by until the log was read: on a loaded machine the delay can end late,
    /// and a bound on what natmap did in the span must use the longer time.
    /// </summary>
    public async Task<TimeSpan> WatchAsync(TimeSpan duration)
    {
        var clock = Stopwatch.StartNew();
        await Task.Delay(duration, TestContext.Current.CancellationToken);
        Drain();
        Assert.False(Natmap.Process.HasExited, "natmap exited.\n" + Natmap.Process.Describe());
        return clock.Elapsed;
    }

    /// <summary>
    /// At most about one check a second (<c>-k 1</c>), counted over <paramref name="watched"/>, the time
    /// that really went by (<see cref="WatchAsync"/>): no busy loop; and at least one check.
    /// </summary>
    public static void AssertPaced(int checks, TimeSpan watched) =>
        Assert.InRange(checks, 1, (int)Math.Ceiling(watched.TotalSeconds) + 2);

    public int CountLog(string text) => Log.Count(line => line.Contains(text, StringComparison.Ordinal));

    /// <summary>Runs a command in a namespace and fails the test if it fails.</summary>
    public async Task<string> ExecAsync(TestbedNode node, params string[] command)
    {
        var result = await Testbed.ExecAsync(node, command);
        Assert.True(result.ExitCode == 0, $"{string.Join(' ', command)} in {node}: {result}");
        return result.Stdout;
    }

    /// <summary>How many router conntrack entries go to <paramref name="protocol"/> port <paramref name="port"/> (traffic that left the lan).</summary>
    public async Task<int> FlowsToAsync(string protocol, int port)
    {
        var result = await Testbed.ExecAsync(TestbedNode.Router, ["conntrack", "-L", "-p", protocol, "--dport", Text(port)]);
        return result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
    }

    /// <summary>No line of the log says "SocketError" where it means a real error (issue 13, section 5).</summary>
    public void AssertReasonsNamed()
    {
        Assert.DoesNotContain(Log, line => line.Contains("SocketError", StringComparison.Ordinal));
    }

    public static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    private void Drain()
    {
        _log.AddRange(Natmap.Process.DrainErrors());
        _mappings.AddRange(Natmap.Process.DrainOutput());
    }
}
