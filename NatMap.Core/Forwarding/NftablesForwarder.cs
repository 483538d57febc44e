using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NatMap.Diagnostics.Internal;
using NatMap.Forwarding.Internal;
using NatMap.Internal;

namespace NatMap.Forwarding;

/// <summary>
/// Forwards a local port in the Linux kernel: destination NAT by nftables, so packets never pass
/// through this process and the target sees the client's own address. The rules live in an
/// <c>inet</c> table of their own, named from the protocol and the local port
/// (<c>natmap_tcp_5555</c>); every change (start, retarget, new excluded peers, stop) is one
/// transaction, and no other table is touched. Needs libnftables (<c>libnftables.so.1</c>) and
/// CAP_NET_ADMIN.
/// </summary>
/// <remarks>
/// Start replaces a table of the same name, such as one left by a process that was killed, so there
/// is never more than one. Flows survive a retarget (conntrack keeps their binding) and are removed
/// from conntrack on stop, so none is left half translated. The metrics
/// (<see cref="Diagnostics.NatMapMetrics"/>, tagged <c>forward.method</c> = <c>nftables</c>) read
/// the rule counters: flows forwarded, and IP bytes each way; active flows are not known (0).
/// </remarks>
public sealed class NftablesForwarder : IDisposable, IForwarderMetricsSource
{
    private readonly object _gate = new();
    private readonly MappingProtocol _protocol;
    private readonly IPEndPoint _local;
    private readonly bool _masquerade;
    private readonly string? _ingressInterface;
    private readonly ILogger _logger;
    private IPEndPoint _target;
    private List<IPEndPoint> _excluded;
    private ForwarderCounts _earlier;
    private string? _restoreLocalnet;
    private string? _localnetPath;
    private bool _started;
    private bool _stopped;

    /// <summary>Checks <paramref name="options"/>; nothing is installed until <see cref="Start"/>.</summary>
    /// <exception cref="ArgumentException">The local endpoint or the target is missing, or their address families differ.</exception>
    public NftablesForwarder(NftablesForwarderOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.LocalEndPoint is not { Port: > 0 } local)
        {
            throw new ArgumentException("LocalEndPoint must be set, with a port.", nameof(options));
        }

        if (options.Target is not { Port: > 0 } target)
        {
            throw new ArgumentException("Target must be set, with a port.", nameof(options));
        }

