using System.Net;

namespace NatMap.Mapping.Internal;

/// <summary>What one STUN Binding exchange told the mapper.</summary>
/// <param name="MappedEndPoint">The public endpoint the server saw.</param>
/// <param name="LocalEndPoint">The local endpoint the request left from, when known.</param>
/// <param name="ServerEndPoint">The server address that answered.</param>
internal readonly record struct StunObservation(IPEndPoint MappedEndPoint, IPEndPoint? LocalEndPoint, IPEndPoint? ServerEndPoint);
