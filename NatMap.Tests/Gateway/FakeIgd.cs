using System.Net;
using System.Net.Sockets;
using System.Text;

namespace NatMap.Tests.Gateway;

/// <summary>
/// A fake (and, as the test wishes, hostile) IGD on loopback: every HTTP request gets the raw
/// answer that <see cref="Answer"/> builds from the request line and the SOAP action.
/// </summary>
internal sealed class FakeIgd : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serving;

    public FakeIgd(Func<string, string?, byte[]?> answer)
    {
        Answer = answer;
        _listener.Start();
        _serving = ServeAsync();
    }

    /// <summary>Request line and SOAPAction (or null) to the raw answer; null to hold the connection silently.</summary>
    public Func<string, string?, byte[]?> Answer { get; }

    public Uri Location => new("http://127.0.0.1:" + ((IPEndPoint)_listener.LocalEndpoint).Port + "/rootDesc.xml");

    public List<string> Actions { get; } = [];

    public static string Description(string control = "/ctl/IPConn") =>
        "<?xml version=\"1.0\"?><root xmlns=\"urn:schemas-upnp-org:device-1-0\"><device><deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:1</deviceType>" +
        "<deviceList><device><deviceList><device><serviceList><service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:2</serviceType>" +
        "<controlURL>" + control + "</controlURL></service></serviceList></device></deviceList></device></deviceList></device></root>";

    public static byte[] Http(string body, int status = 200) => Encoding.UTF8.GetBytes(
        "HTTP/1.1 " + status + " X\r\nContent-Type: text/xml\r\nContent-Length: " + Encoding.UTF8.GetByteCount(body) + "\r\nConnection: close\r\n\r\n" + body);

    public static string Envelope(string inner) =>
        "<?xml version=\"1.0\"?><s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>" + inner + "</s:Body></s:Envelope>";

    public static string Fault(int code, string description) => Envelope(
        "<s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail><UPnPError xmlns=\"urn:schemas-upnp-org:control-1-0\"><errorCode>" +
        code + "</errorCode><errorDescription>" + description + "</errorDescription></UPnPError></detail></s:Fault>");

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _serving.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task ServeAsync()
    {
        var held = new List<Socket>();
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptSocketAsync(_stop.Token);
                var request = await ReadRequestAsync(socket);
                string line = request.Split("\r\n")[0];
                string? action = request.Split("\r\n").FirstOrDefault(l => l.StartsWith("SOAPAction:", StringComparison.OrdinalIgnoreCase)) is { } header
                    ? header[(header.IndexOf('#') + 1)..].Trim('"', ' ')
                    : null;
                lock (Actions)
                {
                    Actions.Add(action ?? line);
                }

                if (Answer(line, action) is { } answer)
                {
                    try
                    {
                        await socket.SendAsync(answer, SocketFlags.None, _stop.Token);
                    }
                    catch (SocketException)
                    {
                    }

                    socket.Dispose();
                }
                else
                {
                    held.Add(socket);
                }
            }
        }
        finally
        {
            held.ForEach(s => s.Dispose());
        }
    }

    private async Task<string> ReadRequestAsync(Socket socket)
    {
        var buffer = new byte[65536];
        int filled = 0;
        while (filled < buffer.Length)
        {
            int read = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, _stop.Token);
            if (read == 0)
            {
                break;
            }

            filled += read;
            var text = Encoding.UTF8.GetString(buffer, 0, filled);
            int end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end < 0)
            {
                continue;
            }

            var length = text.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
            int body = length is null ? 0 : int.Parse(length[15..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
            if (filled >= end + 4 + body)
            {
                return text;
            }
        }

        return Encoding.UTF8.GetString(buffer, 0, filled);
    }
}
