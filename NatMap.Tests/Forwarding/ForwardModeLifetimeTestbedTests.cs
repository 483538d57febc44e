using System.Diagnostics;
using System.Globalization;
using NatMap.Tests.Infrastructure;
using static NatMap.Tests.Forwarding.ForwardModeTestbedLayout;

namespace NatMap.Tests.Forwarding;

/// <summary>
/// Issue 4: how long relayed flows live, with the natmap CLI in forward mode as a black box in the lan
/// namespace behind the testbed's full-cone router (5555 to 45555), the target service in lan and the
/// clients in wan, as in <see cref="ForwardModeTestbedTests"/>. Covers the <c>-T</c> idle timeout (a
/// silent flow is closed, a busy one is kept) and flows that are open while the router re-assigns the
/// public port: with a fixed <c>-p</c> natmap keeps the forwarder and its flows, with <c>-p 0</c> it
/// restarts the forwarder and closes the old flows. The clients and services are one small Python
/// program driven line by line over stdin and stdout (<see cref="Peer"/>), so a test can hold flows
/// open and act on them one step at a time. Waits are bounded; nothing asserts a duration.
/// </summary>
public sealed class ForwardModeLifetimeTestbedTests(ITestOutputHelper output)
{
    private const string WanClient = "203.0.113.2";

    /// <summary>The <c>-T</c> of the idle timeout tests, in seconds: short, with room for a loaded machine.</summary>
    private const int IdleSeconds = 3;

    /// <summary>How often the busy flow sends: far more often than <see cref="IdleSeconds"/>.</summary>
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(250);

    private static readonly TimeSpan Step = TimeSpan.FromSeconds(15);

    /// <summary>The longest a silent flow may outlive <c>-T</c> before the test fails (the sweep runs every T/4; the rest is slack for a loaded machine).</summary>
    private static readonly TimeSpan IdleBound = TimeSpan.FromSeconds(IdleSeconds + 20);

    [Fact]
    public async Task IdleTimeout_SilentTcpConnection_ClosedWhileBusyOneStaysOpen()
    {
        await using var testbed = await Infrastructure.Testbed.StartAsync(coturn: true, nginx: true);
        var (natmap, service, client, silent, busy, silentAtService, busyAtService) = await StartIdleFlowsAsync(testbed, "tcp");

        // The busy one sends every Tick until natmap has closed the silent one, ...
        var natmapLog = new List<string>();
        var clock = Stopwatch.StartNew();
        int tick = 0;
        while (!client.Has(f => f is ["closed", "silent", _]))
        {
            Assert.True(clock.Elapsed < IdleBound, $"the silent connection was still open {clock.Elapsed.TotalSeconds:0.0} s after it went quiet, with -T {IdleSeconds}.\n{natmap.Process.Describe()}");
            await client.EchoAsync("busy", "busy-" + Text(++tick));
            await Task.Delay(Tick, TestContext.Current.CancellationToken);
        }

        output.WriteLine($"the silent connection was closed {clock.ElapsedMilliseconds} ms after it went quiet (-T {IdleSeconds})");

        // ... and on for another 1.5 x T, so it outlives the timeout by far.
        var after = Stopwatch.StartNew();
        while (after.Elapsed < TimeSpan.FromSeconds(IdleSeconds * 1.5))
        {
            await client.EchoAsync("busy", "busy-" + Text(++tick));
            await Task.Delay(Tick, TestContext.Current.CancellationToken);
        }

        // natmap closed it, for idleness, on both sides (the service saw its end of the relay end too).
        var ended = await LogLineAsync(natmap, natmapLog, $"TCP connection from {WanClient}:{Text(silent)} ended");
        output.WriteLine(ended);
        Assert.Contains("idle timeout", ended, StringComparison.Ordinal);
        await service.WaitAsync(f => f is ["ended", _, _] && f[1] == silentAtService, Step, "'ended' for the silent connection");

        // The busy one never closed, at either end, and still relays both ways.
        await client.EchoAsync("busy", "busy-last");
        Assert.False(client.Has(f => f is ["closed", "busy", _]), "the busy connection was closed");
        Assert.False(service.Has(f => f is ["ended", _, _] && f[1] == busyAtService), "the busy connection's service side was closed");
        natmapLog.AddRange(natmap.Process.DrainErrors());
        Assert.DoesNotContain(natmapLog, line => line.Contains($"TCP connection from {WanClient}:{Text(busy)} ended", StringComparison.Ordinal));
        Assert.Equal(tick + 2, service.Count(f => f is ["got", _, _] && f[1] == busyAtService));
    }

