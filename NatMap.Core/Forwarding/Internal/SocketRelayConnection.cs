using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace NatMap.Forwarding.Internal;

/// <summary>
/// One connection of the managed engine: client socket → pipe → target socket and back, a
/// <see cref="SocketReceiver"/> and a <see cref="SocketSender"/> per direction. Pooled by the
/// forwarder with its two pipes (reset between connections), so a new connection allocates
/// neither pipes nor loops once warmed up.
/// </summary>
internal sealed class SocketRelayConnection : RelayedConnection
{
    private readonly Pipe _up;
    private readonly Pipe _down;
    private readonly TcpRelayCounters _counters;
    private Socket? _client;
    private Socket? _target;

    public SocketRelayConnection(PipeOptions options, TcpRelayCounters counters)
    {
        _up = new Pipe(options);
        _down = new Pipe(options);
        _counters = counters;
    }

    /// <summary>Takes the two connected sockets of a new connection.</summary>
    public void Attach(Socket client, Socket target)
    {
        _client = client;
        _target = target;
        RemoteEndPoint = client.RemoteEndPoint;
        ResetState();
    }

    /// <summary>
    /// Relays both directions until both have finished (FIN each way) or one fails, closes both
    /// sockets and makes the connection ready for <see cref="Attach"/> again.
    /// </summary>
    /// <returns>Why the connection ended.</returns>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<string> RunAsync()
    {
        Socket client = _client!, target = _target!;
        ValueTask<string?> upIn = SocketReceiver.RunAsync(client, _up.Writer, RelayPipeOptions.MinimumReceive, this);
        ValueTask<string?> upOut = SocketSender.RunAsync(_up.Reader, target, this, _counters, toTarget: true);
        ValueTask<string?> downIn = SocketReceiver.RunAsync(target, _down.Writer, RelayPipeOptions.MinimumReceive, this);
        ValueTask<string?> downOut = SocketSender.RunAsync(_down.Reader, client, this, _counters, toTarget: false);
        string? upInReason = await upIn.ConfigureAwait(false);
        string? upOutReason = await upOut.ConfigureAwait(false);
        string? downInReason = await downIn.ConfigureAwait(false);
        string? downOutReason = await downOut.ConfigureAwait(false);
        Abort();
        string reason = AbortReason ?? upInReason ?? upOutReason ?? downInReason ?? downOutReason ?? "closed";
        _up.Reset();
        _down.Reset();
        _client = null;
        _target = null;
        return reason;
    }

    /// <summary>
    /// Closing the sockets is enough to end all four loops: a receiver waiting on its socket fails,
    /// completes its pipe and so wakes the sender; a sender waiting on its socket fails, completes
    /// its pipe and so wakes a receiver paused in a flush.
    /// </summary>
    protected override void OnAbort()
    {
        _client?.Dispose();
        _target?.Dispose();
    }
}
