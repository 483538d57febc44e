using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace NatMap.Forwarding.Internal;

/// <summary>
/// Sends what a pipe holds to a socket until the pipe completes, then shuts the socket down for
/// sending (FIN), so a half-close is passed on while the other direction goes on. A failure, or a
/// pipe completed with an error, aborts the connection instead. Nothing is allocated per send.
/// </summary>
internal static class SocketSender
{
    /// <summary>Sends until the pipe completes, an error or an abort.</summary>
    /// <param name="reader">What to send; completed on return.</param>
    /// <param name="socket">Where to send it.</param>
    /// <param name="connection">Touched on every send; aborted on a failure.</param>
    /// <param name="counters">The forwarder's counters.</param>
    /// <param name="toTarget">Whether the bytes count as <see cref="TcpRelayCounters.BytesToTarget"/> (else from the target).</param>
    /// <returns>Null when the pipe completed and FIN was sent, otherwise why the loop ended.</returns>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<string?> RunAsync(PipeReader reader, Socket socket, RelayedConnection connection, TcpRelayCounters counters, bool toTarget)
    {
        try
        {
            while (true)
            {
                ReadResult result = await reader.ReadAsync().ConfigureAwait(false);
                if (result.IsCanceled)
                {
                    connection.Abort();
                    return connection.AbortReason ?? "aborted";
                }

                ReadOnlySequence<byte> buffer = result.Buffer;
                foreach (ReadOnlyMemory<byte> segment in buffer)
                {
                    int sent = 0;
                    while (sent < segment.Length)
                    {
                        sent += await socket.SendAsync(segment[sent..], SocketFlags.None).ConfigureAwait(false);
                    }
                }

                long length = buffer.Length;
                reader.AdvanceTo(buffer.End);
                if (length > 0)
                {
                    connection.Touch();
                    Interlocked.Add(ref toTarget ? ref counters.BytesToTarget : ref counters.BytesFromTarget, length);
                }

                if (result.IsCompleted)
                {
                    socket.Shutdown(SocketShutdown.Send);
                    return null;
                }
            }
        }
        catch (SocketException ex)
        {
            connection.Abort();
            return connection.AbortReason ?? ex.SocketErrorCode.ToString();
        }
        catch (Exception)
        {
            // The socket was closed under us, or the writing side completed the pipe with an error
            // (a receiver that failed, or an app that gave up on the connection, with whatever
            // exception it chose): either way the connection is over, and nothing is thrown at
            // the forwarder, which waits for every connection when it stops.
            connection.Abort();
            return connection.AbortReason ?? "aborted";
        }
        finally
        {
            reader.Complete();
        }
    }
}
