using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using NatMap.Stun;
using NatMap.Stun.Internal;

namespace NatMap.Tests.Fakes;

/// <summary>
/// The tests' fake STUN server on loopback. One receive loop per UDP socket and one accept loop for
/// TCP hand what arrives either to a test's script (<see cref="Udp"/>, <see cref="Tcp"/>: the script
/// decides what, if anything, goes back) or to the built-in responder (<see cref="Nat"/>,
/// <see cref="Rfc5780"/>), which answers each Binding request with the mapped address
/// <see cref="Map"/> gives for its source, so a test plays the NAT. With four sockets (127.0.0.1 and
/// 127.0.0.2, each on the same two ports) the responder honours CHANGE-REQUEST, RESPONSE-PORT and
/// OTHER-ADDRESS as RFC 5780 says, or breaks them as the chosen <see cref="LoopbackStunMode"/> does.
/// </summary>
internal sealed class LoopbackStunServer : IAsyncDisposable
{
    private static readonly IPAddress AddressA = IPAddress.Loopback;
    private static readonly IPAddress AddressB = IPAddress.Parse("127.0.0.2");

    /// <summary>A1:P1 first; with four sockets A1:P1, A1:P2, A2:P1, A2:P2.</summary>
    private readonly Socket[] _udp;
    private readonly Socket? _tcp;
    private readonly LoopbackStunMode _mode;
    private readonly Func<int, byte[], IPEndPoint, Socket, Task>? _udpScript;
    private readonly Func<int, Socket, CancellationToken, Task>? _tcpScript;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _tasks = [];
    private readonly List<LoopbackStunDatagram> _received = [];
    private readonly Channel<LoopbackStunDatagram> _datagrams = Channel.CreateUnbounded<LoopbackStunDatagram>();
    private readonly Channel<IPEndPoint> _requests = Channel.CreateUnbounded<IPEndPoint>();
    private readonly Channel<IPEndPoint> _dropped = Channel.CreateUnbounded<IPEndPoint>();
    private readonly Channel<(IPEndPoint Source, int Length)> _other = Channel.CreateUnbounded<(IPEndPoint, int)>();
    private volatile Func<IPEndPoint, IPEndPoint> _map = source => source;
    private volatile StrongBox<StunDiscardReason>? _forgery;
    private int _datagramCount;
    private int _connectionCount;

    private LoopbackStunServer(
        Socket[] udp,
        Socket? tcp,
        LoopbackStunMode mode = LoopbackStunMode.NoOtherAddress,
        Func<int, byte[], IPEndPoint, Socket, Task>? udpScript = null,
        Func<int, Socket, CancellationToken, Task>? tcpScript = null)
    {
        _udp = udp;
        _tcp = tcp;
        _mode = mode;
        _udpScript = udpScript;
        _tcpScript = tcpScript;
        Answering = mode != LoopbackStunMode.Silent;
        EndPoint = (IPEndPoint)(udp.Length > 0 ? udp[0] : tcp!).LocalEndPoint!;
        lock (_tasks)
        {
            foreach (var socket in udp)
            {
                _tasks.Add(Task.Run(() => ServeUdpAsync(socket)));
            }

            if (tcp is not null)
            {
                _tasks.Add(Task.Run(() => ServeTcpAsync(tcp)));
            }
        }
    }

    /// <summary>A1:P1, where clients send.</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>A2:P2, the OTHER-ADDRESS of a server made by <see cref="Rfc5780"/>.</summary>
    public IPEndPoint Other => _udp.Length == 4
        ? new IPEndPoint(AddressB, ((IPEndPoint)_udp[1].LocalEndPoint!).Port)
        : throw new InvalidOperationException("Only a server made by Rfc5780 has a second address.");

    /// <summary><see cref="EndPoint"/> as the STUN client's options take it.</summary>
    public StunServerEndPoint Server => new(EndPoint.Address.ToString(), EndPoint.Port);

    /// <summary>"host:port" for the mapper's options.</summary>
    public string Text => EndPoint.ToString();

    /// <summary>The responder's NAT: source seen, mapped address answered. Unchanged by default.</summary>
    public Func<IPEndPoint, IPEndPoint> Map
    {
        get => _map;
        set => _map = value;
    }

