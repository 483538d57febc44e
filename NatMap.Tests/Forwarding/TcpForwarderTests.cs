using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using NatMap.Forwarding;
using NatMap.Tests.Infrastructure;
using static NatMap.Tests.Forwarding.ForwardingTestKit;

namespace NatMap.Tests.Forwarding;

public sealed class TcpForwarderTests
{
    public static TheoryData<TcpRelayEngine> Engines => [TcpRelayEngine.Splice, TcpRelayEngine.Managed];

    private static TcpForwarder StartForwarder(IPEndPoint target, TcpRelayEngine engine, Action<TcpForwarderOptions>? configure = null, RecordingLoggerFactory? log = null)
    {
        if (engine == TcpRelayEngine.Splice && !OperatingSystem.IsLinux())
        {
            Assert.Skip("The splice engine is Linux only.");
        }

        var options = new TcpForwarderOptions
        {
            ListenEndPoint = AnyLoopback,
            TargetHost = target.Address.ToString(),
            TargetPort = target.Port,
            Engine = engine,
        };
        configure?.Invoke(options);
        var forwarder = new TcpForwarder(options, log);
        forwarder.Start();
        Assert.Equal(engine, forwarder.Engine);
        return forwarder;
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task Relay_FourClientsSixteenMiBEachWay_DataIntact(TcpRelayEngine engine)
    {
        const long PerClient = 16L * 1024 * 1024;
        using var server = Listen();
        var serverPattern = Pattern(100_003, 7);
        var received = new ConcurrentBag<(long Length, string Hash)>();
        var serverTask = Task.Run(async () =>
        {
            var handlers = new List<Task>();
            for (int i = 0; i < 4; i++)
            {
                var accepted = await server.AcceptAsync(Ct);
                handlers.Add(Task.Run(async () =>
                {
                    using (accepted)
                    {
                        var receive = ReceiveToEndAsync(accepted);
                        await SendAsync(accepted, serverPattern, PerClient);
                        accepted.Shutdown(SocketShutdown.Send);
                        var (length, hash) = await receive;
                        received.Add((length, Convert.ToHexString(hash)));
                    }
                }, Ct));
            }

            await Task.WhenAll(handlers);
        }, Ct);

        await using var forwarder = StartForwarder((IPEndPoint)server.LocalEndPoint!, engine);
        var expectedFromServer = Convert.ToHexString(HashOfRepeated(serverPattern, PerClient));
        var clients = Enumerable.Range(0, 4).Select(async i =>
        {
            using var client = await ConnectAsync(forwarder.LocalEndPoint);
            var receive = ReceiveToEndAsync(client);
            var sentHash = await SendAsync(client, Pattern(65_521 + i, 100 + i), PerClient);
            client.Shutdown(SocketShutdown.Send);
            var (length, hash) = await receive;
            Assert.Equal(PerClient, length);
            Assert.Equal(expectedFromServer, Convert.ToHexString(hash));
            return Convert.ToHexString(sentHash);
        }).ToArray();

        var sent = await Task.WhenAll(clients).WaitAsync(TestTimeout, Ct);
        await serverTask.WaitAsync(TestTimeout, Ct);
        Assert.Equal(sent.Order(), received.Select(r => r.Hash).Order());
        Assert.All(received, r => Assert.Equal(PerClient, r.Length));
        // Counters are added after each relay step, so they may trail the data by a moment.
        await WaitUntilAsync(() => forwarder.BytesToTarget == 4 * PerClient && forwarder.BytesFromTarget == 4 * PerClient
            && forwarder.ActiveConnections == 0, "counters to settle");
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task HalfClose_EitherSideFinishesFirst_OtherDirectionKeepsFlowing(TcpRelayEngine engine)
    {
        using var server = Listen();
        await using var forwarder = StartForwarder((IPEndPoint)server.LocalEndPoint!, engine);

        // Client finishes first: the target sees end of stream, then still answers.
        using (var client = await ConnectAsync(forwarder.LocalEndPoint))
        using (var accepted = await server.AcceptAsync(Ct).AsTask().WaitAsync(TestTimeout, Ct))
        {
            await client.SendAsync(Encoding.ASCII.GetBytes("request"), SocketFlags.None, Ct);
            client.Shutdown(SocketShutdown.Send);
            var (length, _) = await ReceiveToEndAsync(accepted).WaitAsync(TestTimeout, Ct);
            Assert.Equal(7, length);
            var reply = Pattern(300_000, 3);
            await SendAsync(accepted, reply, reply.Length);
            accepted.Shutdown(SocketShutdown.Send);
            var (replyLength, replyHash) = await ReceiveToEndAsync(client).WaitAsync(TestTimeout, Ct);
            Assert.Equal(reply.Length, replyLength);
            Assert.Equal(SHA256.HashData(reply), replyHash);
        }

        // Target finishes first: the client sees end of stream, then still sends.
        using (var client = await ConnectAsync(forwarder.LocalEndPoint))
        using (var accepted = await server.AcceptAsync(Ct).AsTask().WaitAsync(TestTimeout, Ct))
        {
            await accepted.SendAsync(Encoding.ASCII.GetBytes("hello"), SocketFlags.None, Ct);
            accepted.Shutdown(SocketShutdown.Send);
            var (length, _) = await ReceiveToEndAsync(client).WaitAsync(TestTimeout, Ct);
            Assert.Equal(5, length);
            var late = Pattern(300_000, 4);
            await SendAsync(client, late, late.Length);
            client.Shutdown(SocketShutdown.Send);
            var (lateLength, lateHash) = await ReceiveToEndAsync(accepted).WaitAsync(TestTimeout, Ct);
            Assert.Equal(late.Length, lateLength);
            Assert.Equal(SHA256.HashData(late), lateHash);
        }

        await WaitUntilAsync(() => forwarder.ActiveConnections == 0, "both connections to close after FIN both ways");
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task IdleTimeout_ActivityThenSilence_ClosedOnlyAfterSilence(TcpRelayEngine engine)
    {
        using var server = Listen();
        var log = new RecordingLoggerFactory();
        await using var forwarder = StartForwarder((IPEndPoint)server.LocalEndPoint!, engine,
            o => o.IdleTimeout = TimeSpan.FromMilliseconds(1500), log);
        using var client = await ConnectAsync(forwarder.LocalEndPoint);
        using var accepted = await server.AcceptAsync(Ct).AsTask().WaitAsync(TestTimeout, Ct);

        // Traffic in alternating directions every 100 ms for longer than the timeout keeps it open.
        var one = new byte[1];
        for (int i = 0; i < 30; i++)
        {
            Socket from = i % 2 == 0 ? client : accepted;
            Socket to = i % 2 == 0 ? accepted : client;
            await from.SendAsync(one, SocketFlags.None, Ct);
            Assert.Equal(1, await to.ReceiveAsync(one, SocketFlags.None, Ct).AsTask().WaitAsync(TestTimeout, Ct));
            await Task.Delay(100, Ct);
        }

        Assert.True(await IsClosedByPeerAsync(client).WaitAsync(TestTimeout, Ct));
        Assert.True(await IsClosedByPeerAsync(accepted).WaitAsync(TestTimeout, Ct));
        await WaitUntilAsync(() => forwarder.ActiveConnections == 0, "the idle connection to be released");

        // Both engines give the same reason for the end.
        await WaitUntilAsync(() => log.Entries.Any(e => e.Id.Id == 3004), "the connection's end to be logged");
        Assert.Contains(log.Entries, e => e.Id.Id == 3004 && e.Message.EndsWith("ended: idle timeout", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task TargetDown_ConnectionClosed_ListenerKeepsServing(TcpRelayEngine engine)
    {
        var down = Listen();
        var target = (IPEndPoint)down.LocalEndPoint!;
        down.Dispose();
        await using var forwarder = StartForwarder(target, engine);

        for (int i = 0; i < 3; i++)
        {
            using var client = await ConnectAsync(forwarder.LocalEndPoint);
            Assert.True(await IsClosedByPeerAsync(client).WaitAsync(TestTimeout, Ct));
        }

        await WaitUntilAsync(() => forwarder.FailedConnections == 3 && forwarder.ActiveConnections == 0, "three failed connections");

        // The target comes back on the same port: the same forwarder relays again.
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        server.Bind(target);
        server.Listen();
        using var working = await ConnectAsync(forwarder.LocalEndPoint);
        using var accepted = await server.AcceptAsync(Ct).AsTask().WaitAsync(TestTimeout, Ct);
        await working.SendAsync(Encoding.ASCII.GetBytes("ping"), SocketFlags.None, Ct);
        var buffer = new byte[4];
        Assert.Equal(4, await accepted.ReceiveAsync(buffer, SocketFlags.None, Ct).AsTask().WaitAsync(TestTimeout, Ct));
        Assert.Equal("ping", Encoding.ASCII.GetString(buffer));
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task MaxConnections_Reached_ExtraConnectionRefusedAndSlotReusable(TcpRelayEngine engine)
    {
        using var server = Listen();
        await using var forwarder = StartForwarder((IPEndPoint)server.LocalEndPoint!, engine, o => o.MaxConnections = 2);
        using var first = await ConnectAsync(forwarder.LocalEndPoint);
        using var firstAccepted = await server.AcceptAsync(Ct).AsTask().WaitAsync(TestTimeout, Ct);
        var second = await ConnectAsync(forwarder.LocalEndPoint);
        var secondAccepted = await server.AcceptAsync(Ct).AsTask().WaitAsync(TestTimeout, Ct);
        await WaitUntilAsync(() => forwarder.ActiveConnections == 2, "two relayed connections");

        using (var third = await ConnectAsync(forwarder.LocalEndPoint))
        {
            Assert.True(await IsClosedByPeerAsync(third).WaitAsync(TestTimeout, Ct));
        }

        Assert.Equal(1, forwarder.RefusedConnections);

        // The relayed ones are unaffected, and a freed slot is taken again.
        await first.SendAsync(new byte[] { 42 }, SocketFlags.None, Ct);
        var one = new byte[1];
        Assert.Equal(1, await firstAccepted.ReceiveAsync(one, SocketFlags.None, Ct).AsTask().WaitAsync(TestTimeout, Ct));
        second.Dispose();
        Assert.True(await IsClosedByPeerAsync(secondAccepted).WaitAsync(TestTimeout, Ct));
        secondAccepted.Dispose();
        await WaitUntilAsync(() => forwarder.ActiveConnections == 1, "the closed connection to free its slot");
        using var fourth = await ConnectAsync(forwarder.LocalEndPoint);
        using var fourthAccepted = await server.AcceptAsync(Ct).AsTask().WaitAsync(TestTimeout, Ct);
        Assert.Equal(1, forwarder.RefusedConnections);
    }

    [Fact]
    public async Task Stop_CalledTwice_ClosesConnectionsAndIsIdempotent()
    {
        using var server = Listen();
        var forwarder = StartForwarder((IPEndPoint)server.LocalEndPoint!, OperatingSystem.IsLinux() ? TcpRelayEngine.Splice : TcpRelayEngine.Managed);
        using var client = await ConnectAsync(forwarder.LocalEndPoint);
        using var accepted = await server.AcceptAsync(Ct).AsTask().WaitAsync(TestTimeout, Ct);
        await forwarder.StopAsync().WaitAsync(TestTimeout, Ct);
        await forwarder.DisposeAsync().AsTask().WaitAsync(TestTimeout, Ct);
        Assert.True(await IsClosedByPeerAsync(client).WaitAsync(TestTimeout, Ct));
        Assert.True(await IsClosedByPeerAsync(accepted).WaitAsync(TestTimeout, Ct));
        await Assert.ThrowsAsync<SocketException>(() => ConnectAsync(forwarder.LocalEndPoint));
    }

    private static byte[] HashOfRepeated(byte[] pattern, long total)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (long done = 0; done < total; done += pattern.Length)
        {
            hash.AppendData(pattern, 0, (int)Math.Min(pattern.Length, total - done));
        }

        return hash.GetHashAndReset();
    }
}
