#!/usr/bin/env bash
# Publishes natmap as a NativeAOT executable and prints its size and idle RSS beside their targets:
#   ./scripts/publish-aot.sh [output-dir] [extra dotnet publish args]
# The binary lands in output-dir (default artifacts/natmap-linux-x64/natmap); its native symbols
# beside it as natmap.dbg (not needed to run it). Idle RSS: natmap -u runs against a loopback STUN
# responder (scripts/stun-fake.py), and VmRSS is read from /proc after a few seconds
# (NATMAP_SETTLE_SECONDS, default 5). It fails when either figure is above its target:
# NATMAP_MAX_BYTES (default 3145728, 3.0 MiB) and NATMAP_MAX_RSS_KIB (default 5120, 5 MiB);
# NATMAP_AOT_LIMITS=0 reports them without failing. Needs clang (or gcc) for the native link; as
# root it installs clang with apt when no compiler is there (zlib is linked from the .NET pack).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-artifacts/natmap-linux-x64}"
shift || true
rid="${NATMAP_RID:-linux-x64}"
settle="${NATMAP_SETTLE_SECONDS:-5}"
max_bytes="${NATMAP_MAX_BYTES:-3145728}"
max_rss="${NATMAP_MAX_RSS_KIB:-5120}"
if ! command -v clang >/dev/null 2>&1 && ! command -v gcc >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  # shellcheck source=ensure-tools.sh
  . scripts/ensure-tools.sh
  ensure_tools publish-aot.sh clang:clang python3:python3
fi

dotnet publish NatMap.Cli -c Release -p:NatMapRid="$rid" -o "$out" "$@" | tee /tmp/natmap-publish.$$.log
if grep -Eq "warning [A-Z]+[0-9]+" /tmp/natmap-publish.$$.log; then
  echo "publish produced warnings" >&2
  rm -f /tmp/natmap-publish.$$.log
  exit 1
fi
rm -f /tmp/natmap-publish.$$.log

bin="$out/natmap"
size=$(stat -c %s "$bin")

# A loopback STUN responder (every Binding answered with 203.0.113.1:45555), so natmap reaches its
# steady state: a mapping reported, then one check per keep-alive interval.
port_file=$(mktemp)
line_file=$(mktemp)
python3 scripts/stun-fake.py "$port_file" 120 &
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

awk -v b="$bin" -v s="$size" -v m="$max_bytes" 'BEGIN { printf "binary: %s (%d bytes, %.2f MiB; target at most %.2f MiB)\n", b, s, s / 1048576, m / 1048576 }'
echo "natmap printed: $(head -n 1 "$line_file")"
printf 'idle after %ss: VmRSS %d kB (target at most %d kB; RssAnon %d kB, RssFile %d kB: code and shared libraries), VmHWM %d kB, %d threads; exit on SIGTERM: %d\n' \
  "$settle" "$rss" "$max_rss" "$anon" "$file" "$hwm" "$threads" "$status"
over=""
[ "$size" -le "$max_bytes" ] || over="size $size > $max_bytes bytes"
[ "$rss" -le "$max_rss" ] || over="${over:+$over, }idle RSS $rss > $max_rss kB"
if [ -n "$over" ]; then
  if [ "${NATMAP_AOT_LIMITS:-1}" = 0 ]; then
    echo "publish-aot.sh: above target ($over); NATMAP_AOT_LIMITS=0, so not failing" >&2
  else
    echo "publish-aot.sh: above target: $over" >&2
    exit 1
  fi
fi
