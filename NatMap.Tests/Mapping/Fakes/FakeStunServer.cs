using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace NatMap.Tests.Mapping.Fakes;

/// <summary>
/// A STUN Binding responder on loopback (UDP and TCP on the same port number where free), answering
/// with an XOR-MAPPED-ADDRESS that <see cref="Map"/> computes from the source it saw, so tests play the
/// NAT. Written from RFC 8489 sections 5, 6 and 14.2, independent of the library's codec.
/// </summary>
internal sealed class FakeStunServer : IAsyncDisposable
{
    private const uint MagicCookie = 0x2112A442;
    private readonly Socket _udp;
    private readonly TcpListener _tcp;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _udpLoop;
    private readonly Task _tcpLoop;
    private readonly Channel<IPEndPoint> _requests = Channel.CreateUnbounded<IPEndPoint>();
    private readonly Channel<IPEndPoint> _dropped = Channel.CreateUnbounded<IPEndPoint>();
    private readonly Channel<(IPEndPoint Source, int Length)> _other = Channel.CreateUnbounded<(IPEndPoint, int)>();
    private volatile Func<IPEndPoint, IPEndPoint> _map;

    public FakeStunServer(Func<IPEndPoint, IPEndPoint> map, IPAddress? address = null)
    {
        address ??= IPAddress.Loopback;
        _map = map;
        _tcp = new TcpListener(address, 0);
        _tcp.Start();
        int port = ((IPEndPoint)_tcp.LocalEndpoint).Port;
        _udp = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _udp.Bind(new IPEndPoint(address, port));
        EndPoint = new IPEndPoint(address, port);
        _udpLoop = ServeUdpAsync();
        _tcpLoop = ServeTcpAsync();
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>"host:port" for the options.</summary>
    public string Text => EndPoint.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{EndPoint.Address}]:{EndPoint.Port}" : EndPoint.ToString();

    /// <summary>The NAT's behaviour: source seen → mapped address answered.</summary>
    public Func<IPEndPoint, IPEndPoint> Map
    {
        get => _map;
        set => _map = value;
    }

    /// <summary>When false, requests are read and dropped (a dead server).</summary>
    public bool Answering { get; set; } = true;

    /// <summary>The source of each Binding request answered, in order.</summary>
    public ChannelReader<IPEndPoint> Requests => _requests.Reader;

    /// <summary>Datagrams that are not Binding requests (such as one-byte keep-alives): source and length.</summary>
    public ChannelReader<(IPEndPoint Source, int Length)> OtherDatagrams => _other.Reader;

    /// <summary>The source of each request dropped while <see cref="Answering"/> was false.</summary>
    public ChannelReader<IPEndPoint> Dropped => _dropped.Reader;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _udp.Dispose();
        _tcp.Stop();
        await Task.WhenAll(_udpLoop, _tcpLoop).WaitAsync(TimeSpan.FromSeconds(10));
        _stop.Dispose();
    }

    /// <summary>A Binding success response for <paramref name="request"/> from <paramref name="source"/>, or null if not a Binding request.</summary>
    private byte[]? Answer(ReadOnlySpan<byte> request, IPEndPoint source)
    {
        if (request.Length < 20 || BinaryPrimitives.ReadUInt16BigEndian(request) != 0x0001 || BinaryPrimitives.ReadUInt32BigEndian(request[4..]) != MagicCookie)
        {
            return null;
        }

        var mapped = _map(source);
        bool v6 = mapped.AddressFamily == AddressFamily.InterNetworkV6;
        int valueLength = v6 ? 20 : 8;
        var response = new byte[20 + 4 + valueLength];
        BinaryPrimitives.WriteUInt16BigEndian(response, 0x0101);
        BinaryPrimitives.WriteUInt16BigEndian(response.AsSpan(2), (ushort)(4 + valueLength));
        request[4..20].CopyTo(response.AsSpan(4));
        BinaryPrimitives.WriteUInt16BigEndian(response.AsSpan(20), 0x0020);
        BinaryPrimitives.WriteUInt16BigEndian(response.AsSpan(22), (ushort)valueLength);
        response[25] = (byte)(v6 ? 2 : 1);
        BinaryPrimitives.WriteUInt16BigEndian(response.AsSpan(26), (ushort)(mapped.Port ^ (MagicCookie >> 16)));
        var address = mapped.Address.GetAddressBytes();
        for (int i = 0; i < address.Length; i++)
        {
            // XOR with the magic cookie, then (IPv6) the transaction id: response bytes 4..20 hold both.
            response[28 + i] = (byte)(address[i] ^ response[4 + i]);
        }

        return response;
    }

    private async Task ServeUdpAsync()
    {
        var buffer = new byte[1500];
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _udp.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(EndPoint.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0), _stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_stop.IsCancellationRequested)
                {
                    return;
                }

                continue;
            }

            var source = (IPEndPoint)received.RemoteEndPoint;
            if (!Answering)
            {
                _dropped.Writer.TryWrite(source);
            }
            else if (Answer(buffer.AsSpan(0, received.ReceivedBytes), source) is not { } response)
            {
                _other.Writer.TryWrite((source, received.ReceivedBytes));
            }
            else
            {
                _requests.Writer.TryWrite(source);
                try
                {
                    await _udp.SendToAsync(response, SocketFlags.None, source, _stop.Token);
                }
                catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
                {
                }
            }
        }
    }

    private async Task ServeTcpAsync()
    {
        var connections = new List<Task>();
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _tcp.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                break;
            }

            connections.Add(ServeConnectionAsync(client));
        }

        await Task.WhenAll(connections);
    }

    private async Task ServeConnectionAsync(Socket client)
    {
        using (client)
        {
            var source = (IPEndPoint)client.RemoteEndPoint!;
            var header = new byte[20];
            try
            {
                while (true)
                {
                    int got = await ReadExactlyAsync(client, header, 0);
                    if (got < 20)
                    {
                        return;
                    }

                    var body = new byte[BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(2))];
                    if (await ReadExactlyAsync(client, body, 0) < body.Length)
                    {
                        return;
                    }

                    if (!Answering)
                    {
                        _dropped.Writer.TryWrite(source);
                    }
                    else if (Answer(header, source) is { } response)
                    {
                        _requests.Writer.TryWrite(source);
                        await client.SendAsync(response, SocketFlags.None, _stop.Token);
                    }
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
            }
        }
    }

    private async Task<int> ReadExactlyAsync(Socket socket, byte[] buffer, int offset)
    {
        while (offset < buffer.Length)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(offset), SocketFlags.None, _stop.Token);
            if (n == 0)
            {
                break;
            }

            offset += n;
        }

        return offset;
    }
}
