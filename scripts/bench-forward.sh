#!/usr/bin/env bash
# Forwarder performance on loopback, in one run: `./scripts/bench-forward.sh [seconds-per-run]`.
#  1. iperf3 TCP throughput: direct, through the splice engine, through the managed engine, both
#     directions (-R), three interleaved rounds, median, as ratios to direct.
#  2. sockperf ping-pong latency p50/p99 (sockperf reports half the round trip): direct and
#     through the UDP and TCP forwarders.
#  3. UDP datagrams per second delivered at a receiver while one sender saturates: direct, through
#     a one-recvfrom-one-send relay (the original's design), and through UdpForwarder.
# Needs iperf3, sockperf, python3 and the .NET SDK. Traffic stays on 127.0.0.1.
#
# `./scripts/bench-forward.sh --testbed [seconds-per-run]` measures instead, through the real NAT
# of scripts/testbed.sh (up --service): iperf3 from wan to srv (198.51.100.10) through the public
# endpoint 203.0.113.1, by kernel DNAT (natmap --forward-method nftables), the splice relay and the
# managed relay (the forwarder harness in lan), and by the direct routed path wan -> srv; both
# directions, ROUNDS (default 5) interleaved rounds, medians, ratios to direct, and each forwarder
# process's CPU seconds per GB (the kernel path runs in softirq, charged to no process: natmap's own
# CPU is shown, which stays near zero). Needs root, iperf3, nftables, libnftables and conntrack.
# BASELINE_DLL=path/to/another/NatMap.Benchmarks.dll adds that build's managed engine and its
# UdpForwarder as rows of their own ("baseline"), measured in the same interleaved rounds: to compare an engine
# change side by side, e.g. with a build of an older commit from `git worktree add`.
set -euo pipefail
cd "$(dirname "$0")/.."
TESTBED=""
if [ "${1:-}" = --testbed ]; then
  TESTBED=1
  shift
fi
T=${1:-5}
ROUNDS=${ROUNDS:-$([ -n "$TESTBED" ] && echo 5 || echo 3)}

for tool in iperf3 python3 dotnet $([ -n "$TESTBED" ] || echo sockperf); do
  command -v "$tool" >/dev/null || { echo "needs $tool" >&2; exit 1; }
done

dotnet build NatMap.Benchmarks -c Release -nologo -v q >/dev/null
DLL=NatMap.Benchmarks/bin/Release/net10.0/NatMap.Benchmarks.dll
BASELINE_DLL=${BASELINE_DLL:-}
if [ -n "$BASELINE_DLL" ]; then
  [ -f "$BASELINE_DLL" ] || { echo "BASELINE_DLL $BASELINE_DLL does not exist" >&2; exit 1; }
  BASELINE_DLL=$(realpath "$BASELINE_DLL")
fi
TCP_PATHS="direct splice managed${BASELINE_DLL:+ baseline}"

# shellcheck source=forward-harness.sh
. scripts/forward-harness.sh

wait_listening() { # tcp-port
  for _ in $(seq 100); do
    ss -Hltn "sport = :$1" | grep -q . && return 0
    sleep 0.1
  done
  echo "nothing listens on port $1" >&2; exit 1
}

