using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using NatMap.Tests.Infrastructure;

namespace NatMap.Tests.Notify;

/// <summary>
/// A real <c>transmission-daemon</c> on 127.0.0.1 with its own settings in a temporary folder: RPC with a
/// login, peers on loopback only, and DHT, LPD, PEX, µTP and port forwarding off so it talks to nobody.
/// Disposing stops it and removes the folder.
/// </summary>
internal sealed class TransmissionDaemon : IAsyncDisposable
{
    public const string UserName = "natmap";
    public const string Password = "tr-s3cret";
    private readonly string _dir;
    private readonly CapturedProcess _daemon;
    private readonly HttpClient _http = new();

    private TransmissionDaemon(string dir, int rpcPort, CapturedProcess daemon)
    {
        _dir = dir;
        RpcPort = rpcPort;
        _daemon = daemon;
    }

    public int RpcPort { get; }

    public Uri RpcUrl => new($"http://127.0.0.1:{RpcPort}/transmission/rpc");

    public static async Task<TransmissionDaemon> StartAsync()
    {
        Requirements.Command("transmission-daemon");
        var dir = Directory.CreateTempSubdirectory("natmap-transmission-").FullName;
        int rpcPort = LoopbackPorts.Free();
        int peerPort = LoopbackPorts.Free();
        File.WriteAllText(Path.Combine(dir, "settings.json"), JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["dht-enabled"] = false,
            ["lpd-enabled"] = false,
            ["pex-enabled"] = false,
            ["utp-enabled"] = false,
            ["port-forwarding-enabled"] = false,
            ["blocklist-enabled"] = false,
            ["peer-port"] = peerPort,
            ["peer-port-random-on-start"] = false,
            ["bind-address-ipv4"] = "127.0.0.1",
            ["bind-address-ipv6"] = "::1",
            ["rpc-port"] = rpcPort,
            ["rpc-bind-address"] = "127.0.0.1",
            ["rpc-whitelist-enabled"] = true,
            ["rpc-whitelist"] = "127.0.0.1",
            ["rpc-authentication-required"] = true,
            ["rpc-username"] = UserName,
            ["rpc-password"] = Password,
            ["download-dir"] = Path.Combine(dir, "downloads"),
            ["incomplete-dir-enabled"] = false,
            ["message-level"] = 2,
        }));
        var daemon = CapturedProcess.Start(Requirements.FindOnPath("transmission-daemon")!, ["-f", "-g", dir], name: "transmission-daemon");
        try
        {
            await daemon.ReadErrorLineAsync(l => l.Contains($"Serving RPC and Web requests on 127.0.0.1:{rpcPort}", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "RPC listening");
        }
        catch
        {
            await daemon.DisposeAsync();
            Directory.Delete(dir, recursive: true);
            throw;
        }

        return new TransmissionDaemon(dir, rpcPort, daemon);
    }

    /// <summary>The daemon's <c>peer-port</c>, read back with <c>session-get</c>.</summary>
    public async Task<int> PeerPortAsync()
    {
        string? sessionId = null;
        for (int round = 0; round < 2; round++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, RpcUrl)
            {
                Content = new StringContent("""{"method":"session-get","arguments":{"fields":["peer-port"]}}""", Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(UserName + ":" + Password)));
            if (sessionId is not null)
            {
                request.Headers.Add("X-Transmission-Session-Id", sessionId);
            }

            using var response = await _http.SendAsync(request).WaitAsync(TimeSpan.FromSeconds(20));
            if (response.StatusCode == System.Net.HttpStatusCode.Conflict)
            {
                sessionId = response.Headers.GetValues("X-Transmission-Session-Id").First();
                continue;
            }

            response.EnsureSuccessStatusCode();
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            return json.RootElement.GetProperty("arguments").GetProperty("peer-port").GetInt32();
        }

        throw new InvalidOperationException("transmission-daemon kept answering 409");
    }

    public string Describe() => _daemon.Describe();

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _daemon.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }
}
