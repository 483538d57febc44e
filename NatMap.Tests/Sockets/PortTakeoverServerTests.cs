using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using NatMap.Mapping;
using NatMap.Sockets.Internal;
using NatMap.Stun;
using NatMap.Tests.Fakes;
using NatMap.Tests.Infrastructure;
using NatMap.Tests.Mapping.Fakes;

namespace NatMap.Tests.Sockets;

/// <summary>
/// The port-in-use takeover against a real listener in another process, started without SO_REUSEPORT.
/// Needs root (pidfd_getfd on another process) and python3.
/// </summary>
public sealed class PortTakeoverServerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData(ProtocolType.Tcp)]
    [InlineData(ProtocolType.Udp)]
    public async Task TryShare_PortHeldWithoutReusePort_LetsAReusePortSocketBind(ProtocolType protocol)
    {
        Requirements.Root();
        Requirements.Command("python3");
        await using var holder = await Holder.StartAsync(protocol, asNobody: false);
        var local = new IPEndPoint(IPAddress.Loopback, holder.Port);
        Assert.False(TryBindShared(protocol, local), "the port should be held before the takeover");

        bool shared = new PortTakeover(NullLogger.Instance).TryShare(local, protocol, out string reason);

        Assert.True(shared, reason);
        Assert.True(TryBindShared(protocol, local), "binding with SO_REUSEPORT should succeed after the takeover");
    }

    [Fact]
    public async Task TryShare_HolderIsAnotherUser_ExplainsTheUidRule()
    {
        Requirements.Root();
        Requirements.Command("python3");
        await using var holder = await Holder.StartAsync(ProtocolType.Tcp, asNobody: true);
        var local = new IPEndPoint(IPAddress.Loopback, holder.Port);

        bool shared = new PortTakeover(NullLogger.Instance).TryShare(local, ProtocolType.Tcp, out string reason);

        Assert.False(shared);
        Assert.Contains("uid 65534", reason, StringComparison.Ordinal);
        Assert.False(TryBindShared(ProtocolType.Tcp, local));
    }

    [Fact]
    public async Task WatchAsync_FixedPortHeldByListener_TakesItOverAndReportsIt()
    {
        Requirements.Root();
        Requirements.Command("python3");
        await using var holder = await Holder.StartAsync(ProtocolType.Tcp, asNobody: false);
        await using var stun = LoopbackStunServer.Nat(MapperHarness.Nat(1000));
        await using var http = new FakeHttpServer();
        var options = new PortMapperOptions
        {
            BindAddress = IPAddress.Loopback,
            Port = PortSpec.Fixed(holder.Port),
            StunServers = { StunServerEndPoint.Parse(stun.Text) },
            HttpServer = http.EndPoint.ToString(),
            RetryDelay = TimeSpan.FromMilliseconds(20),
            MaxRetryDelay = TimeSpan.FromMilliseconds(100),
        };
        await using var mapper = MapperHarness.Create(options);
        await using var events = mapper.WatchAsync(TestContext.Current.CancellationToken).GetAsyncEnumerator(TestContext.Current.CancellationToken);

        var mapping = await MapperHarness.NextAsync(events);

        Assert.Equal(new IPEndPoint(IPAddress.Loopback, holder.Port), mapping.PrivateEndPoint);
        Assert.Equal(holder.Port + 1000, mapping.PublicEndPoint.Port);
    }

    [Fact]
    public async Task WatchAsync_UdpPortSharedWithService_ServiceGetsEveryDatagramButTheServersAnswers()
    {
        Requirements.Root();
        Requirements.Command("python3");
        await using var service = await Holder.StartAsync(ProtocolType.Udp, asNobody: false, echo: true);
        await using var stun = LoopbackStunServer.Nat(MapperHarness.Nat(1000));
        var options = new PortMapperOptions
        {
            Protocol = MappingProtocol.Udp,
            BindAddress = IPAddress.Loopback,
            Port = PortSpec.Fixed(service.Port),
            StunServers = { StunServerEndPoint.Parse(stun.Text) },
            KeepAliveInterval = TimeSpan.FromMilliseconds(50),
            RetryDelay = TimeSpan.FromMilliseconds(20),
            MaxRetryDelay = TimeSpan.FromMilliseconds(100),
        };
        await using var mapper = MapperHarness.Create(options);
        await using var events = mapper.WatchAsync(TestContext.Current.CancellationToken).GetAsyncEnumerator(TestContext.Current.CancellationToken);
        var mapping = await MapperHarness.NextAsync(events);

        // Linux picks among the unconnected sockets of a reuseport group by a hash of the 4-tuple:
        // from 64 source ports, an unconnected mapping socket would take about half.
        var clients = Enumerable.Range(0, 64).Select(_ => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp)).ToList();
        try
        {
            var echoes = new List<string>();
            foreach (var client in clients)
            {
                client.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                await client.SendToAsync(System.Text.Encoding.ASCII.GetBytes("hello " + ((IPEndPoint)client.LocalEndPoint!).Port), new IPEndPoint(IPAddress.Loopback, service.Port), TestContext.Current.CancellationToken);
            }

            foreach (var client in clients)
            {
                var buffer = new byte[64];
                int length = await client.ReceiveAsync(buffer, TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);
                echoes.Add(System.Text.Encoding.ASCII.GetString(buffer, 0, length));
            }

            Assert.Equal(service.Port + 1000, mapping.PublicEndPoint.Port);
            Assert.Equal(clients.Select(c => "hello " + ((IPEndPoint)c.LocalEndPoint!).Port), echoes);
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    private static bool TryBindShared(ProtocolType protocol, IPEndPoint local)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, protocol == ProtocolType.Tcp ? SocketType.Stream : SocketType.Dgram, protocol);
        Assert.True(LinuxSocketOptions.TrySetReuseAddressAndPort(socket, out _));
        return BoundSocketFactory.TryBind(socket, local, out _);
    }

    /// <summary>
    /// A python3 child holding a loopback port without SO_REUSEPORT; it prints the port when bound
    /// and exits when stdin closes. With <c>echo</c> (UDP) it sends every datagram back to its sender.
    /// </summary>
    private sealed class Holder : IAsyncDisposable
    {
        private readonly Process _process;

        private Holder(Process process, int port)
        {
            _process = process;
            Port = port;
        }

        public int Port { get; }

        public static async Task<Holder> StartAsync(ProtocolType protocol, bool asNobody, bool echo = false)
        {
            string kind = protocol == ProtocolType.Tcp ? "SOCK_STREAM" : "SOCK_DGRAM";
            string drop = asNobody ? "os.setgid(65534); os.setuid(65534); " : "";
            string listen = protocol == ProtocolType.Tcp ? "s.listen(); " : "";
            string serve = echo ? "threading.Thread(target=lambda: [s.sendto(*s.recvfrom(2048)) for _ in iter(int, 1)], daemon=True).start(); " : "";
            string script = $"import os, socket, sys, threading; {drop}s = socket.socket(socket.AF_INET, socket.{kind}); s.bind(('127.0.0.1', 0)); {listen}print(s.getsockname()[1], flush=True); {serve}sys.stdin.read()";
            var start = new ProcessStartInfo(Requirements.FindOnPath("python3")!)
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(script);
            var process = Process.Start(start)!;
            try
            {
                string? line = await process.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);
                Assert.False(string.IsNullOrEmpty(line), "the holder did not report its port");
                return new Holder(process, int.Parse(line, CultureInfo.InvariantCulture));
            }
            catch
            {
                process.Kill();
                process.Dispose();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            _process.StandardInput.Close();
            try
            {
                await _process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(Timeout, TestContext.Current.CancellationToken);
            }
            catch (TimeoutException)
            {
                _process.Kill();
            }

            _process.Dispose();
        }
    }
}
