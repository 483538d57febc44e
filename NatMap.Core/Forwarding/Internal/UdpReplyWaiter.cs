using System.Net.Sockets;
using System.Threading.Tasks.Sources;

namespace NatMap.Forwarding.Internal;

/// <summary>
/// Waits until a session's socket has a reply to read, with a zero-byte MSG_PEEK receive, and
/// reports the outcome as a <see cref="SocketError"/> instead of throwing. A session that goes
/// idle is closed by disposing its socket under this wait; Socket.ReceiveAsync would end the
/// wait with an exception, and its stack trace, for every such session. Reusable: the forwarder
/// keeps a few for the next sessions.
/// </summary>
internal sealed class UdpReplyWaiter : SocketAsyncEventArgs, IValueTaskSource<SocketError>
{
    private ManualResetValueTaskSourceCore<SocketError> _source;

    public UdpReplyWaiter()
        : base(unsafeSuppressExecutionContextFlow: true)
    {
        SetBuffer(Memory<byte>.Empty);
        SocketFlags = SocketFlags.Peek;
    }

    /// <exception cref="ObjectDisposedException">The socket was closed before the wait began.</exception>
    public ValueTask<SocketError> WaitAsync(Socket socket)
    {
        _source.Reset();
        return socket.ReceiveAsync(this)
            ? new ValueTask<SocketError>(this, _source.Version)
            : new ValueTask<SocketError>(SocketError);
    }

    SocketError IValueTaskSource<SocketError>.GetResult(short token) => _source.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<SocketError>.GetStatus(short token) => _source.GetStatus(token);

    void IValueTaskSource<SocketError>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _source.OnCompleted(continuation, state, token, flags);

    protected override void OnCompleted(SocketAsyncEventArgs e) => _source.SetResult(e.SocketError);
}
