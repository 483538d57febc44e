using System.Net;
using System.Net.Sockets;
using NatMap.Discovery.Internal;
using NatMap.Stun.Internal;

namespace NatMap.Discovery;

public sealed partial class NatDiscoveryClient
{
    /// <summary>
    /// One Binding transaction over UDP: sends from <paramref name="sender"/>, retransmitting with
    /// doubling intervals (RFC 8489 section 6.2.1, shortened so that a filtered answer costs at most
    /// <see cref="NatDiscoveryOptions.RequestTimeout"/>), and waits on <paramref name="receiver"/>
    /// for the answer to this transaction; anything else arriving there is skipped.
    /// </summary>
    private async Task<DiscoveryResponse> UdpTransactionAsync(
        Socket sender, IPEndPoint destination, DiscoveryChangeFlags changeFlags, int? responsePort, Socket receiver, CancellationToken cancellationToken)
    {
        var transaction = StunBindingTransaction.Create((StunChangeFlags)(int)changeFlags, responsePort: responsePort);
        return await ExchangeAsync(
            sender, transaction.Request, destination, token => ReceiveAnswerAsync(receiver, transaction, token), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The hairpinning probe (RFC 5780 section 4.5): a Binding request from the secondary socket
    /// to the primary socket's public endpoint; the NAT hairpins if the primary socket receives it.
    /// </summary>
    private async Task<DiscoveryResponse> HairpinAsync(Socket secondary, Socket primary, IPEndPoint publicEndPoint, CancellationToken cancellationToken)
    {
        var transaction = StunBindingTransaction.Create();
        return await ExchangeAsync(
            secondary, transaction.Request, publicEndPoint, token => ReceiveOwnRequestAsync(primary, transaction, token), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends <paramref name="request"/> with retransmits until <paramref name="receive"/> completes or
    /// <see cref="NatDiscoveryOptions.RequestTimeout"/> passes; silence is a result here, not an error.
    /// </summary>
    private async Task<DiscoveryResponse> ExchangeAsync(
        Socket sender, ReadOnlyMemory<byte> request, IPEndPoint destination, Func<CancellationToken, Task<DiscoveryResponse>> receive, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        var received = receive(timeout.Token);
        try
        {
            await SendWithRetransmitsAsync(sender, request, destination, received, timeout.Token).ConfigureAwait(false);
            return await received.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return DiscoveryResponse.Timeout;
        }
        catch (SocketException)
        {
            // No route, or the network refused: to the tests this is an unanswered request.
            return DiscoveryResponse.Timeout;
        }
        finally
        {
            await timeout.CancelAsync().ConfigureAwait(false);
            await Observe(received).ConfigureAwait(false);
        }
    }

    private static async Task SendWithRetransmitsAsync(Socket sender, ReadOnlyMemory<byte> request, IPEndPoint destination, Task answered, CancellationToken cancellationToken)
    {
        var interval = FirstRetransmit;
        while (!answered.IsCompleted)
        {
            await sender.SendToAsync(request, SocketFlags.None, destination, cancellationToken).ConfigureAwait(false);
            var wait = Task.Delay(interval, cancellationToken);
            await Task.WhenAny(answered, wait).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            interval *= 2;
        }
    }

    /// <summary>
    /// Waits for this transaction's answer. Everything else is discarded as RFC 8489 section 6.3
    /// says, broken copies of the answer included, so one forged datagram cannot end a test early.
    /// </summary>
    private Task<DiscoveryResponse> ReceiveAnswerAsync(Socket socket, StunBindingTransaction transaction, CancellationToken cancellationToken) =>
        ReceiveUntilAsync(
            socket,
            (datagram, source) =>
            {
                var outcome = transaction.Accept(datagram, out var response, out var discarded);
                if (outcome == StunAcceptResult.Success)
                {
                    return DiscoveryResponse.Success(response!.MappedAddress!, response.OtherAddress, response.ResponseOrigin, source);
                }

                if (outcome == StunAcceptResult.ErrorResponse && response!.ErrorCode is >= 300 and <= 699)
                {
                    return DiscoveryResponse.Error(response.ErrorCode);
                }

                DiscoveryLog.MessageDiscarded(_logger, datagram.Length, source, Describe(outcome, discarded, response));
                return null;
            },
            cancellationToken);

    private static string Describe(StunAcceptResult outcome, StunDiscardReason discarded, StunBindingResponse? response) => outcome switch
    {
        StunAcceptResult.ErrorResponse => "error code " + response!.ErrorCode.ToString(System.Globalization.CultureInfo.InvariantCulture) + " is out of range",
        StunAcceptResult.UnknownRequiredAttribute => "an unknown comprehension-required attribute",
        _ => StunDiscardTally.Name(discarded),
    };

    private static Task<DiscoveryResponse> ReceiveOwnRequestAsync(Socket socket, StunBindingTransaction transaction, CancellationToken cancellationToken) =>
        ReceiveUntilAsync(
            socket,
            (datagram, _) => transaction.Matches(datagram) ? DiscoveryResponse.HairpinReceived : null,
            cancellationToken);

    /// <summary>What a received datagram means to the waiting test, or <see langword="null"/> to keep waiting.</summary>
    private delegate DiscoveryResponse? DatagramMatcher(ReadOnlySpan<byte> datagram, IPEndPoint source);

    /// <summary>Receives on <paramref name="socket"/> until <paramref name="match"/> recognises a datagram.</summary>
    private static async Task<DiscoveryResponse> ReceiveUntilAsync(Socket socket, DatagramMatcher match, CancellationToken cancellationToken)
    {
        var buffer = new byte[StunConstants.ReceiveBufferLength];
        EndPoint any = socket.AddressFamily == AddressFamily.InterNetworkV6 ? new IPEndPoint(IPAddress.IPv6Any, 0) : new IPEndPoint(IPAddress.Any, 0);
        while (true)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, any, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.MessageSize)
            {
                // An ICMP error from an earlier datagram, or an oversized stray datagram: not what we wait for.
                continue;
            }

            if (match(buffer.AsSpan(0, received.ReceivedBytes), (IPEndPoint)received.RemoteEndPoint) is { } response)
            {
                return response;
            }
        }
    }

    private static async Task Observe(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        catch (SocketException)
        {
        }
    }
}