median() { python3 -c 'import sys,statistics; print(statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }

# iperf PORT [-R] -> "Gbit/s bytes" received; towards $IPERF_HOST (default 127.0.0.1), from namespace $IPERF_NS if set.
iperf() {
  ${IPERF_NS:+ip netns exec "$IPERF_NS"} iperf3 -c "${IPERF_HOST:-127.0.0.1}" -p "$1" -t "$T" ${2:-} -J \
    | python3 -c 'import json,sys; r=json.load(sys.stdin)["end"]["sum_received"]; print("%.2f %d" % (r["bits_per_second"]/1e9, r["bytes"]))'
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # utime + stime of a process, in clock ticks

# measure PATH DIR PORT [PID] [-R]: records Gbit/s, and for a forwarder its CPU seconds per GB relayed
# (robust against a loaded machine, where throughput mostly says how much CPU the relay was given).
measure() {
  local before=0 after=0 gbps bytes
  [ -n "$4" ] && before=$(cpu_ticks "$4")
  read -r gbps bytes <<<"$(iperf "$3" ${5:-})"
  [ -n "$4" ] && after=$(cpu_ticks "$4")
  tcp[$1,$2]+="$gbps "
  [ -n "$4" ] && cpu[$1,$2]+="$(python3 -c 'import sys,os; print("%.3f" % ((int(sys.argv[1]) / os.sysconf("SC_CLK_TCK")) / (int(sys.argv[2]) / 1e9)))' "$((after - before))" "$bytes") "
  return 0
}

# tcp_table PATHS: the throughput table of the measured PATHS (the first is the reference), label of each from label_of.
tcp_table() {
  echo "| path | forward Gbit/s | ratio | reverse (-R) Gbit/s | ratio | all forward runs | all reverse runs | forwarder CPU s/GB fwd | rev |"
  echo "|---|---|---|---|---|---|---|---|---|"
  local ref=${1%% *} path f r cf cr
  dfwd=$(median ${tcp[$ref,fwd]}); drev=$(median ${tcp[$ref,rev]})
  for path in $1; do
    f=$(median ${tcp[$path,fwd]}); r=$(median ${tcp[$path,rev]})
    cf=-; cr=-
    [ -n "${cpu[$path,fwd]:-}" ] && cf=$(median ${cpu[$path,fwd]}) && cr=$(median ${cpu[$path,rev]})
    python3 -c 'import sys; n,f,df,r,dr,af,ar,cf,cr=sys.argv[1:]; print("| %s | %.2f | %.2f | %.2f | %.2f | %s | %s | %s | %s |" % (n,float(f),float(f)/float(df),float(r),float(r)/float(dr),af.strip(),ar.strip(),cf,cr))' \
      "$(label_of "$path")" "$f" "$dfwd" "$r" "$drev" "${tcp[$path,fwd]}" "${tcp[$path,rev]}" "$cf" "$cr"
  done
}

declare -A tcp cpu

if [ -n "$TESTBED" ]; then
  [ "$(id -u)" = 0 ] || { echo "--testbed needs root (network namespaces, nftables)" >&2; exit 1; }
  dotnet build NatMap.Cli -c Release -nologo -v q >/dev/null
  NATMAP=NatMap.Cli/bin/Release/net10.0/natmap.dll
  TB=scripts/testbed.sh
  ID=bf$$
  ID=${ID:0:8}
  tb_down() { "$TB" down "$ID" >/dev/null 2>&1 || true; }
  trap 'cleanup; tb_down' EXIT INT TERM
  "$TB" up "$ID" --service --map 5555:45555,5556:45556,5557:45557 >/dev/null
  "$TB" coturn "$ID" start >/dev/null
  "$TB" nginx "$ID" start >/dev/null
  LAN_NS=nmtb-$ID-lan SRV_NS=nmtb-$ID-srv
  ip netns exec "$SRV_NS" iperf3 -s -B 198.51.100.10 -p 5201 >/dev/null 2>&1 &
  pids+=("$!")
  ip netns exec "$LAN_NS" dotnet "$NATMAP" -s 203.0.113.2 -h 203.0.113.2 -b 5555 -t 198.51.100.10 -p 5201 --forward-method nftables \
    <"$work/hold" >"$work/natmap.out" 2>"$work/natmap.err" &
  NATMAP_PID=$!
  pids+=("$NATMAP_PID")
  HARNESS_NS=$LAN_NS start_harness splice --proto tcp --engine splice --listen 192.0.2.2:5556 --target 198.51.100.10:5201
  SPLICE_PID=$PID
  HARNESS_NS=$LAN_NS start_harness managed --proto tcp --engine managed --listen 192.0.2.2:5557 --target 198.51.100.10:5201
  MANAGED_PID=$PID
  for _ in $(seq 300); do
    grep -qs ' 45555 ' "$work/natmap.out" && break
    kill -0 "$NATMAP_PID" 2>/dev/null || { cat "$work/natmap.err" >&2; exit 1; }
    sleep 0.1
  done
  grep -qs ' 45555 ' "$work/natmap.out" || { echo "natmap reported no mapping:" >&2; cat "$work/natmap.err" >&2; exit 1; }

  echo "# Forwarder benchmark through the testbed's NAT, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, kernel $(uname -r), ${T}s per run, load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  IPERF_NS=nmtb-$ID-wan
  label_of() { case $1 in direct) echo "direct routed wan -> srv" ;; kernel) echo "kernel DNAT (natmap --forward-method nftables)" ;; splice) echo "splice relay" ;; managed) echo "managed relay (pipes)" ;; esac; }
  PATHS="direct kernel splice managed"
  for round in $(seq "$ROUNDS"); do
    # The order rotates each round, so no path always runs first (or after the same one).
    set -- $PATHS
    for _ in $(seq $(((round - 1) % 4))); do set -- "${@:2}" "$1"; done
    for path in "$@"; do
      case $path in
        direct) IPERF_HOST=198.51.100.10; p=5201; pid="" ;;
        kernel) IPERF_HOST=203.0.113.1; p=45555; pid=$NATMAP_PID ;;
        splice) IPERF_HOST=203.0.113.1; p=45556; pid=$SPLICE_PID ;;
        managed) IPERF_HOST=203.0.113.1; p=45557; pid=$MANAGED_PID ;;
      esac
      measure "$path" fwd "$p" "$pid"
      measure "$path" rev "$p" "$pid" -R
    done
    echo "round $round: direct ${tcp[direct,fwd]}| kernel ${tcp[kernel,fwd]}| splice ${tcp[splice,fwd]}| managed ${tcp[managed,fwd]}(forward, so far)" >&2
  done
  echo "## TCP throughput wan -> srv through the public endpoint (iperf3, ${T}s, median of $ROUNDS interleaved rounds)"
  echo
  tcp_table "$PATHS"
  echo
  # Each round's paths ran back to back, so a round's ratio sees the same load: the steadier figure.
  for path in kernel splice managed; do
    python3 -c 'import sys,statistics as st; n=sys.argv[1]; v=[[float(x) for x in a.split()] for a in sys.argv[2:]]; r=lambda a,d: st.median(x/y for x,y in zip(a,d)); print("%s / direct, median of per-round ratios: %.2f fwd, %.2f rev" % (n, r(v[0],v[1]), r(v[2],v[3])))' \
      "$(label_of "$path")" "${tcp[$path,fwd]}" "${tcp[direct,fwd]}" "${tcp[$path,rev]}" "${tcp[direct,rev]}"
  done
  exit 0
