using System.Net;
using System.Net.Sockets;
using NatMap.Mapping;
using NatMap.Stun;
using NatMap.Tests.Fakes;
using NatMap.Tests.Infrastructure;
using NatMap.Tests.Mapping.Fakes;

namespace NatMap.Tests.Mapping;

public sealed class UdpPortMapperTests
{
    private static readonly TimeSpan Timeout = MapperHarness.Timeout;

    private static PortMapperOptions Options(LoopbackStunServer stun, IPAddress? bindAddress, PortSpec port) => new()
    {
        Protocol = MappingProtocol.Udp,
        BindAddress = bindAddress,
        Port = port,
        StunServers = { StunServerEndPoint.Parse(stun.Text) },
        KeepAliveInterval = TimeSpan.FromMilliseconds(50),
        RetryDelay = TimeSpan.FromMilliseconds(20),
        MaxRetryDelay = TimeSpan.FromMilliseconds(100),
    };

    [Fact]
    public async Task WatchAsync_FirstCheck_ReportsMappingWithBoundEndPoint()
    {
        await using var stun = LoopbackStunServer.Nat(MapperHarness.Nat(500));
        await using var mapper = MapperHarness.Create(Options(stun, IPAddress.Loopback, PortSpec.Any));
        await using var events = mapper.WatchAsync(TestContext.Current.CancellationToken).GetAsyncEnumerator(TestContext.Current.CancellationToken);

        var first = await MapperHarness.NextAsync(events);

        var source = await stun.Requests.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.Equal(MappingProtocol.Udp, first.Protocol);
        Assert.Equal(source, first.PrivateEndPoint);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("203.0.113.7"), source.Port + 500), first.PublicEndPoint);
    }

    [Theory]
    [MemberData(nameof(StunResponses.ForgeableReasons), MemberType = typeof(StunResponses))]
    public async Task WatchAsync_ServerSendsForgedCopyFirst_ReportsTheTrueMapping(string reasonName)
    {
        var reason = StunResponses.Reason(reasonName);
        await using var stun = LoopbackStunServer.Nat(MapperHarness.Nat(500));
        stun.ForgeFirst = reason;
        await using var mapper = MapperHarness.Create(Options(stun, IPAddress.Loopback, PortSpec.Any));
        await using var events = mapper.WatchAsync(TestContext.Current.CancellationToken).GetAsyncEnumerator(TestContext.Current.CancellationToken);

        var first = await MapperHarness.NextAsync(events);

        var source = await stun.Requests.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.Equal(source, first.PrivateEndPoint);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("203.0.113.7"), source.Port + 500), first.PublicEndPoint);

        // The checks go on past the forgeries without a change being reported.
        for (int i = 0; i < 3; i++)
        {
            await stun.Requests.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);
        }

        Assert.Same(first, mapper.Current);
    }

    [Fact]
    public async Task WatchAsync_SteadyState_NothingAboveDebugAfterTheReport()
    {
        await using var stun = LoopbackStunServer.Nat(MapperHarness.Nat(500));
        var logs = new RecordingLoggerFactory();
        await using var mapper = MapperHarness.Create(Options(stun, IPAddress.Loopback, PortSpec.Any), logs);
        await using var events = mapper.WatchAsync(TestContext.Current.CancellationToken).GetAsyncEnumerator(TestContext.Current.CancellationToken);

        await MapperHarness.NextAsync(events);

        // The first request set the mapping up; checks then run one after another, so the 12th
        // request means the 10th check has been judged and logged (reading only 10 raced the last
        // answers under load).
        for (int i = 0; i < 12; i++)
        {
            await stun.Requests.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);
        }

        // Ten unchanged checks, each answered: the report is the only line at the default level.
        var loud = logs.Entries.Where(e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Information).ToList();
        Assert.Equal([2000], loud.Select(e => e.Id.Id));
        Assert.True(logs.Entries.Count(e => e.Id.Id == 2010) >= 10);
    }

    [Fact]
    public async Task WatchAsync_BoundToWildcard_ReportsTheSourceAddressTowardsTheServer()
    {
        int port = MapperHarness.FreeRange(1);
        await using var stun = LoopbackStunServer.Nat(MapperHarness.Nat(500));
        await using var mapper = MapperHarness.Create(Options(stun, null, PortSpec.Fixed(port)));
        await using var events = mapper.WatchAsync(TestContext.Current.CancellationToken).GetAsyncEnumerator(TestContext.Current.CancellationToken);

        var first = await MapperHarness.NextAsync(events);

        Assert.Equal(new IPEndPoint(IPAddress.Loopback, port), first.PrivateEndPoint);
    }

    [Fact]
    public async Task WatchAsync_PublicEndPointChanges_ReportsOnceAndNotWhileUnchanged()
    {
        await using var stun = LoopbackStunServer.Nat(MapperHarness.Nat(500));
        await using var mapper = MapperHarness.Create(Options(stun, IPAddress.Loopback, PortSpec.Any));
        await using var events = mapper.WatchAsync(TestContext.Current.CancellationToken).GetAsyncEnumerator(TestContext.Current.CancellationToken);
        var first = await MapperHarness.NextAsync(events);

        for (int i = 0; i < 4; i++)
        {
            await stun.Requests.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);
        }

        Assert.Same(first, mapper.Current);

        stun.Map = MapperHarness.Nat(700, "198.51.100.9");
        var second = await MapperHarness.NextAsync(events);

        Assert.Equal(new IPEndPoint(IPAddress.Parse("198.51.100.9"), first.PrivateEndPoint.Port + 700), second.PublicEndPoint);
        Assert.Equal(first.PrivateEndPoint, second.PrivateEndPoint);
        Assert.Equal(first.PublicEndPoint, second.PreviousPublicEndPoint);
    }

    [Fact]
    public async Task WatchAsync_StunServerSilent_KeepsTheSocketAndReportsWhenItAnswers()
    {
        await using var stun = LoopbackStunServer.Nat(MapperHarness.Nat(500), answering: false);
        await using var mapper = MapperHarness.Create(Options(stun, IPAddress.Loopback, PortSpec.Any));
        await using var events = mapper.WatchAsync(TestContext.Current.CancellationToken).GetAsyncEnumerator(TestContext.Current.CancellationToken);
        var next = events.MoveNextAsync().AsTask();

        var firstTry = await stun.Dropped.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);
        var secondTry = await stun.Dropped.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);
        stun.Answering = true;

        Assert.True(await next.WaitAsync(Timeout, TestContext.Current.CancellationToken));
        Assert.Equal(firstTry, secondTry);
        Assert.Equal(firstTry, events.Current.PrivateEndPoint);
    }

    [Fact]
    public async Task WatchAsync_Cancelled_EndsStreamWithoutError()
    {
        await using var stun = LoopbackStunServer.Nat(MapperHarness.Nat(500));
        await using var mapper = MapperHarness.Create(Options(stun, IPAddress.Loopback, PortSpec.Any));
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        int count = 0;

        await foreach (var change in mapper.WatchAsync(cts.Token).WithCancellation(TestContext.Current.CancellationToken))
        {
            count++;
            await cts.CancelAsync();
        }

        Assert.Equal(1, count);
    }

    [Fact]
    public async Task WatchAsync_FirstPortsOfRangeTaken_BindsTheNextFree()
    {
        int first = MapperHarness.FreeRange(3);
        using var holder1 = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        holder1.Bind(new IPEndPoint(IPAddress.Loopback, first));
        using var holder2 = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        holder2.Bind(new IPEndPoint(IPAddress.Loopback, first + 1));
        await using var stun = LoopbackStunServer.Nat(MapperHarness.Nat(500));
        await using var mapper = MapperHarness.Create(Options(stun, IPAddress.Loopback, PortSpec.Range(first, first + 2, random: false)));
        await using var events = mapper.WatchAsync(TestContext.Current.CancellationToken).GetAsyncEnumerator(TestContext.Current.CancellationToken);

        var mapping = await MapperHarness.NextAsync(events);

        Assert.Equal(new IPEndPoint(IPAddress.Loopback, first + 2), mapping.PrivateEndPoint);
    }
}
