using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using NatMap.Diagnostics.Internal;
using NatMap.Sockets.Internal;

namespace NatMap.Stun.Internal;

/// <summary>
/// The one runner of a Binding transaction over the wire, for <see cref="StunClient"/> (the mapping
/// loops and the forward-mode checks go through it) and for the RFC 5780 NAT check: UDP
/// retransmission (RFC 8489 section 6.2.1), TCP framing (section 6.2.2) and the discard rule of
/// section 6.3, by which a message that fails a check is dropped and the transaction waits on.
/// Socket errors and cancellation reach the caller unchanged; each caller words its own failures.
/// </summary>
internal static class StunExchange
{
    /// <summary>
    /// Sends the transaction's request over <paramref name="transport"/> to <paramref name="remote"/>
    /// on <paramref name="schedule"/> and waits for its answer. With <paramref name="answerFromRemote"/>
    /// a datagram from any other source is discarded; without it (RFC 5780's CHANGE-REQUEST is
    /// answered from the server's other address) only the transaction judges. <paramref name="judge"/>
    /// replaces <see cref="StunBindingTransaction.Accept(ReadOnlySpan{byte}, out StunBindingResponse?, out StunDiscardReason)"/>
    /// where the awaited message is not a response (the hairpinning probe waits for its own request).
    /// </summary>
    public static async Task<StunExchangeResult> UdpAsync(
        IStunDatagramTransport transport,
        StunBindingTransaction transaction,
        IPEndPoint remote,
        bool answerFromRemote,
        StunRetransmitSchedule schedule,
        StunDiscardTally discards,
        ILogger logger,
        CancellationToken cancellationToken,
        StunAnswerJudge? judge = null)
    {
        judge ??= transaction.Accept;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(StunConstants.MaxMessageLength);
        TimeSpan waited = TimeSpan.Zero;
        try
        {
            for (int attempt = 1; attempt <= schedule.MaxRequests; attempt++)
            {
                TimeSpan wait = schedule.WaitAfter(attempt);
                await transport.SendAsync(transaction.Request, remote, cancellationToken).ConfigureAwait(false);
                if (logger.IsEnabled(LogLevel.Trace))
                {
                    StunLog.UdpRequestSent(logger, attempt, schedule.MaxRequests, remote, transaction.TransactionId.ToString(), (long)wait.TotalMilliseconds);
                }

                long started = Stopwatch.GetTimestamp();
                while (true)
                {
                    TimeSpan remaining = wait - Stopwatch.GetElapsedTime(started);
                    if (remaining <= TimeSpan.Zero)
                    {
                        break;
                    }

                    SocketReceiveFromResult received;
                    using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                    {
                        timeout.CancelAfter(remaining);
                        try
                        {
                            received = await transport.ReceiveAsync(buffer, timeout.Token).ConfigureAwait(false);
                        }
                        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                        {
                            break;
                        }
                    }

                    var datagram = buffer.AsSpan(0, received.ReceivedBytes);
                    var source = (IPEndPoint)received.RemoteEndPoint;
                    if (answerFromRemote && !SameEndPoint(source, remote))
                    {
                        Discard(logger, discards, ProtocolType.Udp, StunDiscardReason.OtherSource, datagram.Length, source, remote);
                        continue;
                    }

                    var accepted = judge(datagram, out var response, out var discarded);
                    if (accepted is StunAcceptResult.Success or StunAcceptResult.ErrorResponse or StunAcceptResult.UnknownRequiredAttribute)
                    {
                        return new StunExchangeResult(accepted, response, source, null);
                    }

                    Discard(logger, discards, ProtocolType.Udp, discarded, datagram.Length, source, remote);
                }

                waited += wait;
            }

            string timedOut = "no answer to " + schedule.MaxRequests.ToString(CultureInfo.InvariantCulture) + " request(s) in " + Seconds(waited);
            return StunExchangeResult.Failed(timedOut);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Sends the transaction's request over the connected <paramref name="socket"/> and reads
    /// messages, each framed by its header's length, until one answers it. A well-framed message
    /// that is not the answer is discarded and the next one read; a framing error (a bad header, or
    /// the stream ending mid-message) cannot be resynchronised on a byte stream and ends the
    /// exchange with a failure. There is no retransmission over TCP: the caller's token bounds it.
    /// </summary>
    public static async Task<StunExchangeResult> TcpAsync(
        Socket socket, StunBindingTransaction transaction, StunDiscardTally discards, ILogger logger, CancellationToken cancellationToken)
    {
        var remote = (IPEndPoint)socket.RemoteEndPoint!;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(StunConstants.MaxMessageLength);
        try
        {
            var request = transaction.Request;
            while (!request.IsEmpty)
            {
                int sent = await socket.SendAsync(request, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                request = request[sent..];
            }

            while (true)
            {
                int have = await ReadAtLeastAsync(socket, buffer.AsMemory(0, StunConstants.HeaderLength), cancellationToken).ConfigureAwait(false);
                if (have < StunConstants.HeaderLength)
                {
                    return StunExchangeResult.Failed("connection closed after " + have.ToString(CultureInfo.InvariantCulture) + " byte(s) of the response");
                }

                var headerError = StunHeader.TryRead(buffer.AsSpan(0, StunConstants.HeaderLength), out var header);
                if (headerError != StunParseError.None)
                {
                    return StunExchangeResult.Failed("malformed response header (" + headerError + ")");
                }

                int total = StunConstants.HeaderLength + header.Length;
                have += await ReadAtLeastAsync(socket, buffer.AsMemory(StunConstants.HeaderLength, header.Length), cancellationToken).ConfigureAwait(false);
                if (have < total)
                {
                    return StunExchangeResult.Failed(
                        "connection closed after " + have.ToString(CultureInfo.InvariantCulture) + " of " + total.ToString(CultureInfo.InvariantCulture) + " byte(s) of the response");
                }

                var accepted = transaction.Accept(buffer.AsSpan(0, total), out var response, out var discarded);
                if (accepted is StunAcceptResult.Success or StunAcceptResult.ErrorResponse or StunAcceptResult.UnknownRequiredAttribute)
                {
                    return new StunExchangeResult(accepted, response, remote, null);
                }

                Discard(logger, discards, ProtocolType.Tcp, discarded, total, remote, remote);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Reads until <paramref name="destination"/> is full or the peer closes; returns the bytes read.</summary>
    private static async Task<int> ReadAtLeastAsync(Socket socket, Memory<byte> destination, CancellationToken cancellationToken)
    {
        int total = 0;
        while (total < destination.Length)
        {
            int read = await socket.ReceiveAsync(destination[total..], SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }

    /// <summary>The value of the metric's reason tag.</summary>
    private static string MetricName(StunDiscardReason reason) => reason switch
    {
        StunDiscardReason.NotStun => "not_stun",
        StunDiscardReason.OtherTransaction => "other_transaction",
        StunDiscardReason.Truncated => "truncated",
        StunDiscardReason.BadLength => "bad_length",
        StunDiscardReason.AttributeOverflow => "attribute_overflow",
        StunDiscardReason.BadFingerprint => "bad_fingerprint",
        StunDiscardReason.NotResponse => "not_response",
        StunDiscardReason.OtherMethod => "other_method",
        StunDiscardReason.NoMappedAddress => "no_mapped_address",
        StunDiscardReason.BadErrorCode => "bad_error_code",
        _ => "other_source",
    };

    private static void Discard(ILogger logger, StunDiscardTally discards, ProtocolType protocol, StunDiscardReason reason, int length, IPEndPoint source, IPEndPoint remote)
    {
        discards.Add(reason);
        NatMapInstruments.StunDiscarded(protocol, MetricName(reason), remote);
        StunLog.DatagramIgnored(logger, length, source, remote, StunDiscardTally.Name(reason));
    }

    private static bool SameEndPoint(IPEndPoint source, IPEndPoint expected) =>
        source.Port == expected.Port && IPv4Mapped.Unmap(source.Address).Equals(IPv4Mapped.Unmap(expected.Address));

    private static string Seconds(TimeSpan time) => time.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";
}

/// <summary>Judges one received message for a waiting exchange, as <see cref="StunBindingTransaction.Accept(ReadOnlySpan{byte}, out StunBindingResponse?, out StunDiscardReason)"/> does.</summary>
internal delegate StunAcceptResult StunAnswerJudge(ReadOnlySpan<byte> message, out StunBindingResponse? response, out StunDiscardReason discarded);
