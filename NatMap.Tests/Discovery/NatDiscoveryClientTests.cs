using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using NatMap.Discovery;
using NatMap.Stun;
using NatMap.Stun.Internal;
using NatMap.Tests.Fakes;
using NatMap.Tests.Infrastructure;

namespace NatMap.Tests.Discovery;

/// <summary>The driver over real loopback sockets against <see cref="LoopbackStunServer"/>: no NAT, so "open".</summary>
public sealed class NatDiscoveryClientTests
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(30);

    private static NatDiscoveryOptions Options(params IPEndPoint[] servers)
    {
        var options = new NatDiscoveryOptions { TestTcp = false, RequestTimeout = TimeSpan.FromMilliseconds(800) };
        foreach (var server in servers)
        {
            options.StunServers.Add(new StunServerEndPoint(server.Address.ToString(), server.Port));
        }

        return options;
    }

    [Fact]
    public async Task RunAsync_Rfc5780ServerWithoutNat_OpenAndEndpointIndependentFiltering()
    {
        await using var server = LoopbackStunServer.Rfc5780(LoopbackStunMode.Rfc5780);

        var report = await new NatDiscoveryClient(Options(server.EndPoint)).RunAsync(TestContext.Current.CancellationToken).WaitAsync(TestTimeout, TestContext.Current.CancellationToken);

        var udp = Assert.IsType<NatDiscoveryResult>(report.Udp);
        Assert.True(report.AnyServerAnswered);
        Assert.Equal(NatBehavior.Direct, udp.Mapping);
        Assert.Equal(NatBehavior.EndpointIndependent, udp.Filtering);
        Assert.Equal(NatType.Open, udp.NatType);
        Assert.Equal(udp.LocalEndPoint, udp.PublicEndPoint);
        Assert.Equal(IPAddress.Loopback, udp.LocalEndPoint.Address);
        Assert.Equal(server.Other, udp.OtherAddress);
        Assert.Null(report.Tcp);
        Assert.Null(report.Lifetime);
    }

    [Theory]
    [MemberData(nameof(StunResponses.ForgeableReasons), MemberType = typeof(StunResponses))]
    public async Task RunAsync_ServerSendsForgedCopyFirst_SameResultAsWithout(string reasonName)
    {
        var reason = StunResponses.Reason(reasonName);
        await using var server = LoopbackStunServer.Rfc5780(LoopbackStunMode.Rfc5780);
        server.ForgeFirst = reason;

        var report = await new NatDiscoveryClient(Options(server.EndPoint)).RunAsync(TestContext.Current.CancellationToken).WaitAsync(TestTimeout, TestContext.Current.CancellationToken);

        var udp = Assert.IsType<NatDiscoveryResult>(report.Udp);
        Assert.Equal(NatBehavior.Direct, udp.Mapping);
        Assert.Equal(NatBehavior.EndpointIndependent, udp.Filtering);
        Assert.Equal(NatType.Open, udp.NatType);
        Assert.Equal(udp.LocalEndPoint, udp.PublicEndPoint);
        Assert.Equal(server.Other, udp.OtherAddress);

        // Every answer drew a forgery ahead of it; the notes say so, by reason.
        var note = Assert.Single(udp.Notes);
        Assert.Matches(@"^\d+ messages discarded \(\d+ " + Regex.Escape(StunDiscardTally.Name(reason)) + @"\)$", note);
    }

    [Fact]
    public async Task RunAsync_LocalPortGiven_EveryRequestLeavesFromThatPort()
    {
        await using var server = LoopbackStunServer.Rfc5780(LoopbackStunMode.Rfc5780);
        int port = FreeUdpPort();
        var options = Options(server.EndPoint);
        options.Port = port;

        var report = await new NatDiscoveryClient(options).RunAsync(TestContext.Current.CancellationToken).WaitAsync(TestTimeout, TestContext.Current.CancellationToken);

        Assert.Equal(port, report.Udp!.LocalEndPoint.Port);
        Assert.NotEmpty(server.Received);
        Assert.All(server.Received, r => Assert.Equal(port, r.From.Port));
    }

    [Fact]
    public async Task RunAsync_ServerIgnoresChangeRequest_FilteringUnsupportedNotEndpointIndependent()
    {
        await using var server = LoopbackStunServer.Rfc5780(LoopbackStunMode.IgnoresChangeRequest);

        var report = await new NatDiscoveryClient(Options(server.EndPoint)).RunAsync(TestContext.Current.CancellationToken).WaitAsync(TestTimeout, TestContext.Current.CancellationToken);

        Assert.Equal(NatBehavior.UnsupportedServer, report.Udp!.Filtering);
        Assert.Equal(NatBehavior.Direct, report.Udp.Mapping);
    }

    [Fact]
    public async Task RunAsync_ServerAnswers420_FilteringUnsupported()
    {
        await using var server = LoopbackStunServer.Rfc5780(LoopbackStunMode.RejectsChangeRequest);

        var report = await new NatDiscoveryClient(Options(server.EndPoint)).RunAsync(TestContext.Current.CancellationToken).WaitAsync(TestTimeout, TestContext.Current.CancellationToken);

        Assert.Equal(NatBehavior.UnsupportedServer, report.Udp!.Filtering);
        Assert.Contains(report.Udp.Notes, n => n.Contains("420", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_FirstServerHasNoOtherAddress_SecondServerUsed()
    {
        await using var plain = LoopbackStunServer.Rfc5780(LoopbackStunMode.NoOtherAddress);
        await using var full = LoopbackStunServer.Rfc5780(LoopbackStunMode.Rfc5780);

        var report = await new NatDiscoveryClient(Options(plain.EndPoint, full.EndPoint)).RunAsync(TestContext.Current.CancellationToken).WaitAsync(TestTimeout, TestContext.Current.CancellationToken);

        Assert.Equal(full.EndPoint, report.Udp!.Server);
        Assert.Equal(NatBehavior.EndpointIndependent, report.Udp.Filtering);
        Assert.NotEmpty(plain.Received);
    }

    [Fact]
    public async Task RunAsync_OnlyServerHasNoOtherAddress_ReportsUnsupportedServer()
    {
        await using var plain = LoopbackStunServer.Rfc5780(LoopbackStunMode.NoOtherAddress);

        var report = await new NatDiscoveryClient(Options(plain.EndPoint)).RunAsync(TestContext.Current.CancellationToken).WaitAsync(TestTimeout, TestContext.Current.CancellationToken);

        Assert.True(report.AnyServerAnswered);
        Assert.Equal(NatBehavior.UnsupportedServer, report.Udp!.Filtering);
        Assert.Null(report.Udp.OtherAddress);
    }

    [Fact]
    public async Task RunAsync_SilentServer_NoServerAnswered()
    {
        await using var silent = LoopbackStunServer.Rfc5780(LoopbackStunMode.Silent);
        var options = Options(silent.EndPoint);
        options.RequestTimeout = TimeSpan.FromMilliseconds(600);

        var report = await new NatDiscoveryClient(options).RunAsync(TestContext.Current.CancellationToken).WaitAsync(TestTimeout, TestContext.Current.CancellationToken);

        Assert.False(report.AnyServerAnswered);
        Assert.Null(report.Udp!.PublicEndPoint);
        Assert.True(silent.Received.Count >= 2, "the request should have been retransmitted");
    }

    [Fact]
    public async Task RunAsync_Hairpinning_LoopbackDeliversProbe()
    {
        await using var server = LoopbackStunServer.Rfc5780(LoopbackStunMode.Rfc5780);
        var options = Options(server.EndPoint);
        options.TestHairpinning = true;

        var report = await new NatDiscoveryClient(options).RunAsync(TestContext.Current.CancellationToken).WaitAsync(TestTimeout, TestContext.Current.CancellationToken);

        Assert.True(report.Udp!.Hairpinning);
    }

    [Fact]
    public async Task RunAsync_Lifetime_ServerHonoursResponsePort_SurvivesEveryProbe()
    {
        await using var server = LoopbackStunServer.Rfc5780(LoopbackStunMode.Rfc5780);
        var options = Options(server.EndPoint);
        options.EstimateLifetime = true;
        options.MaxLifetimeProbe = TimeSpan.FromSeconds(2);

        var report = await new NatDiscoveryClient(options).RunAsync(TestContext.Current.CancellationToken).WaitAsync(TestTimeout, TestContext.Current.CancellationToken);

        var lifetime = Assert.IsType<BindingLifetimeEstimate>(report.Lifetime);
        Assert.True(lifetime.Measured, lifetime.Reason);
        Assert.Equal(TimeSpan.FromSeconds(2), lifetime.Survived);
        Assert.Null(lifetime.Expired);
        Assert.Equal(TimeSpan.FromSeconds(1), lifetime.RecommendedKeepAlive);
    }

    [Fact]
    public async Task RunAsync_Lifetime_ServerIgnoresResponsePort_NotMeasured()
    {
        await using var server = LoopbackStunServer.Rfc5780(LoopbackStunMode.IgnoresResponsePort);
        var options = Options(server.EndPoint);
        options.EstimateLifetime = true;
        options.MaxLifetimeProbe = TimeSpan.FromSeconds(2);

        var report = await new NatDiscoveryClient(options).RunAsync(TestContext.Current.CancellationToken).WaitAsync(TestTimeout, TestContext.Current.CancellationToken);

        var lifetime = Assert.IsType<BindingLifetimeEstimate>(report.Lifetime);
        Assert.False(lifetime.Measured);
        Assert.Null(lifetime.RecommendedKeepAlive);
        Assert.Contains("RESPONSE-PORT", lifetime.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_NoServer_InvalidOptions()
    {
        var ex = Assert.Throws<ArgumentException>(() => new NatDiscoveryClient(new NatDiscoveryOptions()));
        Assert.Equal(nameof(NatDiscoveryOptions.StunServers), ex.ParamName);
    }

    [Fact]
    public void Constructor_NeitherUdpNorTcp_InvalidOptions()
    {
        var options = Options(IPEndPoint.Parse("127.0.0.1:3478"));
        options.TestUdp = false;

        var ex = Assert.Throws<ArgumentException>(() => new NatDiscoveryClient(options));
        Assert.Equal(nameof(NatDiscoveryOptions.TestUdp), ex.ParamName);
    }

    [Fact]
    public void Create_ServerOfOtherFamilyOnly_RefusedBeforeResolving()
    {
        var options = Options(IPEndPoint.Parse("[::1]:3478"));
        options.AddressFamily = AddressFamily.InterNetwork;

        var ex = Assert.Throws<ArgumentException>(() => new NatDiscoveryClient(options));
        Assert.Equal(nameof(NatDiscoveryOptions.StunServers), ex.ParamName);
        Assert.Contains("over IPv4", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_BindAddressOfOtherFamily_Refused()
    {
        var options = Options(IPEndPoint.Parse("127.0.0.1:3478"));
        (options.AddressFamily, options.BindAddress) = (AddressFamily.InterNetwork, IPAddress.IPv6Loopback);

        var ex = Assert.Throws<ArgumentException>(() => new NatDiscoveryClient(options));
        Assert.Equal(nameof(NatDiscoveryOptions.BindAddress), ex.ParamName);
    }

    [Fact]
    public async Task RunAsync_Logs_DiscoveryEventIdsInRange()
    {
        await using var server = LoopbackStunServer.Rfc5780(LoopbackStunMode.Rfc5780);
        var logs = new RecordingLoggerFactory();

        await new NatDiscoveryClient(Options(server.EndPoint), logs).RunAsync(TestContext.Current.CancellationToken).WaitAsync(TestTimeout, TestContext.Current.CancellationToken);

        var ids = logs.Entries.Select(e => e.Id.Id).ToList();
        Assert.Contains(5000, ids);
        Assert.Contains(5001, ids);
        Assert.Contains(5002, ids);
        Assert.Contains(5003, ids);
        // The check's own events, and those of the one STUN transaction runner it shares with the
        // client (1002 request sent, 1003 message discarded), which keep their ids.
        Assert.All(ids, id => Assert.True(id is (>= 5000 and <= 5999) or 1002 or 1003, "unexpected event id " + id));
        Assert.Contains(1002, ids);
        Assert.Equal(LogLevel.Information, logs.Entries.First(e => e.Id.Id == 5003).Level);
    }


    internal static int FreeUdpPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        probe.Bind(new IPEndPoint(IPAddress.Any, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }
}
