using System.Net;

namespace NatMap.Discovery;

/// <summary>What <see cref="NatBehaviorDiscovery"/> found out about the NAT between one local socket and one STUN server.</summary>
public sealed class NatDiscoveryResult
{
    internal NatDiscoveryResult(MappingProtocol protocol, IPEndPoint server, IPEndPoint localEndPoint)
    {
        Protocol = protocol;
        Server = server;
        LocalEndPoint = localEndPoint;
    }

    /// <summary>The transport the tests ran over.</summary>
    public MappingProtocol Protocol { get; }

    /// <summary>The STUN server's primary address.</summary>
    public IPEndPoint Server { get; }

    /// <summary>The server's OTHER-ADDRESS (or CHANGED-ADDRESS), if it sent one.</summary>
    public IPEndPoint? OtherAddress { get; internal set; }

    /// <summary>The local endpoint the tests ran from.</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>The public endpoint the server saw for the first Binding request; null if the server never answered.</summary>
    public IPEndPoint? PublicEndPoint { get; internal set; }

    /// <summary>The public endpoint seen by the server's other address (mapping test II), if run.</summary>
    public IPEndPoint? AlternateAddressPublicEndPoint { get; internal set; }

    /// <summary>The public endpoint seen by the server's other address and port (mapping test III), if run.</summary>
    public IPEndPoint? AlternateAddressAndPortPublicEndPoint { get; internal set; }

    /// <summary>True when the server answered the first Binding request with a success response.</summary>
    public bool ServerAnswered => PublicEndPoint is not null;

    /// <summary>The error code the server answered the first Binding request with; 0 if none.</summary>
    public int ServerErrorCode { get; internal set; }

    /// <summary>Mapping behaviour, RFC 5780 section 4.3.</summary>
    public NatBehavior Mapping { get; internal set; }

    /// <summary>Filtering behaviour, RFC 5780 section 4.4 (<see cref="NatBehavior.NotApplicable"/> over TCP).</summary>
    public NatBehavior Filtering { get; internal set; }

    /// <summary>The classic name for <see cref="Mapping"/> and <see cref="Filtering"/>.</summary>
    public NatType NatType => NatBehaviorDiscovery.Classify(Mapping, Filtering);

    /// <summary>Whether the NAT hairpins (RFC 5780 section 4.5); null when not tested or not decidable.</summary>
    public bool? Hairpinning { get; internal set; }

    /// <summary>Why a behaviour came out unknown or unsupported, in plain words, in the order found.</summary>
    public IReadOnlyList<string> Notes => _notes;

    private readonly List<string> _notes = [];

    internal void AddNote(string note) => _notes.Add(note);
}
