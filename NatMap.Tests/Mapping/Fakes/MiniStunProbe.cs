using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using NatMap.Mapping.Internal;

namespace NatMap.Tests.Mapping.Fakes;

/// <summary>
/// A bare STUN Binding client for one server, enough to drive the mapping loops against
/// <see cref="FakeStunServer"/>: throws <see cref="IOException"/> on timeout, as a real probe reports a fault.
/// </summary>
internal sealed class MiniStunProbe(IPEndPoint server) : IStunProbe
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMilliseconds(500);

    public async Task<StunObservation> QueryUdpAsync(Socket boundSocket, CancellationToken cancellationToken)
    {
        var request = NewRequest();
        await boundSocket.SendToAsync(request, SocketFlags.None, server, cancellationToken);
        var buffer = new byte[1500];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            while (true)
            {
                var received = await boundSocket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(server.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0), timeout.Token);
                if (TryRead(buffer.AsSpan(0, received.ReceivedBytes), request, out var mapped))
                {
                    return new StunObservation(mapped, (IPEndPoint)boundSocket.LocalEndPoint!, server);
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new IOException("STUN server did not answer");
        }
    }

    public async Task<StunObservation> QueryTcpAsync(AddressFamily family, Func<AddressFamily, Socket> createSocket, CancellationToken cancellationToken)
    {
        using var socket = createSocket(family);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            await socket.ConnectAsync(server, timeout.Token);
            var request = NewRequest();
            await socket.SendAsync(request, SocketFlags.None, timeout.Token);
            var buffer = new byte[64];
            int got = 0;
            while (got < 20 || got < 20 + BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(2)))
            {
                int n = await socket.ReceiveAsync(buffer.AsMemory(got), SocketFlags.None, timeout.Token);
                if (n == 0)
                {
                    throw new IOException("STUN server closed the connection");
                }

                got += n;
            }

            return TryRead(buffer.AsSpan(0, got), request, out var mapped)
                ? new StunObservation(mapped, (IPEndPoint)socket.LocalEndPoint!, server)
                : throw new IOException("bad STUN answer");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new IOException("STUN server did not answer");
        }
    }

    private static byte[] NewRequest()
    {
        var request = new byte[20];
        BinaryPrimitives.WriteUInt16BigEndian(request, 0x0001);
        BinaryPrimitives.WriteUInt32BigEndian(request.AsSpan(4), 0x2112A442);
        Random.Shared.NextBytes(request.AsSpan(8, 12));
        return request;
    }

    private static bool TryRead(ReadOnlySpan<byte> response, byte[] request, out IPEndPoint mapped)
    {
        mapped = null!;
        if (response.Length < 32 || BinaryPrimitives.ReadUInt16BigEndian(response) != 0x0101 || !response[4..20].SequenceEqual(request.AsSpan(4, 16)))
        {
            return false;
        }

        bool v6 = response[25] == 2;
        int port = BinaryPrimitives.ReadUInt16BigEndian(response[26..]) ^ 0x2112;
        var address = new byte[v6 ? 16 : 4];
        for (int i = 0; i < address.Length; i++)
        {
            address[i] = (byte)(response[28 + i] ^ response[4 + i]);
        }

        mapped = new IPEndPoint(new IPAddress(address), port);
        return true;
    }
}
