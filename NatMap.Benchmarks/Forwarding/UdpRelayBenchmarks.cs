using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using NatMap.Forwarding;

namespace NatMap.Benchmarks.Forwarding;

/// <summary>
/// UDP round trips over loopback: one operation is <see cref="RoundTrips"/> request/reply pairs of
/// 1,200-byte datagrams to an echo server, directly (the baseline) or through a UdpForwarder.
/// </summary>
[MemoryDiagnoser]
public class UdpRelayBenchmarks
{
    private const int RoundTrips = 1000;

    private readonly byte[] _datagram = new byte[1200];
    private readonly byte[] _reply = new byte[2048];
    private Socket? _echo;
    private UdpForwarder? _forwarder;
    private Socket? _direct;
    private Socket? _viaForwarder;

    [GlobalSetup]
    public void Setup()
    {
        _echo = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _echo.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var target = (IPEndPoint)_echo.LocalEndPoint!;
        _ = EchoAsync(_echo);
        _forwarder = new UdpForwarder(new UdpForwarderOptions
        {
            ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            TargetHost = target.Address.ToString(),
            TargetPort = target.Port,
        });
        _forwarder.Start();
        _direct = Connect(target);
        _viaForwarder = Connect(_forwarder.LocalEndPoint);
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        _direct?.Dispose();
        _viaForwarder?.Dispose();
        await _forwarder!.DisposeAsync();
        _echo?.Dispose();
    }

    [Benchmark(Baseline = true, Description = "direct, no relay")]
    public Task Direct() => PingPongAsync(_direct!);

    [Benchmark(Description = "UdpForwarder")]
    public Task Forwarder() => PingPongAsync(_viaForwarder!);

    private static Socket Connect(IPEndPoint endPoint)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Connect(endPoint);
        return socket;
    }

    private async Task PingPongAsync(Socket socket)
    {
        for (int i = 0; i < RoundTrips; i++)
        {
            await socket.SendAsync(_datagram.AsMemory(), SocketFlags.None);
            int n = await socket.ReceiveAsync(_reply.AsMemory(), SocketFlags.None);
            if (n != _datagram.Length)
            {
                throw new InvalidOperationException("Short reply.");
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
                int n = await socket.ReceiveFromAsync(buffer.AsMemory(), SocketFlags.None, from);
                await socket.SendToAsync(buffer.AsMemory(0, n), SocketFlags.None, from);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
    }
}
