using System.Net;

namespace NatMap.Stun.Internal;

/// <summary>What a Binding response said, extracted by <see cref="StunBindingTransaction"/>.</summary>
internal sealed class StunBindingResponse
{
    /// <summary>True for a success response, false for an error response.</summary>
    public required bool IsSuccess { get; init; }

    /// <summary>
    /// The reflexive transport address: XOR-MAPPED-ADDRESS (0x0020 or 0x8020) when present, else
    /// MAPPED-ADDRESS. Never null on success.
    /// </summary>
    public IPEndPoint? MappedAddress { get; init; }

    /// <summary>True when <see cref="MappedAddress"/> came from XOR-MAPPED-ADDRESS.</summary>
    public bool MappedAddressWasXored { get; init; }

    /// <summary>OTHER-ADDRESS (RFC 5780 section 7.4), else CHANGED-ADDRESS (RFC 3489), when sent.</summary>
    public IPEndPoint? OtherAddress { get; init; }

    /// <summary>RESPONSE-ORIGIN (RFC 5780 section 7.3), when sent.</summary>
    public IPEndPoint? ResponseOrigin { get; init; }

    /// <summary>The ERROR-CODE number (300-699) of an error response; 0 on success.</summary>
    public int ErrorCode { get; init; }

    /// <summary>The ERROR-CODE reason phrase of an error response; null on success.</summary>
    public string? ErrorReason { get; init; }

    /// <summary>The server's SOFTWARE attribute, when sent.</summary>
    public string? Software { get; init; }

    /// <summary>Comprehension-optional attributes of an error 420 the server did not understand, when listed.</summary>
    public IReadOnlyList<ushort> UnknownAttributes { get; init; } = [];

    public override string ToString() => IsSuccess
        ? "mapped " + MappedAddress
        : "error " + ErrorCode.ToString(System.Globalization.CultureInfo.InvariantCulture) + " " + ErrorReason;
}
