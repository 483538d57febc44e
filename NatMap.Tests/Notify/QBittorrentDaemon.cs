using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using NatMap.Tests.Infrastructure;

namespace NatMap.Tests.Notify;

/// <summary>
/// A real <c>qbittorrent-nox</c> on 127.0.0.1 with its own profile in a temporary folder: the Web UI with a
/// login (localhost not exempted), BitTorrent bound to <c>lo</c>, and DHT, LSD, PeX, UPnP/NAT-PMP and peer
/// country lookups off, so it talks to nobody. Disposing stops it and removes the folder.
/// </summary>
internal sealed class QBittorrentDaemon : IAsyncDisposable
{
    public const string UserName = "natmap";
    public const string Password = "qb-s3cret";
    private readonly string _dir;
    private readonly CapturedProcess _daemon;
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseCookies = true, CookieContainer = new CookieContainer() });

    private QBittorrentDaemon(string dir, int port, CapturedProcess daemon)
    {
        _dir = dir;
        Port = port;
        _daemon = daemon;
    }

    public int Port { get; }

    public Uri Url => new($"http://127.0.0.1:{Port}/");

    public static async Task<QBittorrentDaemon> StartAsync()
    {
        Requirements.Command("qbittorrent-nox");
        var dir = Directory.CreateTempSubdirectory("natmap-qbittorrent-").FullName;
        int port = LoopbackPorts.Free();
        int peerPort = LoopbackPorts.Free();

        // The Web UI keeps PBKDF2-HMAC-SHA512 of the password, 100000 rounds, 16-byte salt, 64-byte hash.
        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(Password), salt, 100_000, HashAlgorithmName.SHA512, 64);
        var config = Directory.CreateDirectory(Path.Combine(dir, "qBittorrent", "config")).FullName;
        File.WriteAllText(Path.Combine(config, "qBittorrent.conf"), $"""
            [LegalNotice]
            Accepted=true

            [BitTorrent]
            Session\DHTEnabled=false
            Session\LSDEnabled=false
            Session\PeXEnabled=false
            Session\Port={peerPort}
            Session\Interface=lo
            Session\InterfaceName=lo
            Session\InterfaceAddress=127.0.0.1

            [Network]
            PortForwardingEnabled=false

            [Preferences]
            Connection\UPnP=false
            Connection\ResolvePeerCountries=false
            General\UseRandomPort=false
            WebUI\Address=127.0.0.1
            WebUI\Port={port}
            WebUI\Username={UserName}
            WebUI\Password_PBKDF2="@ByteArray({Convert.ToBase64String(salt)}:{Convert.ToBase64String(hash)})"
            WebUI\LocalHostAuth=true
            """ + "\n");
        var daemon = CapturedProcess.Start(Requirements.FindOnPath("qbittorrent-nox")!, [$"--profile={dir}"], name: "qbittorrent-nox");
        var started = new QBittorrentDaemon(dir, port, daemon);
        try
        {
            await started.LogInAsync();
        }
        catch
        {
            await started.DisposeAsync();
            throw;
        }

        return started;
    }

    /// <summary>The daemon's preferences, read back through the Web API.</summary>
    public async Task<JsonElement> PreferencesAsync()
    {
        var text = await _http.GetStringAsync(new Uri(Url, "api/v2/app/preferences")).WaitAsync(TimeSpan.FromSeconds(20));
        using var json = JsonDocument.Parse(text);
        return json.RootElement.Clone();
    }

    public string Describe() => _daemon.Describe();

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _daemon.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>
    /// Logs the test's own client in: readiness is the Web UI answering. qbittorrent-nox prints nothing
    /// when it is up, so this polls the port until it answers (at most 30 s), never a fixed sleep.
    /// </summary>
    private async Task LogInAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                using var response = await _http.PostAsync(
                    new Uri(Url, "api/v2/auth/login"),
                    new FormUrlEncodedContent([new("username", UserName), new("password", Password)])).WaitAsync(TimeSpan.FromSeconds(10));
                if (await response.Content.ReadAsStringAsync() == "Ok.")
                {
                    return;
                }

                throw new InvalidOperationException("qbittorrent-nox refused the test's login: " + response.StatusCode + "\n" + Describe());
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline && !_daemon.HasExited)
            {
                await Task.Delay(50);
            }
        }
    }
}
