using System.Diagnostics;
using NatMap.Tests.Infrastructure;

namespace NatMap.Tests.Testbed.Faults;

/// <summary>
/// Issue 13, section 4: relayed TCP connections whose NAT entry has vanished (natmap's <c>-p</c>
/// forward after a re-mapping). The router's remap forgets every flow, so a silent relayed connection
/// can never carry data again, and without keepalive it would stay open until <c>-T</c> (300 s).
/// natmap sets TCP keepalive on both of its sockets, timed from <c>-k</c> (idle 2 × k but at least
/// 10 s, probes k / 3 apart within 1 to 10 s, 3 of them): with <c>-k 1</c> both are closed within
/// 13 s of the last segment.
/// </summary>
public sealed class ForwardKeepAliveTestbedTests(ITestOutputHelper output)
{
    /// <summary>The keepalive bound with -k 1 (10 s idle + 3 × 1 s), and room for a loaded machine.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(13 + 10);

    /// <summary>A wan client: connects, proves the relay with one echo, prints its port, then stays silent.</summary>
    private const string Client = """
import socket, sys
s = socket.create_connection(("203.0.113.1", 45555), timeout=10)
s.sendall(b"hello\n")
assert s.recv(100) == b"hello\n"
print("ready", s.getsockname()[1], flush=True)
sys.stdin.read()
""";

    [Fact]
    public async Task Remapped_SilentRelayedConnection_ClosedByKeepAliveWellBeforeIdleTimeout()
    {
        await using var testbed = await Infrastructure.Testbed.StartAsync(coturn: true, nginx: true);
        testbed.Start(TestbedNode.Lan, "socat", ["TCP4-LISTEN:8080,bind=192.0.2.2,fork,reuseaddr", "PIPE"]);
        await testbed.WaitForListenerAsync(TestbedNode.Lan, "tcp", 8080, Infrastructure.Testbed.CommandTimeout);
        var natmap = FaultSession.Start(testbed, "-4", "-s", "203.0.113.2", "-h", "203.0.113.2", "-b", "5555", "-k", "1", "-t", "192.0.2.2", "-p", "8080", "-v");
        Assert.Equal("203.0.113.1 45555 2001::b1f3:cb00:7101 5555 tcp 192.0.2.2", await natmap.NextMappingAsync(0, FaultSession.Step));

        var client = testbed.Start(TestbedNode.Wan, "python3", ["-c", Client]);
        string port = (await client.ReadLineAsync(line => line.StartsWith("ready ", StringComparison.Ordinal), FaultSession.Step, "'ready'"))["ready ".Length..];
        string clientSide = $"sport = :5555 and dport = :{port}";
        string targetSide = "dst 192.0.2.2 and dport = :8080";
        Assert.True(await EstablishedAsync(natmap, clientSide), "no relayed socket towards the client");
        Assert.True(await EstablishedAsync(natmap, targetSide), "no relayed socket towards the target");

        await testbed.RemapAsync(5555, 45555, 45600);
        var clock = Stopwatch.StartNew();
        while (await EstablishedAsync(natmap, clientSide) || await EstablishedAsync(natmap, targetSide))
        {
            Assert.True(clock.Elapsed < Bound, $"a relayed socket of the silent connection was still established {clock.Elapsed.TotalSeconds:0} s after the remap.\n{natmap.Natmap.Process.Describe()}");
            await Task.Delay(250, TestContext.Current.CancellationToken);
        }

        output.WriteLine($"both relayed sockets closed {clock.ElapsedMilliseconds} ms after the remap");
        var ended = await natmap.LogLineAsync($"TCP connection from 203.0.113.2:{port} ended");
        output.WriteLine(ended);
        Assert.DoesNotContain("idle timeout", ended, StringComparison.Ordinal);
        Assert.Equal("203.0.113.1 45600 2001::b220:cb00:7101 5555 tcp 192.0.2.2", await natmap.NextMappingAsync(1, FaultSession.Step));
    }

    private static async Task<bool> EstablishedAsync(FaultSession natmap, string filter) =>
        (await natmap.ExecAsync(TestbedNode.Lan, "ss", "-tnH", "state", "established", filter)).Trim().Length > 0;
}