    [Fact]
    public async Task IdleTimeout_SilentUdpSession_ExpiresWhileBusyOneKeepsItsPort()
    {
        await using var testbed = await Infrastructure.Testbed.StartAsync(coturn: true);
        // Two client sockets (two wan source ports), so two forwarder sessions, each with its own
        // socket towards the service: the service tells them apart by the forwarder's source port.
        var (natmap, service, client, silent, busy, silentBefore, busyPort) = await StartIdleFlowsAsync(testbed, "udp");

        // The busy socket sends every Tick until natmap reports the silent session expired.
        var expired = $"UDP session for {WanClient}:{Text(silent)} closed: idle timeout";
        var natmapLog = new List<string>();
        var clock = Stopwatch.StartNew();
        int tick = 0;
        while (!natmapLog.Any(line => line.Contains(expired, StringComparison.Ordinal)))
        {
            Assert.True(clock.Elapsed < IdleBound, $"the silent session was still open {clock.Elapsed.TotalSeconds:0.0} s after it went quiet, with -T {IdleSeconds}.\n{natmap.Process.Describe()}");
            await client.EchoAsync("busy", "busy-" + Text(++tick));
            await Task.Delay(Tick, TestContext.Current.CancellationToken);
            natmapLog.AddRange(natmap.Process.DrainErrors());
        }

        output.WriteLine($"the silent session expired {clock.ElapsedMilliseconds} ms after it went quiet (-T {IdleSeconds})");

        // The next datagram from the same wan endpoint is a new session: a new forwarder socket.
        await client.EchoAsync("silent", "silent-1");
        string silentAfter = (await service.WaitAsync(f => f is ["echoed", _, "silent-1"], Step, "'echoed silent-1'"))[1];
        Assert.NotEqual(silentBefore, silentAfter);

        // The busy session was never closed: every datagram of it reached the service from one port.
        await client.EchoAsync("busy", "busy-last");
        await service.WaitAsync(f => f is ["echoed", _, "busy-last"], Step, "'echoed busy-last'");
        natmapLog.AddRange(natmap.Process.DrainErrors());
        Assert.DoesNotContain(natmapLog, line => line.Contains($"UDP session for {WanClient}:{Text(busy)} closed", StringComparison.Ordinal));
        var busyPorts = service.Lines(f => f is ["echoed", _, _] && f[2].StartsWith("busy-", StringComparison.Ordinal)).Select(f => f[1]).Distinct();
        Assert.Equal(busyPort, Assert.Single(busyPorts));
    }

