using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using NatMap.Forwarding;
using NatMap.Tests.Infrastructure;

namespace NatMap.Tests.Forwarding;

/// <summary>
/// The UDP forwarder's receive buffer beyond net.core.rmem_max: with CAP_NET_ADMIN (root here) the
/// forwarder must get the whole size through SO_RCVBUFFORCE, where SO_RCVBUF alone is capped at
/// rmem_max. Needs that capability, hence the class name; loopback only.
/// </summary>
public sealed class UdpForwarderReceiveBufferServerTests
{
    /// <summary>CAP_NET_ADMIN, capabilities(7).</summary>
    private const int CapNetAdmin = 12;

    [Fact]
    public async Task ReceiveBufferSize_AboveRmemMaxWithCapNetAdmin_GrantedInFull()
    {
        if (!OperatingSystem.IsLinux() || !HasEffectiveCapability(CapNetAdmin))
        {
            Requirements.Unmet("needs Linux and CAP_NET_ADMIN (run as root) for SO_RCVBUFFORCE");
        }

        long rmemMax = long.Parse(File.ReadAllText("/proc/sys/net/core/rmem_max").Trim(), CultureInfo.InvariantCulture);
        if (rmemMax > 64 * 1024 * 1024)
        {
            Requirements.Unmet($"net.core.rmem_max is {rmemMax}: too large to ask for more than it in a test");
        }

        // Twice the cap: SO_RCVBUF alone would give rmem_max, not this.
        int requested = (int)(rmemMax * 2);
        var logs = new RecordingLoggerFactory();
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await using var forwarder = new UdpForwarder(new UdpForwarderOptions { TargetHost = "127.0.0.1", TargetPort = 9, ReceiveBufferSize = requested }, logs);
        forwarder.Start(socket);

        // Linux reports twice the size the socket was given.
        int effective = socket.ReceiveBufferSize / 2;
        Assert.True(effective >= requested, $"asked {requested} (rmem_max {rmemMax}), got {effective}");
        Assert.DoesNotContain(logs.Entries, e => e.Id.Id == 3028 && e.Level == LogLevel.Warning);
    }

    private static bool HasEffectiveCapability(int capability)
    {
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("CapEff:", StringComparison.Ordinal));
        return line is not null
            && ulong.TryParse(line["CapEff:".Length..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var mask)
            && (mask & (1UL << capability)) != 0;
    }
}
