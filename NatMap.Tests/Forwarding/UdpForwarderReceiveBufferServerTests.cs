using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using NatMap.Forwarding;
using NatMap.Tests.Infrastructure;

namespace NatMap.Tests.Forwarding;

/// <summary>
/// The UDP forwarder's receive buffer beyond net.core.rmem_max, over loopback. With CAP_NET_ADMIN
/// (root here) the forwarder must get the whole size through SO_RCVBUFFORCE, where SO_RCVBUF alone
/// is capped at rmem_max; without it, it must fall back to SO_RCVBUF and log warning 3028. The
/// capability is dropped for one thread only (capabilities are per thread on Linux), so nothing
/// else in the test run is affected. Needs root, hence the class name.
/// </summary>
public sealed partial class UdpForwarderReceiveBufferServerTests
{
    /// <summary>CAP_NET_ADMIN, capabilities(7).</summary>
    private const int CapNetAdmin = 12;

    /// <summary>_LINUX_CAPABILITY_VERSION_3: two 32-bit words per set.</summary>
    private const uint CapabilityVersion3 = 0x20080522;

    [Fact]
    public async Task ReceiveBufferSize_AboveRmemMaxWithCapNetAdmin_GrantedInFull()
    {
        long rmemMax = RequireRmemMaxAndCapability();

        // Twice the cap: SO_RCVBUF alone would give rmem_max, not this.
        int requested = (int)(rmemMax * 2);
        var logs = new RecordingLoggerFactory();
        var socket = LoopbackSocket();
        await using var forwarder = new UdpForwarder(new UdpForwarderOptions { TargetHost = "127.0.0.1", TargetPort = 9, ReceiveBufferSize = requested }, logs);
        forwarder.Start(socket);

        // Linux reports twice the size the socket was given.
        int effective = socket.ReceiveBufferSize / 2;
        Assert.True(effective >= requested, $"asked {requested} (rmem_max {rmemMax}), got {effective}");
        Assert.DoesNotContain(logs.Entries, e => e.Id.Id == 3028);
    }

    [Fact]
    public async Task ReceiveBufferSize_AboveRmemMaxWithoutCapNetAdmin_CappedAndWarned()
    {
        long rmemMax = RequireRmemMaxAndCapability();
        int requested = (int)(rmemMax * 2);
        var logs = new RecordingLoggerFactory();
        var socket = LoopbackSocket();
        await using var forwarder = new UdpForwarder(new UdpForwarderOptions { TargetHost = "127.0.0.1", TargetPort = 9, ReceiveBufferSize = requested }, logs);

        // Start sets the buffer on the calling thread: a thread whose effective set lacks CAP_NET_ADMIN.
        Exception? failure = null;
        bool dropped = false;
        var thread = new Thread(() =>
        {
            try
            {
                dropped = SetEffective(CapNetAdmin, false) && !HasEffective(CapNetAdmin);
                forwarder.Start(socket);
                SetEffective(CapNetAdmin, true);
            }
            catch (Exception ex)
            {
                failure = ex;
            }
        });
        thread.Start();
        Assert.True(thread.Join(TimeSpan.FromSeconds(30)), "the thread that starts the forwarder did not finish");
        Assert.Null(failure);
        Assert.True(dropped, "could not drop CAP_NET_ADMIN from the thread's effective set");

        int effective = socket.ReceiveBufferSize / 2;
        Assert.Equal(rmemMax, effective);
        var warning = Assert.Single(logs.Entries, e => e.Id.Id == 3028);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains(Text(effective), warning.Message, StringComparison.Ordinal);
        Assert.Contains(Text(requested), warning.Message, StringComparison.Ordinal);
    }

    private static Socket LoopbackSocket()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return socket;
    }

    /// <summary>Skips (fails under CI) without Linux and CAP_NET_ADMIN; returns net.core.rmem_max.</summary>
    private static long RequireRmemMaxAndCapability()
    {
        if (!OperatingSystem.IsLinux() || !HasEffective(CapNetAdmin))
        {
            Requirements.Unmet("needs Linux and CAP_NET_ADMIN (run as root) for SO_RCVBUFFORCE");
        }

        long rmemMax = long.Parse(File.ReadAllText("/proc/sys/net/core/rmem_max").Trim(), CultureInfo.InvariantCulture);
        if (rmemMax > 64 * 1024 * 1024)
        {
            Requirements.Unmet($"net.core.rmem_max is {Text(rmemMax)}: too large to ask for more than it in a test");
        }

        return rmemMax;
    }

    private static unsafe bool HasEffective(int capability)
    {
        var header = new CapHeader { Version = CapabilityVersion3, Pid = 0 };
        var data = stackalloc CapData[2];
        return CapGet(&header, data) == 0 && (data[capability / 32].Effective & (1u << (capability % 32))) != 0;
    }

    /// <summary>Adds or removes <paramref name="capability"/> from the calling thread's effective set (it stays permitted).</summary>
    private static unsafe bool SetEffective(int capability, bool on)
    {
        var header = new CapHeader { Version = CapabilityVersion3, Pid = 0 };
        var data = stackalloc CapData[2];
        if (CapGet(&header, data) != 0)
        {
            return false;
        }

        uint bit = 1u << (capability % 32);
        data[capability / 32].Effective = on ? data[capability / 32].Effective | bit : data[capability / 32].Effective & ~bit;
        return CapSet(&header, data) == 0;
    }

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);

    [LibraryImport("libc", EntryPoint = "capget")]
    private static unsafe partial int CapGet(CapHeader* header, CapData* data);

    [LibraryImport("libc", EntryPoint = "capset")]
    private static unsafe partial int CapSet(CapHeader* header, CapData* data);

    [StructLayout(LayoutKind.Sequential)]
    private struct CapHeader
    {
        public uint Version;
        public int Pid;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct CapData
    {
        public uint Effective;
        public uint Permitted;
        public uint Inheritable;
    }
}
