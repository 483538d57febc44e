using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace NatMap.Forwarding.Internal;

/// <summary>
/// Moves what arrives on a socket into a pipe until the peer's FIN, which completes the pipe.
/// While the socket is quiet it waits with a zero-byte receive, holding no segment, so an idle
/// connection holds no buffer; the pipe's pause threshold stops it reading when its reader falls
/// behind, and then the kernel's receive window pushes back on the peer. Nothing is allocated
/// per receive: socket ValueTasks reuse the socket's operation objects and the state machine box
/// is pooled.
/// </summary>
internal static class SocketReceiver
{
    /// <summary>Receives until FIN, an error or an abort.</summary>
    /// <param name="socket">The socket to read.</param>
    /// <param name="writer">Where the bytes go; completed on return (with an exception unless the peer sent FIN).</param>
    /// <param name="minimumReceive">The least room asked of the pipe for one receive.</param>
    /// <param name="connection">Touched on every receive; aborted on a failure.</param>
    /// <param name="counters">Where received bytes count as <see cref="TcpRelayCounters.BytesToTarget"/>, when the pipe's reader is the app (a relay to a target socket counts what it sends instead).</param>
    /// <returns>Null when the peer sent FIN, otherwise why the loop ended.</returns>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<string?> RunAsync(Socket socket, PipeWriter writer, int minimumReceive, RelayedConnection connection, TcpRelayCounters? counters = null)
    {
        string? reason = null;
        try
        {
            bool idle = true;
            while (true)
            {
                if (idle)
                {
                    await socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);
                }

                Memory<byte> memory = writer.GetMemory(minimumReceive);
                int received = await socket.ReceiveAsync(memory, SocketFlags.None).ConfigureAwait(false);
                if (received == 0)
                {
                    return null;
                }

                connection.Touch();
                writer.Advance(received);
                if (counters is not null)
                {
                    Interlocked.Add(ref counters.BytesToTarget, received);
                }

                // A short read means the socket is probably drained: wait without a segment again.
                idle = received < memory.Length;
                FlushResult flush = await writer.FlushAsync().ConfigureAwait(false);
                if (flush.IsCompleted || flush.IsCanceled)
                {
                    // The reading side is gone or the connection is being closed.
                    reason = connection.AbortReason ?? "aborted";
                    connection.Abort();
                    return reason;
                }
            }
        }
        catch (SocketException ex)
        {
            connection.Abort();
            reason = connection.AbortReason ?? ex.SocketErrorCode.ToString();
            return reason;
        }
        catch (ObjectDisposedException)
        {
            connection.Abort();
            reason = connection.AbortReason ?? "aborted";
            return reason;
        }
        finally
        {
            writer.Complete(reason is null ? null : new IOException("The connection was closed: " + reason + "."));
        }
    }
}
