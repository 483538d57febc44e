#!/usr/bin/env bash
# Publishes natmap as a NativeAOT executable and prints its size and idle RSS:
#   ./scripts/publish-aot.sh [output-dir] [extra dotnet publish args]
# Idle RSS: natmap -u runs against a loopback STUN responder, and VmRSS is read from /proc after a
# few seconds (NATMAP_SETTLE_SECONDS, default 5). Needs clang (or gcc) and zlib1g-dev for the native link.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-artifacts/natmap-linux-x64}"
shift || true
rid="${NATMAP_RID:-linux-x64}"
settle="${NATMAP_SETTLE_SECONDS:-5}"

dotnet publish NatMap.Cli -c Release -r "$rid" -o "$out" "$@" | tee /tmp/natmap-publish.$$.log
if grep -Eq "warning [A-Z]+[0-9]+" /tmp/natmap-publish.$$.log; then
  echo "publish produced warnings" >&2
  rm -f /tmp/natmap-publish.$$.log
  exit 1
fi
rm -f /tmp/natmap-publish.$$.log

bin="$out/natmap"
size=$(stat -c %s "$bin")

# A loopback STUN responder (RFC 8489 Binding success with XOR-MAPPED-ADDRESS 203.0.113.1:45555),
# so natmap reaches its steady state: a mapping reported, then one check per keep-alive interval.
port_file=$(mktemp)
line_file=$(mktemp)
python3 - "$port_file" <<'PY' &
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
s.settimeout(120)
try:
    while True:
        d, a = s.recvfrom(1500)
        if len(d) < 20 or d[0:2] != b"\x00\x01":
            continue
        ip = bytes([203, 0, 113, 1])
        attr = struct.pack("!HHBBH", 0x20, 8, 0, 1, 45555 ^ 0x2112) + bytes(x ^ y for x, y in zip(ip, d[4:8]))
        s.sendto(struct.pack("!HH", 0x0101, len(attr)) + d[4:20] + attr, a)
except socket.timeout:
    pass
PY
responder=$!
trap 'kill "$responder" 2>/dev/null || true; rm -f "$port_file" "$line_file"' EXIT
for _ in $(seq 100); do [ -s "$port_file" ] && break; sleep 0.05; done
port=$(cat "$port_file")

"$bin" -u -s "127.0.0.1:$port" >"$line_file" 2>/dev/null &
pid=$!
sleep "$settle"
rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
anon=$(awk '/^RssAnon/ {print $2}' "/proc/$pid/status")
file=$(awk '/^RssFile/ {print $2}' "/proc/$pid/status")
threads=$(awk '/^Threads/ {print $2}' "/proc/$pid/status")
kill -TERM "$pid"
wait "$pid" && status=0 || status=$?

awk -v b="$bin" -v s="$size" 'BEGIN { printf "binary: %s (%d bytes, %.1f MiB)\n", b, s, s / 1048576 }'
echo "natmap printed: $(head -n 1 "$line_file")"
printf 'idle after %ss: VmRSS %d kB (RssAnon %d kB, RssFile %d kB: code and shared libraries), VmHWM %d kB, %d threads; exit on SIGTERM: %d\n' \
  "$settle" "$rss" "$anon" "$file" "$hwm" "$threads" "$status"
