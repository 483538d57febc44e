using System.Net;
using System.Net.Sockets;
using NatMap.Discovery.Internal;
using NatMap.Sockets.Internal;
using NatMap.Stun.Internal;

namespace NatMap.Discovery;

public sealed partial class NatDiscoveryClient
{
    private async Task<NatDiscoveryResult> RunTcpAsync(List<IPEndPoint> servers, NatDiscoveryResult? udp, CancellationToken cancellationToken)
    {
        NatDiscoveryResult? fallback = null;
        NatDiscoveryResult? last = null;
        foreach (var server in servers)
        {
            // The UDP test already learnt this server's other address; reuse it if the TCP
            // answer leaves OTHER-ADDRESS out.
            var otherHint = udp is not null && udp.Server.Equals(server) ? udp.OtherAddress : null;
            last = await RunTcpOnceAsync(server, otherHint, cancellationToken).ConfigureAwait(false);
            if (!last.ServerAnswered)
            {
                DiscoveryLog.ServerUnanswered(_logger, server, MappingProtocol.Tcp);
                continue;
            }

            if (last.Mapping != NatBehavior.UnsupportedServer)
            {
                return last;
            }

            DiscoveryLog.ServerUnsupported(_logger, server);
            fallback ??= last;
        }

        return fallback ?? last!;
    }

    /// <summary>
    /// The TCP mapping test: each request is a new connection from the same local port
    /// (SO_REUSEADDR and SO_REUSEPORT let it be bound again while earlier connections linger in
    /// TIME_WAIT), so the NAT is asked to map one local port towards the server's addresses.
    /// </summary>
    private async Task<NatDiscoveryResult> RunTcpOnceAsync(IPEndPoint server, IPEndPoint? otherHint, CancellationToken cancellationToken)
    {
        int port = _options.Port;
        var first = await ConnectAsync(server, port, cancellationToken).ConfigureAwait(false);
        var local = IPv4Mapped.Unmap(first is null
            ? new IPEndPoint(SourceAddressTowards(server), port)
            : (IPEndPoint)first.LocalEndPoint!);

        port = local.Port;
        var discovery = new NatBehaviorDiscovery(MappingProtocol.Tcp, server, local);
        var discards = new StunDiscardTally();
        DiscoveryLog.DiscoveryStarted(_logger, MappingProtocol.Tcp, local, server);
        while (!discovery.IsComplete)
        {
            var request = discovery.Current;
            DiscoveryLog.RequestSent(_logger, request.Step, request.Socket, request.Destination, request.ChangeFlags);
            var socket = first ?? await ConnectAsync(request.Destination, port, cancellationToken).ConfigureAwait(false);
            first = null;
            DiscoveryResponse response;
            using (socket)
            {
                response = socket is null
                    ? DiscoveryResponse.Timeout
                    : await TcpTransactionAsync(socket, discards, cancellationToken).ConfigureAwait(false);
            }

            if (request.Step == DiscoveryStep.Binding && response is { Kind: DiscoveryResponseKind.Success, OtherAddress: null } && otherHint is not null)
            {
                response = DiscoveryResponse.Success(response.MappedEndPoint!, otherHint, response.ResponseOrigin, response.Source);
            }

            DiscoveryLog.ResponseReceived(_logger, request.Step, response);
            discovery.Advance(response);
        }

        return Finish(discovery, discards, MappingProtocol.Tcp, server);
    }

    private async Task<Socket?> ConnectAsync(IPEndPoint destination, int port, CancellationToken cancellationToken)
    {
        var socket = CreateSocket(destination.AddressFamily, SocketType.Stream, port, reusePort: true);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        try
        {
            await socket.ConnectAsync(destination, timeout.Token).ConfigureAwait(false);
            return socket;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            DiscoveryLog.TcpConnectFailed(_logger, destination, SocketError.TimedOut);
        }
        catch (SocketException ex)
        {
            DiscoveryLog.TcpConnectFailed(_logger, destination, ex.SocketErrorCode);
        }

        socket.Dispose();
        return null;
    }

    /// <summary>A Binding request over a connected TCP socket; STUN over TCP frames itself by its length field (RFC 8489 section 6.2.2).</summary>
    private async Task<DiscoveryResponse> TcpTransactionAsync(Socket socket, StunDiscardTally discards, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        try
        {
            var exchange = await StunExchange.TcpAsync(socket, StunBindingTransaction.Create(), discards, _logger, timeout.Token).ConfigureAwait(false);
            return Response(exchange);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return DiscoveryResponse.Timeout;
        }
        catch (SocketException)
        {
            return DiscoveryResponse.Timeout;
        }
    }
}
