#!/usr/bin/env bash
# Packs NatMap.Core and NatMap.Hosting, checks what the packages carry, and proves a fresh console
# project can `dotnet add package NatMap.Core --source <folder>` (and NatMap.Hosting) and run code
# from them: every README C# block is compiled, and the README's hosted worker runs.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

dotnet pack NatMap.Core -c Release -o "$work/feed" --nologo -v q
dotnet pack NatMap.Hosting -c Release -o "$work/feed" --nologo -v q
pkg=$(ls "$work"/feed/NatMap.Core.*.nupkg | head -n1)
hosting=$(ls "$work"/feed/NatMap.Hosting.*.nupkg | head -n1)
echo "package: $(basename "$pkg") ($(stat -c %s "$pkg") bytes)"
echo "package: $(basename "$hosting") ($(stat -c %s "$hosting") bytes)"

# A package's file names, then its nuspec after "NUSPEC:".
list_package() {
  python3 - "$1" <<'PY'
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
for n in z.namelist():
    print(n)
nuspec = [n for n in z.namelist() if n.endswith(".nuspec")][0]
print("NUSPEC:" + z.read(nuspec).decode())
PY
}
listing=$(list_package "$pkg")
fail() { echo "pack-check: $*" >&2; exit 1; }
for want in README.md lib/net8.0/NatMap.Core.dll lib/net8.0/NatMap.Core.xml lib/net10.0/NatMap.Core.dll lib/net10.0/NatMap.Core.xml; do
  grep -qx "$want" <<<"$listing" || fail "package lacks $want"
done
grep -q '<license type="expression">MIT</license>' <<<"$listing" || fail "no MIT licence expression"
grep -q '<readme>README.md</readme>' <<<"$listing" || fail "no readme element"
# Symbols travel inside the DLLs as embedded portable PDBs.
python3 - "$pkg" <<'PY' || fail "NatMap.Core.dll has no embedded PDB"
import sys, zipfile
data = zipfile.ZipFile(sys.argv[1]).read("lib/net10.0/NatMap.Core.dll")
sys.exit(0 if b"RSDS" in data and b"NatMap.Core.pdb" in data else 1)
PY
echo "package carries README, XML docs for net8.0 and net10.0, MIT expression, embedded symbols"
hosting_listing=$(list_package "$hosting")
for want in README.md lib/net8.0/NatMap.Hosting.dll lib/net8.0/NatMap.Hosting.xml lib/net10.0/NatMap.Hosting.dll lib/net10.0/NatMap.Hosting.xml; do
  grep -qx "$want" <<<"$hosting_listing" || fail "NatMap.Hosting lacks $want"
done
grep -q '<dependency id="NatMap.Core" version="' <<<"$hosting_listing" || fail "NatMap.Hosting does not depend on NatMap.Core"
grep -q '<license type="expression">MIT</license>' <<<"$hosting_listing" || fail "NatMap.Hosting: no MIT licence expression"
echo "NatMap.Hosting carries README, XML docs for net8.0 and net10.0, a NatMap.Core dependency, MIT expression"

repo=$(pwd)
mkdir "$work/app" && cd "$work/app"
# The package cache keys packages by id and version only, so it would serve an older build of this
# same version: drop our own package from it (its dependencies, restored by the pack above, stay).
cache=${NUGET_PACKAGES:-$HOME/.nuget/packages}
rm -rf "$cache/natmap.core" "$cache/natmap.hosting"
dotnet new console --framework net10.0 --name App -o . >/dev/null
# The app is outside this repo, so it does not see our Directory.*.props.
dotnet add package NatMap.Core --source "$work/feed" > add.log 2>&1 || { cat add.log >&2; fail "dotnet add package failed"; }
dotnet add package Microsoft.Extensions.Logging.Console > add-console.log 2>&1 || { cat add-console.log >&2; fail "dotnet add package Microsoft.Extensions.Logging.Console failed"; }
dotnet add package NatMap.Hosting --source "$work/feed" > add.log 2>&1 || { cat add.log >&2; fail "dotnet add package NatMap.Hosting failed"; }
# The README's worker builds its host with Microsoft.Extensions.Hosting, as an app would.
dotnet add package Microsoft.Extensions.Hosting --version 8.0.1 > add.log 2>&1 || { cat add.log >&2; fail "dotnet add package Microsoft.Extensions.Hosting failed"; }
# Every C# block of the README must compile against the package, as pasted after the README's
# shared beginning (the block that defines `loggerFactory` and `cancellationToken`): each block
# becomes the body of a method of its own, that beginning first, their using directives hoisted.
python3 - "$repo/README.md" > Readme.cs <<'PY'
import re, sys
blocks = re.findall(r"```csharp\n(.*?)```", open(sys.argv[1]).read(), re.S)
if not blocks:
    sys.exit("no C# block in README.md")