fi

echo "# Forwarder benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, kernel $(uname -r), ${T}s per run, load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

# 1. TCP throughput -----------------------------------------------------------------------------
IPERF_PORT=$(free_port)
iperf3 -s -p "$IPERF_PORT" >/dev/null 2>&1 &
pids+=("$!")
start_harness splice --proto tcp --engine splice --listen 127.0.0.1:0 --target "127.0.0.1:$IPERF_PORT"
SPLICE_PORT=$PORT
SPLICE_PID=$PID
start_harness managed --proto tcp --engine managed --listen 127.0.0.1:0 --target "127.0.0.1:$IPERF_PORT"
MANAGED_PORT=$PORT
MANAGED_PID=$PID
if [ -n "$BASELINE_DLL" ]; then
  HARNESS_DLL=$BASELINE_DLL start_harness baseline --proto tcp --engine managed --listen 127.0.0.1:0 --target "127.0.0.1:$IPERF_PORT"
  BASELINE_PORT=$PORT
  BASELINE_PID=$PID
fi
wait_listening "$IPERF_PORT"

for round in $(seq $ROUNDS); do
  for path in $TCP_PATHS; do
    case $path in
      direct) p=$IPERF_PORT; pid="" ;;
      splice) p=$SPLICE_PORT; pid=$SPLICE_PID ;;
      managed) p=$MANAGED_PORT; pid=$MANAGED_PID ;;
      baseline) p=$BASELINE_PORT; pid=$BASELINE_PID ;;
    esac
    measure "$path" fwd "$p" "$pid"
    measure "$path" rev "$p" "$pid" -R
  done
  echo "round $round: direct ${tcp[direct,fwd]}| splice ${tcp[splice,fwd]}| managed ${tcp[managed,fwd]}${BASELINE_DLL:+| baseline managed ${tcp[baseline,fwd]:-}}(forward, so far)" >&2
