using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using NatMap.Gateway.Internal;
using NatMap.Sockets.Internal;
using NatMap.Tests.Infrastructure;

namespace NatMap.Tests.Gateway;

/// <summary>
/// The sockets that talk to the home router (the PCP and NAT-PMP exchange, the SSDP search, the
/// IGD's HTTP connections) carry SO_BINDTODEVICE when <c>-i</c> names an interface: each is found
/// in this process while the fake router holds its request (its inode in /proc/self/net, then its
/// descriptor) and its option read back with getsockopt.
/// </summary>
public sealed class GatewaySocketDeviceTests
{
    private const int SolSocket = 1;
    private const int SoBindToDevice = 25;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData("lo")]
    [InlineData(null)]
    public async Task UdpExchange_InterfaceNamed_RequestSocketBoundToIt(string? device)
    {
        Requirements.Root();
        using var router = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        router.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var server = (IPEndPoint)router.LocalEndPoint!;
        var seen = AnswerOnceAsync(router, _ => OwnSocketDevice("udp", (_, remote) => remote.Equals(server)), request => request);

        var (answer, _) = await GatewayUdpExchange.ExchangeAsync(server, null, Factory(device), _ => [1, 2, 3], _ => true, 3, "PCP", TestContext.Current.CancellationToken).WaitAsync(Timeout, TestContext.Current.CancellationToken);

        Assert.Equal([1, 2, 3], answer);
        Assert.Equal(device ?? "", await seen.WaitAsync(Timeout, TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData("lo")]
    [InlineData(null)]
    public async Task SsdpSearch_InterfaceNamed_SearchSocketBoundToIt(string? device)
    {
        Requirements.Root();
        using var router = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        router.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var seen = AnswerOnceAsync(
            router,
            client => OwnSocketDevice("udp", (local, _) => local.Port == client.Port),
            _ => Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nLOCATION: http://127.0.0.1:5000/rootDesc.xml\r\n\r\n"));

        var found = await SsdpSearch.SearchAsync([(IPEndPoint)router.LocalEndPoint!], null, Factory(device), IPAddress.Loopback, Timeout, TestContext.Current.CancellationToken).WaitAsync(Timeout, TestContext.Current.CancellationToken);

        Assert.Equal([new Uri("http://127.0.0.1:5000/rootDesc.xml")], found);
        Assert.Equal(device ?? "", await seen.WaitAsync(Timeout, TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData("lo")]
    [InlineData(null)]
    public async Task GatewayHttp_InterfaceNamed_ConnectionBoundToIt(string? device)
    {
        Requirements.Root();
        string? seen = null;
        IPEndPoint? igdEndPoint = null;
        await using var igd = new FakeIgd((_, _) =>
        {
            seen = OwnSocketDevice("tcp", (local, remote) => remote.Equals(igdEndPoint) && local.Port != igdEndPoint!.Port);
            return FakeIgd.Http(FakeIgd.Description());
        });
        igdEndPoint = new IPEndPoint(IPAddress.Loopback, igd.Location.Port);
        using var http = new GatewayHttp(null, Factory(device), Timeout);

        var body = await http.GetAsync(igd.Location, 65536, TestContext.Current.CancellationToken).WaitAsync(Timeout, TestContext.Current.CancellationToken);

        Assert.Equal(FakeIgd.Description(), Encoding.UTF8.GetString(body));
        Assert.Equal(device ?? "", seen);
    }

    private static BoundSocketFactory Factory(string? device) => new(SocketSettings.Interface(device), NullLogger.Instance);

    /// <summary>The fake router: takes one datagram, reads the sender's device while the sender waits, then answers.</summary>
    private static Task<string?> AnswerOnceAsync(Socket router, Func<IPEndPoint, string?> device, Func<byte[], byte[]> answer) => Task.Run(
        async () =>
        {
            var buffer = new byte[1024];
            var request = await router.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), TestContext.Current.CancellationToken);
            string? seen = device((IPEndPoint)request.RemoteEndPoint);
            await router.SendToAsync(answer(buffer[..request.ReceivedBytes]), request.RemoteEndPoint, TestContext.Current.CancellationToken);
            return seen;
        },
        TestContext.Current.CancellationToken);

    /// <summary>SO_BINDTODEVICE of this process's one socket in /proc/self/net/<paramref name="table"/> that <paramref name="match"/> picks by local and remote endpoint ("" when unbound), or null when none is found.</summary>
    private static string? OwnSocketDevice(string table, Func<IPEndPoint, IPEndPoint, bool> match)
    {
        ulong? inode = null;
        foreach (var line in File.ReadAllLines("/proc/self/net/" + table).Skip(1))
        {
            // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 10 && ProcNetTable.TryParseEndPoint(fields[1], out var local) && ProcNetTable.TryParseEndPoint(fields[2], out var remote) && match(local, remote))
            {
                inode = ulong.Parse(fields[9], CultureInfo.InvariantCulture);
            }
        }

        string link = "socket:[" + inode + "]";
        foreach (var fd in Directory.GetFiles("/proc/self/fd"))
        {
            string? target = null;
            try
            {
                target = new FileInfo(fd).LinkTarget;
            }
            catch (IOException)
            {
                // The descriptor closed while the directory was read.
            }

            if (inode is not null && target == link)
            {
                using var socket = new Socket(new SafeSocketHandle(nint.Parse(Path.GetFileName(fd), CultureInfo.InvariantCulture), ownsHandle: false));
                var name = new byte[32];
                int length = socket.GetRawSocketOption(SolSocket, SoBindToDevice, name);
                return Encoding.UTF8.GetString(name, 0, length).TrimEnd('\0');
            }
        }

        return null;
    }
}
