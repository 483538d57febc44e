using System.Net;
using NatMap.Discovery;

namespace NatMap.Tests.Discovery;

public sealed class NatBehaviorDiscoveryTests
{
    private static readonly IPEndPoint Server = IPEndPoint.Parse("203.0.113.2:3478");
    private static readonly IPEndPoint Other = IPEndPoint.Parse("203.0.113.3:3479");
    private static readonly IPEndPoint Local = IPEndPoint.Parse("192.0.2.2:5555");
    private static readonly IPEndPoint Public = IPEndPoint.Parse("203.0.113.1:45555");

    [Theory]
    [InlineData(NatBehavior.EndpointIndependent, NatBehavior.EndpointIndependent, NatType.FullCone)]
    [InlineData(NatBehavior.EndpointIndependent, NatBehavior.AddressDependent, NatType.RestrictedCone)]
    [InlineData(NatBehavior.EndpointIndependent, NatBehavior.AddressAndPortDependent, NatType.PortRestrictedCone)]
    [InlineData(NatBehavior.AddressDependent, NatBehavior.AddressAndPortDependent, NatType.Symmetric)]
    [InlineData(NatBehavior.AddressAndPortDependent, NatBehavior.AddressAndPortDependent, NatType.Symmetric)]
    [InlineData(NatBehavior.AddressAndPortDependent, NatBehavior.EndpointIndependent, NatType.Symmetric)]
    [InlineData(NatBehavior.AddressDependent, NatBehavior.AddressDependent, NatType.Symmetric)]
    [InlineData(NatBehavior.Direct, NatBehavior.EndpointIndependent, NatType.Open)]
    [InlineData(NatBehavior.Direct, NatBehavior.AddressAndPortDependent, NatType.Open)]
    public void Advance_SimulatedNat_FindsItsBehaviour(NatBehavior mapping, NatBehavior filtering, NatType expected)
    {
        var nat = new SimulatedNat(mapping, filtering);
        var discovery = new NatBehaviorDiscovery(MappingProtocol.Udp, Server, Local);

        var steps = nat.Run(discovery);

        var result = discovery.Result;
        Assert.Equal(mapping, result.Mapping);
        Assert.Equal(filtering, result.Filtering);
        Assert.Equal(expected, result.NatType);
        Assert.Equal(nat.PublicFor(Server), result.PublicEndPoint);
        Assert.Equal(Other, result.OtherAddress);
        Assert.Null(result.Hairpinning);
        Assert.Equal(DiscoveryStep.Binding, steps[0]);
        Assert.All(nat.SentFrom, socket => Assert.Equal(DiscoverySocket.Primary, socket));
    }

    [Fact]
    public void Advance_FilteringBeforeMapping_PinholesFromMappingTestsCannotBiasFiltering()
    {
        var nat = new SimulatedNat(NatBehavior.AddressAndPortDependent, NatBehavior.AddressAndPortDependent);
        var discovery = new NatBehaviorDiscovery(MappingProtocol.Udp, Server, Local);

        var steps = nat.Run(discovery);

        Assert.Equal(
            [DiscoveryStep.Binding, DiscoveryStep.FilteringChangeAddressAndPort, DiscoveryStep.FilteringChangePort,
             DiscoveryStep.MappingAlternateAddress, DiscoveryStep.MappingAlternateAddressAndPort],
            steps);
        Assert.Equal(NatBehavior.AddressAndPortDependent, discovery.Result.Filtering);
    }

    [Fact]
    public void Current_FilteringTests_SendToPrimaryWithChangeFlagsAndExpectChangedSource()
    {
        var discovery = new NatBehaviorDiscovery(MappingProtocol.Udp, Server, Local);
        discovery.Advance(DiscoveryResponse.Success(Public, Other));

        var second = discovery.Current;
        Assert.Equal(DiscoveryStep.FilteringChangeAddressAndPort, second.Step);
        Assert.Equal(Server, second.Destination);
        Assert.Equal(DiscoveryChangeFlags.ChangeAddress | DiscoveryChangeFlags.ChangePort, second.ChangeFlags);
        Assert.Equal(Other, second.ExpectedSource);

        discovery.Advance(DiscoveryResponse.Timeout);
        var third = discovery.Current;
        Assert.Equal(DiscoveryStep.FilteringChangePort, third.Step);
        Assert.Equal(Server, third.Destination);
        Assert.Equal(DiscoveryChangeFlags.ChangePort, third.ChangeFlags);
        Assert.Equal(IPEndPoint.Parse("203.0.113.2:3479"), third.ExpectedSource);

        discovery.Advance(DiscoveryResponse.Timeout);
        var fourth = discovery.Current;
        Assert.Equal(DiscoveryStep.MappingAlternateAddress, fourth.Step);
        Assert.Equal(IPEndPoint.Parse("203.0.113.3:3478"), fourth.Destination);
        Assert.Equal(DiscoveryChangeFlags.None, fourth.ChangeFlags);
    }

