using System.Net;

namespace NatMap.Tests.Fakes;

/// <summary>A datagram a <see cref="LoopbackStunServer"/> received: its bytes, its source and the server socket it reached.</summary>
internal sealed record LoopbackStunDatagram(byte[] Data, IPEndPoint From, IPEndPoint To);
