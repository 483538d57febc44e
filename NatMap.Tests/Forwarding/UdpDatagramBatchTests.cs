using System.Net;
using System.Net.Sockets;
using NatMap.Forwarding;
using NatMap.Forwarding.Internal;
using static NatMap.Tests.Forwarding.ForwardingTestKit;

namespace NatMap.Tests.Forwarding;

public sealed class UdpDatagramBatchTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static Socket UdpSocket()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(AnyLoopback);
        return socket;
    }

    private static byte[] Payload(int client, int sequence, int size)
    {
        var payload = new byte[size];
        for (int i = 0; i < size; i++)
        {
            payload[i] = (byte)((client * 31) + sequence + i);
        }

        if (size > 0)
        {
            payload[0] = (byte)client;
        }

        if (size > 1)
        {
            payload[1] = (byte)sequence;
        }

        return payload;
    }

    /// <summary>
    /// Sends the datagrams to <paramref name="listener"/> and takes them with one batch receive;
    /// returns how many that receive got. Loopback delivers in order, normally before SendTo
    /// returns; under heavy load the kernel may defer delivery and a batch may catch only part,
    /// so then the listener is drained and everything is sent again, up to five times.
    /// </summary>
    private static int ReceiveAllInOneBatch(UdpDatagramBatch batch, Socket listener, IReadOnlyList<(Socket From, byte[] Datagram)> datagrams)
    {
        int count = 0;
        for (int attempt = 0; attempt < 5 && count != datagrams.Count; attempt++)
        {
            while (batch.Receive(Fd(listener)) > 0)
            {
            }

            foreach (var (from, datagram) in datagrams)
            {
                from.SendTo(datagram, listener.LocalEndPoint!);
            }

            Assert.True(listener.Poll(Timeout, SelectMode.SelectRead), "nothing arrived");
            count = batch.Receive(Fd(listener));
        }

        return count;
    }

    [Fact]
    public async Task ReceiveThenSend_InterleavedSenders_RunsGroupedAndRelayedInOrderIntact()
    {
        Assert.SkipUnless(UdpDatagramBatch.IsSupported, "recvmmsg/sendmmsg batching is Linux on 64-bit only");
        using var listener = UdpSocket();
        listener.ReceiveBufferSize = 1024 * 1024;
        using var a = UdpSocket();
        using var b = UdpSocket();
        using var target = UdpSocket();
        using var toTarget = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        toTarget.Connect(target.LocalEndPoint!);

        // A A B A B B: three runs of one sender each, then two; sizes differ so lengths are checked.
        (Socket Socket, int Client, int Size)[] order =
            [(a, 1, 1), (a, 1, 1472), (b, 2, 9000), (a, 1, 65_000), (b, 2, 2), (b, 2, 300)];
        var sent = order.Select((o, i) => Payload(o.Client, i, o.Size)).ToList();
        using var batch = new UdpDatagramBatch(65536, capacity: 32);
        int count = ReceiveAllInOneBatch(batch, listener, order.Select((o, i) => (o.Socket, sent[i])).ToList());
        Assert.Equal(order.Length, count);
        for (int i = 0; i < count; i++)
        {
            Assert.Equal(sent[i], batch.Datagram(i).ToArray());
        }

        Assert.True(batch.SameSender(0, 1));
        Assert.False(batch.SameSender(1, 2));
        Assert.False(batch.SameSender(2, 3));
        Assert.True(batch.SameSender(2, 4));
        Assert.True(batch.SameSender(4, 5));
        var sender = batch.Sender(2, new SocketAddress(AddressFamily.InterNetwork));
        Assert.Equal(b.LocalEndPoint, ((IPEndPoint)AnyLoopback).Create(sender));

        // Relay two runs: a's first two datagrams, then b's last two.
        Assert.Equal(2, batch.Send(Fd(toTarget), 0, 2, to: null, out long firstBytes));
        Assert.Equal(1 + 1472, firstBytes);
        Assert.Equal(2, batch.Send(Fd(toTarget), 4, 2, to: null, out long secondBytes));
        Assert.Equal(2 + 300, secondBytes);
        var buffer = new byte[65536];
        foreach (int expected in new[] { 0, 1, 4, 5 })
        {
            int n = await target.ReceiveAsync(buffer, SocketFlags.None, TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);
            Assert.Equal(sent[expected], buffer.AsSpan(0, n).ToArray());
        }

        // The same run addressed from an unconnected socket: b's datagram of 9,000 bytes back to a.
        Assert.Equal(1, batch.Send(Fd(listener), 2, 1, a.LocalEndPoint!.Serialize(), out long addressedBytes));
        Assert.Equal(9000, addressedBytes);
        var from = await a.ReceiveFromAsync(buffer, SocketFlags.None, AnyLoopback, TestContext.Current.CancellationToken)
            .AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.Equal(sent[2], buffer.AsSpan(0, from.ReceivedBytes).ToArray());
        Assert.Equal(listener.LocalEndPoint, from.RemoteEndPoint);
    }

    [Fact]
    public async Task Forwarder_BurstOfRepliesFromTarget_ArriveAtClientInOrderIntact()
    {
        using var target = UdpSocket();
        await using var forwarder = new UdpForwarder(new UdpForwarderOptions
        {
            ListenEndPoint = AnyLoopback,
            TargetHost = "127.0.0.1",
            TargetPort = ((IPEndPoint)target.LocalEndPoint!).Port,
        });
        forwarder.Start();
        using var client = UdpSocket();
        client.ReceiveBufferSize = 1024 * 1024;
        client.Connect(forwarder.LocalEndPoint);
        client.Send([1]);
        var buffer = new byte[65536];
        var session = await target.ReceiveFromAsync(buffer, SocketFlags.None, AnyLoopback, TestContext.Current.CancellationToken)
            .AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);

        // Sent back to back, so the session's reply loop drains them several to a batch. Small
        // enough in all (about 100 KiB of socket memory) for the session socket's default receive
        // buffer, where the kernel would otherwise drop what the forwarder has not drained yet.
        const int Replies = 100;
        var replies = Enumerable.Range(0, Replies).Select(i => Payload(9, i, 1 + (i * 37 % 600))).ToList();
        foreach (var reply in replies)
        {
            target.SendTo(reply, session.RemoteEndPoint);
        }

        foreach (var reply in replies)
        {
            int n = await client.ReceiveAsync(buffer, SocketFlags.None, TestContext.Current.CancellationToken)
                .AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);
            Assert.Equal(reply, buffer.AsSpan(0, n).ToArray());
        }

        await WaitUntilAsync(() => forwarder.DatagramsFromTarget == Replies, "the reply counter to catch up");
        Assert.Equal(replies.Sum(r => (long)r.Length), forwarder.BytesFromTarget);
    }

    [Fact]
    public void Send_BadDescriptor_ReportsNothingSent()
    {
        Assert.SkipUnless(UdpDatagramBatch.IsSupported, "recvmmsg/sendmmsg batching is Linux on 64-bit only");
        using var batch = new UdpDatagramBatch(65536, capacity: 4);

        Assert.Equal(0, batch.Send(-1, 0, 1, to: null, out long bytes));
        Assert.Equal(0, bytes);
        Assert.Equal(-9, batch.Receive(-1));
    }

    [Fact]
    public async Task Forwarder_InterleavedBurstsFromFourClients_EachSessionCarriesItsClientsDatagramsInOrder()
    {
        using var target = UdpSocket();
        target.ReceiveBufferSize = 4 * 1024 * 1024;
        await using var forwarder = new UdpForwarder(new UdpForwarderOptions
        {
            ListenEndPoint = AnyLoopback,
            TargetHost = "127.0.0.1",
            TargetPort = ((IPEndPoint)target.LocalEndPoint!).Port,
        });
        forwarder.Start();
        var clients = Enumerable.Range(0, 4).Select(_ => UdpSocket()).ToArray();
        try
        {
            // Sent without waiting, so the forwarder's batches hold several clients interleaved:
            // client 0 in runs of two, the others in runs of one.
            const int Rounds = 24;
            var schedule = new List<(int Client, int Sequence)>();
            for (int round = 0; round < Rounds; round++)
            {
                schedule.Add((0, 2 * round));
                schedule.Add((0, (2 * round) + 1));
                for (int c = 1; c < clients.Length; c++)
                {
                    schedule.Add((c, round));
                }
            }

            foreach (var (client, sequence) in schedule)
            {
                clients[client].SendTo(Payload(client, sequence, 64 + (client * 100)), forwarder.LocalEndPoint);
            }

            var received = new Dictionary<EndPoint, List<byte[]>>();
            var buffer = new byte[65536];
            for (int i = 0; i < schedule.Count; i++)
            {
                var result = await target.ReceiveFromAsync(buffer, SocketFlags.None, AnyLoopback, TestContext.Current.CancellationToken)
                    .AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);
                if (!received.TryGetValue(result.RemoteEndPoint, out var list))
                {
                    received[result.RemoteEndPoint] = list = [];
                }

                list.Add(buffer.AsSpan(0, result.ReceivedBytes).ToArray());
            }

            Assert.Equal(clients.Length, received.Count);
            foreach (var list in received.Values)
            {
                int client = list[0][0];
                var expected = schedule.Where(s => s.Client == client)
                    .Select(s => Payload(s.Client, s.Sequence, 64 + (s.Client * 100))).ToList();
                Assert.Equal(expected, list);
            }
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }

    public static TheoryData<bool> SegmentationRefused => [false, true];

    [Theory]
    [MemberData(nameof(SegmentationRefused))]
    public async Task Send_RunsOfEqualSizes_ArriveAsTheSameDatagrams(bool refuse)
    {
        Assert.SkipUnless(UdpDatagramBatch.IsSupported, "recvmmsg/sendmmsg batching is Linux on 64-bit only");
        using var listener = UdpSocket();
        listener.ReceiveBufferSize = 1024 * 1024;
        using var client = UdpSocket();
        using var target = UdpSocket();
        target.ReceiveBufferSize = 1024 * 1024;
        using var toTarget = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        toTarget.Connect(target.LocalEndPoint!);
        if (refuse)
        {
            // SO_NO_CHECK: the kernel refuses UDP GSO on a socket that sends without checksums
            // (EINVAL), as it would on an old kernel or a route that cannot segment.
            toTarget.SetRawSocketOption(1, 11, BitConverter.GetBytes(1));
        }

        // Ten of 1,000 bytes then a shorter one (one GSO message), one of 2,000 (above the segment
        // size: a message of its own), three of 1 byte, and one empty datagram.
        int[] sizes = [.. Enumerable.Repeat(1000, 10), 300, 2000, 1, 1, 1, 0];
        var sent = sizes.Select((size, i) => Payload(3, i, size)).ToList();
        using var batch = new UdpDatagramBatch(65536, capacity: 32);
        int count = ReceiveAllInOneBatch(batch, listener, sent.Select(datagram => (client, datagram)).ToList());
        Assert.Equal(sizes.Length, count);
        Assert.Equal(sizes.Length, batch.Send(Fd(toTarget), 0, count, to: null, out long bytes));
        Assert.Equal(sizes.Sum(), bytes);
        Assert.Equal(refuse ? 0 : 2, batch.SegmentedSends);
        var buffer = new byte[65536];
        foreach (var expected in sent)
        {
            int n = await target.ReceiveAsync(buffer, SocketFlags.None, TestContext.Current.CancellationToken)
                .AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);
            Assert.Equal(expected, buffer.AsSpan(0, n).ToArray());
        }
    }

    private static int Fd(Socket socket) => (int)socket.SafeHandle.DangerousGetHandle();
}