    /// <summary>
    /// When set, the responder sends a forged answer that fails this check
    /// (<see cref="StunResponses.Forged"/>) ahead of each true answer, from the same socket, as an
    /// on-path attacker would. Null (the default) sends only the true answers.
    /// </summary>
    public StunDiscardReason? ForgeFirst
    {
        get => _forgery?.Value;
        set => _forgery = value is { } reason ? new StrongBox<StunDiscardReason>(reason) : null;
    }

    /// <summary>When false, the responder reads requests and drops them (a dead server).</summary>
    public bool Answering { get; set; }

    /// <summary>UDP datagrams received so far, on every socket.</summary>
    public int DatagramCount => Volatile.Read(ref _datagramCount);

    /// <summary>TCP connections accepted so far.</summary>
    public int ConnectionCount => Volatile.Read(ref _connectionCount);

    /// <summary>Every UDP datagram received, in order, to wait on.</summary>
    public ChannelReader<LoopbackStunDatagram> Datagrams => _datagrams.Reader;

    /// <summary>Every UDP datagram received so far, as a snapshot.</summary>
    public IReadOnlyList<LoopbackStunDatagram> Received
    {
        get
        {
            lock (_received)
            {
                return [.. _received];
            }
        }
    }

    /// <summary>The responder's log: the source of each Binding request it answered (UDP or TCP), in order.</summary>
    public ChannelReader<IPEndPoint> Requests => _requests.Reader;

    /// <summary>The responder's log: datagrams that are not Binding requests (such as one-byte keep-alives).</summary>
    public ChannelReader<(IPEndPoint Source, int Length)> OtherDatagrams => _other.Reader;

    /// <summary>The responder's log: the source of each request dropped while <see cref="Answering"/> was false.</summary>
    public ChannelReader<IPEndPoint> Dropped => _dropped.Reader;

    /// <summary>A UDP server on 127.0.0.1 whose <paramref name="script"/>(index, request, client, socket) runs for each datagram.</summary>
    public static LoopbackStunServer Udp(Func<int, byte[], IPEndPoint, Socket, Task> script) =>
        new([Bind(SocketType.Dgram, new IPEndPoint(AddressA, 0))], null, udpScript: script);

    /// <summary>A TCP server on 127.0.0.1 whose <paramref name="script"/>(index, connection, token) runs for each connection, which is closed afterwards.</summary>
    public static LoopbackStunServer Tcp(Func<int, Socket, CancellationToken, Task> script) =>
        new([], Bind(SocketType.Stream, new IPEndPoint(AddressA, 0)), tcpScript: script);

    /// <summary>
    /// A responder on 127.0.0.1 over UDP and TCP on the same port, answering with
    /// <paramref name="map"/>(source), or dead from the start unless <paramref name="answering"/>.
    /// </summary>
    public static LoopbackStunServer Nat(Func<IPEndPoint, IPEndPoint> map, bool answering = true)
    {
        for (int attempt = 0; attempt < 50; attempt++)
        {
            var tcp = Bind(SocketType.Stream, new IPEndPoint(AddressA, 0));
            try
            {
                var udp = Bind(SocketType.Dgram, (IPEndPoint)tcp.LocalEndPoint!);
                return new LoopbackStunServer([udp], tcp) { Map = map, Answering = answering };
            }
            catch (SocketException)
            {
                // The TCP port is taken for UDP: try another.
                tcp.Dispose();
            }
        }

        throw new InvalidOperationException("could not bind one port for both UDP and TCP on 127.0.0.1");
    }

    /// <summary>An RFC 5780 responder (two addresses, two ports) that behaves as <paramref name="mode"/> says.</summary>
    public static LoopbackStunServer Rfc5780(LoopbackStunMode mode)
    {
        for (int attempt = 0; attempt < 50; attempt++)
        {
            var sockets = new List<Socket>();
            try
            {
                sockets.Add(Bind(SocketType.Dgram, new IPEndPoint(AddressA, 0)));
                sockets.Add(Bind(SocketType.Dgram, new IPEndPoint(AddressA, 0)));
                int port1 = ((IPEndPoint)sockets[0].LocalEndPoint!).Port;
                int port2 = ((IPEndPoint)sockets[1].LocalEndPoint!).Port;
                sockets.Add(Bind(SocketType.Dgram, new IPEndPoint(AddressB, port1)));
                sockets.Add(Bind(SocketType.Dgram, new IPEndPoint(AddressB, port2)));
                return new LoopbackStunServer([.. sockets], null, mode);
            }
            catch (SocketException)
            {
                // Port 0 gave a port that is taken on 127.0.0.2: try another pair.
                sockets.ForEach(s => s.Dispose());
            }
        }

        throw new InvalidOperationException("could not bind the same two ports on 127.0.0.1 and 127.0.0.2");
    }

