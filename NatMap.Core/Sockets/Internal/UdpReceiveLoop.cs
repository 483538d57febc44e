using System.Net;
using System.Net.Sockets;

namespace NatMap.Sockets.Internal;

/// <summary>
/// The portable UDP receive loop: one datagram at a time, with the SocketAddress-based receive so
/// that nothing is allocated per datagram. The UDP forwarder uses it where recvmmsg(2) batches are
/// not available, and in-process UDP serving for the mapping socket.
/// </summary>
internal static class UdpReceiveLoop
{
    /// <summary>
    /// Receives from <paramref name="socket"/> into <paramref name="buffer"/> and hands each datagram
    /// to <paramref name="sink"/> until <paramref name="cancellationToken"/> fires or the socket is
    /// disposed. A failed receive (on Linux an ICMP error for an earlier send, which the receive
    /// reports and clears) loses only that send: it is reported and the loop goes on.
    /// </summary>
    public static async Task RunAsync(Socket socket, byte[] buffer, IUdpDatagramSink sink, CancellationToken cancellationToken)
    {
        await Task.Yield();
        var from = new SocketAddress(socket.AddressFamily);
        while (!cancellationToken.IsCancellationRequested)
        {
            int received;
            try
            {
                received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, from, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex)
            {
                sink.OnReceiveFailed(ex.SocketErrorCode);
                continue;
            }

            sink.OnDatagram(buffer.AsSpan(0, received), from);
        }
    }
}