preambles = [b for b in blocks if "CancellationToken cancellationToken =" in b and "loggerFactory =" in b]
if len(preambles) != 1:
    sys.exit("README.md needs exactly one C# block defining loggerFactory and cancellationToken, found %d" % len(preambles))
usings = set()
def split(block):
    body = []
    for line in block.splitlines():
        if re.match(r"^using [A-Za-z0-9_.]+;\s*$", line):
            usings.add(line.strip())
        else:
            body.append(line)
    return body
preamble = split(preambles[0])
bodies = [split(b) for b in blocks if b is not preambles[0]]
print("\n".join(sorted(usings)))
print("\n#pragma warning disable CS0162, CS1998, CS4014\ninternal static class ReadmeBlocks\n{")
worker = [i for i, body in enumerate(bodies) if any("AddPortMapping(" in line for line in body)]
if len(worker) != 1:
    sys.exit("expected one README block with the hosted worker (AddPortMapping)")
# The worker runs too, with the caller's token: on its own, without the shared beginning (it makes
# its own host and logging).
print("    public static async Task RunWorkerAsync(CancellationToken cancellationToken)\n    {")
for line in bodies[worker[0]]:
    print(("        " + line) if line.strip() else "")
print("    }")
for i, body in enumerate(bodies):
    print(f"    public static async Task Block{i}Async()\n    {{")
    for line in preamble + [""] + body:
        print(("        " + line) if line.strip() else "")
    print("    }")
print("}")
PY
echo "README: $(grep -c '^```csharp' "$repo/README.md") C# blocks to compile"
# Creating a mapper touches no network until it is enumerated, so the app disposes it (and an
# in-process UDP server) unenumerated. It then relays two bytes through a TcpForwarder on loopback, runs the README's
# in-process serving example on loopback (against a fake STUN-over-TCP and HTTP keep-alive
# server), runs the README's hosted worker (two UDP mappings from appsettings.json, against a fake
# STUN-over-UDP server on loopback) until it has logged both, and prints an IP4P address.
cat > Program.cs <<'CS'
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using NatMap;
using NatMap.Forwarding;
using NatMap.Ip4p;
using NatMap.Mapping;
using NatMap.Stun;

var options = new PortMapperOptions { Protocol = MappingProtocol.Udp, Port = PortSpec.Parse("5555") };
options.StunServers.Add(StunServerEndPoint.Parse("stun.example.org"));
options.StunServers.Add(StunServerEndPoint.Parse("stun2.example.org:3478"));
await using (IPortMapper mapper = PortMapper.Create(options))
{
    if (mapper.Current is not null) throw new InvalidOperationException("a mapping before watching");
}

// The README's in-process UDP serving example: created and disposed unenumerated, so no socket yet.
await using (IMappedUdpServer server = PortMapper.CreateUdpServer(options))
{
    if (server.Current is not null || server.DroppedDatagrams != 0) throw new InvalidOperationException("a served mapping before watching");
}

// The README's forwarder example, on loopback: two bytes through a TcpForwarder from the package.
var wait = TimeSpan.FromSeconds(10);
using var target = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
target.Bind(new IPEndPoint(IPAddress.Loopback, 0));
target.Listen();
await using (var forwarder = new TcpForwarder(new TcpForwarderOptions
{
    ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
    TargetHost = "127.0.0.1",
    TargetPort = ((IPEndPoint)target.LocalEndPoint!).Port,
    IdleTimeout = TimeSpan.FromMinutes(5),
}))
{
    forwarder.Start();
    using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    await client.ConnectAsync(forwarder.LocalEndPoint).WaitAsync(wait);
    using var accepted = await target.AcceptAsync().WaitAsync(wait);
    await client.SendAsync("ok"u8.ToArray()).WaitAsync(wait);
    var got = new byte[2];
    for (int n = 0; n < 2;)
    {
        int read = await accepted.ReceiveAsync(got.AsMemory(n)).AsTask().WaitAsync(wait);
        if (read == 0) throw new InvalidOperationException("the relayed connection closed early");
        n += read;
    }

    if (got[0] != (byte)'o' || got[1] != (byte)'k') throw new InvalidOperationException("the relay changed the bytes");
    Console.WriteLine("relayed through " + forwarder.Engine);
}

