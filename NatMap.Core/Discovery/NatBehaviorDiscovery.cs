using System.Net;
using NatMap.Sockets.Internal;

namespace NatMap.Discovery;

/// <summary>
/// The NAT behaviour discovery of RFC 5780 as a sans-IO state machine: it says which Binding
/// request to send next (<see cref="Current"/>) and takes what came back (<see cref="Advance"/>)
/// until <see cref="IsComplete"/>; it never touches a socket. <see cref="NatDiscoveryClient"/>
/// drives it over real sockets.
/// </summary>
/// <remarks>
/// <para>
/// Order: test I, then the filtering tests (section 4.4), then the mapping tests (section 4.3),
/// then the optional hairpinning probe (section 4.5), all from the one primary socket. Filtering
/// goes first because its verdict rests on which answers get through, and every request the
/// client sends opens a pinhole for its destination: the mapping tests send to the server's other
/// address (A2:P1) and to its other address and port (A2:P2), so if they ran first, the pinhole
/// to A2:P2 would let the filtering test II answer (sent from A2:P2) through even an
/// address-and-port-dependent filter, which would then pass for endpoint-independent. The
/// filtering tests themselves only ever send to the primary address (A1:P1), whose pinhole
/// test I has opened already, so they bias nothing. Running everything from one socket matters
/// when the user names a port: NATs may treat ports differently, and the port the user will map
/// is the one to report on.
/// </para>
/// <para>
/// A server that sends no OTHER-ADDRESS, answers a CHANGE-REQUEST with 420 (Unknown Attribute),
/// or answers from the wrong endpoint gives <see cref="NatBehavior.UnsupportedServer"/>, which
/// describes the server, never the NAT.
/// </para>
/// </remarks>
public sealed class NatBehaviorDiscovery
{
    private const int UnknownAttributeError = 420;

    private readonly NatDiscoveryResult _result;
    private readonly bool _testFiltering;
    private readonly bool _testHairpinning;
    private DiscoveryRequest? _current;

