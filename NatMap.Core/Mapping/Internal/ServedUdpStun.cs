using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using NatMap.Forwarding.Internal;
using NatMap.Stun.Internal;

namespace NatMap.Mapping.Internal;

/// <summary>
/// The STUN transport of in-process UDP serving, where the app's receive loop reads the mapping
/// socket: requests leave from that socket, and <see cref="TryClaim"/> takes their answers out of
/// the app's stream, told apart as RFC 7983 demultiplexes (first byte 0 to 3, the magic cookie) and
/// then by transaction id and source: an answer must carry the id of a request of the current
/// check and come from the address that request went to. Anything else is the app's.
/// </summary>
internal sealed class ServedUdpStun : IStunDatagramTransport
{
    /// <summary>
    /// Requests of one check: a transaction per server address tried (its retransmissions reuse
    /// the id). More than this many addresses in one check forget the oldest.
    /// </summary>
    private const int MaxTransactions = 16;

    private readonly Socket _socket;
    private readonly object _gate = new();
    private readonly (StunTransactionId Id, UdpControlEndPoint Server)[] _transactions = new (StunTransactionId, UdpControlEndPoint)[MaxTransactions];
    private readonly StunAnswerQueue _answers = new();
    private int _count;
    private int _next;
    private long _claimed;

    public ServedUdpStun(Socket socket)
    {
        _socket = socket;
        LocalEndPoint = socket.LocalEndPoint;
    }

    public EndPoint? LocalEndPoint { get; }

    /// <summary>Answers taken out of the app's stream so far.</summary>
    public long ClaimedAnswers => Interlocked.Read(ref _claimed);

    /// <summary>
    /// A new check begins: the previous check's transactions are over. Until now their late
    /// answers (to a retransmission the server answered twice) were still claimed.
    /// </summary>
    public void BeginCheck()
    {
        lock (_gate)
        {
            _count = 0;
            _next = 0;
        }
    }

    /// <summary>Whether <paramref name="datagram"/> from <paramref name="from"/> answers a request of the current check; if so it is queued for the STUN client.</summary>
    public bool TryClaim(ReadOnlySpan<byte> datagram, SocketAddress from)
    {
        if (datagram.Length < StunConstants.HeaderLength || datagram[0] > 3
            || BinaryPrimitives.ReadUInt32BigEndian(datagram[4..]) != StunConstants.MagicCookie)
        {
            return false;
        }

        var id = StunTransactionId.Read(datagram.Slice(8, StunConstants.TransactionIdLength));
        IPEndPoint? server = null;
        lock (_gate)
        {
            for (int i = 0; i < _count; i++)
            {
                if (_transactions[i].Id == id && _transactions[i].Server.Matches(from))
                {
                    server = _transactions[i].Server.EndPoint;
                    break;
                }
            }
        }

        if (server is null)
        {
            return false;
        }

        Interlocked.Increment(ref _claimed);
        _answers.Post(datagram, server);
        return true;
    }

    public async ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint remote, CancellationToken cancellationToken)
    {
        if (datagram.Length >= StunConstants.HeaderLength)
        {
            Claim(StunTransactionId.Read(datagram.Span.Slice(8, StunConstants.TransactionIdLength)), remote);
        }

        await _socket.SendToAsync(datagram, SocketFlags.None, remote, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<SocketReceiveFromResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        _answers.ReceiveAsync(buffer, cancellationToken);

    /// <summary>Registered before the request leaves, so that its answer cannot overtake the registration.</summary>
    private void Claim(StunTransactionId id, IPEndPoint server)
    {
        lock (_gate)
        {
            for (int i = 0; i < _count; i++)
            {
                if (_transactions[i].Id == id && _transactions[i].Server.EndPoint.Equals(server))
                {
                    return;
                }
            }

            _transactions[_next] = (id, new UdpControlEndPoint(server));
            _next = (_next + 1) % MaxTransactions;
            _count = Math.Min(_count + 1, MaxTransactions);
        }
    }
}
