using System.Net;
using System.Net.Sockets;

namespace NatMap.Stun;

/// <summary>The answer to a Binding request: the mapped (public) address and where it came from.</summary>
public sealed class StunBindingResult
{
    internal StunBindingResult(
        ProtocolType protocol,
        IPEndPoint mappedEndPoint,
        IPEndPoint localEndPoint,
        StunServerEndPoint server,
        IPEndPoint serverEndPoint,
        IPEndPoint? otherAddress,
        IPEndPoint? responseOrigin)
    {
        Protocol = protocol == ProtocolType.Tcp ? MappingProtocol.Tcp : MappingProtocol.Udp;
        MappedEndPoint = mappedEndPoint;
        LocalEndPoint = localEndPoint;
        Server = server;
        ServerEndPoint = serverEndPoint;
        OtherAddress = otherAddress;
        ResponseOrigin = responseOrigin;
    }

    /// <summary>The transport the request went over.</summary>
    public MappingProtocol Protocol { get; }

    /// <summary>
    /// The server-reflexive address: XOR-MAPPED-ADDRESS when the server sent it, else MAPPED-ADDRESS.
    /// </summary>
    public IPEndPoint MappedEndPoint { get; }

    /// <summary>The local address and port the request left from.</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>The server, as configured, that answered.</summary>
    public StunServerEndPoint Server { get; }

    /// <summary>The resolved address of the server that answered.</summary>
    public IPEndPoint ServerEndPoint { get; }

    /// <summary>OTHER-ADDRESS (RFC 5780) or CHANGED-ADDRESS (RFC 3489) when the server sent one.</summary>
    public IPEndPoint? OtherAddress { get; }

    /// <summary>RESPONSE-ORIGIN (RFC 5780) when the server sent it.</summary>
    public IPEndPoint? ResponseOrigin { get; }

    /// <summary>A one-line description.</summary>
    /// <returns>The mapped endpoint, the protocol and the server.</returns>
    public override string ToString() => MappedEndPoint + " (" + Protocol.ToString().ToUpperInvariant() + " via " + Server + ")";
}
