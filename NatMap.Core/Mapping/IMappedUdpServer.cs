using System.Net;

namespace NatMap.Mapping;

/// <summary>
/// A UDP port mapping whose socket the app serves itself: the app receives and sends datagrams on
/// the mapped port through the mapper's own socket, while the mapper keeps the NAT's entry open
/// with its STUN checks from that same socket. Created by <see cref="PortMapper.CreateUdpServer"/>;
/// the socket exists while <see cref="IPortMapper.WatchAsync"/> is enumerated.
/// </summary>
/// <remarks>
/// <para>
/// One receive loop of the mapper's own owns the socket. It tells the answers to the mapper's STUN
/// checks apart as RFC 7983 demultiplexes: first byte 0 to 3, the magic cookie 0x2112A442, a
/// transaction id of one of the current check's requests, and the source address that request was
/// sent to. Those never reach the app; everything else does, STUN-looking datagrams included.
/// A check's transactions stay claimed until the next check begins, so a late answer to one of
/// its retransmissions is not delivered either.
/// </para>
/// <para>
/// Datagrams wait for the app in a bounded queue (64 datagrams) of pooled buffers, so the checks
/// go on while the app is not reading; when the queue is full, newer datagrams are dropped and
/// counted in <see cref="DroppedDatagrams"/>, as a full socket buffer would drop them. Nothing is
/// allocated per datagram in steady state with the <see cref="SocketAddress"/> overloads.
/// Datagrams up to 65,507 bytes pass whole.
/// </para>
/// <para>
/// When the mapper binds again (its <c>-i</c> interface went away and came back), a pending
/// <see cref="ReceiveFromAsync"/> carries on with the new socket's datagrams, and datagrams already
/// queued are still delivered; a send while no socket is bound fails. When the enumeration of
/// <see cref="IPortMapper.WatchAsync"/> ends (or the mapper is disposed while it runs), pending
/// receives fail with a <see cref="NatMapException"/>; a receive made before the next
/// enumeration waits for it. Once the mapper is disposed, receives throw <see cref="ObjectDisposedException"/>.
/// </para>
/// </remarks>
public interface IMappedUdpServer : IPortMapper
{
    /// <summary>Datagrams dropped because the app fell behind and the queue was full.</summary>
    long DroppedDatagrams { get; }

    /// <summary>
    /// Waits for the next datagram that arrived on the mapped port (from any sender but the
    /// mapper's STUN servers answering its checks), copies it into <paramref name="buffer"/> and
    /// its sender into <paramref name="remoteAddress"/>. A datagram longer than the buffer is cut
    /// to fit, as recvfrom(2) cuts it. Several receives may wait at once; each datagram goes to one.
    /// </summary>
    /// <param name="buffer">Where the datagram is copied; 65,507 bytes hold any.</param>
    /// <param name="remoteAddress">Receives the sender's address; at least <see cref="SocketAddress.GetMaximumAddressSize"/> bytes for the mapping's address family.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The number of bytes copied into <paramref name="buffer"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="remoteAddress"/> is too small for the mapping's address family.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="NatMapException">The mapping stopped while waiting (<see cref="NatMapErrorKind.NetworkError"/>).</exception>
    /// <exception cref="ObjectDisposedException">The mapper has been disposed.</exception>
    ValueTask<int> ReceiveFromAsync(Memory<byte> buffer, SocketAddress remoteAddress, CancellationToken cancellationToken = default);

    /// <summary>Sends one datagram from the mapped port to <paramref name="remoteAddress"/>.</summary>
    /// <param name="datagram">The payload, up to 65,507 bytes.</param>
    /// <param name="remoteAddress">Where to send it: an address filled by <see cref="ReceiveFromAsync"/>, or <see cref="EndPoint.Serialize"/> of an endpoint (made once, and reused, it costs nothing per datagram).</param>
    /// <param name="cancellationToken">Stops the send.</param>
    /// <returns>The number of bytes sent.</returns>
    /// <exception cref="NatMapException">No socket is bound (the mapping is not running, or is binding again) or the send failed (<see cref="NatMapErrorKind.NetworkError"/>).</exception>
    /// <exception cref="ObjectDisposedException">The mapper has been disposed.</exception>
    ValueTask<int> SendToAsync(ReadOnlyMemory<byte> datagram, SocketAddress remoteAddress, CancellationToken cancellationToken = default);
}
