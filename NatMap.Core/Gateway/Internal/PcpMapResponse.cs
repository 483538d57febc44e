using System.Net;

namespace NatMap.Gateway.Internal;

/// <summary>A PCP MAP response, RFC 6887 sections 7.2 and 11.1: a view of what the server granted.</summary>
internal readonly record struct PcpMapResponse(
    byte Version,
    PcpResultCode Result,
    uint Lifetime,
    uint Epoch,
    ReadOnlyMemory<byte> Nonce,
    byte Protocol,
    ushort InternalPort,
    ushort ExternalPort,
    IPAddress ExternalAddress);