    /// <summary>
    /// A fixed <c>-p</c>: the remap changes neither the local port nor the target, so natmap keeps the
    /// forwarder and every connection it relays. What the testbed shows beyond that is the NAT's doing:
    /// its remap flushes conntrack (as an ISP re-assigning the port forgets live flows), so the
    /// client's next segment to the old public port is no longer translated and the router answers
    /// it with a reset, while natmap's segments on that connection would leave from the new public
    /// port, which the client does not know. So the connection cannot carry data any more, and the
    /// test asserts exactly that, next to what natmap controls: it did not close the connection
    /// (both relayed sockets stay established until the client's reset or the idle timeout).
    /// </summary>
    [Fact]
    public async Task MappingChange_FixedTargetPort_TcpConnectionNotClosedByNatmap()
    {
        await using var testbed = await Infrastructure.Testbed.StartAsync(coturn: true, nginx: true);
        var service = await Peer.StartServiceAsync(testbed, "tcp", ServicePort);
        var natmap = StartForwarding(testbed, "tcp", ServicePort, ["-k", "2"]);
        Assert.Equal(Line(PublicPort, "tcp"), await natmap.ReadMappingAsync(FirstMapping));
        var client = Peer.StartClient(testbed);
        int old = await client.OpenAsync("old", "tcp", testbed, PublicPort);
        await client.EchoAsync("old", "old-0");
        string oldAtService = (await service.WaitAsync(f => f is ["got", _, "old-0"], Step, "'got old-0'"))[1];

        await testbed.RemapAsync(PrivatePort, PublicPort, NewPublicPort);
        Assert.Equal(Line(NewPublicPort, "tcp"), await natmap.ReadMappingAsync(Recovery));

        // The forwarder is the same one: a new connection through the new public port reaches the
        // service, and natmap never stopped a forwarder.
        await client.OpenAsync("new", "tcp", testbed, NewPublicPort);
        await client.EchoAsync("new", "new-0");
        await service.WaitAsync(f => f is ["got", _, "new-0"], Step, "'got new-0'");
        var log = natmap.Process.DrainErrors();
        Assert.DoesNotContain(log, line => line.Contains("TCP forwarder on", StringComparison.Ordinal) && line.EndsWith(" stopped", StringComparison.Ordinal));

        // The old connection is still open at natmap, on both relayed sockets.
        Assert.False(service.Has(f => f is ["ended", _, _] && f[1] == oldAtService), "natmap closed the old connection's service side");
        Assert.True(await EstablishedAsync(testbed, $"sport = :{PrivatePort} and dport = :{Text(old)}"), "natmap's socket of the old connection is no longer established");
        Assert.True(await EstablishedAsync(testbed, $"sport = :{oldAtService} and dport = :{ServicePort}"), "natmap's socket towards the service for the old connection is no longer established");

        // The NAT no longer carries it: the client's next data gets the router's reset and never
        // reaches the service.
        await client.SendAsync("old", "old-1");
        var closed = await client.WaitAsync(f => f is ["closed", "old", _], Step, "'closed old'");
        output.WriteLine("old connection after the remap: " + string.Join(' ', closed));
        Assert.False(client.Has(f => f is ["recv", "old", "old-1"]));
        Assert.False(service.Has(f => f is ["got", _, "old-1"]));
        Assert.False(natmap.Process.HasExited);
    }

    /// <summary>
    /// <c>-p 0</c>: the target is the public port, so the remap restarts the forwarder towards the new
    /// one, and natmap closes the old forwarder's connections with a FIN on both sides. The service
    /// sees it at once. The wan client cannot: after the NAT's conntrack flush natmap's FIN leaves
    /// from the new public port, which the client's socket does not know, so the client learns of
    /// the close only by its next send, which the router resets (the test shows both).
    /// </summary>
    [Fact]
    public async Task MappingChange_TargetFollowsPublicPort_OldTcpConnectionClosedAndNewPortServed()
    {
        await using var testbed = await Infrastructure.Testbed.StartAsync(coturn: true, nginx: true);
        var first = await Peer.StartServiceAsync(testbed, "tcp", PublicPort);
        var second = await Peer.StartServiceAsync(testbed, "tcp", NewPublicPort);
        var natmap = StartForwarding(testbed, "tcp", 0, ["-k", "2"]);
        Assert.Equal(Line(PublicPort, "tcp"), await natmap.ReadMappingAsync(FirstMapping));
        var client = Peer.StartClient(testbed);
        int old = await client.OpenAsync("old", "tcp", testbed, PublicPort);
        await client.EchoAsync("old", "old-0");
        string oldAtService = (await first.WaitAsync(f => f is ["got", _, "old-0"], Step, "'got old-0'"))[1];

        await testbed.RemapAsync(PrivatePort, PublicPort, NewPublicPort);
        Assert.Equal(Line(NewPublicPort, "tcp"), await natmap.ReadMappingAsync(Recovery));

        // The old forwarder closed the connection cleanly: an orderly end (EOF) at the service, and
        // natmap's socket towards the client no longer established.
        var ended = await first.WaitAsync(f => f is ["ended", _, _] && f[1] == oldAtService, Step, "'ended' for the old connection");
        Assert.Equal("eof", ended[2]);
        await WaitUntilAsync(async () => !await EstablishedAsync(testbed, $"sport = :{PrivatePort} and dport = :{Text(old)}"), "natmap's socket of the old connection is still established");

        // The client's next send on it fails (the router's reset) instead of hanging.
        await client.SendAsync("old", "old-1");
        var closed = await client.WaitAsync(f => f is ["closed", "old", _], Step, "'closed old'");
        output.WriteLine("old connection after the remap: " + string.Join(' ', closed));
        Assert.False(first.Has(f => f is ["got", _, "old-1"]));

        // A new connection on the new public port reaches the service on that port.
        await client.OpenAsync("new", "tcp", testbed, NewPublicPort);
        await client.EchoAsync("new", "new-0");
        await second.WaitAsync(f => f is ["got", _, "new-0"], Step, "'got new-0' at the new port's service");
        Assert.False(natmap.Process.HasExited);
    }

