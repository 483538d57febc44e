using System.Net;
using System.Security.Cryptography;

namespace NatMap.Tests.Infrastructure;

/// <summary>
/// One private copy of the real-NAT testbed (scripts/testbed.sh): three network namespaces
/// lan, router and wan, an nftables NAT in the router, optionally coturn and nginx in wan. Each
/// instance has a unique id, so tests may build testbeds in parallel. Disposing stops every process
/// started through it and tears the namespaces down, also after a failed test.
/// </summary>
internal sealed class Testbed : IAsyncDisposable
{
    /// <summary>Upper bound for a testbed.sh command or a short command in a namespace.</summary>
    public static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The full-cone NAT's default port map, as passed to testbed.sh --map.</summary>
    public const string DefaultMap = "5555:45555,5556:45556";

    public const int StunPort = 3478;

    private readonly List<CapturedProcess> _processes = [];
    private readonly Dictionary<string, string> _info;
    private int _disposed;

    private Testbed(string id, Dictionary<string, string> info)
    {
        Id = id;
        _info = info;
    }

    public string Id { get; }

    public string LanNamespace => _info["LAN_NS"];

    public string RouterNamespace => _info["RTR_NS"];

    public string WanNamespace => _info["WAN_NS"];

    /// <summary>The lan host, 192.0.2.2.</summary>
    public IPAddress LanAddress => Address("LAN4");

    /// <summary>The router's public address, 203.0.113.1.</summary>
    public IPAddress PublicAddress => Address("RTR_WAN4");

    /// <summary>The wan host's first address, 203.0.113.2 (coturn, nginx).</summary>
    public IPAddress WanAddress => Address("WAN4");

    /// <summary>The wan host's second address, 203.0.113.3 (coturn's RFC 5780 alternate).</summary>
    public IPAddress WanAddress2 => Address("WAN4B");

    /// <summary>The lan host's IPv6 address, 2001:db8:1::2, routed without NAT.</summary>
    public IPAddress LanAddress6 => Address("LAN6");

    /// <summary>The wan host's first IPv6 address, 2001:db8:2::2 (coturn, nginx).</summary>
    public IPAddress WanAddress6 => Address("WAN6");

    /// <summary>The service host behind lan, 198.51.100.10 (testbeds built with <c>service: true</c>).</summary>
    public IPAddress ServiceAddress => Address("SRV4");

    /// <summary>The service host's IPv6 address, 2001:db8:3::10.</summary>
    public IPAddress ServiceAddress6 => Address("SRV6");

    /// <summary>The wan host's second IPv6 address, 2001:db8:2::3.</summary>
    public IPAddress WanAddress6B => Address("WAN6B");

    /// <summary>
    /// Skips (or, under CI, fails) the test unless this machine can build a testbed: Linux, root,
    /// the scripts in a checkout, and the tools they call.
    /// </summary>
    public static void Require(bool coturn = false, bool nginx = false)
    {
        Requirements.Root();
        if (RepoPaths.TestbedScript is not { } script || !File.Exists(script))
        {
            Requirements.Unmet("needs scripts/testbed.sh from a checkout of the repository (NatMap.sln not found above the test folder)");
        }

        foreach (var command in new[] { "ip", "nft", "conntrack", "ss", "python3", "socat" })
        {
            Requirements.Command(command);
        }

        if (coturn)
        {
            Requirements.Command("turnserver");
            Requirements.Command("turnutils_stunclient");
        }

        if (nginx)
        {
            Requirements.Command("nginx");
        }
    }

