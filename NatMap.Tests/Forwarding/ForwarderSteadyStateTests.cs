using System.Globalization;
using System.Net;
using System.Net.Sockets;
using NatMap.Forwarding;
using NatMap.Tests.Infrastructure;
using NatMap.Tests.Testbed.Library;
using static NatMap.Tests.Forwarding.ForwardingTestKit;

namespace NatMap.Tests.Forwarding;

/// <summary>Runs alone: it reads process-wide allocation counters and RSS.</summary>
[CollectionDefinition(nameof(ForwarderSteadyStateCollection), DisableParallelization = true)]
public sealed class ForwarderSteadyStateCollection;

/// <summary>
/// Steady-state costs: managed bytes allocated while relaying (process-wide, so the collection
/// runs alone and the test-side sender and sink allocate nothing per operation either), and the
/// memory held by 10,000 idle relayed connections.
/// </summary>
[Collection(nameof(ForwarderSteadyStateCollection))]
public sealed class ForwarderSteadyStateTests(ITestOutputHelper output)
{
    private const long MiB = 1024 * 1024;

    /// <summary>Less than one byte per relayed KiB over the measured run: no per-read or per-write allocation can hide under it.</summary>
    private const long AllocationBound = 32 * 1024;

    public static TheoryData<TcpRelayEngine> Engines => [TcpRelayEngine.Splice, TcpRelayEngine.Managed];

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task TcpRelay_WarmedUp_AllocatesNothingPerRelayedMiB(TcpRelayEngine engine)
    {
        if (engine == TcpRelayEngine.Splice && !OperatingSystem.IsLinux())
        {
            Assert.Skip("The splice engine is Linux only.");
        }

        using var server = Listen();
        await using var forwarder = new TcpForwarder(new TcpForwarderOptions
        {
            ListenEndPoint = AnyLoopback,
            TargetHost = "127.0.0.1",
            TargetPort = ((IPEndPoint)server.LocalEndPoint!).Port,
            Engine = engine,
        });
        forwarder.Start();
        using var client = await ConnectAsync(forwarder.LocalEndPoint);
        using var accepted = await server.AcceptAsync(Ct).AsTask().WaitAsync(TestTimeout, Ct);
        var sink = new CountingSink(accepted);
        var chunk = Pattern(64 * 1024, 1);

        await RelayAsync(client, chunk, sink, 32 * MiB);
        long before = GC.GetTotalAllocatedBytes(precise: true);
        await RelayAsync(client, chunk, sink, 64 * MiB);
        long small = GC.GetTotalAllocatedBytes(precise: true) - before;

        // The managed engine's pool grows to the most segments its pipes ever held at once (up to
        // three for a busy direction: the one being sent, the one being filled, one between), and
        // a warm-up need not reach that peak; the growth happens once, an allocation per MiB would
        // show in every window, so the least of three windows is what relaying costs.
        long large = long.MaxValue;
        for (int window = 0; window < 3; window++)
        {
            before = GC.GetTotalAllocatedBytes(precise: true);
            await RelayAsync(client, chunk, sink, 256 * MiB);
            long inWindow = GC.GetTotalAllocatedBytes(precise: true) - before;
            output.WriteLine($"{engine}: {inWindow} bytes allocated process-wide while relaying 256 MiB");
            large = Math.Min(large, inWindow);
        }

        output.WriteLine($"{engine}: {small} bytes allocated process-wide while relaying 64 MiB, at least {large} while relaying 256 MiB");
        Assert.InRange(large, 0, AllocationBound);
        await WaitUntilAsync(() => forwarder.BytesToTarget == 864 * MiB, "the counter to catch up with the relayed bytes");
    }

    [Fact]
    public async Task UdpRelay_WarmedUp_AllocatesNothingPerDatagram()
    {
        using var echo = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        echo.Bind(AnyLoopback);
        var echoLoop = EchoAsync(echo);
        await using var forwarder = new UdpForwarder(new UdpForwarderOptions
        {
            ListenEndPoint = AnyLoopback,
            TargetHost = "127.0.0.1",
            TargetPort = ((IPEndPoint)echo.LocalEndPoint!).Port,
        });
        forwarder.Start();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        client.Connect(forwarder.LocalEndPoint);
        var datagram = Pattern(1200, 2);
        var reply = new byte[2048];

        await PingPongAsync(client, datagram, reply, 2_000);

        // The counter is process-wide, and work left over from other test classes (a child
        // process's output still being read) can land in one window; an allocation per datagram
        // would show in every window, so the least of three is what the relay costs.
        long allocated = long.MaxValue;
        for (int window = 0; window < 3; window++)
        {
            long before = GC.GetTotalAllocatedBytes(precise: true);
            await PingPongAsync(client, datagram, reply, 20_000);
            long inWindow = GC.GetTotalAllocatedBytes(precise: true) - before;
            output.WriteLine($"UDP: {inWindow} bytes allocated process-wide over 20,000 round trips through the forwarder");
            allocated = Math.Min(allocated, inWindow);
        }

        Assert.InRange(allocated, 0, AllocationBound);
        await WaitUntilAsync(() => forwarder.DatagramsFromTarget == 62_000, "the counter to catch up with the last reply");
        echo.Dispose();
        await echoLoop;
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task TcpRelay_UpToTenThousandIdleConnections_AllRelayed(TcpRelayEngine engine)
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Skip("Reads /proc/self/status and raises RLIMIT_NOFILE: Linux only.");
        }