    [Fact]
    public void Advance_NoOtherAddress_BothUnsupportedServerAndDone()
    {
        var discovery = new NatBehaviorDiscovery(MappingProtocol.Udp, Server, Local);

        discovery.Advance(DiscoveryResponse.Success(Public));

        Assert.True(discovery.IsComplete);
        Assert.Equal(NatBehavior.UnsupportedServer, discovery.Result.Mapping);
        Assert.Equal(NatBehavior.UnsupportedServer, discovery.Result.Filtering);
        Assert.Equal(NatType.Unknown, discovery.Result.NatType);
        Assert.Equal(Public, discovery.Result.PublicEndPoint);
        Assert.Contains(discovery.Result.Notes, n => n.Contains("OTHER-ADDRESS", StringComparison.Ordinal));
    }

    [Fact]
    public void Advance_NoOtherAddressButNoNat_MappingStillDirect()
    {
        var discovery = new NatBehaviorDiscovery(MappingProtocol.Udp, Server, Local);

        discovery.Advance(DiscoveryResponse.Success(Local));

        Assert.True(discovery.IsComplete);
        Assert.Equal(NatBehavior.Direct, discovery.Result.Mapping);
        Assert.Equal(NatBehavior.UnsupportedServer, discovery.Result.Filtering);
        Assert.Equal(NatType.Open, discovery.Result.NatType);
    }

    [Theory]
    [InlineData("203.0.113.2:3479")]
    [InlineData("203.0.113.3:3478")]
    [InlineData("[2001:db8::3]:3479")]
    public void Advance_OtherAddressNotDifferentInBothParts_UnsupportedServer(string other)
    {
        var discovery = new NatBehaviorDiscovery(MappingProtocol.Udp, Server, Local);

        discovery.Advance(DiscoveryResponse.Success(Public, IPEndPoint.Parse(other)));

        Assert.True(discovery.IsComplete);
        Assert.Equal(NatBehavior.UnsupportedServer, discovery.Result.Mapping);
        Assert.Equal(NatBehavior.UnsupportedServer, discovery.Result.Filtering);
        Assert.Null(discovery.Result.OtherAddress);
    }

    [Fact]
    public void Advance_ChangeRequestGets420_FilteringUnsupportedButMappingStillTested()
    {
        var discovery = new NatBehaviorDiscovery(MappingProtocol.Udp, Server, Local);
        discovery.Advance(DiscoveryResponse.Success(Public, Other));

        discovery.Advance(DiscoveryResponse.Error(420));
        Assert.Equal(DiscoveryStep.MappingAlternateAddress, discovery.Current.Step);
        discovery.Advance(DiscoveryResponse.Success(Public));

        Assert.True(discovery.IsComplete);
        Assert.Equal(NatBehavior.UnsupportedServer, discovery.Result.Filtering);
        Assert.Equal(NatBehavior.EndpointIndependent, discovery.Result.Mapping);
        Assert.Equal(NatType.Unknown, discovery.Result.NatType);
    }