    /// <summary>Reads one complete STUN message (header, then Length bytes) from a connection, asserting it is all there.</summary>
    public static async Task<byte[]> ReadRequestAsync(Socket connection, CancellationToken cancellationToken)
    {
        var request = await ReadFrameAsync(connection, cancellationToken);
        Assert.NotNull(request);
        return request;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (var socket in _udp)
        {
            socket.Dispose();
        }

        _tcp?.Dispose();
        Task[] tasks;
        lock (_tasks)
        {
            tasks = [.. _tasks];
        }

        var all = Task.WhenAll(tasks);
        if (await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(10))) != all)
        {
            throw new TimeoutException("the fake STUN server's loops did not stop");
        }

        _stop.Dispose();

        // A script's failed assertion ends its loop; it surfaces here rather than being lost.
        var failure = tasks.Where(t => t.IsFaulted).SelectMany(t => t.Exception!.InnerExceptions).FirstOrDefault(e => !IsStopping(e));
        if (failure is not null)
        {
            ExceptionDispatchInfo.Throw(failure);
        }
    }

    private static bool IsStopping(Exception exception) => exception is OperationCanceledException or ObjectDisposedException or SocketException;

    private static Socket Bind(SocketType type, IPEndPoint endPoint)
    {
        var socket = new Socket(AddressFamily.InterNetwork, type, type == SocketType.Dgram ? ProtocolType.Udp : ProtocolType.Tcp);
        try
        {
            socket.Bind(endPoint);
            if (type == SocketType.Stream)
            {
                socket.Listen();
            }

            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>A whole STUN message framed by its header's length (RFC 8489 section 6.2.2), or null when the peer closes first.</summary>
    private static async Task<byte[]?> ReadFrameAsync(Socket connection, CancellationToken cancellationToken)
    {
        var header = new byte[StunConstants.HeaderLength];
        if (!await ReadExactlyAsync(connection, header, cancellationToken))
        {
            return null;
        }

        var frame = new byte[StunConstants.HeaderLength + ((header[2] << 8) | header[3])];
        header.CopyTo(frame, 0);
        return await ReadExactlyAsync(connection, frame.AsMemory(StunConstants.HeaderLength), cancellationToken) ? frame : null;
    }

    private static async Task<bool> ReadExactlyAsync(Socket connection, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (!buffer.IsEmpty)
        {
            int read = await connection.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                return false;
            }

            buffer = buffer[read..];
        }

        return true;
    }

    private async Task ServeUdpAsync(Socket socket)
    {
        var buffer = new byte[65536];
        var local = (IPEndPoint)socket.LocalEndPoint!;
        while (true)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), _stop.Token);
            }
            catch (Exception ex) when (IsStopping(ex) && _stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionRefused)
            {
                // An ICMP error for an earlier reply: the socket still works.
                continue;
            }

            var datagram = new LoopbackStunDatagram(buffer.AsSpan(0, received.ReceivedBytes).ToArray(), (IPEndPoint)received.RemoteEndPoint, local);
            int index = Interlocked.Increment(ref _datagramCount) - 1;
            lock (_received)
            {
                _received.Add(datagram);
            }

            _datagrams.Writer.TryWrite(datagram);
            if (_udpScript is not null)
            {
                await _udpScript(index, datagram.Data, datagram.From, socket);
                continue;
            }

            var reply = Respond(datagram.Data, datagram.From, local, out var replyFrom, out var replyTo);
            if (reply is not null)
            {
                try
                {
                    if (Forgery(reply) is { } forged)
                    {
                        await replyFrom.SendToAsync(forged, SocketFlags.None, replyTo, _stop.Token);
                    }

                    await replyFrom.SendToAsync(reply, SocketFlags.None, replyTo, _stop.Token);
                }
                catch (Exception ex) when (IsStopping(ex))
                {
                    // Stopping, or the client is gone.
                }
            }
        }
    }

    private async Task ServeTcpAsync(Socket listener)
    {
        var local = (IPEndPoint)listener.LocalEndPoint!;
        while (true)
        {
            Socket connection;
            try
            {
                connection = await listener.AcceptAsync(_stop.Token);
            }
            catch (Exception ex) when (IsStopping(ex))
            {
                if (_stop.IsCancellationRequested)
                {
                    return;
                }

                // A connection reset before it was accepted.
                continue;
            }

            int index = Interlocked.Increment(ref _connectionCount) - 1;
            lock (_tasks)
            {
                _tasks.Add(Task.Run(() => ServeConnectionAsync(index, connection, local)));
            }
        }
    }

    private async Task ServeConnectionAsync(int index, Socket connection, IPEndPoint local)
    {
        using (connection)
        {
            try
            {
                if (_tcpScript is not null)
                {
                    await _tcpScript(index, connection, _stop.Token);
                    return;
                }

                var source = (IPEndPoint)connection.RemoteEndPoint!;
                while (await ReadFrameAsync(connection, _stop.Token) is { } request)
                {
                    if (Respond(request, source, local, out _, out _) is { } reply)
                    {
                        if (Forgery(reply) is { } forged)
                        {
                            await connection.SendAsync(forged, SocketFlags.None, _stop.Token);
                        }

                        await connection.SendAsync(reply, SocketFlags.None, _stop.Token);
                    }
                }
            }
            catch (Exception ex) when (IsStopping(ex))
            {
                // The client went away or the test ended.
            }
        }
    }

    /// <summary>The forged datagram to send ahead of <paramref name="reply"/>, or null when <see cref="ForgeFirst"/> is not set.</summary>
    private byte[]? Forgery(byte[] reply) =>
        _forgery is { } forgery ? StunResponses.Forged(forgery.Value, StunTransactionId.Read(reply.AsSpan(8, StunConstants.TransactionIdLength))) : null;

    /// <summary>
    /// The responder: the reply to <paramref name="datagram"/> from <paramref name="from"/> that
    /// reached <paramref name="local"/>, the socket to send it from and where to, or null for none.
    /// </summary>
    private byte[]? Respond(ReadOnlySpan<byte> datagram, IPEndPoint from, IPEndPoint local, out Socket replyFrom, out IPEndPoint replyTo)
    {
        replyFrom = SocketFor(local.Address, local.Port);
        replyTo = from;
        if (!Answering)
        {
            _dropped.Writer.TryWrite(from);
            return null;
        }

        if (!StunResponses.TryReadBindingRequest(datagram, out var request))
        {
            _other.Writer.TryWrite((from, datagram.Length));
            return null;
        }

        _requests.Writer.TryWrite(from);
        var id = request.Header.TransactionId;
        ChangeRequestAttribute.TryRead(request, out var flags);
        if (flags != StunChangeFlags.None && _mode == LoopbackStunMode.RejectsChangeRequest)
        {
            return StunResponses.Error(id, 420, "Unknown Attribute");
        }

        if (_mode != LoopbackStunMode.IgnoresChangeRequest)
        {
            var address = flags.HasFlag(StunChangeFlags.ChangeIP) ? OtherAddress(local.Address) : local.Address;
            int port = flags.HasFlag(StunChangeFlags.ChangePort) ? OtherPort(local.Port) : local.Port;
            replyFrom = SocketFor(address, port);
        }

        if (_mode != LoopbackStunMode.IgnoresResponsePort && ResponsePortAttribute.TryRead(request, out ushort responsePort))
        {
            replyTo = new IPEndPoint(from.Address, responsePort);
        }

        var origin = (IPEndPoint)replyFrom.LocalEndPoint!;

        // OTHER-ADDRESS differs from the answering socket in both address and port.
        var other = _udp.Length == 4 && _mode != LoopbackStunMode.NoOtherAddress
            ? new IPEndPoint(OtherAddress(origin.Address), OtherPort(origin.Port))
            : null;
        return StunResponses.Success(id, Map(from), otherAddress: other, responseOrigin: origin);
    }

    private static IPAddress OtherAddress(IPAddress address) => address.Equals(AddressA) ? AddressB : AddressA;

    private int OtherPort(int port) => port == EndPoint.Port ? ((IPEndPoint)_udp[^1].LocalEndPoint!).Port : EndPoint.Port;

    /// <summary>The UDP socket on that address and port; a server with one socket answers from it whatever is asked.</summary>
    private Socket SocketFor(IPAddress address, int port) =>
        _udp.Length == 4 ? _udp[(address.Equals(AddressA) ? 0 : 2) + (port == EndPoint.Port ? 0 : 1)] : _udp[0];
}