    /// <summary>Starts a discovery.</summary>
    /// <param name="protocol">
    /// The transport. Over <see cref="MappingProtocol.Tcp"/> only mapping (and no filtering) is tested:
    /// RFC 5780 defines filtering for UDP, and a driver opens a new connection per request.
    /// </param>
    /// <param name="server">The STUN server's primary address.</param>
    /// <param name="localEndPoint">
    /// The primary socket's local endpoint, with the concrete source address (not the wildcard),
    /// so that a public endpoint equal to it can be recognised as no NAT.
    /// </param>
    /// <param name="testHairpinning">Also run the hairpinning probe from a secondary socket (UDP only).</param>
    public NatBehaviorDiscovery(MappingProtocol protocol, IPEndPoint server, IPEndPoint localEndPoint, bool testHairpinning = false)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(localEndPoint);
        _result = new NatDiscoveryResult(protocol, IPv4Mapped.Unmap(server), IPv4Mapped.Unmap(localEndPoint));
        _testFiltering = protocol == MappingProtocol.Udp;
        _testHairpinning = testHairpinning && protocol == MappingProtocol.Udp;
        _result.Filtering = _testFiltering ? NatBehavior.Unknown : NatBehavior.NotApplicable;
        _current = new DiscoveryRequest(DiscoveryStep.Binding, DiscoverySocket.Primary, _result.Server, DiscoveryChangeFlags.None)
        {
            ExpectedSource = _result.Server,
        };
    }

    /// <summary>True once there is nothing more to send; <see cref="Result"/> is then final.</summary>
    public bool IsComplete => _current is null;

    /// <summary>The request to send now.</summary>
    /// <exception cref="InvalidOperationException">The discovery is complete.</exception>
    public DiscoveryRequest Current => _current ?? throw new InvalidOperationException("The discovery is complete.");

    /// <summary>The findings so far; final once <see cref="IsComplete"/>.</summary>
    public NatDiscoveryResult Result => _result;

    /// <summary>The classic name for a mapping and filtering pair.</summary>
    /// <param name="mapping">Mapping behaviour.</param>
    /// <param name="filtering">Filtering behaviour.</param>
    /// <returns>
    /// <see cref="NatType.Open"/> for direct mapping; <see cref="NatType.Symmetric"/> for
    /// address(-and-port)-dependent mapping whatever the filtering; the three cones for
    /// endpoint-independent mapping by filtering; otherwise <see cref="NatType.Unknown"/>.
    /// </returns>
    public static NatType Classify(NatBehavior mapping, NatBehavior filtering) => mapping switch
    {
        NatBehavior.Direct => NatType.Open,
        NatBehavior.AddressDependent or NatBehavior.AddressAndPortDependent => NatType.Symmetric,
        NatBehavior.EndpointIndependent => filtering switch
        {
            NatBehavior.EndpointIndependent => NatType.FullCone,
            NatBehavior.AddressDependent => NatType.RestrictedCone,
            NatBehavior.AddressAndPortDependent => NatType.PortRestrictedCone,
            _ => NatType.Unknown,
        },
        _ => NatType.Unknown,
    };

    /// <summary>Takes what came back for <see cref="Current"/> and moves to the next request.</summary>
    /// <param name="response">The response, error, timeout or hairpin arrival.</param>
    /// <exception cref="InvalidOperationException">The discovery is complete.</exception>
    public void Advance(DiscoveryResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var request = Current;
        _current = request.Step switch
        {
            DiscoveryStep.Binding => AfterBinding(response),
            DiscoveryStep.FilteringChangeAddressAndPort => AfterFilteringChangeAddressAndPort(request, response),
            DiscoveryStep.FilteringChangePort => AfterFilteringChangePort(request, response),
            DiscoveryStep.MappingAlternateAddress => AfterMappingAlternateAddress(response),
            DiscoveryStep.MappingAlternateAddressAndPort => AfterMappingAlternateAddressAndPort(response),
            DiscoveryStep.Hairpinning => AfterHairpinning(response),
            _ => throw new InvalidOperationException("Unknown step."),
        };
    }

    private DiscoveryRequest? AfterBinding(DiscoveryResponse response)
    {
        switch (response.Kind)
        {
            case DiscoveryResponseKind.Success:
                break;
            case DiscoveryResponseKind.Error:
                _result.ServerErrorCode = response.ErrorCode;
                _result.AddNote($"the server answered a plain Binding request with error {response.ErrorCode}");
                return null;
            default:
                _result.AddNote("the server did not answer the Binding request");
                return null;
        }

        var mapped = IPv4Mapped.Unmap(response.MappedEndPoint!);
        _result.PublicEndPoint = mapped;
        bool direct = mapped.Equals(_result.LocalEndPoint);
        if (direct)
        {
            _result.Mapping = NatBehavior.Direct;
        }

        var other = response.OtherAddress is null ? null : IPv4Mapped.Unmap(response.OtherAddress);
        _result.OtherAddress = other;
        if (other is null)
        {
            _result.AddNote("the server sent no OTHER-ADDRESS, so it cannot run the RFC 5780 tests (it needs two IP addresses)");
        }
        else if (other.AddressFamily != _result.Server.AddressFamily || other.Address.Equals(_result.Server.Address) || other.Port == _result.Server.Port)
        {
            _result.AddNote($"the server's OTHER-ADDRESS {other} does not differ from {_result.Server} in both address and port");
            other = null;
            _result.OtherAddress = null;
        }

        if (other is null)
        {
            if (!direct)
            {
                _result.Mapping = NatBehavior.UnsupportedServer;
            }

            if (_testFiltering)
            {
                _result.Filtering = NatBehavior.UnsupportedServer;
            }

            return HairpinOrDone();
        }

        return _testFiltering ? FilteringChangeAddressAndPort() : MappingOrNext();
    }

    private DiscoveryRequest FilteringChangeAddressAndPort() =>
        new(DiscoveryStep.FilteringChangeAddressAndPort, DiscoverySocket.Primary, _result.Server, DiscoveryChangeFlags.ChangeAddress | DiscoveryChangeFlags.ChangePort)
        {
            ExpectedSource = _result.OtherAddress,
        };

    private DiscoveryRequest? AfterFilteringChangeAddressAndPort(DiscoveryRequest request, DiscoveryResponse response)
    {
        switch (response.Kind)
        {
            case DiscoveryResponseKind.Success when HonouredChange(request, response):
                _result.Filtering = NatBehavior.EndpointIndependent;
                return MappingOrNext();
            case DiscoveryResponseKind.Success:
                return MappingOrNext();
            case DiscoveryResponseKind.Error:
                FilteringError(response.ErrorCode);
                return MappingOrNext();
            default:
                return new DiscoveryRequest(DiscoveryStep.FilteringChangePort, DiscoverySocket.Primary, _result.Server, DiscoveryChangeFlags.ChangePort)
                {
                    ExpectedSource = new IPEndPoint(_result.Server.Address, _result.OtherAddress!.Port),
                };
        }
    }

    private DiscoveryRequest? AfterFilteringChangePort(DiscoveryRequest request, DiscoveryResponse response)
    {
        switch (response.Kind)
        {
            case DiscoveryResponseKind.Success when HonouredChange(request, response):
                _result.Filtering = NatBehavior.AddressDependent;
                break;
            case DiscoveryResponseKind.Success:
                break;
            case DiscoveryResponseKind.Error:
                FilteringError(response.ErrorCode);
                break;
            default:
                _result.Filtering = NatBehavior.AddressAndPortDependent;
                break;
        }

        return MappingOrNext();
    }

    private bool HonouredChange(DiscoveryRequest request, DiscoveryResponse response)
    {
        // The socket's view of the sender is the proof; RESPONSE-ORIGIN only stands in for it when
        // the driver cannot tell. A server that ignores CHANGE-REQUEST and answers from its primary
        // address would otherwise make every filter look endpoint-independent.
        var origin = response.Source ?? response.ResponseOrigin;
        if (origin is null || IPv4Mapped.Unmap(origin).Equals(request.ExpectedSource))
        {
            return true;
        }

        _result.Filtering = NatBehavior.UnsupportedServer;
        _result.AddNote($"the server was asked to answer from {request.ExpectedSource} but answered from {IPv4Mapped.Unmap(origin)}");
        return false;
    }

    private void FilteringError(int errorCode)
    {
        if (errorCode == UnknownAttributeError)
        {
            _result.Filtering = NatBehavior.UnsupportedServer;
            _result.AddNote("the server does not understand CHANGE-REQUEST (error 420)");
        }
        else
        {
            _result.Filtering = NatBehavior.Unknown;
            _result.AddNote($"the server answered a CHANGE-REQUEST with error {errorCode}");
        }
    }

    private DiscoveryRequest? MappingOrNext()
    {
        if (_result.Mapping == NatBehavior.Direct)
        {
            return HairpinOrDone();
        }

        return new DiscoveryRequest(
            DiscoveryStep.MappingAlternateAddress,
            DiscoverySocket.Primary,
            new IPEndPoint(_result.OtherAddress!.Address, _result.Server.Port),
            DiscoveryChangeFlags.None)
        {
            ExpectedSource = new IPEndPoint(_result.OtherAddress!.Address, _result.Server.Port),
        };
    }

    private DiscoveryRequest? AfterMappingAlternateAddress(DiscoveryResponse response)
    {
        if (response.Kind != DiscoveryResponseKind.Success)
        {
            MappingFailed(response, "other address");
            return HairpinOrDone();
        }

        var mapped = IPv4Mapped.Unmap(response.MappedEndPoint!);
        _result.AlternateAddressPublicEndPoint = mapped;
        if (mapped.Equals(_result.PublicEndPoint))
        {
            _result.Mapping = NatBehavior.EndpointIndependent;
            return HairpinOrDone();
        }

        return new DiscoveryRequest(DiscoveryStep.MappingAlternateAddressAndPort, DiscoverySocket.Primary, _result.OtherAddress!, DiscoveryChangeFlags.None)
        {
            ExpectedSource = _result.OtherAddress,
        };
    }

    private DiscoveryRequest? AfterMappingAlternateAddressAndPort(DiscoveryResponse response)
    {
        if (response.Kind != DiscoveryResponseKind.Success)
        {
            MappingFailed(response, "other address and port");
            return HairpinOrDone();
        }

        var mapped = IPv4Mapped.Unmap(response.MappedEndPoint!);
        _result.AlternateAddressAndPortPublicEndPoint = mapped;
        _result.Mapping = mapped.Equals(_result.AlternateAddressPublicEndPoint)
            ? NatBehavior.AddressDependent
            : NatBehavior.AddressAndPortDependent;
        return HairpinOrDone();
    }

    private void MappingFailed(DiscoveryResponse response, string where)
    {
        if (response.Kind == DiscoveryResponseKind.Error)
        {
            _result.AddNote($"the server's {where} answered a Binding request with error {response.ErrorCode}");
        }
        else
        {
            _result.AddNote($"the server's {where} did not answer a Binding request");
        }

        _result.Mapping = NatBehavior.Unknown;
    }

    private DiscoveryRequest? HairpinOrDone() =>
        _testHairpinning
            ? new DiscoveryRequest(DiscoveryStep.Hairpinning, DiscoverySocket.Secondary, _result.PublicEndPoint!, DiscoveryChangeFlags.None)
            : null;

    private DiscoveryRequest? AfterHairpinning(DiscoveryResponse response)
    {
        _result.Hairpinning = response.Kind == DiscoveryResponseKind.HairpinReceived;
        if (_result.Hairpinning == false && _result.Filtering != NatBehavior.EndpointIndependent)
        {
            // The probe reaches the primary mapping from the NAT's own public address, a source
            // the primary socket never sent to, so a filtering NAT may drop a hairpinned probe.
            _result.AddNote("the hairpinning probe did not arrive, but with filtering that is not endpoint-independent it may have been filtered rather than not hairpinned");
        }

        return null;
    }
}