    [Fact]
    public void Advance_ChangePortGets420_FilteringUnsupported()
    {
        var discovery = new NatBehaviorDiscovery(MappingProtocol.Udp, Server, Local);
        discovery.Advance(DiscoveryResponse.Success(Public, Other));
        discovery.Advance(DiscoveryResponse.Timeout);

        discovery.Advance(DiscoveryResponse.Error(420));

        Assert.Equal(NatBehavior.UnsupportedServer, discovery.Result.Filtering);
        Assert.Equal(DiscoveryStep.MappingAlternateAddress, discovery.Current.Step);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Advance_ChangeRequestGetsOtherError_FilteringUnknown(bool onSecondTest)
    {
        var discovery = new NatBehaviorDiscovery(MappingProtocol.Udp, Server, Local);
        discovery.Advance(DiscoveryResponse.Success(Public, Other));
        if (onSecondTest)
        {
            discovery.Advance(DiscoveryResponse.Timeout);
        }

        discovery.Advance(DiscoveryResponse.Error(400));

        Assert.Equal(NatBehavior.Unknown, discovery.Result.Filtering);
        Assert.Contains(discovery.Result.Notes, n => n.Contains("400", StringComparison.Ordinal));
        Assert.Equal(DiscoveryStep.MappingAlternateAddress, discovery.Current.Step);
    }

    [Fact]
    public void Advance_ServerIgnoresChangeRequest_FilteringUnsupportedNotEndpointIndependent()
    {
        var discovery = new NatBehaviorDiscovery(MappingProtocol.Udp, Server, Local);
        discovery.Advance(DiscoveryResponse.Success(Public, Other, Server, Server));

        discovery.Advance(DiscoveryResponse.Success(Public, Other, responseOrigin: Server, source: Server));

        Assert.Equal(NatBehavior.UnsupportedServer, discovery.Result.Filtering);
        Assert.Equal(DiscoveryStep.MappingAlternateAddress, discovery.Current.Step);
    }

    [Fact]
    public void Advance_ChangePortAnsweredFromWrongPort_FilteringUnsupported()
    {
        var discovery = new NatBehaviorDiscovery(MappingProtocol.Udp, Server, Local);
        discovery.Advance(DiscoveryResponse.Success(Public, Other));
        discovery.Advance(DiscoveryResponse.Timeout);

        discovery.Advance(DiscoveryResponse.Success(Public, Other, responseOrigin: Server));

        Assert.Equal(NatBehavior.UnsupportedServer, discovery.Result.Filtering);
    }

    [Fact]
    public void Advance_SourceTrumpsResponseOrigin()
    {
        var discovery = new NatBehaviorDiscovery(MappingProtocol.Udp, Server, Local);
        discovery.Advance(DiscoveryResponse.Success(Public, Other));

        // A server behind its own NAT may report a RESPONSE-ORIGIN that is not where the datagram came from.
        discovery.Advance(DiscoveryResponse.Success(Public, Other, responseOrigin: IPEndPoint.Parse("10.0.0.3:3479"), source: Other));

        Assert.Equal(NatBehavior.EndpointIndependent, discovery.Result.Filtering);
    }

    [Fact]
    public void Advance_FirstBindingTimesOut_NotAnsweredAndUnknown()
    {
        var discovery = new NatBehaviorDiscovery(MappingProtocol.Udp, Server, Local, testHairpinning: true);

        discovery.Advance(DiscoveryResponse.Timeout);

        Assert.True(discovery.IsComplete);
        Assert.False(discovery.Result.ServerAnswered);
        Assert.Null(discovery.Result.PublicEndPoint);
        Assert.Equal(NatBehavior.Unknown, discovery.Result.Mapping);
        Assert.Equal(NatBehavior.Unknown, discovery.Result.Filtering);
        Assert.Null(discovery.Result.Hairpinning);
    }

    [Fact]
    public void Advance_FirstBindingGetsError_RecordsCodeAndStops()
    {
        var discovery = new NatBehaviorDiscovery(MappingProtocol.Udp, Server, Local);

        discovery.Advance(DiscoveryResponse.Error(500));

        Assert.True(discovery.IsComplete);
        Assert.False(discovery.Result.ServerAnswered);
        Assert.Equal(500, discovery.Result.ServerErrorCode);
        Assert.Equal(NatType.Unknown, discovery.Result.NatType);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Advance_MappingTestTwoUnanswered_MappingUnknown(bool error)
    {
        var discovery = new NatBehaviorDiscovery(MappingProtocol.Udp, Server, Local);
        discovery.Advance(DiscoveryResponse.Success(Public, Other));
        discovery.Advance(DiscoveryResponse.Success(Public, Other, source: Other));

        discovery.Advance(error ? DiscoveryResponse.Error(500) : DiscoveryResponse.Timeout);

        Assert.True(discovery.IsComplete);
        Assert.Equal(NatBehavior.EndpointIndependent, discovery.Result.Filtering);
        Assert.Equal(NatBehavior.Unknown, discovery.Result.Mapping);
        Assert.Equal(NatType.Unknown, discovery.Result.NatType);
        Assert.Contains(discovery.Result.Notes, n => n.Contains("other address", StringComparison.Ordinal));
    }

    [Fact]
    public void Advance_MappingTestThreeUnanswered_MappingUnknown()
    {
        var discovery = new NatBehaviorDiscovery(MappingProtocol.Udp, Server, Local);
        discovery.Advance(DiscoveryResponse.Success(Public, Other));
        discovery.Advance(DiscoveryResponse.Timeout);
        discovery.Advance(DiscoveryResponse.Timeout);
        discovery.Advance(DiscoveryResponse.Success(IPEndPoint.Parse("203.0.113.1:40001")));
        Assert.Equal(Other, discovery.Current.Destination);

        discovery.Advance(DiscoveryResponse.Timeout);

        Assert.True(discovery.IsComplete);
        Assert.Equal(NatBehavior.Unknown, discovery.Result.Mapping);
        Assert.Equal(IPEndPoint.Parse("203.0.113.1:40001"), discovery.Result.AlternateAddressPublicEndPoint);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Advance_Hairpinning_ProbeFromSecondarySocketToPublicEndPoint(bool arrives)
    {
        var nat = new SimulatedNat(NatBehavior.EndpointIndependent, NatBehavior.EndpointIndependent) { Hairpins = arrives };
        var discovery = new NatBehaviorDiscovery(MappingProtocol.Udp, Server, Local, testHairpinning: true);

        var steps = nat.Run(discovery);

        Assert.Equal(DiscoveryStep.Hairpinning, steps[^1]);
        Assert.Equal(DiscoverySocket.Secondary, nat.SentFrom[^1]);
        Assert.Equal(nat.PublicFor(Server), nat.SentTo[^1]);
        Assert.Equal(arrives, discovery.Result.Hairpinning);
        Assert.Equal(NatType.FullCone, discovery.Result.NatType);
    }

    [Theory]
    [InlineData(NatBehavior.EndpointIndependent, false)]
    [InlineData(NatBehavior.AddressAndPortDependent, true)]
    public void Advance_NoHairpinBehindFilter_NotesPossibleFiltering(NatBehavior filtering, bool noted)
    {
        var nat = new SimulatedNat(NatBehavior.EndpointIndependent, filtering) { Hairpins = false };
        var discovery = new NatBehaviorDiscovery(MappingProtocol.Udp, Server, Local, testHairpinning: true);

        nat.Run(discovery);

        Assert.False(discovery.Result.Hairpinning);
        Assert.Equal(noted, discovery.Result.Notes.Any(n => n.Contains("hairpinning probe", StringComparison.Ordinal)));
    }

    [Fact]
    public void Advance_HairpinningWithUnsupportedServer_StillProbes()
    {
        var discovery = new NatBehaviorDiscovery(MappingProtocol.Udp, Server, Local, testHairpinning: true);
        discovery.Advance(DiscoveryResponse.Success(Public));

        Assert.Equal(DiscoveryStep.Hairpinning, discovery.Current.Step);
        discovery.Advance(DiscoveryResponse.HairpinReceived);

        Assert.True(discovery.Result.Hairpinning);
    }

    [Theory]
    [InlineData(NatBehavior.EndpointIndependent)]
    [InlineData(NatBehavior.AddressDependent)]
    [InlineData(NatBehavior.AddressAndPortDependent)]
    [InlineData(NatBehavior.Direct)]
    public void Advance_Tcp_MappingOnlyFilteringNotApplicable(NatBehavior mapping)
    {
        var nat = new SimulatedNat(mapping, NatBehavior.EndpointIndependent);
        var discovery = new NatBehaviorDiscovery(MappingProtocol.Tcp, Server, Local, testHairpinning: true);

        var steps = nat.Run(discovery);

        Assert.DoesNotContain(DiscoveryStep.FilteringChangeAddressAndPort, steps);
        Assert.DoesNotContain(DiscoveryStep.FilteringChangePort, steps);
        Assert.DoesNotContain(DiscoveryStep.Hairpinning, steps);
        Assert.All(nat.Flags, f => Assert.Equal(DiscoveryChangeFlags.None, f));
        Assert.Equal(mapping, discovery.Result.Mapping);
        Assert.Equal(NatBehavior.NotApplicable, discovery.Result.Filtering);
        Assert.Equal(MappingProtocol.Tcp, discovery.Result.Protocol);
        Assert.Equal(mapping == NatBehavior.Direct ? NatType.Open : mapping == NatBehavior.EndpointIndependent ? NatType.Unknown : NatType.Symmetric, discovery.Result.NatType);
    }

    [Fact]
    public void Advance_Ipv4MappedAddresses_ComparedAsIpv4()
    {
        var discovery = new NatBehaviorDiscovery(MappingProtocol.Udp, Server, Local);
        var mappedPublic = new IPEndPoint(Public.Address.MapToIPv6(), Public.Port);
        discovery.Advance(DiscoveryResponse.Success(mappedPublic, new IPEndPoint(Other.Address.MapToIPv6(), Other.Port)));
        discovery.Advance(DiscoveryResponse.Success(Public, source: new IPEndPoint(Other.Address.MapToIPv6(), Other.Port)));
        discovery.Advance(DiscoveryResponse.Success(mappedPublic));

        Assert.Equal(Public, discovery.Result.PublicEndPoint);
        Assert.Equal(NatType.FullCone, discovery.Result.NatType);
    }

    [Fact]
    public void Current_WhenComplete_Throws()
    {
        var discovery = new NatBehaviorDiscovery(MappingProtocol.Udp, Server, Local);
        discovery.Advance(DiscoveryResponse.Timeout);

        Assert.Throws<InvalidOperationException>(() => discovery.Current);
        Assert.Throws<InvalidOperationException>(() => discovery.Advance(DiscoveryResponse.Timeout));
    }

    [Theory]
    [InlineData(NatBehavior.Unknown, NatBehavior.EndpointIndependent, NatType.Unknown)]
    [InlineData(NatBehavior.UnsupportedServer, NatBehavior.UnsupportedServer, NatType.Unknown)]
    [InlineData(NatBehavior.EndpointIndependent, NatBehavior.Unknown, NatType.Unknown)]
    [InlineData(NatBehavior.EndpointIndependent, NatBehavior.NotApplicable, NatType.Unknown)]
    [InlineData(NatBehavior.AddressDependent, NatBehavior.Unknown, NatType.Symmetric)]
    public void Classify_IncompletePairs(NatBehavior mapping, NatBehavior filtering, NatType expected) =>
        Assert.Equal(expected, NatBehaviorDiscovery.Classify(mapping, filtering));

    [Theory]
    [InlineData(299)]
    [InlineData(700)]
    public void Error_CodeOutOfRange_Throws(int code) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => DiscoveryResponse.Error(code));

    /// <summary>
    /// A NAT in front of an RFC 5780 server with two addresses (A1:P1 = <see cref="Server"/>,
    /// A2:P2 = <see cref="Other"/>) that keeps real pinhole state: an answer gets through only if
    /// the filter lets it past the pinholes the client's earlier requests opened.
    /// </summary>
    private sealed class SimulatedNat(NatBehavior mapping, NatBehavior filtering)
    {
        private readonly List<IPEndPoint> _pinholes = [];

        public bool Hairpins { get; init; }

        public List<DiscoverySocket> SentFrom { get; } = [];

        public List<IPEndPoint> SentTo { get; } = [];

        public List<DiscoveryChangeFlags> Flags { get; } = [];

        public IPEndPoint PublicFor(IPEndPoint destination) => mapping switch
        {
            NatBehavior.Direct => Local,
            NatBehavior.EndpointIndependent => Public,
            NatBehavior.AddressDependent => new IPEndPoint(Public.Address, 40000 + destination.Address.GetAddressBytes()[3]),
            _ => new IPEndPoint(Public.Address, 40000 + (destination.Address.GetAddressBytes()[3] * 10) + (destination.Port - 3478)),
        };

        public List<DiscoveryStep> Run(NatBehaviorDiscovery discovery)
        {
            var steps = new List<DiscoveryStep>();
            while (!discovery.IsComplete)
            {
                var request = discovery.Current;
                steps.Add(request.Step);
                SentFrom.Add(request.Socket);
                SentTo.Add(request.Destination);
                Flags.Add(request.ChangeFlags);
                Assert.True(steps.Count < 10, "the discovery does not end");
                discovery.Advance(Answer(request));
            }

            return steps;
        }

        private DiscoveryResponse Answer(DiscoveryRequest request)
        {
            if (request.Step == DiscoveryStep.Hairpinning)
            {
                return Hairpins ? DiscoveryResponse.HairpinReceived : DiscoveryResponse.Timeout;
            }

            _pinholes.Add(request.Destination);
            var serverAddress = request.Destination.Address;
            var serverPort = request.Destination.Port;
            var source = new IPEndPoint(
                request.ChangeFlags.HasFlag(DiscoveryChangeFlags.ChangeAddress) ? Other(serverAddress) : serverAddress,
                request.ChangeFlags.HasFlag(DiscoveryChangeFlags.ChangePort) ? OtherPort(serverPort) : serverPort);
            bool passes = mapping == NatBehavior.Direct && filtering == NatBehavior.EndpointIndependent
                || filtering switch
                {
                    NatBehavior.EndpointIndependent => true,
                    NatBehavior.AddressDependent => _pinholes.Exists(p => p.Address.Equals(source.Address)),
                    _ => _pinholes.Contains(source),
                };
            if (!passes)
            {
                return DiscoveryResponse.Timeout;
            }

            return DiscoveryResponse.Success(PublicFor(request.Destination), NatBehaviorDiscoveryTests.Other, source, source);
        }

        private static IPAddress Other(IPAddress address) =>
            address.Equals(Server.Address) ? NatBehaviorDiscoveryTests.Other.Address : Server.Address;

        private static int OtherPort(int port) => port == Server.Port ? NatBehaviorDiscoveryTests.Other.Port : Server.Port;
    }
}