    /// <summary>
    /// A fixed <c>-p</c> in UDP mode: the remap keeps the forwarder (the same listening socket) and its
    /// sessions. The same wan endpoint, now sending to the new public port, goes on in the same
    /// session: the service sees the same forwarder source port as before the remap.
    /// </summary>
    [Fact]
    public async Task MappingChange_FixedTargetPort_UdpSessionKept()
    {
        await using var testbed = await Infrastructure.Testbed.StartAsync(coturn: true);
        var service = await Peer.StartServiceAsync(testbed, "udp", ServicePort);
        var natmap = StartForwarding(testbed, "udp", ServicePort, ["-k", "1", "-c", "2", "-v"]);
        Assert.Equal(Line(PublicPort, "udp"), await natmap.ReadMappingAsync(FirstMapping));
        var client = Peer.StartClient(testbed);
        await client.OpenAsync("c", "udp", testbed, PublicPort);
        await client.EchoAsync("c", "c-0");
        string before = (await service.WaitAsync(f => f is ["echoed", _, "c-0"], Step, "'echoed c-0'"))[1];

        await testbed.RemapAsync(PrivatePort, PublicPort, NewPublicPort);
        Assert.Equal(Line(NewPublicPort, "udp"), await natmap.ReadMappingAsync(Recovery));

        // natmap reports a mapping before it acts on it, so wait for the next STUN check after the
        // report: a forwarder restarted for the new mapping would have been stopped by then.
        var log = new List<string>();
        await WaitLogAsync(natmap, log, seen => seen.FindIndex(line => line.Contains("Mapping Udp 203.0.113.1:45600", StringComparison.Ordinal)) is >= 0 and var reported && seen.Skip(reported).Any(line => line.Contains("STUN check from ", StringComparison.Ordinal)), "(a STUN check after the new mapping)");

        await client.RetargetAsync("c", NewPublicPort);
        var echo = await client.EchoAsync("c", "c-1");
        Assert.Equal(Text(NewPublicPort), echo[2]);
        string after = (await service.WaitAsync(f => f is ["echoed", _, "c-1"], Step, "'echoed c-1'"))[1];
        Assert.Equal(before, after);
        log.AddRange(natmap.Process.DrainErrors());
        Assert.DoesNotContain(log, line => line.Contains("UDP forwarder on", StringComparison.Ordinal) && line.EndsWith(" stopped", StringComparison.Ordinal));
    }

    /// <summary>
    /// <c>-p 0</c> in UDP mode: the remap restarts the forwarder towards the new public port; the old
    /// sessions are closed (their sockets towards the old target are gone) and the same wan endpoint
    /// on the new public port gets a new session that reaches the service on the new port.
    /// </summary>
    [Fact]
    public async Task MappingChange_TargetFollowsPublicPort_OldUdpSessionClosedAndNewPortServed()
    {
        await using var testbed = await Infrastructure.Testbed.StartAsync(coturn: true);
        var first = await Peer.StartServiceAsync(testbed, "udp", PublicPort);
        var second = await Peer.StartServiceAsync(testbed, "udp", NewPublicPort);
        var natmap = StartForwarding(testbed, "udp", 0, ["-k", "1", "-c", "2"]);
        Assert.Equal(Line(PublicPort, "udp"), await natmap.ReadMappingAsync(FirstMapping));
        var client = Peer.StartClient(testbed);
        await client.OpenAsync("c", "udp", testbed, PublicPort);
        await client.EchoAsync("c", "c-0");
        string before = (await first.WaitAsync(f => f is ["echoed", _, "c-0"], Step, "'echoed c-0'"))[1];
        Assert.True(await BoundAsync(testbed, "udp", before), $"no socket of natmap's session on udp port {before}");

        await testbed.RemapAsync(PrivatePort, PublicPort, NewPublicPort);
        Assert.Equal(Line(NewPublicPort, "udp"), await natmap.ReadMappingAsync(Recovery));
        await WaitUntilAsync(async () => !await BoundAsync(testbed, "udp", before), $"the old session's socket (udp port {before}) is still open");

        await client.RetargetAsync("c", NewPublicPort);
        var echo = await client.EchoAsync("c", "c-1");
        Assert.Equal(Text(NewPublicPort), echo[2]);
        await second.WaitAsync(f => f is ["echoed", _, "c-1"], Step, "'echoed c-1' at the new port's service");
        Assert.False(first.Has(f => f is ["echoed", _, "c-1"]));
        Assert.False(natmap.Process.HasExited);
    }

