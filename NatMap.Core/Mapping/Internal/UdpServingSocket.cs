using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using NatMap.Internal;
using NatMap.Sockets.Internal;

namespace NatMap.Mapping.Internal;

/// <summary>
/// The socket side of in-process UDP serving. While a mapping socket is attached, one receive loop
/// owns it: answers to the mapper's STUN checks go to the check (<see cref="ServedUdpStun.TryClaim"/>),
/// everything else to the app's queue. The queue outlives the socket, so the app's pending receives
/// carry on across a rebind.
/// </summary>
internal sealed class UdpServingSocket : IUdpDatagramSink
{
    /// <summary>Enough for any UDP payload (65,507 bytes over IPv4, 65,527 over IPv6).</summary>
    private const int MaxDatagram = 65536;

    /// <summary>
    /// As for the forwarder's listening socket (see UdpForwardingLoop): every client's datagrams queue
    /// on this one socket, and a large datagram reassembled from fragments costs far more than its
    /// length, which the 208 KiB default does not absorb when several arrive together.
    /// </summary>
    private const int ReceiveBufferSize = 2 * 1024 * 1024;

    private readonly AddressFamily _family;
    private readonly ILogger _logger;
    private readonly UdpAppQueue _queue;
    private readonly byte[] _buffer = GC.AllocateUninitializedArray<byte>(MaxDatagram, pinned: true);
    private Socket? _socket;
    private EndPoint? _localEndPoint;
    private ServedUdpStun? _stun;
    private CancellationTokenSource? _stopping;
    private Task? _receiving;
    private long _claimedBefore;

    public UdpServingSocket(AddressFamily family, ILogger logger)
    {
        _family = family;
        _logger = logger;
        _queue = new UdpAppQueue(family);
    }

    public long DroppedDatagrams => _queue.Dropped;

    /// <summary>STUN answers kept from the app, over every socket so far (tests watch the checks through it).</summary>
    public long ClaimedStunAnswers => _claimedBefore + (Volatile.Read(ref _stun)?.ClaimedAnswers ?? 0);

    /// <summary>Starts the receive loop on a freshly bound mapping socket; returns the STUN transport of its checks.</summary>
    public ServedUdpStun Attach(Socket socket)
    {
        LinuxSocketOptions.SetReceiveBufferSize(socket, ReceiveBufferSize);
        var stun = new ServedUdpStun(socket);
        _stopping = new CancellationTokenSource();
        _localEndPoint = socket.LocalEndPoint;
        Volatile.Write(ref _stun, stun);
        Volatile.Write(ref _socket, socket);
        _receiving = UdpReceiveLoop.RunAsync(socket, _buffer, this, _stopping.Token);
        return stun;
    }

    /// <summary>Stops the receive loop; the caller then closes the socket.</summary>
    public async Task DetachAsync()
    {
        Volatile.Write(ref _socket, null);
        if (_stopping is null)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        await _receiving!.ConfigureAwait(false);
        _stopping.Dispose();
        _stopping = null;
        _claimedBefore += _stun!.ClaimedAnswers;
        Volatile.Write(ref _stun, null);
    }

    /// <summary>The mapping stopped (WatchAsync ended, or the mapper is disposed): waiting receives fail.</summary>
    public void Stopped(bool disposed) => _queue.FailWaiting(
        disposed ? new ObjectDisposedException(nameof(IMappedUdpServer)) : ThrowHelper.Create(NatMapErrorKind.NetworkError, "The UDP mapping stopped: WatchAsync is no longer being enumerated."),
        disposed);

    public ValueTask<int> ReceiveFromAsync(Memory<byte> buffer, SocketAddress remoteAddress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(remoteAddress);
        if (remoteAddress.Buffer.Length < SocketAddress.GetMaximumAddressSize(_family))
        {
            throw new ArgumentException(
                "The address is too small for the mapping's address family " + _family + ": create it with new SocketAddress(AddressFamily." + _family + ").",
                nameof(remoteAddress));
        }

        return _queue.ReceiveAsync(buffer, remoteAddress, cancellationToken);
    }

    public ValueTask<int> SendToAsync(ReadOnlyMemory<byte> datagram, SocketAddress remoteAddress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(remoteAddress);
        var socket = CurrentSocket();
        ValueTask<int> sending;
        try
        {
            sending = socket.SendToAsync(datagram, SocketFlags.None, remoteAddress, cancellationToken);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return ValueTask.FromException<int>(SendFailed(ex));
        }

        return sending.IsCompletedSuccessfully ? sending : AwaitSendAsync(sending);
    }

    private Socket CurrentSocket() =>
        Volatile.Read(ref _socket)
        ?? throw ThrowHelper.Create(NatMapErrorKind.NetworkError, "No UDP socket is bound: the mapping is not running, or is binding again.");

    private static async ValueTask<int> AwaitSendAsync(ValueTask<int> sending)
    {
        try
        {
            return await sending.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            throw SendFailed(ex);
        }
    }

    private static NatMapException SendFailed(Exception ex) => ex is SocketException socketError
        ? ThrowHelper.Create(NatMapErrorKind.NetworkError, "Sending from the mapped UDP socket failed: " + SocketErrorClassifier.Describe(socketError) + ".", ex)
        : ThrowHelper.Create(NatMapErrorKind.NetworkError, "No UDP socket is bound: the mapping is binding again.", ex);

    /// <summary>The one reader of the socket hands each datagram here: the mapper's STUN answers to the check, the rest to the app.</summary>
    void IUdpDatagramSink.OnDatagram(ReadOnlySpan<byte> datagram, SocketAddress from)
    {
        if (!_stun!.TryClaim(datagram, from))
        {
            _queue.Deliver(datagram, from);
        }
    }

    /// <summary>An ICMP error for an earlier send, reported (and cleared) by a receive: only that send was lost.</summary>
    void IUdpDatagramSink.OnReceiveFailed(SocketError error) => MappingLog.ServedReceiveFailed(_logger, _localEndPoint, error);
}