done

echo "## TCP throughput (iperf3, ${T}s, median of $ROUNDS interleaved rounds)"
echo
label_of() { case $1 in managed) echo "managed (pipes)" ;; baseline) echo "baseline managed" ;; *) echo "$1" ;; esac; }
tcp_table "$TCP_PATHS"
echo
ratio_line() { # label path-a path-b: throughput and CPU per GB of a over b, both directions
  python3 -c 'import sys; l,af,bf,ar,br,acf,bcf,acr,bcr=sys.argv[1:]; print("%s: throughput %.2f fwd, %.2f rev; CPU per GB %.2f fwd, %.2f rev" % (l,float(af)/float(bf),float(ar)/float(br),float(acf)/float(bcf),float(acr)/float(bcr)))' \
    "$1" "$(median ${tcp[$2,fwd]})" "$(median ${tcp[$3,fwd]})" "$(median ${tcp[$2,rev]})" "$(median ${tcp[$3,rev]})" \
    "$(median ${cpu[$2,fwd]})" "$(median ${cpu[$3,fwd]})" "$(median ${cpu[$2,rev]})" "$(median ${cpu[$3,rev]})"
}
ratio_line "managed (pipes) / splice" managed splice
[ -n "$BASELINE_DLL" ] && ratio_line "managed (pipes) / baseline managed" managed baseline
echo

# 2. Latency ------------------------------------------------------------------------------------
SP_UDP=$(free_port)
SP_TCP=$(free_port)
sockperf sr -i 127.0.0.1 -p "$SP_UDP" >/dev/null 2>&1 &
pids+=("$!")
sockperf sr -i 127.0.0.1 -p "$SP_TCP" --tcp >/dev/null 2>&1 &
pids+=("$!")
start_harness udpfwd --proto udp --engine forwarder --listen 127.0.0.1:0 --target "127.0.0.1:$SP_UDP"
UDPFWD_PORT=$PORT
start_harness splice2 --proto tcp --engine splice --listen 127.0.0.1:0 --target "127.0.0.1:$SP_TCP"
SPLICE2_PORT=$PORT
start_harness managed2 --proto tcp --engine managed --listen 127.0.0.1:0 --target "127.0.0.1:$SP_TCP"
MANAGED2_PORT=$PORT
latency_rows=()
if [ -n "$BASELINE_DLL" ]; then
  HARNESS_DLL=$BASELINE_DLL start_harness baseline2 --proto tcp --engine managed --listen 127.0.0.1:0 --target "127.0.0.1:$SP_TCP"
  latency_rows+=("TCP via baseline managed engine:$PORT:--tcp")
  HARNESS_DLL=$BASELINE_DLL start_harness baselineudp --proto udp --engine forwarder --listen 127.0.0.1:0 --target "127.0.0.1:$SP_UDP"
  latency_rows+=("UDP via baseline UdpForwarder:$PORT:")
fi
wait_listening "$SP_TCP"

pingpong() { # port [--tcp] -> "p50 p99"
  sockperf pp -i 127.0.0.1 -p "$1" -t "$T" ${2:-} 2>&1 \
    | python3 -c '
import re,sys
t=sys.stdin.read()
def p(q):
    m=re.search(r"percentile %s = *([0-9.]+)" % q, t)
    return m.group(1) if m else "n/a"
print(p("50.000"), p("99.000"))'
}

echo "## Ping-pong latency (sockperf pp, ${T}s, usec, half round trip)"
echo
echo "| path | p50 | p99 |"
echo "|---|---|---|"
for row in "UDP direct:$SP_UDP:" "UDP via UdpForwarder:$UDPFWD_PORT:" "TCP direct:$SP_TCP:--tcp" \
           "TCP via splice engine:$SPLICE2_PORT:--tcp" "TCP via managed engine (pipes):$MANAGED2_PORT:--tcp" "${latency_rows[@]}"; do
  IFS=: read -r name p flag <<<"$row"
  read -r p50 p99 <<<"$(pingpong "$p" "$flag")"
  echo "| $name | $p50 | $p99 |"
