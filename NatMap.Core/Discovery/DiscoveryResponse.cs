using System.Net;

namespace NatMap.Discovery;

/// <summary>What came back for a <see cref="DiscoveryRequest"/>, as a driver reports it to <see cref="NatBehaviorDiscovery.Advance"/>.</summary>
public sealed class DiscoveryResponse
{
    private DiscoveryResponse(DiscoveryResponseKind kind)
    {
        Kind = kind;
    }

    /// <summary>Nothing came back in time.</summary>
    public static DiscoveryResponse Timeout { get; } = new(DiscoveryResponseKind.Timeout);

    /// <summary>The hairpinning probe reached the primary socket.</summary>
    public static DiscoveryResponse HairpinReceived { get; } = new(DiscoveryResponseKind.HairpinReceived);

    /// <summary>What kind of answer this is.</summary>
    public DiscoveryResponseKind Kind { get; }

    /// <summary>XOR-MAPPED-ADDRESS (or MAPPED-ADDRESS) of a success response: the public endpoint the server saw.</summary>
    public IPEndPoint? MappedEndPoint { get; private init; }

    /// <summary>OTHER-ADDRESS (RFC 5780 section 7.4), or CHANGED-ADDRESS from an RFC 3489 server, if present.</summary>
    public IPEndPoint? OtherAddress { get; private init; }

    /// <summary>RESPONSE-ORIGIN (RFC 5780 section 7.3), if present.</summary>
    public IPEndPoint? ResponseOrigin { get; private init; }

    /// <summary>The endpoint the response actually came from, as the socket saw it, if the driver knows it.</summary>
    public IPEndPoint? Source { get; private init; }

    /// <summary>The ERROR-CODE of an error response (for example 420 Unknown Attribute); 0 otherwise.</summary>
    public int ErrorCode { get; private init; }

    /// <summary>A success response.</summary>
    /// <param name="mappedEndPoint">The mapped endpoint the server reported.</param>
    /// <param name="otherAddress">OTHER-ADDRESS or CHANGED-ADDRESS, if present.</param>
    /// <param name="responseOrigin">RESPONSE-ORIGIN, if present.</param>
    /// <param name="source">The endpoint the datagram or connection came from, if known.</param>
    /// <returns>The response.</returns>
    public static DiscoveryResponse Success(IPEndPoint mappedEndPoint, IPEndPoint? otherAddress = null, IPEndPoint? responseOrigin = null, IPEndPoint? source = null)
    {
        ArgumentNullException.ThrowIfNull(mappedEndPoint);
        return new DiscoveryResponse(DiscoveryResponseKind.Success)
        {
            MappedEndPoint = mappedEndPoint,
            OtherAddress = otherAddress,
            ResponseOrigin = responseOrigin,
            Source = source,
        };
    }

    /// <summary>An error response.</summary>
    /// <param name="errorCode">The ERROR-CODE value, 300 to 699.</param>
    /// <returns>The response.</returns>
    public static DiscoveryResponse Error(int errorCode)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(errorCode, 300);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(errorCode, 699);
        return new DiscoveryResponse(DiscoveryResponseKind.Error) { ErrorCode = errorCode };
    }

    /// <inheritdoc/>
    public override string ToString() => Kind switch
    {
        DiscoveryResponseKind.Success => $"Success mapped {MappedEndPoint} other {OtherAddress} from {Source ?? ResponseOrigin}",
        DiscoveryResponseKind.Error => $"Error {ErrorCode}",
        _ => Kind.ToString(),
    };
}
