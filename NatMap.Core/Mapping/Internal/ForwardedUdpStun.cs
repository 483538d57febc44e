using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using NatMap.Diagnostics;
using NatMap.Diagnostics.Internal;
using NatMap.Stun;
using NatMap.Stun.Internal;

namespace NatMap.Mapping.Internal;

/// <summary>
/// STUN Binding checks in UDP forward mode, where the forwarder owns the mapping socket: requests
/// leave through the forwarder's listening socket (<see cref="Forwarding.UdpForwarder.SendFromListener"/>)
/// and answers come back through its control-datagram handler, which calls
/// <see cref="OnControlDatagram"/>. Servers are tried in order with RFC 8489 section 6.2.1
/// retransmission, shortened like the mapper's other checks.
/// </summary>
internal sealed class ForwardedUdpStun
{
    private const int MaxRequests = 3;
    private const int LastWaitMultiplier = 4;

    private readonly IReadOnlyList<StunServerEndpoint> _servers;
    private readonly AddressFamily _family;
    private readonly Action<byte[], IPEndPoint> _send;
    private readonly Action<IPEndPoint> _addControlEndPoint;
    private readonly TimeSpan _initialRto;
    private readonly ILogger _logger;
    private Pending? _pending;

    public ForwardedUdpStun(IReadOnlyList<StunServerEndpoint> servers, AddressFamily family, Action<byte[], IPEndPoint> send, Action<IPEndPoint> addControlEndPoint, ILogger logger, TimeSpan? initialRto = null)
    {
        _servers = servers;
        _family = family;
        _send = send;
        _addControlEndPoint = addControlEndPoint;
        _logger = logger;
        _initialRto = initialRto ?? TimeSpan.FromMilliseconds(500);
    }

    /// <summary>The server address that answered last: where the one-byte keep-alives go.</summary>
    public IPEndPoint? LastServer { get; private set; }

    /// <summary>Called by the forwarder's receive loop for each datagram from a control endpoint.</summary>
    public void OnControlDatagram(ReadOnlySpan<byte> datagram, IPEndPoint remoteEndPoint)
    {
        var pending = Volatile.Read(ref _pending);
        if (pending is not null && pending.Transaction.TryAccept(datagram, out var response))
        {
            pending.Answer.TrySetResult((response, remoteEndPoint));
        }
    }

    public async Task<StunObservation> QueryAsync(CancellationToken cancellationToken)
    {
        var failures = new List<string>();
        foreach (var server in _servers)
        {
            IPAddress[] addresses;
            try
            {
                addresses = server.Address is { } literal
                    ? [literal]
                    : await Dns.GetHostAddressesAsync(server.Host, _family, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException ex)
            {
                failures.Add(server + ": cannot resolve (" + ex.Message + ")");
                continue;
            }

            foreach (var address in addresses.Where(a => a.AddressFamily == _family))
            {
                var remote = new IPEndPoint(address, server.Port);
                string? failure = null;
                long started = Stopwatch.GetTimestamp();
                try
                {
                    var (observation, errorResponse) = await TryServerAsync(remote, cancellationToken).ConfigureAwait(false);
                    if (observation is { } found)
                    {
                        NatMapInstruments.StunTransaction(ProtocolType.Udp, StunOutcome.Success, server.Host, server.Port, started);
                        LastServer = remote;
                        return found;
                    }

                    failure = errorResponse ?? "no answer";
                    var outcome = errorResponse is null ? StunOutcome.Timeout : StunOutcome.ErrorResponse;
                    NatMapInstruments.StunTransaction(ProtocolType.Udp, outcome, server.Host, server.Port, started);
                }
                catch (Exception ex) when (ex is IOException or SocketException && !cancellationToken.IsCancellationRequested)
                {
                    // Sending from the forwarder's socket failed.
                    failure = ex.Message;
                    NatMapInstruments.StunTransaction(ProtocolType.Udp, StunOutcome.Unreachable, server.Host, server.Port, started);
                }

                MappingLog.StunCheckFailed(_logger, remote, failure);
                failures.Add(server + " (" + remote + "): " + failure);
            }
        }

        return ThrowHelper.Throw<StunObservation>(NatMapErrorKind.AllServersFailed, "No STUN server answered through the forwarder: " + string.Join("; ", failures));
    }

    /// <summary>One transaction with retransmits: the observation, or the error response's text, or neither when nothing answered.</summary>
    private async Task<(StunObservation? Observation, string? ErrorResponse)> TryServerAsync(IPEndPoint remote, CancellationToken cancellationToken)
    {
        // Registered for good: a late answer must not be relayed to the target as a new client.
        _addControlEndPoint(remote);
        var pending = new Pending(StunBindingTransaction.Create());
        Volatile.Write(ref _pending, pending);
        try
        {
            var request = pending.Transaction.Request.ToArray();
            var rto = _initialRto;
            for (int attempt = 1; attempt <= MaxRequests; attempt++)
            {
                _send(request, remote);
                var wait = attempt == MaxRequests ? _initialRto * LastWaitMultiplier : rto;
                try
                {
                    var (response, origin) = await pending.Answer.Task.WaitAsync(wait, cancellationToken).ConfigureAwait(false);
                    return !response.IsSuccess || response.MappedAddress is null
                        ? (null, "error response " + response.ErrorCode + " " + response.ErrorReason)
                        : (new StunObservation(response.MappedAddress, null, origin), null);
                }
                catch (TimeoutException)
                {
                    rto *= 2;
                }
            }

            return (null, null);
        }
        finally
        {
            Volatile.Write(ref _pending, null);
        }
    }

    private sealed class Pending(StunBindingTransaction transaction)
    {
        public StunBindingTransaction Transaction { get; } = transaction;

        public TaskCompletionSource<(StunBindingResponse Response, IPEndPoint Origin)> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
