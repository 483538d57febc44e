using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

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
    private readonly TcpRelayCounters _counters;
    private Task<string>? _running;

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

    /// <summary>Closes the connection, waits for its loops and completes the app's ends too (so their segments go back to the pool).</summary>
    public async ValueTask CloseAsync()
    {
        Abort("closed by the app");
        await Completion.ConfigureAwait(false);
        await _input.Reader.CompleteAsync().ConfigureAwait(false);
        await _output.Writer.CompleteAsync().ConfigureAwait(false);
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
        ValueTask<string?> send = SocketSender.RunAsync(_output.Reader, _socket, this, _counters, toTarget: false);
        string? receiveReason = await receive.ConfigureAwait(false);
        string? sendReason = await send.ConfigureAwait(false);
        Abort();
        return AbortReason ?? receiveReason ?? sendReason ?? "closed";
    }
}
