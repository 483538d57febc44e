using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using NatMap.Gateway;
using NatMap.Gateway.Internal;

namespace NatMap.Tests.Gateway;

public sealed class InnerLayerMapperTests
{
    private static readonly IPAddress Router = IPAddress.Parse("198.51.100.1");

    [Fact]
    public async Task Open_RouterOffersAnotherPort_ReleasesItAndRefuses()
    {
        var nat = new FakeClient(GatewayProtocol.NatPmp) { Offer = port => port + 1 };
        await using var mapper = Create(GatewayProtocol.NatPmp, nat);

        var outcome = await mapper.OpenAsync(5555, TestContext.Current.CancellationToken);

        Assert.Equal(InnerLayerOutcome.Refused, outcome);
        Assert.Equal([5555], nat.Deleted);
        Assert.Null(mapper.Current);
    }

    [Fact]
    public async Task Open_Auto_SkipsSilentPcpAndKeepsNatPmp_DeletesOnClose()
    {
        var pcp = new FakeClient(GatewayProtocol.Pcp) { Silent = true };
        var nat = new FakeClient(GatewayProtocol.NatPmp);
        await using var mapper = Create(GatewayProtocol.Auto, pcp, nat);

        var outcome = await mapper.OpenAsync(5555, TestContext.Current.CancellationToken);
        var current = mapper.Current;
        await mapper.CloseAsync();

        Assert.Equal(InnerLayerOutcome.Opened, outcome);
        Assert.Equal(GatewayProtocol.NatPmp, current?.Protocol);
        Assert.Equal(5555, current?.ExternalPort);
        Assert.Equal([5555], nat.Deleted);
        Assert.Empty(pcp.Deleted);
    }

    [Fact]
    public async Task Open_NothingAnswers_Unavailable()
    {
        await using var mapper = Create(GatewayProtocol.Auto, new FakeClient(GatewayProtocol.Pcp) { Silent = true }, new FakeClient(GatewayProtocol.NatPmp) { Silent = true }, new FakeClient(GatewayProtocol.Upnp) { Silent = true });

        Assert.Equal(InnerLayerOutcome.Unavailable, await mapper.OpenAsync(5555, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Open_Conflict_RefusedAndNextPortOpened()
    {
        var upnp = new FakeClient(GatewayProtocol.Upnp) { Taken = [5555] };
        await using var mapper = Create(GatewayProtocol.Upnp, upnp);

        var first = await mapper.OpenAsync(5555, TestContext.Current.CancellationToken);
        var second = await mapper.OpenAsync(5556, TestContext.Current.CancellationToken);

        Assert.Equal((InnerLayerOutcome.Refused, InnerLayerOutcome.Opened), (first, second));
        Assert.Equal(5556, mapper.Current?.InternalPort);
    }

    [Fact]
    public async Task Report_AfterOpen_MappingChangedCarriesTheRoutersGrant()
    {
        var pcp = new FakeClient(GatewayProtocol.Pcp);
        var mapper = Create(GatewayProtocol.Pcp, pcp);
        await mapper.OpenAsync(5555, TestContext.Current.CancellationToken);
        await using var runner = new NatMap.Mapping.Internal.PortMapperRunner(new IdleLoop(), MappingProtocol.Udp, NullLogger.Instance, mapper);

        await ((NatMap.Mapping.Internal.IMappingSink)runner).ReportAsync(IPEndPoint.Parse("203.0.113.1:45555"), IPEndPoint.Parse("198.51.100.10:5555"), TestContext.Current.CancellationToken);
        var gateway = runner.Current?.Gateway;
        await runner.DisposeAsync();

        Assert.Equal((GatewayProtocol.Pcp, 5555, IPAddress.Parse("203.0.113.1")), (gateway?.Protocol, gateway?.ExternalPort, gateway?.ExternalAddress));
        Assert.Equal([5555], pcp.Deleted);
    }

    [Theory]
    [InlineData("10.0.0.2", "203.0.113.1", 2)]
    [InlineData("100.64.1.1", "198.18.0.1", 2)]
    [InlineData("203.0.113.1", "203.0.113.1", null)]
    [InlineData("8.8.8.8", "203.0.113.1", null)]
    public void NatLayers_PrivateRouterAddressNotStuns_Two(string external, string stun, int? layers)
    {
        var report = new GatewayProbeReport(Router, [new GatewayProbeAnswer(GatewayProtocol.Upnp, true, IPAddress.Parse(external), null)]);

        Assert.Equal(layers, report.NatLayers(IPAddress.Parse(stun)));
    }

    private static InnerLayerMapper Create(GatewayProtocol protocol, params FakeClient[] clients) =>
        new(new GatewaySettings(protocol, Router, TimeSpan.FromHours(1), null, null), MappingProtocol.Udp, TimeSpan.FromHours(1), NullLogger.Instance, (p, _, _) => Task.FromResult<IGatewayPortClient>(clients.Single(c => c.Protocol == p)));

    private sealed class IdleLoop : NatMap.Mapping.Internal.IMappingLoop
    {
        public Task RunAsync(NatMap.Mapping.Internal.IMappingSink sink, CancellationToken cancellationToken) => Task.Delay(Timeout.Infinite, cancellationToken);
    }

    private sealed class FakeClient(GatewayProtocol protocol) : IGatewayPortClient
    {
        public GatewayProtocol Protocol { get; } = protocol;

        public IPAddress Gateway => Router;

        public bool Silent { get; init; }

        public Func<int, int> Offer { get; init; } = port => port;

        public HashSet<int> Taken { get; init; } = [];

        public List<int> Deleted { get; } = [];

        public Task<GatewayMapping> MapAsync(MappingProtocol transport, int port, TimeSpan lifetime, CancellationToken cancellationToken)
        {
            if (Silent)
            {
                throw Error(NatMapErrorKind.GatewayUnavailable);
            }

            return Taken.Contains(port)
                ? throw Error(NatMapErrorKind.GatewayRefused)
                : Task.FromResult(new GatewayMapping(Protocol, Router, transport, port, Offer(port), lifetime, IPAddress.Parse("203.0.113.1")));
        }

        public Task<bool?> ExistsAsync(MappingProtocol transport, int port, CancellationToken cancellationToken) => Task.FromResult<bool?>(true);

        public Task DeleteAsync(MappingProtocol transport, int port, CancellationToken cancellationToken)
        {
            Deleted.Add(port);
            return Task.CompletedTask;
        }

        private static NatMapException Error(NatMapErrorKind kind) => NatMap.Internal.ThrowHelper.Create(kind, "fake " + kind);
    }
}
