using System.Net;
using System.Threading.Tasks.Sources;

namespace NatMap.Mapping.Internal;

/// <summary>
/// One pending <see cref="IMappedUdpServer.ReceiveFromAsync"/> of the app: the app's buffer and
/// address, and the value task it awaits. Pooled by its <see cref="UdpAppQueue"/>, which takes it
/// back once the app has read the result, so a receive that has to wait allocates nothing.
/// </summary>
internal sealed class UdpAppReceive : IValueTaskSource<int>
{
    private readonly UdpAppQueue _owner;
    private ManualResetValueTaskSourceCore<int> _source;

    public UdpAppReceive(UdpAppQueue owner)
    {
        _owner = owner;

        // The queue's receive loop completes it: the app's continuation must not run on that loop.
        _source.RunContinuationsAsynchronously = true;
    }

    public Memory<byte> Buffer { get; private set; }

    public SocketAddress? RemoteAddress { get; private set; }

    public CancellationToken CancellationToken { get; private set; }

    public CancellationTokenRegistration Registration { get; set; }

    public ValueTask<int> Task => new(this, _source.Version);

    public void Arm(Memory<byte> buffer, SocketAddress remoteAddress, CancellationToken cancellationToken)
    {
        _source.Reset();
        Buffer = buffer;
        RemoteAddress = remoteAddress;
        CancellationToken = cancellationToken;
    }

    /// <summary>Called by the registration of the receive's token.</summary>
    public void Cancel() => _owner.Cancel(this);

    /// <summary>Copies the datagram and its sender into the app's buffer and address, and completes the receive.</summary>
    public void Complete(ReadOnlySpan<byte> datagram, SocketAddress from)
    {
        Registration.Dispose();
        int length = Math.Min(datagram.Length, Buffer.Length);
        datagram[..length].CopyTo(Buffer.Span);
        from.Buffer.Span[..from.Size].CopyTo(RemoteAddress!.Buffer.Span);
        RemoteAddress.Size = from.Size;
        Release();
        _source.SetResult(length);
    }

    public void Fail(Exception error)
    {
        Registration.Dispose();
        Release();
        _source.SetException(error);
    }

    int IValueTaskSource<int>.GetResult(short token)
    {
        try
        {
            return _source.GetResult(token);
        }
        finally
        {
            _owner.Return(this);
        }
    }

    ValueTaskSourceStatus IValueTaskSource<int>.GetStatus(short token) => _source.GetStatus(token);

    void IValueTaskSource<int>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _source.OnCompleted(continuation, state, token, flags);

    /// <summary>Lets go of the app's buffer and address before the app can see the result.</summary>
    private void Release()
    {
        Buffer = default;
        RemoteAddress = null;
        CancellationToken = default;
        Registration = default;
    }
}
