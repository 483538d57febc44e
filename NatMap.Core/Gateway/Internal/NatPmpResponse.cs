using System.Net;

namespace NatMap.Gateway.Internal;

/// <summary>A NAT-PMP answer, RFC 6886 sections 3.2 and 3.3 (fields of the other kind are zero).</summary>
internal readonly record struct NatPmpResponse(
    byte Opcode,
    ushort Result,
    uint Epoch,
    IPAddress? ExternalAddress,
    ushort InternalPort,
    ushort ExternalPort,
    uint Lifetime);