done
echo

# 3. UDP datagrams per second under saturation --------------------------------------------------
SINK_PORT=$(free_port)
start_harness naive --proto udp --engine naive --listen 127.0.0.1:0 --target "127.0.0.1:$SINK_PORT"
NAIVE_PORT=$PORT
NAIVE_PID=$PID
start_harness udpfwd2 --proto udp --engine forwarder --listen 127.0.0.1:0 --target "127.0.0.1:$SINK_PORT"
UDPFWD2_PORT=$PORT
UDPFWD2_PID=$PID
UDP_PATHS="direct naive forwarder naive-varied forwarder-varied"
if [ -n "$BASELINE_DLL" ]; then
  HARNESS_DLL=$BASELINE_DLL start_harness baselineudp2 --proto udp --engine forwarder --listen 127.0.0.1:0 --target "127.0.0.1:$SINK_PORT"
  BASEUDP_PORT=$PORT
  BASEUDP_PID=$PID
  UDP_PATHS="$UDP_PATHS baseline baseline-varied"
fi

udp_rate() { # port relay-pid size -> "delivered/s sent/s relay-CPU-µs-per-delivered-datagram" (size 0: 64-127 B, varying)
  start_harness sink --proto udp --engine sink --listen "127.0.0.1:$SINK_PORT"
  local sink=$PID
  local sent before=0 after=0
  [ -n "${2:-}" ] && before=$(cpu_ticks "$2")
  sent=$(dotnet "$DLL" forward --proto udp --engine blast --target "127.0.0.1:$1" --pipe "$T" --buffer "$3" </dev/null | sed -n 's/^sent //p')
  sleep 0.5
  [ -n "${2:-}" ] && after=$(cpu_ticks "$2")
  kill -TERM "$sink"; wait "$sink" 2>/dev/null || true
  local received
  received=$(sed -n 's/^received //p' "$work/sink.log")
  echo "$((received / T)) $((sent / T)) $(python3 -c 'import sys,os; t,n=int(sys.argv[1]),int(sys.argv[2]); print("%.2f" % (t / os.sysconf("SC_CLK_TCK") * 1e6 / n) if n else "-")' "$((after - before))" "$received")"
}

declare -A udp
for round in $(seq $ROUNDS); do
  for path in $UDP_PATHS; do
    case $path in
      direct) p=$SINK_PORT; pid=""; size=64 ;;
      baseline) p=$BASEUDP_PORT; pid=$BASEUDP_PID; size=64 ;;
      baseline-varied) p=$BASEUDP_PORT; pid=$BASEUDP_PID; size=0 ;;
      naive) p=$NAIVE_PORT; pid=$NAIVE_PID; size=64 ;;
      forwarder) p=$UDPFWD2_PORT; pid=$UDPFWD2_PID; size=64 ;;
      naive-varied) p=$NAIVE_PORT; pid=$NAIVE_PID; size=0 ;;
      forwarder-varied) p=$UDPFWD2_PORT; pid=$UDPFWD2_PID; size=0 ;;
    esac
    read -r got sent us <<<"$(udp_rate "$p" "$pid" "$size")"
    udp[$path]+="$got "
    udp[$path,sent]+="$sent "
    udp[$path,cpu]+="$us "
  done
done

