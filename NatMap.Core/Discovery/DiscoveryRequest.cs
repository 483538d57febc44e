using System.Net;

namespace NatMap.Discovery;

/// <summary>
/// The next thing a driver of <see cref="NatBehaviorDiscovery"/> must do: send a Binding request
/// from <see cref="Socket"/> to <see cref="Destination"/> with <see cref="ChangeFlags"/>, then report
/// what came back with <see cref="NatBehaviorDiscovery.Advance"/>.
/// </summary>
/// <remarks>
/// For <see cref="DiscoveryStep.Hairpinning"/> the request goes from the secondary socket to the
/// primary socket's public endpoint, and the driver reports
/// <see cref="DiscoveryResponseKind.HairpinReceived"/> if the primary socket receives it.
/// </remarks>
public sealed class DiscoveryRequest
{
    internal DiscoveryRequest(DiscoveryStep step, DiscoverySocket socket, IPEndPoint destination, DiscoveryChangeFlags changeFlags)
    {
        Step = step;
        Socket = socket;
        Destination = destination;
        ChangeFlags = changeFlags;
    }

    /// <summary>The test this request belongs to.</summary>
    public DiscoveryStep Step { get; }

    /// <summary>The local socket to send from.</summary>
    public DiscoverySocket Socket { get; }

    /// <summary>Where to send the request.</summary>
    public IPEndPoint Destination { get; }

    /// <summary>The CHANGE-REQUEST flags to include (<see cref="DiscoveryChangeFlags.None"/>: no attribute).</summary>
    public DiscoveryChangeFlags ChangeFlags { get; }

    /// <summary>
    /// The endpoint a genuine answer must come from: the server's other address and/or port when
    /// a change was requested, otherwise <see cref="Destination"/>. Null for the hairpinning probe.
    /// </summary>
    public IPEndPoint? ExpectedSource { get; internal init; }

    /// <inheritdoc/>
    public override string ToString() =>
        ChangeFlags == DiscoveryChangeFlags.None
            ? $"{Step} {Socket} -> {Destination}"
            : $"{Step} {Socket} -> {Destination} change {ChangeFlags}";
}
