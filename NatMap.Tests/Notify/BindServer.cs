using System.Security.Cryptography;
using NatMap.Notify;
using NatMap.Tests.Infrastructure;

namespace NatMap.Tests.Notify;

/// <summary>
/// A real BIND 9 <c>named</c> on 127.0.0.1 with its own configuration in a temporary folder: one zone,
/// <c>example.test</c>, that takes updates signed with <see cref="Key"/>. Disposing stops it and removes the folder.
/// </summary>
internal sealed class BindServer : IAsyncDisposable
{
    public const string Zone = "example.test";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private readonly string _dir;
    private readonly CapturedProcess _named;

    private BindServer(string dir, int port, TsigKey key, CapturedProcess named)
    {
        _dir = dir;
        Port = port;
        Key = key;
        _named = named;
    }

    public int Port { get; }

    public TsigKey Key { get; }

    /// <summary>The key file, as <c>tsig-keygen</c> writes it.</summary>
    public string KeyFile => Path.Combine(_dir, "natmap-test.key");

    /// <summary>Skips (or under CI fails) without root or named and dig; else starts named and waits until it serves.</summary>
    public static async Task<BindServer> StartAsync()
    {
        Requirements.Root();
        Requirements.Command("named");
        Requirements.Command("dig");
        var dir = Directory.CreateTempSubdirectory("natmap-bind-").FullName;
        int port = LoopbackPorts.Free();
        var key = new TsigKey("natmap-test", RandomNumberGenerator.GetBytes(32));
        string secret = Convert.ToBase64String(key.Secret.Span);
        File.WriteAllText(Path.Combine(dir, "natmap-test.key"), $"key \"natmap-test\" {{\n\talgorithm hmac-sha256;\n\tsecret \"{secret}\";\n}};\n");
        File.WriteAllText(Path.Combine(dir, "named.conf"), $$"""
            options {
              directory "{{dir}}";
              listen-on port {{port}} { 127.0.0.1; };
              listen-on-v6 { none; };
              pid-file "{{dir}}/named.pid";
              session-keyfile "{{dir}}/session.key";
              managed-keys-directory "{{dir}}";
              recursion no;
              dnssec-validation no;
              notify no;
            };
            controls { };
            include "{{dir}}/natmap-test.key";
            zone "{{Zone}}" { type primary; file "{{dir}}/{{Zone}}.db"; update-policy { grant natmap-test zonesub ANY; }; };
            """);
        File.WriteAllText(Path.Combine(dir, Zone + ".db"), $"""
            $TTL 60
            @ IN SOA ns.{Zone}. hostmaster.{Zone}. 1 60 60 600 60
            @ IN NS ns.{Zone}.
            ns IN A 192.0.2.53
            """ + "\n");
        var named = CapturedProcess.Start(Requirements.FindOnPath("named")!, ["-g", "-n", "1", "-4", "-c", Path.Combine(dir, "named.conf")], name: "named");
        try
        {
            await named.ReadErrorLineAsync(l => l.EndsWith(" running", StringComparison.Ordinal), StartTimeout, "named running");
        }
        catch
        {
            await named.DisposeAsync();
            Directory.Delete(dir, recursive: true);
            throw;
        }

        return new BindServer(dir, port, key, named);
    }

    /// <summary>The records of <paramref name="type"/> at <paramref name="name"/>, as <c>dig +short</c> prints them, sorted.</summary>
    public async Task<string[]> QueryAsync(string name, string type)
    {
        await using var dig = CapturedProcess.Start(Requirements.FindOnPath("dig")!, [$"@127.0.0.1", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "+short", "+tries=1", "+time=5", name, type], name: "dig");
        await dig.WaitForExitAsync(TimeSpan.FromSeconds(20));
        return [.. dig.DrainOutput().Where(l => l.Length > 0).Order(StringComparer.Ordinal)];
    }

    public string Describe() => _named.Describe();

    public async ValueTask DisposeAsync()
    {
        await _named.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }
}