    /// <summary>natmap in lan forwarding the mapped port 5555 to the lan address at the target port.</summary>
    /// <summary>
    /// natmap forwarding with the short <c>-T</c>, and two flows opened together through the public
    /// endpoint, "silent" and "busy", each proven once end to end. Returns the client's two source
    /// ports and the service's name for each flow (its peer port at the service).
    /// </summary>
    private static async Task<(NatmapProcess Natmap, Peer Service, Peer Client, int Silent, int Busy, string SilentAtService, string BusyAtService)> StartIdleFlowsAsync(
        Infrastructure.Testbed testbed, string protocol)
    {
        var service = await Peer.StartServiceAsync(testbed, protocol, ServicePort);
        var natmap = StartForwarding(testbed, protocol, ServicePort, ["-T", Text(IdleSeconds), "-v"]);
        Assert.Equal(Line(PublicPort, protocol), await natmap.ReadMappingAsync(FirstMapping));
        var client = Peer.StartClient(testbed);
        int silent = await client.OpenAsync("silent", protocol, testbed, PublicPort);
        int busy = await client.OpenAsync("busy", protocol, testbed, PublicPort);
        await client.EchoAsync("silent", "silent-0");
        await client.EchoAsync("busy", "busy-0");

        // The TCP service reports what it got; the UDP one, what it echoed.
        string seen = protocol == "tcp" ? "got" : "echoed";
        string silentAtService = (await service.WaitAsync(f => f.Length == 3 && f[0] == seen && f[2] == "silent-0", Step, $"'{seen} silent-0'"))[1];
        string busyAtService = (await service.WaitAsync(f => f.Length == 3 && f[0] == seen && f[2] == "busy-0", Step, $"'{seen} busy-0'"))[1];
        return (natmap, service, client, silent, busy, silentAtService, busyAtService);
    }

    private static NatmapProcess StartForwarding(Infrastructure.Testbed testbed, string protocol, int targetPort, string[] extra)
    {
        string[] mode = protocol == "udp" ? ["-u"] : ["-h", testbed.WanAddress.ToString()];
        return NatmapProcess.Start(
            testbed,
            TestbedNode.Lan,
            ["-4", .. mode, "-s", testbed.WanAddress.ToString(), "-b", Text(PrivatePort), "-t", testbed.LanAddress.ToString(), "-p", Text(targetPort), .. extra]);
    }

    private static string Line(int publicPort, string protocol) =>
        $"203.0.113.1 {publicPort} {(publicPort == PublicPort ? "2001::b1f3:cb00:7101" : "2001::b220:cb00:7101")} {PrivatePort} {protocol} 192.0.2.2";

