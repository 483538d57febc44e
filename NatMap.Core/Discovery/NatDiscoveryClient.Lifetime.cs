using System.Globalization;
using System.Net;
using System.Net.Sockets;
using NatMap.Discovery.Internal;
using NatMap.Stun.Internal;

namespace NatMap.Discovery;

public sealed partial class NatDiscoveryClient
{
    private static readonly int[] IdleLadderSeconds = [2, 5, 10, 20, 30, 45, 60, 90, 120, 180, 300, 600];

    /// <summary>
    /// Estimates the UDP binding lifetime after RFC 5780 section 4.6. Each probe opens a mapping from
    /// its own socket X, leaves it idle for one rung of a ladder of idle times, then has a separate
    /// socket Y send a Binding request with RESPONSE-PORT set to X's public port: the server answers
    /// to Y's public address at that port, from the primary address X talked to, so the answer
    /// reaches X exactly when X's mapping is still alive (whatever the filtering). Y's requests
    /// never touch X's mapping, so probing does not refresh what it measures. All rungs idle in
    /// parallel, which bounds the whole estimate by the longest rung
    /// (<see cref="NatDiscoveryOptions.MaxLifetimeProbe"/>) plus two request timeouts. A zero-idle
    /// control probe first checks that the server honours RESPONSE-PORT at all; without it there
    /// is no estimate rather than a wrong one. The NAT must give X and Y the same public address.
    /// </summary>
    private async Task<BindingLifetimeEstimate> EstimateLifetimeAsync(IPEndPoint server, CancellationToken cancellationToken)
    {
        using var prober = CreateSocket(server.AddressFamily, SocketType.Dgram, 0);
        var control = await ProbeLifetimeAsync(server, prober, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        if (control != true)
        {
            string reason = control is null
                ? "the server did not answer the probe's Binding request"
                : "the server did not honour RESPONSE-PORT (RFC 5780 section 7.5), or the NAT gave the probing socket another public address";
            DiscoveryLog.LifetimeUnsupported(_logger, server, reason);
            return new BindingLifetimeEstimate(false, TimeSpan.Zero, null, null, reason);
        }

        var rungs = IdleLadderSeconds.Select(s => TimeSpan.FromSeconds(s)).Where(t => t <= _options.MaxLifetimeProbe).ToList();
        if (rungs.Count == 0 || rungs[^1] < _options.MaxLifetimeProbe)
        {
            rungs.Add(_options.MaxLifetimeProbe);
        }

        var outcomes = await Task.WhenAll(rungs.Select(idle => ProbeLifetimeAsync(server, prober, idle, cancellationToken))).ConfigureAwait(false);
        var survived = TimeSpan.Zero;
        TimeSpan? expired = null;
        string? note = null;
        for (int i = 0; i < rungs.Count; i++)
        {
            DiscoveryLog.LifetimeProbe(_logger, (int)rungs[i].TotalSeconds, outcomes[i] switch { true => "alive", false => "gone", null => "not opened" });
            if (outcomes[i] is null)
            {
                note = "some probes could not open a mapping; the bracket is from the rest";
                continue;
            }

            if (outcomes[i] == true && expired is null)
            {
                survived = rungs[i];
            }
            else if (outcomes[i] == false && expired is null)
            {
                expired = rungs[i];
            }
            else if (outcomes[i] == true)
            {
                note = string.Create(CultureInfo.InvariantCulture, $"a mapping survived {rungs[i].TotalSeconds} s after another expired at {expired!.Value.TotalSeconds} s (a lost datagram, or a NAT that times mappings unevenly)");
            }
        }

        var recommended = TimeSpan.FromSeconds(Math.Max(1, Math.Floor(survived.TotalSeconds / 2)));
        return new BindingLifetimeEstimate(true, survived, expired, recommended, note);
    }

    /// <summary>One probe: true if X's mapping still took an answer after <paramref name="idle"/>, false if not, null if X never got a mapping.</summary>
    private async Task<bool?> ProbeLifetimeAsync(IPEndPoint server, Socket prober, TimeSpan idle, CancellationToken cancellationToken)
    {
        using var probed = CreateSocket(server.AddressFamily, SocketType.Dgram, 0);
        var opened = await UdpTransactionAsync(probed, server, DiscoveryChangeFlags.None, null, probed, new StunDiscardTally(), cancellationToken).ConfigureAwait(false);
        if (opened.Kind != DiscoveryResponseKind.Success)
        {
            return null;
        }

        await Task.Delay(idle, cancellationToken).ConfigureAwait(false);
        var answer = await UdpTransactionAsync(prober, server, DiscoveryChangeFlags.None, opened.MappedEndPoint!.Port, probed, new StunDiscardTally(), cancellationToken).ConfigureAwait(false);
        return answer.Kind == DiscoveryResponseKind.Success;
    }
}
