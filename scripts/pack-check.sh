#!/usr/bin/env bash
# Packs NatMap.Core, checks what the package carries, and proves a fresh console project can
# `dotnet add package NatMap.Core --source <folder>` and run code from it.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

dotnet pack NatMap.Core -c Release -o "$work/feed" --nologo -v q
pkg=$(ls "$work"/feed/NatMap.Core.*.nupkg | head -n1)
echo "package: $(basename "$pkg") ($(stat -c %s "$pkg") bytes)"

listing=$(python3 - "$pkg" <<'PY'
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
for n in z.namelist():
    print(n)
nuspec = [n for n in z.namelist() if n.endswith(".nuspec")][0]
print("NUSPEC:" + z.read(nuspec).decode())
PY
)
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

mkdir "$work/app" && cd "$work/app"
# The package cache keys packages by id and version only, so it would serve an older build of this
# same version: drop our own package from it (its dependencies, restored by the pack above, stay).
cache=${NUGET_PACKAGES:-$HOME/.nuget/packages}
rm -rf "$cache/natmap.core"
dotnet new console --framework net10.0 --name App -o . >/dev/null
# The app is outside this repo, so it does not see our Directory.*.props.
dotnet add package NatMap.Core --source "$work/feed" > add.log 2>&1 || { cat add.log >&2; fail "dotnet add package failed"; }
# The README's library examples must compile against the package; creating a mapper touches no
# network until it is enumerated, so the app disposes it (and an in-process UDP server) unenumerated. It then relays two bytes
# through a TcpForwarder on loopback and prints an IP4P address.
cat > Program.cs <<'CS'
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
Console.WriteLine(Ip4pCodec.Encode(new IPEndPoint(IPAddress.Parse("203.0.113.1"), 45555)));
CS
dotnet build -c Release -v q --nologo > build.log 2>&1 || { cat build.log >&2; fail "the consumer app did not build"; }
out=$(dotnet run -c Release --no-build 2>&1 | tail -n1) || true
[ "$out" = "2001::b1f3:cb00:7101" ] || fail "consumer app printed '$out'"
echo "consumer app built from the package printed $out"
rm -rf "$cache/natmap.core"