    /// <summary>
    /// Builds a testbed with the NAT in <paramref name="nat"/> mode (fullcone, masquerade or
    /// symmetric) and starts coturn and nginx when asked. Checks <see cref="Require"/> first.
    /// </summary>
    public static async Task<Testbed> StartAsync(string nat = "fullcone", string map = DefaultMap, bool coturn = false, bool nginx = false, bool service = false, bool homeRouter = false)
    {
        Require(coturn, nginx);
        if (homeRouter)
        {
            Requirements.Command("miniupnpd");
        }

        var id = RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz0123456789", 8);

        // Testbeds left by crashed runs (their owner process is gone) are removed first.
        await RunScriptAsync(["gc"]);
        var up = await RunScriptAsync(["up", id, "--nat", nat, "--map", map, "--owner", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), .. service ? new[] { "--service" } : [], .. homeRouter ? new[] { "--home-router" } : []]);
        var info = up.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split('=', 2))
            .Where(pair => pair.Length == 2)
            .ToDictionary(pair => pair[0], pair => pair[1]);
        var testbed = new Testbed(id, info);
        try
        {
            if (coturn)
            {
                await testbed.CoturnAsync("start");
            }

            if (nginx)
            {
                await testbed.NginxAsync("start");
            }
        }
        catch
        {
            await testbed.DisposeAsync();
            throw;
        }

        return testbed;
    }

    public string Namespace(TestbedNode node) => node switch
    {
        TestbedNode.Lan => LanNamespace,
        TestbedNode.Router => RouterNamespace,
        TestbedNode.Wan => WanNamespace,
        TestbedNode.Service => _info["SRV_NS"],
        TestbedNode.Home => _info["HOME_NS"],
        _ => throw new ArgumentOutOfRangeException(nameof(node)),
    };

    /// <summary>Runs testbed.sh with this testbed's id after <paramref name="command"/>; throws on failure.</summary>
    public Task<CommandResult> ScriptAsync(string command, params string[] arguments) =>
        RunScriptAsync([command, Id, .. arguments]);

    /// <summary>Switches the router to fullcone, masquerade or symmetric (flushes conntrack).</summary>
    public Task SetNatAsync(string mode, string map = DefaultMap) => ScriptAsync("nat", mode, "--map", map);

    /// <summary>The ISP re-assigns a port: private port <paramref name="privatePort"/> now maps to <paramref name="newPublicPort"/>; live flows are forgotten.</summary>
    public Task RemapAsync(int privatePort, int oldPublicPort, int newPublicPort) =>
        ScriptAsync("remap", Text(privatePort), Text(oldPublicPort), Text(newPublicPort));

    /// <summary>start, stop or restart coturn in wan; <paramref name="single"/> listens on one address per family (no RFC 5780).</summary>
    public Task CoturnAsync(string action, bool single = false) =>
        single ? ScriptAsync("coturn", action, "single") : ScriptAsync("coturn", action);

    /// <summary>start, stop or restart nginx in wan (HTTP keep-alive peer on port 80).</summary>
    public Task NginxAsync(string action) => ScriptAsync("nginx", action);

    /// <summary>Starts, stops or restarts the home router's miniupnpd; <paramref name="wipe"/> forgets its mappings.</summary>
    public Task MiniupnpdAsync(string action, bool wipe = false) =>
        wipe ? ScriptAsync("miniupnpd", action, "--wipe") : ScriptAsync("miniupnpd", action);

    /// <summary>The home router's DNAT rules that miniupnpd added (one line per forwarded port).</summary>
    public async Task<string[]> HomeRouterRulesAsync()
    {
        var result = await ExecAsync(TestbedNode.Home, ["nft", "list", "chain", "inet", "filter", "prerouting_miniupnpd"]);
        return [.. result.Stdout.Split('\n').Where(l => l.Contains("dnat", StringComparison.Ordinal)).Select(l => l.Trim())];
    }

    /// <summary>miniupnpd's debug log so far.</summary>
    public string MiniupnpdLog() => File.ReadAllText(Path.Combine(_info["STATE"], "miniupnpd.log"));

    /// <summary>Runs a short command in a namespace to completion; never throws for a non-zero exit.</summary>
    public async Task<CommandResult> ExecAsync(TestbedNode node, IEnumerable<string> command, string? input = null, TimeSpan? timeout = null)
    {
        await using var process = CapturedProcess.Start("ip", ["netns", "exec", Namespace(node), .. command], name: $"{command.First()}@{node}");
        return await CompleteAsync(process, input, timeout ?? CommandTimeout);
    }

    /// <summary>
    /// Starts a long-lived process in a namespace, its output captured line by line. It is stopped
    /// when the testbed is disposed (or earlier by the test).
    /// </summary>
    public CapturedProcess Start(TestbedNode node, string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

        // `ip netns exec` execs the program, so the pid (and every signal) is the program's own.
        var process = CapturedProcess.Start("ip", ["netns", "exec", Namespace(node), fileName, .. arguments], environment, $"{Path.GetFileName(fileName)}@{node}");
        lock (_processes)
        {
            _processes.Add(process);
        }

        return process;
    }

    /// <summary>
    /// Starts an echo peer (scripts/testbed-peer.py) on <paramref name="address"/>:<paramref name="port"/>
    /// in <paramref name="node"/> and waits until it is bound. It answers each datagram (udp) or
    /// connection (tcp) with the sender's address and port as it sees them: what the NAT made of the flow.
    /// With <paramref name="reusePort"/> it sets SO_REUSEPORT too, as a service sharing its port with natmap does.
    /// </summary>
    public Task<CapturedProcess> StartEchoAsync(TestbedNode node, string protocol, IPAddress address, int port, bool reusePort = false) =>
        StartServingPeerAsync(node, "echo", reusePort ? [protocol, "--reuseport"] : [protocol], address, port);

    /// <summary>
    /// Starts a hostile UDP STUN server (scripts/testbed-peer.py forge) on <paramref name="address"/>:<paramref name="port"/>
    /// in <paramref name="node"/>: it answers each Binding request first with a copy of its answer
    /// cut to 23 bytes, then with the true answer. Returns once it is bound.
    /// </summary>
    public Task<CapturedProcess> StartForgingStunAsync(TestbedNode node, IPAddress address, int port) =>
        StartServingPeerAsync(node, "forge", ["udp"], address, port);

    private async Task<CapturedProcess> StartServingPeerAsync(TestbedNode node, string mode, string[] protocolAndFlags, IPAddress address, int port)
    {
        var peer = Start(node, "python3", [RepoPaths.PeerScript!, mode, .. protocolAndFlags, address.ToString(), Text(port)]);
        await peer.ReadLineAsync(line => line.StartsWith("listening ", StringComparison.Ordinal), CommandTimeout, "'listening'");
        return peer;
    }

    /// <summary>
    /// Holds <paramref name="protocol"/> port <paramref name="port"/> in lan with a socket bound to
    /// 0.0.0.0 without SO_REUSEADDR or SO_REUSEPORT (TCP: bound, not listening), so nothing else can
    /// bind it and no listening socket shows an owner to take it over from. Returns once bound.
    /// </summary>
    public async Task<CapturedProcess> HoldPortAsync(string protocol, int port)
    {
        var holder = Start(TestbedNode.Lan, "python3", [RepoPaths.PeerScript!, "hold", protocol, Text(port)]);
        await holder.ReadLineAsync(line => line.StartsWith("holding ", StringComparison.Ordinal), CommandTimeout, "'holding'");
        return holder;
    }

    /// <summary>
    /// From <paramref name="node"/>, asks the echo peer at <paramref name="address"/>:<paramref name="port"/>
    /// how it sees us, sending from <paramref name="localPort"/> (0: any). Returns the endpoint it reports.
    /// </summary>
    public Task<IPEndPoint> AskAsync(TestbedNode node, string protocol, IPAddress address, int port, int localPort = 0) =>
        PeerAsync("ask", node, protocol, address, port, localPort);

    /// <summary>
    /// From <paramref name="node"/>, sends one UDP datagram to the echo peer at <paramref name="address"/>:<paramref name="port"/>
    /// from each of <paramref name="count"/> source ports (scripts/testbed-peer.py spray) and returns
    /// the answers: the local port each came back to, where it came from, and its text.
    /// </summary>
    public async Task<IReadOnlyList<(int LocalPort, IPEndPoint From, string Text)>> SprayAsync(TestbedNode node, IPAddress address, int port, int count)
    {
        var result = await ExecAsync(node, ["python3", RepoPaths.PeerScript!, "spray", "udp", address.ToString(), Text(port), Text(count)]);
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (result.ExitCode != 0 || lines.Length == 0 || !lines[^1].StartsWith("sprayed ", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"testbed-peer.py spray udp {address} {port} {count} from {node}: {result}");
        }

        return [.. lines[..^1].Select(line => line.Split(' ', 4)).Select(f => (int.Parse(f[0], System.Globalization.CultureInfo.InvariantCulture), new IPEndPoint(IPAddress.Parse(f[1]), int.Parse(f[2], System.Globalization.CultureInfo.InvariantCulture)), f[3]))];
    }

    /// <summary>
    /// From <paramref name="node"/>, opens <paramref name="clients"/> TCP connections at once to the
    /// echo service at <paramref name="address"/>:<paramref name="port"/>; each sends
    /// <paramref name="bytes"/> of its own data and must get them back intact (scripts/testbed-peer.py bulk).
    /// Returns the peer's verdict line: <c>bulk ok CLIENTS BYTES</c> or <c>bulk failed ...</c>.
    /// </summary>
    public async Task<string> BulkEchoAsync(TestbedNode node, IPAddress address, int port, long bytes, int clients, TimeSpan timeout)
    {
        var result = await ExecAsync(node, ["python3", RepoPaths.PeerScript!, "bulk", "tcp", address.ToString(), Text(port), bytes.ToString(System.Globalization.CultureInfo.InvariantCulture), Text(clients)], timeout: timeout);
        return result.Stdout.Trim() is { Length: > 0 } line ? line : "bulk failed, exit " + result.ExitCode + ": " + result.Stderr.Trim();
    }

    /// <summary>
    /// From <paramref name="node"/>, sends one STUN Binding request to <paramref name="address"/>:<paramref name="port"/>
    /// from <paramref name="localPort"/> (0: any) and returns the XOR-MAPPED-ADDRESS. The peer is
    /// independent of NatMap's own STUN code, so it can judge the testbed on its own.
    /// </summary>
    public Task<IPEndPoint> StunAsync(TestbedNode node, string protocol, IPAddress address, int port = StunPort, int localPort = 0) =>
        PeerAsync("stun", node, protocol, address, port, localPort);

    /// <summary>
    /// Waits (polling <c>ss</c>, a readiness check rather than a fixed sleep) until something in
    /// <paramref name="node"/> listens on <paramref name="protocol"/> port <paramref name="port"/>.
    /// </summary>
    public async Task WaitForListenerAsync(TestbedNode node, string protocol, int port, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var flag = protocol == "tcp" ? "-ltnH" : "-lunH";
        while (true)
        {
            var result = await ExecAsync(node, ["ss", flag, $"sport = :{port}"]);
            if (result.ExitCode == 0 && result.Stdout.Trim().Length > 0)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"nothing listens on {protocol} port {port} in {node} after {timeout.TotalSeconds:0.#} s");
            }

            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        CapturedProcess[] processes;
        lock (_processes)
        {
            processes = [.. _processes];
        }

        foreach (var process in processes)
        {
            await process.DisposeAsync();
            WriteOutput(process.Describe());
        }

        try
        {
            await RunScriptAsync(["down", Id]);
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            WriteOutput("testbed teardown failed: " + ex.Message);
        }
    }

    private static string Text(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private IPAddress Address(string key) => IPAddress.Parse(_info[key]);

    private async Task<IPEndPoint> PeerAsync(string mode, TestbedNode node, string protocol, IPAddress address, int port, int localPort)
    {
        var result = await ExecAsync(node, ["python3", RepoPaths.PeerScript!, mode, protocol, "--from", Text(localPort), address.ToString(), Text(port)]);
        var fields = result.Stdout.Trim().Split(' ');
        if (result.ExitCode != 0 || fields.Length != 2 || !IPAddress.TryParse(fields[0], out var seen) || !int.TryParse(fields[1], out var seenPort))
        {
            throw new InvalidOperationException($"testbed-peer.py {mode} {protocol} {address} {port} from {node}: {result}");
        }

        return new IPEndPoint(seen, seenPort);
    }

    /// <summary>Runs testbed.sh with <paramref name="arguments"/> as given; never throws for a non-zero exit.</summary>
    public static async Task<CommandResult> RunScriptUncheckedAsync(params string[] arguments)
    {
        await using var process = CapturedProcess.Start("bash", [RepoPaths.TestbedScript!, .. arguments], name: "testbed.sh " + arguments[0]);
        return await CompleteAsync(process, null, CommandTimeout);
    }

    private static async Task<CommandResult> RunScriptAsync(string[] arguments)
    {
        var result = await RunScriptUncheckedAsync(arguments);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"testbed.sh {string.Join(' ', arguments)} failed: {result}");
        }

        return result;
    }

    private static async Task<CommandResult> CompleteAsync(CapturedProcess process, string? input, TimeSpan timeout)
    {
        await process.WriteInputAsync(input ?? "");
        var exit = await process.WaitForExitAsync(timeout);
        var stdout = string.Join('\n', process.DrainOutput());
        var stderr = string.Join('\n', process.DrainErrors());
        return new CommandResult(exit, stdout, stderr);
    }

    private static void WriteOutput(string text)
    {
        try
        {
            TestContext.Current.TestOutputHelper?.WriteLine(text);
        }
        catch (InvalidOperationException)
        {
            // No test is running (the output helper is gone); nothing to write to.
        }
    }
}