// The README's in-process serving example, on loopback: a fake STUN server (over TCP, answering
// with the source it sees) and a fake HTTP keep-alive server stand in for the real ones.
using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
var stunListener = new TcpListener(IPAddress.Loopback, 0);
var httpListener = new TcpListener(IPAddress.Loopback, 0);
stunListener.Start();
httpListener.Start();
_ = ServeFakeAsync(stunListener, AnswerStunAsync, stop.Token);
_ = ServeFakeAsync(httpListener, AnswerHttpAsync, stop.Token);
var serveOptions = new PortMapperOptions { BindAddress = IPAddress.Loopback, HttpServer = httpListener.LocalEndpoint.ToString() };
serveOptions.StunServers.Add(StunServerEndPoint.Parse(stunListener.LocalEndpoint.ToString()!));
await using (IMappedTcpServer server = PortMapper.CreateTcpServer(serveOptions))
{
    await using var watch = server.WatchAsync(stop.Token).GetAsyncEnumerator(stop.Token);
    if (!await watch.MoveNextAsync()) throw new InvalidOperationException("no mapping");
    MappingChanged change = watch.Current;
    var echo = Task.Run(async () =>
    {
        TcpPipeConnection connection = await server.AcceptAsync(stop.Token);
        await using (connection)
        {
            await connection.Transport.Input.CopyToAsync(connection.Transport.Output, stop.Token);
            await connection.Transport.Output.CompleteAsync();
        }
    });
    using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    await peer.ConnectAsync(change.PrivateEndPoint, stop.Token).AsTask().WaitAsync(wait);
    await peer.SendAsync("echo"u8.ToArray()).WaitAsync(wait);
    peer.Shutdown(SocketShutdown.Send);
    var back = new MemoryStream();
    var chunk = new byte[64];
    for (int n; (n = await peer.ReceiveAsync(chunk.AsMemory()).AsTask().WaitAsync(wait)) > 0;) back.Write(chunk, 0, n);
    if (!back.ToArray().AsSpan().SequenceEqual("echo"u8)) throw new InvalidOperationException("the served connection did not echo");
    await echo.WaitAsync(wait);
    Console.WriteLine("served in-process on " + change.PrivateEndPoint + ", mapped to " + change.PublicEndPoint);
}