        // Two descriptors per relayed connection live in this process (the forwarder's accepted
        // and outbound sockets); the clients and the target are in IdleConnectionPeer's process,
        // which has the same limit. Without CAP_SYS_RESOURCE the hard limit cannot be raised;
        // then as many connections as it allows are opened, and said so.
        ulong limit = RaiseOpenFileLimit((2 * 10_000) + 1024);
        int count = (int)Math.Min(10_000, ((long)limit - 1024) / 2);
        if (count < 1000)
        {
            Assert.Skip("RLIMIT_NOFILE is " + limit + ", too low for a meaningful count.");
        }

        if (count < 10_000)
        {
            output.WriteLine($"RLIMIT_NOFILE is {limit} and cannot be raised here: opening {count} connections instead of 10,000");
        }

        await using var peer = CapturedProcess.Start(
            LibraryDriverProcess.DotnetHost(),
            [typeof(IdleConnectionPeer).Assembly.Location, IdleConnectionPeer.Argument, count.ToString(CultureInfo.InvariantCulture)],
            name: "idle-connection peer");
        string targetLine = await peer.ReadLineAsync(line => line.StartsWith("target ", StringComparison.Ordinal) || line.StartsWith("failed ", StringComparison.Ordinal), TestTimeout, "'target PORT'");
        Assert.StartsWith("target ", targetLine, StringComparison.Ordinal);
        await using var forwarder = new TcpForwarder(new TcpForwarderOptions
        {
            ListenEndPoint = AnyLoopback,
            TargetHost = "127.0.0.1",
            TargetPort = int.Parse(targetLine["target ".Length..], CultureInfo.InvariantCulture),
            Engine = engine,
            MaxConnections = count + 1,
            ListenBacklog = 4096,
        });
        forwarder.Start();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long rssBefore = ReadRssBytes();
        long heapBefore = GC.GetTotalMemory(forceFullCollection: true);

        await peer.WriteInputAsync("connect " + forwarder.LocalEndPoint.Port + "\n", close: false);
        string connected = await peer.ReadLineAsync(line => line.StartsWith("connected ", StringComparison.Ordinal) || line.StartsWith("failed ", StringComparison.Ordinal), TestTimeout, "'connected N'");
        Assert.Equal("connected " + count, connected);
        await WaitUntilAsync(() => forwarder.ActiveConnections == count, count + " relayed connections");
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long rssAfter = ReadRssBytes();
        long heapAfter = GC.GetTotalMemory(forceFullCollection: true);
        output.WriteLine($"{engine}: {count} idle relayed connections, RSS {rssBefore / 1024} KiB -> {rssAfter / 1024} KiB, " +
            $"{(rssAfter - rssBefore) / (double)count:F0} bytes per connection; managed heap {(heapAfter - heapBefore) / (double)count:F0} bytes per connection " +
            "(the forwarder's two sockets per connection; clients and target are in another process)");

        // Every connection is live end to end: the last client's byte reaches the target.
        await peer.WriteInputAsync("probe\n", close: false);
        Assert.Equal("probed", await peer.ReadLineAsync(line => line == "probed" || line.StartsWith("failed ", StringComparison.Ordinal), TestTimeout, "'probed'"));
        Assert.Equal(count, forwarder.ActiveConnections);
        Assert.Equal(0, forwarder.RefusedConnections);
        Assert.Equal(0, forwarder.FailedConnections);
        await peer.WriteInputAsync("", close: true);
        Assert.Equal(0, await peer.WaitForExitAsync(TestTimeout));
    }

    private static async Task RelayAsync(Socket client, byte[] chunk, CountingSink sink, long total)
    {
        var done = sink.ExpectMore(total);
        for (long sent = 0; sent < total; sent += chunk.Length)
        {
            int offset = 0;
            while (offset < chunk.Length)
            {
                offset += await client.SendAsync(chunk.AsMemory(offset), SocketFlags.None, CancellationToken.None);
            }
        }

        await done.WaitAsync(TestTimeout, Ct);
    }

    private static async Task PingPongAsync(Socket client, byte[] datagram, byte[] reply, int count)
    {
        for (int i = 0; i < count; i++)
        {
            await client.SendAsync(datagram, SocketFlags.None, Ct);
            int n = await client.ReceiveAsync(reply, SocketFlags.None, Ct);
            if (n != datagram.Length)
            {
                Assert.Fail("short reply");
            }
        }
    }

    private static async Task EchoAsync(Socket socket)
    {
        var buffer = new byte[65536];
        var from = new SocketAddress(AddressFamily.InterNetwork);
        try
        {
            while (true)
            {
                int n = await socket.ReceiveFromAsync(buffer, SocketFlags.None, from);
                await socket.SendToAsync(buffer.AsMemory(0, n), SocketFlags.None, from);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Reads a socket forever into one buffer and signals when an expected byte count has arrived.</summary>
    private sealed class CountingSink
    {
        private readonly Socket _socket;
        private long _received;
        private long _expected = long.MaxValue;
        private TaskCompletionSource? _reached;

        public CountingSink(Socket socket)
        {
            _socket = socket;
            _ = RunAsync();
        }

        public Task ExpectMore(long bytes)
        {
            var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (this)
            {
                _reached = reached;
                _expected = Interlocked.Read(ref _received) + bytes;
            }

            return reached.Task;
        }

        private async Task RunAsync()
        {
            var buffer = new byte[256 * 1024];
            try
            {
                while (true)
                {
                    int n = await _socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None);
                    if (n == 0)
                    {
                        return;
                    }

                    if (Interlocked.Add(ref _received, n) >= Volatile.Read(ref _expected))
                    {
                        lock (this)
                        {
                            if (_received >= _expected)
                            {
                                _expected = long.MaxValue;
                                _reached?.TrySetResult();
                            }
                        }
                    }
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
            }
        }
    }
}
