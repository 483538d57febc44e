using System.IO.Pipelines;
using System.Net.Sockets;

namespace NatMap.Forwarding.Internal;

/// <summary>
/// A connection served in-process: socket → pipe → the app, and the app → pipe → socket, a
/// <see cref="SocketReceiver"/> and a <see cref="SocketSender"/> on the socket's side. The peer's
/// FIN completes the app's input; the app completing its output sends FIN. The app's continuations
/// run on the thread pool, never on a relay loop's stack (or under the forwarder's lock, where an
/// abort may come from).
/// </summary>
internal sealed class ServedConnection : RelayedConnection, IDuplexPipe
{
    private readonly Socket _socket;
    private readonly Pipe _input;
    private readonly Pipe _output;
    /// <summary>How long disposal waits for what the app wrote to go out before it closes the socket anyway.</summary>
    public static readonly TimeSpan Linger = TimeSpan.FromSeconds(10);

    private readonly TcpRelayCounters _counters;
    private Task<string>? _running;
    private Task<string?>? _sending;

    public ServedConnection(Socket socket, PinnedBlockMemoryPool pool, TcpRelayCounters counters)
    {
        _socket = socket;
        _counters = counters;
        _input = new Pipe(RelayPipeOptions.SocketToApp(pool));
        _output = new Pipe(RelayPipeOptions.AppToSocket(pool));
        RemoteEndPoint = socket.RemoteEndPoint;
        LocalEndPoint = socket.LocalEndPoint;
    }

    public System.Net.EndPoint? LocalEndPoint { get; }

    /// <summary>What the peer sent: completes at its FIN (or with an IOException when the connection is closed otherwise).</summary>
    public PipeReader Input => _input.Reader;

    /// <summary>What goes to the peer: complete it to send FIN.</summary>
    public PipeWriter Output => _output.Writer;

    /// <summary>Ends when both directions have finished or the connection was aborted; gives the reason.</summary>
    public Task<string> Completion => _running ?? throw new InvalidOperationException("The connection has not been started.");

    /// <summary>Starts both loops.</summary>
    public void Start() => _running = RunAsync();

    /// <summary>
    /// Closes the connection as the app leaves it: completes the app's ends (for the output, that
    /// is FIN after whatever the app wrote), waits up to <see cref="Linger"/> for those bytes to go
    /// out, then closes the socket and waits for the loops.
    /// </summary>
    public async ValueTask CloseAsync()
    {
        await _output.Writer.CompleteAsync().ConfigureAwait(false);
        await _input.Reader.CompleteAsync().ConfigureAwait(false);
        try
        {
            await _sending!.WaitAsync(Linger).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The peer does not read: close anyway.
        }

        Abort("closed by the app");
        await Completion.ConfigureAwait(false);
    }

    protected override void OnAbort()
    {
        _socket.Dispose();
        // The app may never read (a receiver paused in a flush) or never write (a sender waiting
        // to read): wake both; closing the socket alone reaches neither.
        _input.Writer.CancelPendingFlush();
        _output.Reader.CancelPendingRead();
    }

    private async Task<string> RunAsync()
    {
        ValueTask<string?> receive = SocketReceiver.RunAsync(_socket, _input.Writer, RelayPipeOptions.MinimumReceive, this, _counters);
        _sending = SocketSender.RunAsync(_output.Reader, _socket, this, _counters, toTarget: false).AsTask();
        string? receiveReason = await receive.ConfigureAwait(false);
        string? sendReason = await _sending.ConfigureAwait(false);
        Abort();
        return AbortReason ?? receiveReason ?? sendReason ?? "closed";
    }
}
