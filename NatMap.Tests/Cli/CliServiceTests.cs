using System.Net;
using System.Runtime.Versioning;
using System.Text.Json;
using NatMap.Cli;
using NatMap.Mapping;
using NatMap.Notify.Internal;
using NatMap.Tests.Fakes;
using NatMap.Tests.Mapping.Fakes;

namespace NatMap.Tests.Cli;

/// <summary><c>--name</c>, <c>--status-file</c> and the sd_notify client, in-process.</summary>
public sealed class CliServiceTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static readonly MappingChanged First = new(MappingProtocol.Tcp, IPEndPoint.Parse("203.0.113.1:45555"), IPEndPoint.Parse("192.0.2.2:5555"));

    [Theory]
    [InlineData("--name", "a b", "natmap: --name: 'a b' is not a name: expected 1 to 64 letters, digits, '.', '_', '-' or '@'")]
    [InlineData("--name", "", "natmap: --name: '' is not a name: expected 1 to 64 letters, digits, '.', '_', '-' or '@'")]
    [InlineData("--status-file", "/nonexistent-natmap/status.json", "natmap: --status-file: folder '/nonexistent-natmap' does not exist")]
    [InlineData("--status-file", "/tmp/", "natmap: --status-file: '/tmp/' is not a file path")]
    public async Task Parse_BadNameOrStatusFile_RefusedWithUsageError(string option, string value, string expected)
    {
        var run = await CliHarness.RunAsync("-u", "-s", "203.0.113.2", option, value);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal([expected, "Try 'natmap --help'."], run.ErrorLines);
        Assert.False(run.MapperCreated);
    }

    [Fact]
    [SupportedOSPlatform("linux")]
    public async Task Run_Name_GoesToScriptEnvironmentAndJsonWithTheSixArgumentsUnchanged()
    {
        var dir = Directory.CreateTempSubdirectory("natmap-name-").FullName;
        try
        {
            var script = Path.Combine(dir, "notify.sh");
            File.WriteAllText(script, "#!/bin/sh\necho \"$# $* [$NATMAP_NAME]\" >> \"$(dirname \"$0\")/calls.txt\"\n");
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var mapper = new FakePortMapper();
            mapper.Emit(First);
            mapper.End();
            var stdout = new LineWriter();
            var context = new CliContext(stdout, new LineWriter(), (_, _) => mapper, (_, _) => throw new InvalidOperationException("must not detach"));

            await NatMap.Cli.Cli.RunAsync(["-s", "203.0.113.2", "-h", "203.0.113.2", "-e", script, "--json", "--name", "web-1"], context, TestContext.Current.CancellationToken).WaitAsync(Timeout, TestContext.Current.CancellationToken);

            Assert.Equal(["6 203.0.113.1 45555 2001::b1f3:cb00:7101 5555 tcp 192.0.2.2 [web-1]"], File.ReadAllLines(Path.Combine(dir, "calls.txt")));
            using var doc = JsonDocument.Parse(Assert.Single(stdout.Lines));
            Assert.Equal(["event", "name", "protocol"], doc.RootElement.EnumerateObject().Take(3).Select(p => p.Name));
            Assert.Equal("web-1", doc.RootElement.GetProperty("name").GetString());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void MappingJson_WithoutName_HasNoNameField()
    {
        using var doc = JsonDocument.Parse(MappingJson.Format(First));
        Assert.False(doc.RootElement.TryGetProperty("name", out _));
    }

    [Fact]
    public async Task Run_StatusFile_WrittenAtStartEachChangeAndStopWithForwardTarget()
    {
        var dir = Directory.CreateTempSubdirectory("natmap-status-").FullName;
        try
        {
            string path = Path.Combine(dir, "web.json");
            var mapper = new FakePortMapper();
            var stdout = new LineWriter();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            var context = new CliContext(stdout, new LineWriter(), (_, _) => mapper, (_, _) => throw new InvalidOperationException("must not detach"));
            var run = NatMap.Cli.Cli.RunAsync(["-s", "203.0.113.2", "-h", "203.0.113.2", "-t", "192.0.2.10", "-p", "0", "--name", "web", "--status-file", path], context, stop.Token);

            // Before the first mapping: starting, with null mapping fields.
            using (var doc = await WaitForStatusAsync(path, s => s.GetProperty("state").GetString() == "starting"))
            {
                var root = doc.RootElement;
                Assert.Equal("web", root.GetProperty("name").GetString());
                Assert.Equal(Environment.ProcessId, root.GetProperty("pid").GetInt32());
                Assert.Equal(JsonValueKind.Null, root.GetProperty("publicAddress").ValueKind);
                Assert.Equal("relay", root.GetProperty("forwardMethod").GetString());
                Assert.Equal("192.0.2.10", root.GetProperty("targetAddress").GetString());
                Assert.Equal(JsonValueKind.Null, root.GetProperty("targetPort").ValueKind);
                Assert.Equal(JsonValueKind.Null, root.GetProperty("lastError").ValueKind);
            }

            mapper.Emit(First);
            await stdout.WaitForLinesAsync(1).WaitAsync(Timeout, TestContext.Current.CancellationToken);
            using (var doc = JsonDocument.Parse(File.ReadAllBytes(path)))
            {
                var root = doc.RootElement;
                Assert.Equal("mapped", root.GetProperty("state").GetString());
                Assert.Equal("203.0.113.1", root.GetProperty("publicAddress").GetString());
                Assert.Equal(45555, root.GetProperty("publicPort").GetInt32());
                Assert.Equal(5555, root.GetProperty("privatePort").GetInt32());

                // -p 0: the target port follows the public port.
                Assert.Equal(45555, root.GetProperty("targetPort").GetInt32());
                Assert.True(DateTimeOffset.Parse(root.GetProperty("since").GetString()!, System.Globalization.CultureInfo.InvariantCulture) <= DateTimeOffset.UtcNow);
            }

            await stop.CancelAsync();
            Assert.Equal(0, await run.WaitAsync(Timeout, TestContext.Current.CancellationToken));
            using (var doc = JsonDocument.Parse(File.ReadAllBytes(path)))
            {
                Assert.Equal("stopped", doc.RootElement.GetProperty("state").GetString());
                Assert.Equal(45555, doc.RootElement.GetProperty("publicPort").GetInt32());
            }

            // Only the status file itself is left: no temporary file.
            Assert.Equal([path], Directory.GetFiles(dir));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// The issue's proof: a reader polls the file in a tight loop while the mapping changes ten times
    /// (the STUN fake answers with another public port each time) and once re-maps (checks fail, then
    /// answer again); every read parses as one whole JSON object.
    /// </summary>
    [Fact]
    public async Task StatusFile_PolledDuringTenRemappings_NeverPartial()
    {
        var dir = Directory.CreateTempSubdirectory("natmap-status-").FullName;
        try
        {
            string path = Path.Combine(dir, "game.json");
            await using var stun = LoopbackStunServer.Nat(MapperHarness.Nat(500));
            var stdout = new LineWriter();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            var context = new CliContext(
                stdout,
                new LineWriter(),
                (options, loggerFactory) =>
                {
                    // The CLI's -k is whole seconds; the test checks every 50 ms so ten changes take a second.
                    options.KeepAliveInterval = TimeSpan.FromMilliseconds(50);
                    options.RetryDelay = TimeSpan.FromMilliseconds(20);
                    options.MaxRetryDelay = TimeSpan.FromMilliseconds(100);
                    return MapperHarness.Create(options, loggerFactory);
                },
                (_, _) => throw new InvalidOperationException("must not detach"));

            using var readerStop = new CancellationTokenSource();
            var remapping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var reader = Task.Run(() => PollStatus(path, remapping, readerStop.Token, TestContext.Current.CancellationToken), TestContext.Current.CancellationToken);
            var run = NatMap.Cli.Cli.RunAsync(["-u", "-i", "127.0.0.1", "-s", stun.Text, "--name", "game", "--status-file", path], context, stop.Token);

            for (int change = 1; change <= 10; change++)
            {
                await stdout.WaitForLinesAsync(change).WaitAsync(Timeout, TestContext.Current.CancellationToken);
                if (change == 5)
                {
                    stun.Answering = false;
                    await remapping.Task.WaitAsync(Timeout, TestContext.Current.CancellationToken);
                    stun.Answering = true;
                }

                stun.Map = MapperHarness.Nat(500 + change);
            }

            await stdout.WaitForLinesAsync(11).WaitAsync(Timeout, TestContext.Current.CancellationToken);
            await stop.CancelAsync();
            Assert.Equal(0, await run.WaitAsync(Timeout, TestContext.Current.CancellationToken));
            await readerStop.CancelAsync();
            var (reads, ports, states) = await reader.WaitAsync(Timeout, TestContext.Current.CancellationToken);

            TestContext.Current.TestOutputHelper?.WriteLine($"status file: {reads} reads, all whole JSON; {ports.Count} public ports and states {string.Join(", ", states)} seen");

            // Each read parsed (PollStatus would have thrown); the reader saw the changes go by.
            Assert.True(reads > 100, $"only {reads} reads");
            Assert.InRange(ports.Count, 2, 11);
            Assert.Subset(new HashSet<string>(["starting", "mapped", "remapping", "stopped"]), states);
            Assert.Superset(new HashSet<string>(["mapped", "remapping", "stopped"]), states);
            using var last = JsonDocument.Parse(File.ReadAllBytes(path));
            Assert.Equal("stopped", last.RootElement.GetProperty("state").GetString());
            Assert.Equal("No STUN server answered", last.RootElement.GetProperty("lastError").GetString()![..23]);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void StatusFile_ForwardMethod_OneFieldFedFromTheOptions()
    {
        Assert.Null(StatusFile.ForwardMethod(new PortMapperOptions()));
        Assert.Equal("relay", StatusFile.ForwardMethod(new PortMapperOptions { TargetHost = "192.0.2.10" }));
        Assert.Equal("nftables", StatusFile.ForwardMethod(new PortMapperOptions { TargetHost = "192.0.2.10", ForwardMethod = NatMap.Forwarding.ForwardMethod.Nftables }));
    }

    /// <summary>
    /// Reads and parses the file as fast as it can, until asked to stop and the stopped state is read;
    /// any read that does not parse fails the test.
    /// </summary>
    private static (int Reads, HashSet<int> Ports, HashSet<string> States) PollStatus(string path, TaskCompletionSource remapping, CancellationToken stop, CancellationToken abort)
    {
        int reads = 0;
        var ports = new HashSet<int>();
        var states = new HashSet<string>(StringComparer.Ordinal);
        while (!abort.IsCancellationRequested)
        {
            byte[] bytes;
            try
            {
                bytes = File.ReadAllBytes(path);
            }
            catch (FileNotFoundException) when (reads == 0)
            {
                // Not written yet: the run has not started.
                continue;
            }

            reads++;
            using var doc = JsonDocument.Parse(bytes);
            string state = doc.RootElement.GetProperty("state").GetString()!;
            states.Add(state);
            if (doc.RootElement.GetProperty("publicPort") is { ValueKind: JsonValueKind.Number } port)
            {
                ports.Add(port.GetInt32());
            }

            if (state == "remapping")
            {
                remapping.TrySetResult();
            }

            if (state == "stopped" && stop.IsCancellationRequested)
            {
                break;
            }
        }

        return (reads, ports, states);
    }

    private static async Task<JsonDocument> WaitForStatusAsync(string path, Func<JsonElement, bool> condition)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        while (true)
        {
            timeout.Token.ThrowIfCancellationRequested();
            if (File.Exists(path))
            {
                var doc = JsonDocument.Parse(File.ReadAllBytes(path));
                if (condition(doc.RootElement))
                {
                    return doc;
                }

                doc.Dispose();
            }

            await Task.Yield();
        }
    }
}
