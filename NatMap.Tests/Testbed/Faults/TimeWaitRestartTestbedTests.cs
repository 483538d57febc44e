using System.Diagnostics;
using NatMap.Tests.Infrastructure;

namespace NatMap.Tests.Testbed.Faults;

/// <summary>
/// Issue 13, section 4: a fixed port still in TIME_WAIT after a restart (natmap issue #27, "Cannot
/// assign requested address ... wait a minute"). natmap is stopped and started again at once on the
/// same <c>-b</c> port while the port's connection to the HTTP server, the very four-tuple the new
/// keep-alive connects on, sits in TIME_WAIT (left by a client that closed first, as the original
/// natmap or any HTTP client does); it must map again at once, with no bind or connect failure on
/// the way. (On the kernels here, 6.x, a socket bound to its port may connect on a four-tuple in
/// TIME_WAIT; natmap itself closes its connections with a reset and leaves none. Should a kernel
/// refuse it, this test shows the "address not available" loop of issue #27.)
/// </summary>
public sealed class TimeWaitRestartTestbedTests(ITestOutputHelper output)
{
    /// <summary>Connects from port 5555 to each given server and closes first, leaving the four-tuple in TIME_WAIT.</summary>
    private const string CloseFirst = """
import socket, sys
for host, port in (a.split(":") for a in sys.argv[1:]):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.bind(("0.0.0.0", 5555))
    s.connect((host, int(port)))
    if port == "80":
        s.sendall(b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n")
        s.recv(4096)
    s.close()
""";

    [Theory]
    [InlineData("tcp")]
    [InlineData("udp")]
    public async Task RestartedAtOnce_SamePort_MapsAgainWithoutBindLoop(string protocol)
    {
        await using var testbed = await Infrastructure.Testbed.StartAsync(coturn: true, nginx: protocol == "tcp");
        string[] mode = protocol == "udp" ? ["-u"] : ["-h", "203.0.113.2"];
        string[] arguments = ["-4", .. mode, "-s", "203.0.113.2", "-b", "5555", "-k", "1"];
        string expected = $"203.0.113.1 45555 2001::b1f3:cb00:7101 5555 {protocol} 192.0.2.2";
        var first = FaultSession.Start(testbed, arguments);
        Assert.Equal(expected, await first.NextMappingAsync(0, FaultSession.Step));

        // Stopped, and the port's connections left in TIME_WAIT as a client that closes first leaves
        // them (the original natmap; natmap itself resets its own), then started again at once.
        Assert.Equal(0, await first.Natmap.StopAsync(FaultSession.Step));
        if (protocol == "tcp")
        {
            var result = await testbed.ExecAsync(TestbedNode.Lan, ["python3", "-c", CloseFirst, "203.0.113.2:80"]);
            Assert.True(result.ExitCode == 0, result.ToString());
            var waiting = await first.ExecAsync(TestbedNode.Lan, "ss", "-tanH", "state", "time-wait", "sport = :5555");
            output.WriteLine("in TIME_WAIT at the restart:\n" + waiting);
            Assert.Contains("203.0.113.2:80", waiting, StringComparison.Ordinal);
        }

        var clock = Stopwatch.StartNew();
        var second = FaultSession.Start(testbed, arguments);
        Assert.Equal(expected, await second.NextMappingAsync(0, FaultSession.Step));
        output.WriteLine($"{protocol}: mapped again {clock.ElapsedMilliseconds} ms after the restart");

        foreach (var failure in new[] { "Cannot bind", "Cannot connect", "No port of", "address already in use", "not available", "Setting the mapping up again" })
        {
            Assert.Equal(0, second.CountLog(failure));
        }

        second.AssertReasonsNamed();
    }
}
