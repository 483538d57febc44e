using System.IO.Pipelines;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using NatMap.Forwarding;
using NatMap.Forwarding.Internal;
using static NatMap.Tests.Forwarding.ForwardingTestKit;

namespace NatMap.Tests.Forwarding;

/// <summary>
/// In-process serving on loopback: a forwarder whose accepted connections go to the app as pipes
/// (what <see cref="NatMap.Mapping.PortMapper.CreateTcpServer"/> runs on the mapping's local port).
/// </summary>
public sealed class TcpPipeServingTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Serve_HalfCloseEitherWay_OtherDirectionKeepsFlowing()
    {
        await using var server = new ServingForwarder();

        // The peer finishes first: the app's input completes, and the app still answers.
        using (var client = await ConnectAsync(server.Forwarder.LocalEndPoint))
        {
            await using var connection = await server.AcceptAsync();
            Assert.Equal(client.LocalEndPoint, connection.RemoteEndPoint);
            Assert.Equal(client.RemoteEndPoint, connection.LocalEndPoint);
            await client.SendAsync(Encoding.ASCII.GetBytes("request"), SocketFlags.None, Ct);
            client.Shutdown(SocketShutdown.Send);
            Assert.Equal("request", Encoding.ASCII.GetString(await ReadToEndAsync(connection.Transport.Input)));
            var reply = Pattern(300_000, 3);
            await connection.Transport.Output.WriteAsync(reply, Ct).AsTask().WaitAsync(TestTimeout, Ct);
            await connection.Transport.Output.CompleteAsync();
            var (length, hash) = await ReceiveToEndAsync(client).WaitAsync(TestTimeout, Ct);
            Assert.Equal(reply.Length, length);
            Assert.Equal(SHA256.HashData(reply), hash);
        }

        // The app finishes first: the peer sees FIN, and still sends.
        using (var client = await ConnectAsync(server.Forwarder.LocalEndPoint))
        {
            await using var connection = await server.AcceptAsync();
            await connection.Transport.Output.WriteAsync(Encoding.ASCII.GetBytes("hello"), Ct).AsTask().WaitAsync(TestTimeout, Ct);
            await connection.Transport.Output.CompleteAsync();
            var (length, _) = await ReceiveToEndAsync(client).WaitAsync(TestTimeout, Ct);
            Assert.Equal(5, length);
            var request = Pattern(200_000, 4);
            await SendAsync(client, request, request.Length).WaitAsync(TestTimeout, Ct);
            client.Shutdown(SocketShutdown.Send);
            Assert.Equal(SHA256.HashData(request), SHA256.HashData(await ReadToEndAsync(connection.Transport.Input)));
        }

        await WaitUntilAsync(() => server.Forwarder.ActiveConnections == 0, "both connections to end");
        Assert.Equal(200_007, server.Forwarder.BytesToTarget);
        Assert.Equal(300_005, server.Forwarder.BytesFromTarget);
    }

    [Fact]
    public async Task Serve_NothingMoves_ClosedAfterIdleTimeout()
    {
        await using var server = new ServingForwarder(o => o.IdleTimeout = TimeSpan.FromMilliseconds(300));
        using var client = await ConnectAsync(server.Forwarder.LocalEndPoint);
        await using var connection = await server.AcceptAsync();

        Assert.True(await IsClosedByPeerAsync(client).WaitAsync(TestTimeout, Ct));
        // Not a FIN from the peer: the app learns that the connection was closed under it.
        var error = await Assert.ThrowsAsync<IOException>(() => ReadToEndAsync(connection.Transport.Input));
        Assert.Contains("idle timeout", error.Message, StringComparison.Ordinal);
        await WaitUntilAsync(() => server.Forwarder.ActiveConnections == 0, "the idle connection to be released");
    }

    [Fact]
    public async Task Serve_LimitReached_RefusesConnectionsNotYetAcceptedCountToo()
    {
        await using var server = new ServingForwarder(o => o.MaxConnections = 2);
        using var first = await ConnectAsync(server.Forwarder.LocalEndPoint);
        using var second = await ConnectAsync(server.Forwarder.LocalEndPoint);
        await WaitUntilAsync(() => server.Forwarder.ActiveConnections == 2, "two held connections, none accepted by the app yet");

        using var third = await ConnectAsync(server.Forwarder.LocalEndPoint);
        Assert.True(await IsClosedByPeerAsync(third).WaitAsync(TestTimeout, Ct));
        Assert.Equal(1, server.Forwarder.RefusedConnections);

        // Closing one makes room for the next.
        await using (var accepted = await server.AcceptAsync())
        {
        }

        await WaitUntilAsync(() => server.Forwarder.ActiveConnections == 1, "the closed connection to be released");
        using var fourth = await ConnectAsync(server.Forwarder.LocalEndPoint);
        await using var second2 = await server.AcceptAsync();
        await using var fourthServed = await server.AcceptAsync();
        Assert.Equal(fourth.LocalEndPoint, fourthServed.RemoteEndPoint);
        Assert.Equal(1, server.Forwarder.RefusedConnections);
    }

    [Fact]
    public async Task Serve_AppStopsReading_RelayStopsReadingTheSocket()
    {
        await using var server = new ServingForwarder();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { SendBufferSize = 64 * 1024 };
        await client.ConnectAsync(server.Forwarder.LocalEndPoint, Ct).AsTask().WaitAsync(TestTimeout, Ct);
        await using var connection = await server.AcceptAsync();

        // The app reads nothing. The client sends until the relay's pipe has paused the receive
        // and the kernel's buffers are full: then a send cannot go on for a full second.
        var chunk = Pattern(64 * 1024, 9);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long sent = 0;
        client.Blocking = false;
        while (true)
        {
            int n;
            try
            {
                n = client.Send(chunk, (int)(sent % chunk.Length), chunk.Length - (int)(sent % chunk.Length), SocketFlags.None);
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.WouldBlock)
            {
                if (!client.Poll(TimeSpan.FromSeconds(1), SelectMode.SelectWrite))
                {
                    break;
                }

                continue;
            }

            hash.AppendData(chunk, (int)(sent % chunk.Length), n);
            sent += n;
            Assert.True(sent < 64L * 1024 * 1024, "the relay kept reading 64 MiB that the app never read");
        }

        // What the pipe holds stays within its pause threshold and one receive.
        long bound = RelayPipeOptions.MinimumPauseThreshold + new TcpForwarderOptions().BufferSize;
        var result = await connection.Transport.Input.ReadAsync(Ct).AsTask().WaitAsync(TestTimeout, Ct);
        long buffered = result.Buffer.Length;
        connection.Transport.Input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        output.WriteLine($"the client sent {sent} bytes before it stalled; the pipe held {buffered} (bound {bound}), the kernel's buffers the rest");
        Assert.InRange(buffered, 1, bound);

        // Once the app reads again, everything arrives, in order.
        client.Blocking = true;
        var reading = ReadToEndAsync(connection.Transport.Input);
        client.Shutdown(SocketShutdown.Send);
        var all = await reading.WaitAsync(TestTimeout, Ct);
        Assert.Equal(sent, all.Length);
        Assert.Equal(hash.GetHashAndReset(), SHA256.HashData(all));
        Assert.True(sent > buffered, "the kernel buffered nothing beyond the pipe");
    }

    [Fact]
    public async Task Serve_ForwarderStops_ConnectionsClosedAndInputFails()
    {
        var server = new ServingForwarder();
        using var client = await ConnectAsync(server.Forwarder.LocalEndPoint);
        var connection = await server.AcceptAsync();
        await server.DisposeAsync();

        Assert.True(await IsClosedByPeerAsync(client).WaitAsync(TestTimeout, Ct));
        await Assert.ThrowsAsync<IOException>(() => ReadToEndAsync(connection.Transport.Input));
        await connection.DisposeAsync();
        await connection.DisposeAsync();
    }

    [Fact]
    public async Task DisposeAsync_RightAfterAppWrote_EverythingArrivesBeforeFin()
    {
        const int Length = 8 * 1024 * 1024;
        await using var server = new ServingForwarder();
        using var client = await ConnectAsync(server.Forwarder.LocalEndPoint);
        var connection = await server.AcceptAsync();
        var receiving = ReceiveToEndAsync(client);

        // More than the pipe's pause threshold and the socket buffers hold: most of it is still
        // unsent when the app disposes the connection.
        var data = Pattern(Length, 21);
        await connection.Transport.Output.WriteAsync(data, Ct).AsTask().WaitAsync(TestTimeout, Ct);
        await connection.DisposeAsync().AsTask().WaitAsync(TestTimeout, Ct);

        var (length, hash) = await receiving.WaitAsync(TestTimeout, Ct);
        Assert.Equal(Length, length);
        Assert.Equal(SHA256.HashData(data), hash);
        await WaitUntilAsync(() => server.Forwarder.ActiveConnections == 0, "the connection to be released");
    }

    [Fact]
    public async Task Serve_AppCompletesOutputWithError_ConnectionClosedNotHalfClosed()
    {
        await using var server = new ServingForwarder();
        using var client = await ConnectAsync(server.Forwarder.LocalEndPoint);
        await using var connection = await server.AcceptAsync();
        await connection.Transport.Output.CompleteAsync(new InvalidDataException("the app gave up"));

        Assert.True(await IsClosedByPeerAsync(client).WaitAsync(TestTimeout, Ct));
        await Assert.ThrowsAsync<IOException>(() => ReadToEndAsync(connection.Transport.Input));
        await WaitUntilAsync(() => server.Forwarder.ActiveConnections == 0, "the connection to be released");
    }

    /// <summary>Reads a pipe to its end, returning every byte.</summary>
    internal static async Task<byte[]> ReadToEndAsync(PipeReader reader)
    {
        var all = new MemoryStream();
        while (true)
        {
            var result = await reader.ReadAsync(Ct).AsTask().WaitAsync(TestTimeout, Ct);
            foreach (var segment in result.Buffer)
            {
                all.Write(segment.Span);
            }

            reader.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                await reader.CompleteAsync();
                return all.ToArray();
            }
        }
    }

    /// <summary>A forwarder in serving mode on a loopback port, with the queue its connections arrive in.</summary>
    internal sealed class ServingForwarder : IAsyncDisposable
    {
        private readonly Channel<TcpPipeConnection> _accepted = Channel.CreateUnbounded<TcpPipeConnection>();

        public ServingForwarder(Action<TcpForwarderOptions>? configure = null)
        {
            var options = new TcpForwarderOptions { ListenEndPoint = AnyLoopback };
            configure?.Invoke(options);
            Forwarder = new TcpForwarder(options, c => _accepted.Writer.TryWrite(c), loggerFactory: null);
            Forwarder.Start();
        }

        public TcpForwarder Forwarder { get; }

        public async Task<TcpPipeConnection> AcceptAsync() =>
            await _accepted.Reader.ReadAsync(Ct).AsTask().WaitAsync(TestTimeout, Ct);

        public ValueTask DisposeAsync() => Forwarder.DisposeAsync();
    }
}