    /// <summary>Whether a TCP socket in lan matching the ss <paramref name="filter"/> is established.</summary>
    private static async Task<bool> EstablishedAsync(Infrastructure.Testbed testbed, string filter)
    {
        var result = await testbed.ExecAsync(TestbedNode.Lan, ["ss", "-tnH", "state", "established", filter]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Stdout.Trim().Length > 0;
    }

    /// <summary>Whether a socket in lan is bound to <paramref name="protocol"/> port <paramref name="port"/>.</summary>
    private static async Task<bool> BoundAsync(Infrastructure.Testbed testbed, string protocol, string port)
    {
        var result = await testbed.ExecAsync(TestbedNode.Lan, ["ss", protocol == "tcp" ? "-tanH" : "-uanH", $"sport = :{port}"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Stdout.Trim().Length > 0;
    }

    /// <summary>Polls <paramref name="condition"/> (a state that changes on its own, not a readiness signal) for up to <see cref="Step"/>.</summary>
    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string failure)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < Step, $"{failure} after {Step.TotalSeconds:0} s");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>The first natmap log line containing <paramref name="text"/>, among <paramref name="seen"/> or read within <see cref="Step"/>; every line read is added to <paramref name="seen"/>.</summary>
    private static async Task<string> LogLineAsync(NatmapProcess natmap, List<string> seen, string text)
    {
        await WaitLogAsync(natmap, seen, lines => lines.Any(line => line.Contains(text, StringComparison.Ordinal)), $"containing '{text}'");
        return seen.First(line => line.Contains(text, StringComparison.Ordinal));
    }

    /// <summary>Reads natmap's log into <paramref name="seen"/> until <paramref name="done"/> holds for the lines so far, for up to <see cref="Step"/>.</summary>
    private static async Task WaitLogAsync(NatmapProcess natmap, List<string> seen, Func<List<string>, bool> done, string what)
    {
        seen.AddRange(natmap.Process.DrainErrors());
        if (done(seen))
        {
            return;
        }

        await natmap.Process.ReadErrorLineAsync(
            line =>
            {
                seen.Add(line);
                return done(seen);
            },
            Step,
            what);
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// The services and clients: one Python program (run with <c>python3 -c</c>), whose output lines
    /// are kept, so a test can ask for a line it has already passed.
    /// <list type="bullet">
    /// <item><c>serve tcp|udp ADDR PORT</c>: prints <c>listening PORT</c> once bound. TCP: per connection
    /// <c>accepted PEER-PORT</c>, per line received <c>got PEER-PORT TEXT</c> (and the line echoed), at
    /// the end <c>ended PEER-PORT eof</c> or the error's name. UDP: echoes every datagram and prints
    /// <c>echoed PEER-PORT TEXT</c>.</item>
    /// <item><c>client</c>: reads commands from stdin. <c>open NAME tcp|udp ADDR PORT</c> connects (tcp)
    /// or binds an unconnected socket sending to ADDR:PORT (udp), prints <c>opened NAME LOCAL-PORT</c>,
    /// then <c>recv NAME TEXT</c> per line (tcp) or <c>recv NAME FROM-PORT TEXT</c> per datagram (udp),
    /// and <c>closed NAME eof</c> or the error's name when a connection ends. <c>send NAME TEXT</c>
    /// sends TEXT (a line over tcp); <c>to NAME PORT</c> changes where a udp socket sends.</item>
    /// </list>
    /// </summary>
    private sealed class Peer
    {
        private const string Script = """
import socket, sys, threading

LOCK = threading.Lock()
SOCKS = {}


def out(text):
    with LOCK:
        print(text, flush=True)


def serve(protocol, addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM if protocol == "tcp" else socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    if protocol == "udp":
        out(f"listening {port}")
        while True:
            data, peer = s.recvfrom(65535)
            s.sendto(data, peer)
            out(f"echoed {peer[1]} {data.decode()}")
    s.listen(16)
    out(f"listening {port}")
    while True:
        conn, peer = s.accept()
        out(f"accepted {peer[1]}")
        threading.Thread(target=echo, args=(conn, peer[1]), daemon=True).start()


def echo(conn, port):
    how = "eof"
    try:
        with conn.makefile("rb") as lines:
            for line in lines:
                out(f"got {port} {line.decode().strip()}")
                conn.sendall(line)
    except OSError as e:
        how = type(e).__name__
    conn.close()
    out(f"ended {port} {how}")


def reader(name, s, protocol):
    how = "eof"
    try:
        if protocol == "udp":
            while True:
                data, peer = s.recvfrom(65535)
                out(f"recv {name} {peer[1]} {data.decode()}")
        with s.makefile("rb") as lines:
            for line in lines:
                out(f"recv {name} {line.decode().strip()}")
    except OSError as e:
        how = type(e).__name__
    out(f"closed {name} {how}")


def client():
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        command, name = words[0], words[1]
        try:
            if command == "open":
                protocol, target = words[2], (words[3], int(words[4]))
                if protocol == "tcp":
                    s = socket.create_connection(target, timeout=10)
                    s.settimeout(None)
                else:
                    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                    s.bind(("0.0.0.0", 0))
                SOCKS[name] = (s, protocol, target)
                out(f"opened {name} {s.getsockname()[1]}")
                threading.Thread(target=reader, args=(name, s, protocol), daemon=True).start()
            elif command == "send":
                s, protocol, target = SOCKS[name]
                if protocol == "tcp":
                    s.sendall((words[2] + "\n").encode())
                else:
                    s.sendto(words[2].encode(), target)
            elif command == "to":
                s, protocol, target = SOCKS[name]
                SOCKS[name] = (s, protocol, (target[0], int(words[2])))
        except OSError as e:
            out(f"failed {name} {command} {type(e).__name__}")


if sys.argv[1] == "serve":
    serve(sys.argv[2], sys.argv[3], int(sys.argv[4]))
else:
    client()
""";

        /// <summary>How many times a UDP client sends a datagram before giving up (covers a forwarder restarting after a remap).</summary>
        private const int UdpAttempts = 8;

        /// <summary>How long a UDP client waits for an echo before sending the datagram again (UDP may drop).</summary>
        private static readonly TimeSpan UdpRetry = TimeSpan.FromSeconds(2);

        private readonly CapturedProcess _process;
        private readonly List<string[]> _lines = [];
        private readonly Dictionary<string, string> _protocols = [];

        private Peer(CapturedProcess process) => _process = process;

        public static async Task<Peer> StartServiceAsync(Infrastructure.Testbed testbed, string protocol, int port)
        {
            var peer = new Peer(testbed.Start(TestbedNode.Lan, "python3", ["-u", "-c", Script, "serve", protocol, testbed.LanAddress.ToString(), Text(port)]));
            await peer.WaitAsync(f => f is ["listening", _], Infrastructure.Testbed.CommandTimeout, "'listening'");
            return peer;
        }

        public static Peer StartClient(Infrastructure.Testbed testbed) =>
            new(testbed.Start(TestbedNode.Wan, "python3", ["-u", "-c", Script, "client"]));

        /// <summary>Opens a flow named <paramref name="name"/> to the public address at <paramref name="port"/>; returns its local port.</summary>
        public async Task<int> OpenAsync(string name, string protocol, Infrastructure.Testbed testbed, int port)
        {
            _protocols[name] = protocol;
            await CommandAsync($"open {name} {protocol} {testbed.PublicAddress} {Text(port)}");
            var opened = await WaitAsync(f => f is ["opened", _, _] && f[1] == name, Step, $"'opened {name}'");
            return int.Parse(opened[2], CultureInfo.InvariantCulture);
        }

        public Task SendAsync(string name, string text) => CommandAsync($"send {name} {text}");

        public Task RetargetAsync(string name, int port) => CommandAsync($"to {name} {Text(port)}");

        /// <summary>Sends <paramref name="text"/> on flow <paramref name="name"/> and waits for it to come back; returns the <c>recv</c> line.</summary>
        public async Task<string[]> EchoAsync(string name, string text)
        {
            bool udp = _protocols[name] == "udp";
            for (int attempt = 1; ; attempt++)
            {
                await SendAsync(name, text);
                try
                {
                    return await WaitAsync(f => f.Length > 2 && f[0] == "recv" && f[1] == name && f[^1] == text, udp ? UdpRetry : Step, $"the echo of '{text}' on {name}");
                }
                catch (TimeoutException) when (udp && attempt < UdpAttempts)
                {
                }
            }
        }

        /// <summary>The first output line (split at spaces), seen before or arriving within <paramref name="timeout"/>, that <paramref name="match"/> accepts.</summary>
        public async Task<string[]> WaitAsync(Func<string[], bool> match, TimeSpan timeout, string what)
        {
            var clock = Stopwatch.StartNew();
            Drain();
            while (true)
            {
                if (_lines.FirstOrDefault(match) is { } found)
                {
                    return found;
                }

                var remaining = timeout - clock.Elapsed;
                if (remaining <= TimeSpan.Zero)
                {
                    throw new TimeoutException($"{_process.Name}: no line {what} within {timeout.TotalSeconds:0.#} s.\n{_process.Describe()}");
                }

                _lines.Add((await _process.ReadLineAsync(_ => true, remaining, what)).Split(' '));
            }
        }

        /// <summary>Whether a line already printed matches.</summary>
        public bool Has(Func<string[], bool> match)
        {
            Drain();
            return _lines.Any(match);
        }

        public int Count(Func<string[], bool> match)
        {
            Drain();
            return _lines.Count(match);
        }

        public IEnumerable<string[]> Lines(Func<string[], bool> match)
        {
            Drain();
            return [.. _lines.Where(match)];
        }

        private Task CommandAsync(string command) => _process.WriteInputAsync(command + "\n", close: false);

        private void Drain() => _lines.AddRange(_process.DrainOutput().Select(line => line.Split(' ')));
    }
}