// The README's hosted worker: appsettings.json names two UDP mappings on the fake STUN server; the
// worker logs each through the console logger, which this writer watches for both names.
using var stunUdp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
stunUdp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
_ = AnswerStunUdpAsync(stunUdp, stop.Token);
File.WriteAllText(Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json"), $$"""
    { "NatMap": { "Mappings": [
        { "Name": "alpha", "Protocol": "udp", "BindAddress": "127.0.0.1", "StunServers": [ "{{stunUdp.LocalEndPoint}}" ] },
        { "Name": "beta", "Protocol": "udp", "BindAddress": "127.0.0.1", "StunServers": [ "{{stunUdp.LocalEndPoint}}" ] } ] },
      "Logging": { "LogLevel": { "Default": "Warning", "Worker": "Information" } } }
    """);
using var workerStop = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
var console = Console.Out;
var watcher = new LogWatcher(console, ["alpha is reachable at ", "beta is reachable at "], workerStop);
Console.SetOut(watcher);
await ReadmeBlocks.RunWorkerAsync(workerStop.Token);
Console.SetOut(console);
if (!watcher.SawAll) throw new InvalidOperationException("the hosted worker did not log both mappings");
Console.WriteLine("hosted worker logged both mappings");
await stop.CancelAsync();
Console.WriteLine(Ip4pCodec.Encode(new IPEndPoint(IPAddress.Parse("203.0.113.1"), 45555)));

static async Task ServeFakeAsync(TcpListener listener, Func<Socket, CancellationToken, Task> answer, CancellationToken stop)
{
    try
    {
        while (true)
        {
            Socket accepted = await listener.AcceptSocketAsync(stop);
            _ = Task.Run(async () =>
            {
                using (accepted)
                {
                    try { await answer(accepted, stop); } catch (Exception ex) when (ex is SocketException or OperationCanceledException or EndOfStreamException) { }
                }
            });
        }
    }
    catch (OperationCanceledException)
    {
    }
    finally
    {
        listener.Stop();
    }
}

// A Binding success response (RFC 8489) per request: XOR-MAPPED-ADDRESS is the source seen here.
static byte[] BindingResponse(ReadOnlySpan<byte> request, IPEndPoint source)
{
    var response = new byte[32];
    request.Slice(4, 16).CopyTo(response.AsSpan(4));
    response[0] = 0x01; response[1] = 0x01; response[3] = 12;
    response[21] = 0x20; response[23] = 8; response[25] = 0x01;
    response[26] = (byte)((source.Port >> 8) ^ 0x21); response[27] = (byte)(source.Port ^ 0x12);
    var address = source.Address.GetAddressBytes();
    for (int i = 0; i < 4; i++) response[28 + i] = (byte)(address[i] ^ response[4 + i]);
    return response;
}

static async Task AnswerStunAsync(Socket socket, CancellationToken stop)
{
    var stream = new NetworkStream(socket);
    var header = new byte[20];
    while (true)
    {
        await stream.ReadExactlyAsync(header, stop);
        await stream.ReadExactlyAsync(new byte[(header[2] << 8) | header[3]], stop);
        await stream.WriteAsync(BindingResponse(header, (IPEndPoint)socket.RemoteEndPoint!), stop);
    }
}

// The same answer over UDP, for the hosted worker's two mappings.
static async Task AnswerStunUdpAsync(Socket socket, CancellationToken stop)
{
    var buffer = new byte[1500];
    try
    {
        while (true)
        {
            var received = await socket.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), stop);
            if (received.ReceivedBytes >= 20 && buffer[0] == 0x00 && buffer[1] == 0x01)
            {
                await socket.SendToAsync(BindingResponse(buffer, (IPEndPoint)received.RemoteEndPoint), received.RemoteEndPoint, stop);
            }
        }
    }
    catch (OperationCanceledException)
    {
    }
}

// An empty 200 for every request, on a kept-alive connection.
static async Task AnswerHttpAsync(Socket socket, CancellationToken stop)
{
    var buffer = new byte[4096];
    while (await socket.ReceiveAsync(buffer, SocketFlags.None, stop) > 0)
    {
        await socket.SendAsync("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"u8.ToArray(), SocketFlags.None, stop);
    }
}
CS
cat >> Program.cs <<'CS'

/// <summary>Passes the console through, and stops the worker once every wanted text has been written.</summary>
internal sealed class LogWatcher(TextWriter inner, string[] wanted, CancellationTokenSource done) : TextWriter
{
    private readonly System.Text.StringBuilder _seen = new();

    public bool SawAll { get; private set; }

    public override System.Text.Encoding Encoding => inner.Encoding;

    public override void Write(char value) => Write(value.ToString());

    public override void Write(string? value)
    {
        inner.Write(value);
        lock (_seen)
        {
            _seen.Append(value);
            if (!SawAll && wanted.All(w => _seen.ToString().Contains(w, StringComparison.Ordinal)))
            {
                SawAll = true;
                done.Cancel();
            }
        }
    }
}
CS
dotnet build -c Release -v q --nologo > build.log 2>&1 || { cat build.log >&2; fail "the consumer app did not build"; }
all=$(dotnet run -c Release --no-build 2>&1) || true
out=$(tail -n1 <<<"$all")
[ "$out" = "2001::b1f3:cb00:7101" ] || fail "consumer app printed '$all'"
served=$(grep '^served in-process on ' <<<"$all") || fail "the in-process serving example did not run: '$all'"
echo "consumer app: $served"
grep -q '^hosted worker logged both mappings$' <<<"$all" || fail "the hosted worker did not run: '$all'"
grep -E 'alpha is reachable at|beta is reachable at' <<<"$all" | sed 's/^ */consumer app: worker: /'

echo "consumer app built from the package printed $out"
rm -rf "$cache/natmap.core" "$cache/natmap.hosting"

# The dotnet tool: packed into the same folder, installed into a tool path of its own (as
# `dotnet tool install --global NatMap.Cli --add-source <folder>` would, without touching the
# machine's global tools), then a UDP mapping on loopback against a local STUN responder.
cd "$repo"
rm -rf "$cache/natmap.cli"
dotnet pack NatMap.Cli -c Release -o "$work/feed" --nologo -v q
dotnet tool install NatMap.Cli --tool-path "$work/tools" --add-source "$work/feed" > "$work/tool.log" 2>&1 \
  || { cat "$work/tool.log" >&2; fail "dotnet tool install NatMap.Cli failed"; }
natmap_tool=$work/tools/natmap
"$natmap_tool" --help | grep -q -- '-s <addr\[:port\]>' || fail "the installed tool's --help lacks -s"
# shellcheck source=loopback-mapping.sh
. scripts/loopback-mapping.sh
loopback_mapping "$work/tool-mapping" "$natmap_tool" || fail "the installed tool reported no mapping"
[ "$LOOPBACK_STATUS" = 0 ] || fail "the installed tool exited $LOOPBACK_STATUS on SIGTERM"
echo "dotnet tool $("$natmap_tool" --version) installed from the package printed: $(cat "$work/tool-mapping/line")"
rm -rf "$cache/natmap.cli"