echo "## UDP datagrams per second delivered (one sender thread at full speed, ${T}s, median of $ROUNDS)"
echo
echo "64-byte datagrams, and 64 to 127 bytes with no two of one size in a row (varied), where the"
echo "UdpForwarder's UDP GSO groups cannot form and only its recvmmsg/sendmmsg batching helps."
echo
echo "| path | delivered/s | ratio to direct, 64 B | all runs | sent/s (median) | relay CPU µs per delivered datagram |"
echo "|---|---|---|---|---|---|"
ddirect=$(median ${udp[direct]})
for path in $UDP_PATHS; do
  case $path in
    direct) name="direct, 64 B" ;;
    baseline) name="baseline UdpForwarder, 64 B" ;;
    baseline-varied) name="baseline UdpForwarder, varied" ;;
    naive) name="one recvfrom + one send per datagram, 64 B" ;;
    forwarder) name="UdpForwarder, 64 B" ;;
    naive-varied) name="one recvfrom + one send per datagram, varied" ;;
    forwarder-varied) name="UdpForwarder, varied" ;;
  esac
  d=$(median ${udp[$path]}); s=$(median ${udp[$path,sent]}); c=-
  [ "$path" != direct ] && c=$(median ${udp[$path,cpu]})
  python3 -c 'import sys; n,d,dd,a,s,c=sys.argv[1:]; print("| %s | %d | %.2f | %s | %d | %s |" % (n,float(d),float(d)/float(dd),a.strip(),float(s),c))' "$name" "$d" "$ddirect" "${udp[$path]}" "$s" "$c"
done
python3 -c 'import sys; a,b,c,d=map(float,sys.argv[1:]); print("\nUdpForwarder / one-recvfrom-one-send relay, datagrams delivered: %.2f times at 64 B, %.2f times varied" % (a/b, c/d))' \
  "$(median ${udp[forwarder]})" "$(median ${udp[naive]})" "$(median ${udp[forwarder-varied]})" "$(median ${udp[naive-varied]})"
if [ -n "$BASELINE_DLL" ]; then
  python3 -c 'import sys; a,b,c,d=map(float,sys.argv[1:]); print("UdpForwarder / baseline UdpForwarder, datagrams delivered: %.2f times at 64 B, %.2f times varied" % (a/b, c/d))' \
    "$(median ${udp[forwarder]})" "$(median ${udp[baseline]})" "$(median ${udp[forwarder-varied]})" "$(median ${udp[baseline-varied]})"
fi
echo

# 4. Memory per idle relayed connection -----------------------------------------------------------
# The forwarder runs in its own process (two descriptors per connection), so its RSS is measured
# alone; the clients and the target live in one python process. 10,000 unless RLIMIT_NOFILE's
# hard limit (which only CAP_SYS_RESOURCE can raise) leaves room for fewer.
hard=$(ulimit -Hn)
IDLE=10000
if [ "$hard" != unlimited ] && [ $(((hard - 256) / 2)) -lt $IDLE ]; then
  IDLE=$(((hard - 256) / 2))
  echo "RLIMIT_NOFILE hard limit is $hard: $IDLE connections instead of 10,000" >&2
fi
IDLE=${IDLE_CONNECTIONS:-$IDLE}
echo "## Forwarder RSS with $IDLE idle relayed TCP connections (VmRSS of the forwarder process)"
echo
echo "| engine | RSS before | RSS after | per connection |"
echo "|---|---|---|---|"
for engine in splice managed${BASELINE_DLL:+ baseline}; do
  python3 - "$([ "$engine" = baseline ] && echo "$BASELINE_DLL" || echo "$DLL")" "$engine" "$IDLE" <<'PY'
import socket, subprocess, sys, time
dll, label, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
engine = "managed" if label == "baseline" else label
target = socket.socket(); target.bind(("127.0.0.1", 0)); target.listen(4096)
proc = subprocess.Popen(["dotnet", dll, "forward", "--proto", "tcp", "--engine", engine, "--listen", "127.0.0.1:0",
                         "--target", "127.0.0.1:%d" % target.getsockname()[1]], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
line = proc.stdout.readline().split()
port = int(line[1].rsplit(":", 1)[1])
def rss():
    with open("/proc/%d/status" % proc.pid) as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
time.sleep(1)
before = rss()
clients, accepted = [], []
for start in range(0, n, 500):
    batch = min(500, n - start)
    for _ in range(batch):
        c = socket.socket(); c.connect(("127.0.0.1", port)); clients.append(c)
    for _ in range(batch):
        accepted.append(target.accept()[0])
time.sleep(2)
after = rss()
print("| %s | %d KiB | %d KiB | %.0f bytes |" % ({"managed": "managed (pipes)", "baseline": "baseline managed"}.get(label, label), before, after, (after - before) * 1024.0 / n))
proc.stdin.close(); proc.wait(timeout=30)
PY
done