        CheckFamily(local, target);
        _protocol = options.Protocol;
        _local = local;
        _target = target;
        _masquerade = options.Masquerade;
        _ingressInterface = options.IngressInterface;
        _excluded = Excludable(options.ExcludedPeers);
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("NatMap.Forwarding.NftablesForwarder");
        TableName = TableNameFor(_protocol, local.Port);
    }

    /// <summary>The name of this forwarder's table, in family <c>inet</c>.</summary>
    public string TableName { get; }

    /// <summary>The current target.</summary>
    public IPEndPoint Target
    {
        get
        {
            lock (_gate)
            {
                return _target;
            }
        }
    }

    string IForwarderMetricsSource.MetricsProtocol => _protocol == MappingProtocol.Tcp ? "tcp" : "udp";

    int IForwarderMetricsSource.MetricsLocalPort => _local.Port;

    string IForwarderMetricsSource.MetricsMethod => "nftables";

    /// <summary>The table name for a protocol and local port: <c>natmap_tcp_5555</c>, <c>natmap_udp_5555</c>.</summary>
    public static string TableNameFor(MappingProtocol protocol, int localPort) => NftablesRuleset.TableName(protocol, localPort);

    /// <summary>
    /// Checks that kernel forwarding can work here: libnftables loads, the kernel has nf_tables with
    /// NAT, and this process may change it. Installs a probe table and removes it in the same
    /// transaction, so nothing is left.
    /// </summary>
    /// <exception cref="NatMapException">It cannot: <see cref="NatMapErrorKind.NotSupported"/> (not Linux, no libnftables, no nf_tables) or <see cref="NatMapErrorKind.PermissionDenied"/> (no CAP_NET_ADMIN).</exception>
    public static void CheckAvailable()
    {
        if (!OperatingSystem.IsLinux())
        {
            ThrowHelper.Throw(NatMapErrorKind.NotSupported, "nftables forwarding needs Linux");
        }

        ThrowIfNoNetAdmin();
        string probe = NftablesRuleset.TablePrefix + "probe_" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        try
        {
            Nftables.Run($"table inet {probe} {{\n\tchain pre {{\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n\t}}\n}}\ndelete table inet {probe}\n");
        }
        catch (NatMapException ex) when (ex.Kind == NatMapErrorKind.PermissionDenied)
        {
            ThrowHelper.Throw(NatMapErrorKind.PermissionDenied, "nftables forwarding needs CAP_NET_ADMIN (run as root, or grant the capability): " + ex.Message, ex);
        }
        catch (NatMapException ex) when (ex.Kind == NatMapErrorKind.NetworkError)
        {
            ThrowHelper.Throw(NatMapErrorKind.NotSupported, "this kernel cannot do nftables NAT: " + ex.Message, ex);
        }
    }

    /// <summary>Removes every table of NatMap's (family <c>inet</c>, name starting <c>natmap_</c>) in one transaction.</summary>
    /// <returns>The names of the tables removed.</returns>
    /// <exception cref="NatMapException">nftables is unavailable or refused the change.</exception>
    public static IReadOnlyList<string> RemoveAll()
    {
        var tables = NftablesRuleset.NatMapTables(Nftables.List("list tables"));
        if (tables.Count > 0)
        {
            Nftables.Run(string.Concat(tables.Select(NftablesRuleset.Delete)));
        }

        return tables;
    }

    /// <summary>
    /// Installs the table (replacing one of the same name left behind) in one transaction, and logs a
    /// warning for each base chain of another table that would drop the forwarded packets.
    /// </summary>
    /// <exception cref="NatMapException">nftables is unavailable, this process lacks CAP_NET_ADMIN, or the change was refused; nothing is installed then.</exception>
    /// <exception cref="InvalidOperationException">Already started.</exception>
    public void Start()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stopped, this);
            if (_started)
            {
                throw new InvalidOperationException("The forwarder is already started.");
            }

            ThrowIfNoNetAdmin();
            if (NftablesRuleset.NatMapTables(Nftables.List("list tables")).Contains(TableName))
            {
                ForwardingLog.NftablesLeftoverReplaced(_logger, TableName);
            }

            PrepareLocalTarget(_target);
            try
            {
                Nftables.Run(Ruleset());
            }
            catch
            {
                RestoreLocalnet();
                throw;
            }

            _started = true;
            ForwarderMetricsRegistry.Register(this);
            ForwardingLog.NftablesStarted(_logger, _protocol == MappingProtocol.Tcp ? ProtocolType.Tcp : ProtocolType.Udp, _local, _target, TableName);
            ReportDroppingChains();
        }
    }

    /// <summary>Points the forward at a new target in one transaction; flows already forwarded keep their target.</summary>
    /// <exception cref="NatMapException">nftables refused the change; the former target stays in force.</exception>
    public void Retarget(IPEndPoint target)
    {
        ArgumentNullException.ThrowIfNull(target);
        CheckFamily(_local, target);
        lock (_gate)
        {
            ThrowIfNotRunning();
            if (target.Equals(_target))
            {
                return;
            }

            var before = ReadCounts();
            PrepareLocalTarget(target);
            Nftables.Run(Ruleset(target));
            _earlier = before;
            ForwardingLog.NftablesRetargeted(_logger, TableName, _target, target);
            _target = target;
        }
    }

    /// <summary>Replaces the excluded peers (the mapper's STUN and keep-alive servers) in one transaction.</summary>
    /// <exception cref="NatMapException">nftables refused the change.</exception>
    public void SetExcludedPeers(IEnumerable<IPEndPoint> peers)
    {
        ArgumentNullException.ThrowIfNull(peers);
        var excluded = Excludable(peers);
        lock (_gate)
        {
            if (excluded.SequenceEqual(_excluded))
            {
                return;
            }

            if (_started && !_stopped)
            {
                Nftables.Run(NftablesRuleset.SetPeers(TableName, excluded));
            }

            _excluded = excluded;
        }
    }

    /// <summary>Removes the table in one transaction and drops the conntrack entries of its flows, so they end instead of staying half translated. Safe to call twice.</summary>
    public void Stop()
    {
        lock (_gate)
        {
            if (_stopped)
            {
                return;
            }

            _stopped = true;
            if (!_started)
            {
                return;
            }

            var counts = ReadCounts();
            try
            {
                Nftables.Run(NftablesRuleset.Delete(TableName));
            }
            catch (NatMapException ex)
            {
                ForwardingLog.NftablesStopFailed(_logger, TableName, ex.Message);
            }

            _earlier = counts;
            _started = false;
            ForwarderMetricsRegistry.Unregister(this);
            RestoreLocalnet();
            ForgetFlows();
            ForwardingLog.NftablesStopped(_logger, TableName);
        }
    }

    /// <summary>Same as <see cref="Stop"/>.</summary>
    public void Dispose() => Stop();

    ForwarderCounts IForwarderMetricsSource.ReadMetricsCounts()
    {
        lock (_gate)
        {
            return _started ? ReadCounts() : _earlier;
        }
    }

    private ForwarderCounts ReadCounts()
    {
        try
        {
            var (flows, to, from) = NftablesRuleset.Counters(Nftables.List("list table inet " + TableName));
            return new ForwarderCounts(0, _earlier.Accepted + flows, 0, 0, _earlier.BytesToTarget + to, _earlier.BytesFromTarget + from);
        }
        catch (NatMapException)
        {
            return _earlier;
        }
    }

    private string Ruleset(IPEndPoint? target = null) =>
        NftablesRuleset.Replace(TableName, _protocol, _local, target ?? _target, _masquerade, _excluded);

    private void ThrowIfNotRunning()
    {
        ObjectDisposedException.ThrowIf(_stopped, this);
        if (!_started)
        {
            throw new InvalidOperationException("The forwarder is not started.");
        }
    }

    private void ReportDroppingChains()
    {
        bool local = IsLocal(_target.Address);
        string hook = local ? "input" : "forward";
        try
        {
            foreach (var (family, table, chain) in NftablesRuleset.DroppingChains(Nftables.List("list ruleset"), hook))
            {
                ForwardingLog.NftablesChainDrops(_logger, family, table, chain, hook, $"nft insert rule {family} {table} {chain} ct status dnat accept");
            }
        }
        catch (NatMapException ex)
        {
            ForwardingLog.NftablesRulesetUnreadable(_logger, ex.Message);
        }
    }

    /// <summary>An IPv4 loopback target is only reachable from outside with route_localnet on the ingress interface.</summary>
    private void PrepareLocalTarget(IPEndPoint target)
    {
        if (target.AddressFamily != AddressFamily.InterNetwork || !IPAddress.IsLoopback(target.Address) || _localnetPath is not null)
        {
            return;
        }

        string? device = _ingressInterface ?? InterfaceOf(_local.Address);
        if (device is null)
        {
            ThrowHelper.Throw(NatMapErrorKind.NotSupported, $"a loopback target needs route_localnet on the ingress interface, and no interface holds {_local.Address}: bind to an interface's address or set the ingress interface");
        }

        string path = $"/proc/sys/net/ipv4/conf/{device}/route_localnet";
        try
        {
            string before = File.ReadAllText(path).Trim();
            if (before != "1")
            {
                File.WriteAllText(path, "1");
                _restoreLocalnet = before;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            ThrowHelper.Throw(NatMapErrorKind.PermissionDenied, $"cannot set route_localnet on {device} for the loopback target: {ex.Message}", ex);
        }

        _localnetPath = path;
        ForwardingLog.NftablesRouteLocalnet(_logger, device);
    }

    private void RestoreLocalnet()
    {
        if (_localnetPath is { } path && _restoreLocalnet is { } before)
        {
            try
            {
                File.WriteAllText(path, before);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                ForwardingLog.NftablesStopFailed(_logger, path, ex.Message);
            }
        }

        (_localnetPath, _restoreLocalnet) = (null, null);
    }

    /// <summary>
    /// With the table gone, conntrack still holds the flows' translation while anything else in the
    /// netns uses conntrack: delete those entries, so each flow's next packet meets no forward and
    /// the flow ends, as a stopped relay ends its connections. Needs the conntrack tool; without it
    /// the entries expire on conntrack's own timeouts.
    /// </summary>
    private void ForgetFlows()
    {
        bool anyLocal = _local.Address.Equals(IPAddress.Any) || _local.Address.Equals(IPAddress.IPv6Any);
        var arguments = new List<string> { "-D", "-f", _local.AddressFamily == AddressFamily.InterNetworkV6 ? "ipv6" : "ipv4", "-p", _protocol == MappingProtocol.Tcp ? "tcp" : "udp" };
        if (!anyLocal)
        {
            arguments.AddRange(["--orig-dst", _local.Address.ToString()]);
        }

        arguments.AddRange(["--orig-port-dst", _local.Port.ToString(CultureInfo.InvariantCulture), "--dst-nat"]);
        try
        {
            var start = new ProcessStartInfo("conntrack", arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            using var process = Process.Start(start);
            if (process is not null && !process.WaitForExit(5000))
            {
                process.Kill();
            }
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            ForwardingLog.NftablesConntrackMissing(_logger, ex.Message);
        }
    }

    /// <summary>Checked before libnftables is called: without the capability it also prints its own complaint on stderr.</summary>
    private static void ThrowIfNoNetAdmin()
    {
        if (!HasNetAdmin())
        {
            ThrowHelper.Throw(NatMapErrorKind.PermissionDenied, "nftables forwarding needs CAP_NET_ADMIN: run as root, or grant the capability");
        }
    }

    /// <summary>Whether CAP_NET_ADMIN (capability 12) is in this process's effective set, from /proc/self/status.</summary>
    private static bool HasNetAdmin()
    {
        const int CapNetAdmin = 12;
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("CapEff:", StringComparison.Ordinal))
                {
                    return (ulong.Parse(line.AsSpan(7).Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture) & (1UL << CapNetAdmin)) != 0;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            // No /proc to ask: let nftables answer.
        }

        return true;
    }

    private static bool IsLocal(IPAddress address) =>
        IPAddress.IsLoopback(address) || NftablesRuleset.IsRedirect(address) || InterfaceOf(address) is not null;

    private static string? InterfaceOf(IPAddress address)
    {
        if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
        {
            return null;
        }

        foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            if (nic.GetIPProperties().UnicastAddresses.Any(u => u.Address.Equals(address)))
            {
                return nic.Name;
            }
        }

        return null;
    }

    /// <summary>The peers of the local endpoint's family, once each, in a stable order (so an unchanged set costs no transaction).</summary>
    private List<IPEndPoint> Excludable(IEnumerable<IPEndPoint> peers) =>
        [.. peers.Where(p => p is not null && p.AddressFamily == _local.AddressFamily).Distinct().OrderBy(p => p.ToString(), StringComparer.Ordinal)];

    private static void CheckFamily(IPEndPoint local, IPEndPoint target)
    {
        if (local.AddressFamily != target.AddressFamily)
        {
            throw new ArgumentException("The target's address family must be the local endpoint's.", nameof(target));
        }
    }
}
