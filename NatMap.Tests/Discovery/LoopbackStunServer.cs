using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using NatMap.Stun.Internal;

namespace NatMap.Tests.Discovery;

/// <summary>How <see cref="LoopbackStunServer"/> treats requests.</summary>
internal enum LoopbackStunMode
{
    /// <summary>RFC 5780 complete: OTHER-ADDRESS, CHANGE-REQUEST and RESPONSE-PORT honoured.</summary>
    Rfc5780,

    /// <summary>Sends OTHER-ADDRESS but answers every request from the socket it reached.</summary>
    IgnoresChangeRequest,

    /// <summary>Answers CHANGE-REQUEST with error 420, as a server with one address does.</summary>
    RejectsChangeRequest,

    /// <summary>Plain RFC 8489 server: no OTHER-ADDRESS.</summary>
    NoOtherAddress,

    /// <summary>Honours CHANGE-REQUEST but answers to the request's source, ignoring RESPONSE-PORT.</summary>
    IgnoresResponsePort,

    /// <summary>Receives and never answers.</summary>
    Silent,
}

/// <summary>
/// A fake STUN server for loopback tests: four UDP sockets on 127.0.0.1 and 127.0.0.2, each on
/// the same two ports, so it can answer from its other address and/or port like an RFC 5780 server
/// with two addresses. Records the source of every request it receives.
/// </summary>
internal sealed class LoopbackStunServer : IAsyncDisposable
{
    private static readonly IPAddress AddressA = IPAddress.Parse("127.0.0.1");
    private static readonly IPAddress AddressB = IPAddress.Parse("127.0.0.2");

    private readonly Socket[] _sockets;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _loops;
    private readonly LoopbackStunMode _mode;

    private LoopbackStunServer(LoopbackStunMode mode, Socket[] sockets, int port1, int port2)
    {
        _mode = mode;
        _sockets = sockets;
        Primary = new IPEndPoint(AddressA, port1);
        Other = new IPEndPoint(AddressB, port2);
        _loops = sockets.Select(s => Task.Run(() => ServeAsync(s, _stop.Token))).ToArray();
    }

    /// <summary>A1:P1, where clients send.</summary>
    public IPEndPoint Primary { get; }

    /// <summary>A2:P2, the OTHER-ADDRESS.</summary>
    public IPEndPoint Other { get; }

    /// <summary>Each request: the client's source and the server socket it reached.</summary>
    public ConcurrentQueue<(IPEndPoint From, IPEndPoint To)> Requests { get; } = new();

    public static LoopbackStunServer Start(LoopbackStunMode mode)
    {
        for (int attempt = 0; attempt < 50; attempt++)
        {
            var sockets = new List<Socket>();
            try
            {
                var a1 = Bind(new IPEndPoint(AddressA, 0), sockets);
                int port1 = ((IPEndPoint)a1.LocalEndPoint!).Port;
                var a2 = Bind(new IPEndPoint(AddressA, 0), sockets);
                int port2 = ((IPEndPoint)a2.LocalEndPoint!).Port;
                Bind(new IPEndPoint(AddressB, port1), sockets);
                Bind(new IPEndPoint(AddressB, port2), sockets);

                // Order: A1:P1, A1:P2, A2:P1, A2:P2.
                return new LoopbackStunServer(mode, [.. sockets], port1, port2);
            }
            catch (SocketException)
            {
                // Port 0 gave a port that is taken on 127.0.0.2: try another pair.
                sockets.ForEach(s => s.Dispose());
            }
        }

        throw new InvalidOperationException("could not bind the same two ports on 127.0.0.1 and 127.0.0.2");
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }

        try
        {
            await Task.WhenAll(_loops).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private static Socket Bind(IPEndPoint endPoint, List<Socket> sockets)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        sockets.Add(socket);
        socket.Bind(endPoint);
        return socket;
    }

    private Socket SocketFor(IPAddress address, int port) =>
        _sockets[(address.Equals(AddressA) ? 0 : 2) + (port == Primary.Port ? 0 : 1)];

    private async Task ServeAsync(Socket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[2048];
        var local = (IPEndPoint)socket.LocalEndPoint!;
        while (!cancellationToken.IsCancellationRequested)
        {
            var received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), cancellationToken);
            var from = (IPEndPoint)received.RemoteEndPoint;
            Requests.Enqueue((from, local));
            if (_mode == LoopbackStunMode.Silent)
            {
                continue;
            }

            var reply = Answer(buffer.AsSpan(0, received.ReceivedBytes), from, local, out var replyFrom, out var replyTo);
            if (reply is not null)
            {
                await replyFrom.SendToAsync(reply, SocketFlags.None, replyTo, cancellationToken);
            }
        }
    }

    private byte[]? Answer(ReadOnlySpan<byte> datagram, IPEndPoint from, IPEndPoint local, out Socket replyFrom, out IPEndPoint replyTo)
    {
        replyFrom = SocketFor(local.Address, local.Port);
        replyTo = from;
        if (StunMessage.TryParse(datagram, out var request) != StunParseError.None || request.Header.Class != StunClass.Request)
        {
            return null;
        }

        ChangeRequestAttribute.TryRead(request, out var flags);
        var buffer = new byte[512];
        if (flags != StunChangeFlags.None && _mode == LoopbackStunMode.RejectsChangeRequest)
        {
            var error = new StunMessageWriter(buffer, StunClass.ErrorResponse, (ushort)StunMethod.Binding, request.Header.TransactionId);
            ErrorCodeAttribute.Write(ref error, 420, Encoding.UTF8.GetBytes("Unknown Attribute"));
            return error.Written.ToArray();
        }

        if (_mode is not LoopbackStunMode.IgnoresChangeRequest)
        {
            var address = flags.HasFlag(StunChangeFlags.ChangeIP) ? (local.Address.Equals(AddressA) ? AddressB : AddressA) : local.Address;
            int port = flags.HasFlag(StunChangeFlags.ChangePort) ? (local.Port == Primary.Port ? Other.Port : Primary.Port) : local.Port;
            replyFrom = SocketFor(address, port);
        }

        if (_mode != LoopbackStunMode.IgnoresResponsePort && ResponsePortAttribute.TryRead(request, out ushort responsePort))
        {
            replyTo = new IPEndPoint(from.Address, responsePort);
        }

        var origin = (IPEndPoint)replyFrom.LocalEndPoint!;
        var writer = new StunMessageWriter(buffer, StunClass.SuccessResponse, (ushort)StunMethod.Binding, request.Header.TransactionId);
        XorMappedAddressAttribute.Write(ref writer, StunAddress.FromIPEndPoint(from));
        if (_mode != LoopbackStunMode.NoOtherAddress)
        {
            // OTHER-ADDRESS differs from the answering socket in both address and port.
            var other = new IPEndPoint(origin.Address.Equals(AddressA) ? AddressB : AddressA, origin.Port == Primary.Port ? Other.Port : Primary.Port);
            OtherAddressAttribute.Write(ref writer, StunAddress.FromIPEndPoint(other));
        }

        ResponseOriginAttribute.Write(ref writer, StunAddress.FromIPEndPoint(origin));
        FingerprintAttribute.Write(ref writer);
        return writer.Written.ToArray();
    }
}
