using System.Net;
using NatMap.Forwarding;
using NatMap.Tests.Infrastructure;
using static NatMap.Tests.Forwarding.ForwardingTestKit;

namespace NatMap.Tests.Forwarding;

/// <summary>
/// TCP keepalive on both sockets of a relayed connection (issue 13, section 4): the kernel's own
/// view, through <c>ss -o</c>, shows the keepalive timer on the forwarder's socket towards the
/// client and on its socket towards the target, in either engine, and on neither when it is off.
/// </summary>
public sealed class TcpForwarderKeepAliveTests
{
    public static TheoryData<TcpRelayEngine, bool> Cases => new()
    {
        { TcpRelayEngine.Splice, true },
        { TcpRelayEngine.Managed, true },
        { TcpRelayEngine.Managed, false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Relay_KeepAliveOnOrOff_KernelTimerOnBothRelayedSockets(TcpRelayEngine engine, bool on)
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "ss and the splice engine are Linux only");
        Requirements.Command("ss");
        using var server = Listen();
        var target = (IPEndPoint)server.LocalEndPoint!;
        await using var forwarder = new TcpForwarder(new TcpForwarderOptions
        {
            ListenEndPoint = AnyLoopback,
            TargetHost = target.Address.ToString(),
            TargetPort = target.Port,
            Engine = engine,
            KeepAliveTime = on ? TimeSpan.FromSeconds(600) : Timeout.InfiniteTimeSpan,
            KeepAliveInterval = TimeSpan.FromSeconds(5),
            KeepAliveProbeCount = 2,
        });
        forwarder.Start();
        using var client = await ConnectAsync(forwarder.LocalEndPoint);
        using var accepted = await server.AcceptAsync(Ct).AsTask().WaitAsync(TestTimeout, Ct);

        string clientSide = await SocketsAsync($"sport = :{forwarder.LocalEndPoint.Port}");
        string targetSide = await SocketsAsync($"dport = :{target.Port} and sport != :{forwarder.LocalEndPoint.Port}");
        string testClient = await SocketsAsync($"dport = :{forwarder.LocalEndPoint.Port}");

        Assert.Equal(on, clientSide.Contains("timer:(keepalive", StringComparison.Ordinal));
        Assert.Equal(on, targetSide.Contains("timer:(keepalive", StringComparison.Ordinal));
        Assert.DoesNotContain("timer:(keepalive", testClient, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 10, 3)]
    [InlineData(60, 0, 3)]
    [InlineData(60, 10, 0)]
    [InlineData(40000, 10, 3)]
    public void Create_KeepAliveOutOfRange_InvalidOptions(int timeSeconds, int intervalSeconds, int probes)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new TcpForwarder(new TcpForwarderOptions
        {
            TargetHost = "127.0.0.1",
            TargetPort = 1,
            KeepAliveTime = TimeSpan.FromSeconds(timeSeconds),
            KeepAliveInterval = TimeSpan.FromSeconds(intervalSeconds),
            KeepAliveProbeCount = probes,
        }));

        Assert.Equal(nameof(TcpForwarderOptions.KeepAliveTime), error.ParamName);
    }

    /// <summary>The established loopback sockets matching an ss filter, with their timers.</summary>
    private static async Task<string> SocketsAsync(string filter)
    {
        await using var ss = CapturedProcess.Start("ss", ["-tnoH", "state", "established", filter]);
        await ss.WriteInputAsync("");
        Assert.Equal(0, await ss.WaitForExitAsync(TestTimeout));
        string text = string.Join('\n', ss.DrainOutput());
        Assert.False(string.IsNullOrWhiteSpace(text), "ss shows no socket for " + filter);
        return text;
    }
}
