using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace NatMap.Mapping.Internal;

/// <summary>
/// STUN answers taken off a socket that something else reads (the UDP forwarder's, or an app's in
/// in-process serving), waiting for the mapper's STUN client. A query reads them as they come;
/// what is left over (a late answer after the query gave up) is judged stale by the next query's
/// transaction check, and the oldest is dropped rather than letting a chatty server grow the queue.
/// </summary>
internal sealed class StunAnswerQueue
{
    private const int Capacity = 16;

    private readonly Channel<(byte[] Datagram, IPEndPoint From)> _answers = Channel.CreateBounded<(byte[], IPEndPoint)>(
        new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.DropOldest });

    /// <summary>Copies an answer in, since the caller's buffer is reused.</summary>
    public void Post(ReadOnlySpan<byte> datagram, IPEndPoint from) => _answers.Writer.TryWrite((datagram.ToArray(), from));

    /// <summary>The next answer, copied into <paramref name="buffer"/>, as <see cref="Stun.Internal.IStunDatagramTransport.ReceiveAsync"/> returns it.</summary>
    public async ValueTask<SocketReceiveFromResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var (datagram, from) = await _answers.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        int length = Math.Min(datagram.Length, buffer.Length);
        datagram.AsSpan(0, length).CopyTo(buffer.Span);
        return new SocketReceiveFromResult { ReceivedBytes = length, RemoteEndPoint = from };
    }
}
