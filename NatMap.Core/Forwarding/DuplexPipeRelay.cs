using System.Buffers;
using System.IO.Pipelines;

namespace NatMap.Forwarding;

/// <summary>
/// Relays bytes between two <see cref="IDuplexPipe"/>s, both directions at once: a socket served
/// in-process (<see cref="TcpPipeConnection.Transport"/>) and a TLS stream, two connections, or any
/// stream wrapped with <see cref="PipeReader.Create(Stream, StreamPipeReaderOptions?)"/> and
/// <see cref="PipeWriter.Create(Stream, StreamPipeWriterOptions?)"/>.
/// </summary>
public static class DuplexPipeRelay
{
    /// <summary>
    /// Copies <paramref name="first"/>'s input to <paramref name="second"/>'s output and
    /// <paramref name="second"/>'s input to <paramref name="first"/>'s output until both directions
    /// are done. When one side's input completes, the other side's output is completed (for a
    /// <see cref="TcpPipeConnection"/>, FIN goes to the peer) and the other direction goes on, so a
    /// half-close passes through. A direction also ends when its destination's reader completes.
    /// Every pipe end the relay touches is completed when it returns.
    /// </summary>
    /// <param name="first">One side.</param>
    /// <param name="second">The other side.</param>
    /// <param name="cancellationToken">Stops both directions; the ends are completed and the call throws <see cref="OperationCanceledException"/>.</param>
    /// <returns>The byte count of each direction.</returns>
    /// <exception cref="ArgumentNullException">A pipe is null.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="Exception">
    /// Whatever a read or write threw (for a socket or stream, typically an <see cref="IOException"/>).
    /// A failure in one direction stops the other, and both destinations are completed with the exception,
    /// so each side learns that the relay did not finish cleanly.
    /// </exception>
    /// <example>
    /// Relay a connection served in-process to a backend over TLS:
    /// <code>
    /// await using TcpPipeConnection connection = await server.AcceptAsync(cancellationToken);
    /// using var backend = new TcpClient();
    /// await backend.ConnectAsync("backend.example", 443, cancellationToken);
    /// await using var tls = new SslStream(backend.GetStream());
    /// await tls.AuthenticateAsClientAsync("backend.example");
    /// var tlsPipe = new StreamPipe(PipeReader.Create(tls), PipeWriter.Create(tls));
    /// DuplexPipeRelayResult moved = await DuplexPipeRelay.RelayAsync(connection.Transport, tlsPipe, cancellationToken);
    /// Console.WriteLine($"{moved.FirstToSecond} bytes up, {moved.SecondToFirst} bytes down");
    ///
    /// sealed record StreamPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;
    /// </code>
    /// </example>
    public static async Task<DuplexPipeRelayResult> RelayAsync(IDuplexPipe first, IDuplexPipe second, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var state = new RelayState(failed);
        Task<long> forward = CopyAsync(first.Input, second.Output, state);
        Task<long> backward = CopyAsync(second.Input, first.Output, state);
        try
        {
            await Task.WhenAll(forward, backward).ConfigureAwait(false);
        }
        catch when (state.Failure is { } failure && !cancellationToken.IsCancellationRequested)
        {
            // The first real failure, not the cancellation it caused in the other direction.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }

        return new DuplexPipeRelayResult(forward.Result, backward.Result);
    }

    private static async Task<long> CopyAsync(PipeReader source, PipeWriter destination, RelayState state)
    {
        CancellationTokenSource failed = state.Stop;
        long total = 0;
        Exception? error = null;
        try
        {
            while (true)
            {
                ReadResult result = await source.ReadAsync(failed.Token).ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = result.Buffer;
                bool destinationDone = false;
                foreach (ReadOnlyMemory<byte> segment in buffer)
                {
                    FlushResult flush = await destination.WriteAsync(segment, failed.Token).ConfigureAwait(false);
                    if (flush.IsCompleted)
                    {
                        destinationDone = true;
                        break;
                    }
                }

                total += buffer.Length;
                source.AdvanceTo(buffer.End);
                if (result.IsCompleted || result.IsCanceled || destinationDone)
                {
                    return total;
                }
            }
        }
        catch (Exception ex)
        {
            error = ex;
            if (ex is not OperationCanceledException)
            {
                Interlocked.CompareExchange(ref state.Failure, ex, null);
            }

            await failed.CancelAsync().ConfigureAwait(false);
            throw;
        }
        finally
        {
            // Not a clean end: the destinations learn it (a served connection is then closed, not
            // half-closed), with the failure itself where the other direction had one.
            Exception? passOn = error is null ? null : Volatile.Read(ref state.Failure) ?? error;
            await source.CompleteAsync(passOn).ConfigureAwait(false);
            await destination.CompleteAsync(passOn).ConfigureAwait(false);
        }
    }

    /// <summary>What the two directions of one relay share.</summary>
    private sealed class RelayState(CancellationTokenSource stop)
    {
        public CancellationTokenSource Stop { get; } = stop;

        public Exception? Failure;
    }
}
