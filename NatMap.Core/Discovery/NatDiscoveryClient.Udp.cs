using System.Net;
using System.Net.Sockets;
using NatMap.Stun.Internal;

namespace NatMap.Discovery;

public sealed partial class NatDiscoveryClient
{
    /// <summary>
    /// Retransmissions from 250 ms, doubling (RFC 8489 section 6.2.1), for as long as
    /// <see cref="NatDiscoveryOptions.RequestTimeout"/> allows: a filtered answer is a result here,
    /// so the whole wait is bounded by that option rather than by RFC 8489's 39.5 s.
    /// </summary>
    private static readonly StunRetransmitSchedule Retransmits = new(TimeSpan.FromMilliseconds(250), MaxRequests: 32, LastWaitMultiplier: 1);

    /// <summary>
    /// One Binding transaction over UDP: sends from <paramref name="sender"/> and waits on
    /// <paramref name="receiver"/> for the answer to this transaction. The answer may come from
    /// any address (CHANGE-REQUEST), so only the transaction judges; everything else arriving there
    /// is discarded as RFC 8489 section 6.3 says, broken copies of the answer included.
    /// </summary>
    private Task<DiscoveryResponse> UdpTransactionAsync(
        Socket sender, IPEndPoint destination, DiscoveryChangeFlags changeFlags, int? responsePort, Socket receiver, StunDiscardTally discards, CancellationToken cancellationToken)
    {
        var transaction = StunBindingTransaction.Create((StunChangeFlags)(int)changeFlags, responsePort: responsePort);
        return ExchangeAsync(new SocketStunTransport(sender, receiver), transaction, destination, judge: null, discards, cancellationToken);
    }

    /// <summary>
    /// The hairpinning probe (RFC 5780 section 4.5): a Binding request from the secondary socket
    /// to the primary socket's public endpoint; the NAT hairpins if the primary socket receives it.
    /// </summary>
    private Task<DiscoveryResponse> HairpinAsync(Socket secondary, Socket primary, IPEndPoint publicEndPoint, StunDiscardTally discards, CancellationToken cancellationToken)
    {
        var transaction = StunBindingTransaction.Create();
        StunAnswerJudge ownRequest = (ReadOnlySpan<byte> message, out StunBindingResponse? response, out StunDiscardReason discarded) =>
        {
            response = null;
            discarded = transaction.Matches(message) ? StunDiscardReason.None : StunDiscardReason.OtherTransaction;
            return discarded == StunDiscardReason.None ? StunAcceptResult.Success : StunAcceptResult.TransactionMismatch;
        };
        return ExchangeAsync(new SocketStunTransport(secondary, primary), transaction, publicEndPoint, ownRequest, discards, cancellationToken);
    }

    /// <summary>Runs one exchange within <see cref="NatDiscoveryOptions.RequestTimeout"/>; silence is a result here, not an error.</summary>
    private async Task<DiscoveryResponse> ExchangeAsync(
        SocketStunTransport transport, StunBindingTransaction transaction, IPEndPoint destination, StunAnswerJudge? judge, StunDiscardTally discards, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        try
        {
            var exchange = await StunExchange.UdpAsync(
                transport, transaction, destination, answerFromRemote: false, Retransmits, discards, _logger, timeout.Token, judge).ConfigureAwait(false);
            return judge is null ? Response(exchange) : exchange.Answered ? DiscoveryResponse.HairpinReceived : DiscoveryResponse.Timeout;
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
    }

    /// <summary>
    /// Says in the result's notes what the tests discarded (RFC 8489 section 6.3), so that a
    /// verdict reached past forged or broken answers shows that it was.
    /// </summary>
    private static void NoteDiscards(NatDiscoveryResult result, StunDiscardTally discards)
    {
        if (discards.Total > 0)
        {
            result.AddNote(discards.Describe("message"));
        }
    }

    /// <summary>What an exchange's answer means to the tests: a mapped address, an error code, or nothing usable.</summary>
    private static DiscoveryResponse Response(StunExchangeResult exchange) => exchange.Accepted switch
    {
        _ when !exchange.Answered => DiscoveryResponse.Timeout,
        StunAcceptResult.Success => DiscoveryResponse.Success(exchange.Response!.MappedAddress!, exchange.Response.OtherAddress, exchange.Response.ResponseOrigin, exchange.Source!),
        StunAcceptResult.ErrorResponse => DiscoveryResponse.Error(exchange.Response!.ErrorCode),
        _ => DiscoveryResponse.Timeout,
    };
}
