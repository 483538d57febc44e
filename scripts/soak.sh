#!/usr/bin/env bash
# A long run under connection churn, through a real NAT (scripts/testbed.sh), with the NativeAOT
# CLI; fails if memory or descriptors keep growing (issue 13, section 3):
#   ./scripts/soak.sh MINUTES        (as root)
#
# One TCP and one UDP natmap, both `-k 1` and in forward mode (-t/-p) to an echo service in the
# lan namespace (-T 5 on UDP, so idle sessions go; -T 30 on TCP, see start_natmap). From the wan side, clients connect to the
# public ports all the time: RATE new TCP connections and RATE new UDP client ports a second,
# each sending 64 bytes (three datagrams on UDP), reading the echo and leaving. Every minute
# the NAT re-maps both public ports (testbed.sh remap); every five minutes coturn restarts.
#
# Every 10 s it samples each natmap's VmRSS, open descriptors and threads (from /proc) and its
# managed heap: natmap runs with NATMAP_GC_LOG_SECONDS=10 and logs a `GC heap:` line on stderr,
# the only way to see a NativeAOT process's heap from outside. Samples go to OUT/samples.csv.
#
# It fails (exit 1) when, for a natmap process:
#   - RSS grows by 1 MiB or more from minute 1 to the end (the sample nearest 60 s vs the last);
#   - descriptors keep growing: the median of the last minute exceeds the median of minute 1-2
#     by more than max(8, 10 %) (UDP sessions hold one socket each, so the count breathes);
#   - RSS exceeds 16 MiB (TCP) or 24 MiB (UDP) at any sample;
#   - it exits, or the clients' flows mostly fail.
# The last line sums up PASS or FAIL with the figures. Everything it started (testbed, natmap,
# echo, clients) is stopped on exit and on Ctrl-C.
#
# Environment:
#   NATMAP_SOAK_RATE=30         new flows a second per protocol
#   NATMAP_SOAK_BIN=PATH        natmap binary to use (default: publish with scripts/publish-aot.sh)
#   NATMAP_SOAK_OUT=DIR         where samples.csv and the logs go (default: a new /tmp folder)
#   NATMAP_SOAK_ID=ID           testbed id (default soakNNNN)
#   NATMAP_SOAK_VARIANTS="NAME [BIN] [VAR=VALUE...];..."
#                               several natmap pairs side by side under the same churn, each with
#                               its own binary and environment (to compare GC settings); BIN
#                               defaults to the published one, NAME is [a-z0-9_]+.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
repo=$(pwd)

minutes=${1:-}
[[ $minutes =~ ^[0-9]+$ ]] && [ "$minutes" -ge 2 ] || { echo "usage: soak.sh MINUTES (at least 2)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "soak.sh: needs root (network namespaces)" >&2; exit 2; }
rate=${NATMAP_SOAK_RATE:-30}
id=${NATMAP_SOAK_ID:-soak$((RANDOM % 10000))}
out=${NATMAP_SOAK_OUT:-$(mktemp -d /tmp/natmap-soak.XXXXXX)}
mkdir -p "$out"
tb="$repo/scripts/testbed.sh"
peer="$repo/scripts/soak-peer.py"
seconds=$((minutes * 60))
TCP_MAX_KIB=$((16 * 1024)) UDP_MAX_KIB=$((24 * 1024)) GROWTH_MAX_KIB=1024
ECHO_PORT=7000

# shellcheck source=ensure-tools.sh
. "$repo/scripts/ensure-tools.sh"
ensure_tools soak ip:iproute2 nft:nftables conntrack:conntrack turnserver:coturn nginx:nginx-light python3:python3 ss:iproute2

pids=()
cleanup() {
  local status=$? pid
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  "$tb" down "$id" >/dev/null 2>&1 || true
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "soak: $*" >&2; }

if [ -z "${NATMAP_SOAK_BIN:-}" ]; then
  log "publishing the NativeAOT CLI (scripts/publish-aot.sh)"
  NATMAP_AOT_LIMITS=0 ./scripts/publish-aot.sh "$out/natmap-aot" >"$out/publish.log" 2>&1 || { tail -n 20 "$out/publish.log" >&2; exit 1; }
  tail -n 1 "$out/publish.log" >&2
  default_bin="$out/natmap-aot/natmap"
else
  default_bin=$NATMAP_SOAK_BIN
fi
[ -x "$default_bin" ] || { echo "soak.sh: no natmap binary at $default_bin" >&2; exit 2; }

# Variants: name, binary, environment. Variant i maps TCP 5555+10i and UDP 5556+10i, public
# 45555+10i / 45556+10i, re-mapped to 46555+10i / 46556+10i and back.
names=() bins=() envs=()
IFS=';' read -ra specs <<<"${NATMAP_SOAK_VARIANTS:-natmap}"
for spec in "${specs[@]}"; do
  read -ra words <<<"$spec"
  [ ${#words[@]} -gt 0 ] || continue
  [[ ${words[0]} =~ ^[a-z0-9_]+$ ]] || { echo "soak.sh: bad variant name '${words[0]}'" >&2; exit 2; }
  names+=("${words[0]}")
  bin=$default_bin vars=()
  for w in "${words[@]:1}"; do
    if [[ $w == *=* ]]; then vars+=("$w"); else bin=$w; fi
  done
  bins+=("$bin")
  envs+=("${vars[*]:-}")
done

map=""
for i in "${!names[@]}"; do
  map+="${map:+,}$((5555 + 10 * i)):$((45555 + 10 * i)),$((5556 + 10 * i)):$((45556 + 10 * i))"
done
log "testbed $id up (map $map); output in $out"
"$tb" up "$id" --map "$map" --owner $$ >"$out/testbed.env"
"$tb" coturn "$id" start
"$tb" nginx "$id" start
lan=nmtb-$id-lan wan=nmtb-$id-wan

ip netns exec "$lan" python3 "$peer" echo 192.0.2.2 "$ECHO_PORT" >"$out/echo.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q listening "$out/echo.log" && break; sleep 0.1; done
grep -q listening "$out/echo.log" || { echo "soak.sh: echo service did not start" >&2; cat "$out/echo.log" >&2; exit 1; }

declare -A natmap_pid public
start_natmap() { # INDEX PROTO
  local i=$1 proto=$2 priv args
  if [ "$proto" = tcp ]; then
    # -T 30: a connection in flight when the NAT re-maps loses its conntrack entry, so its FIN
    # never arrives and it stays open until the idle timeout (issue 13, section 4: keepalive on
    # relayed sockets); with the default 300 s each re-mapping would add descriptors for 5 min.
    priv=$((5555 + 10 * i)); args=(-k 1 -h 203.0.113.2 -T 30)
  else
    priv=$((5556 + 10 * i)); args=(-u -k 1 -T 5)
  fi
  # shellcheck disable=SC2086 # the variant's environment is a list of VAR=VALUE words
  ip netns exec "$lan" env NATMAP_GC_LOG_SECONDS=10 ${envs[$i]} "${bins[$i]}" -4 "${args[@]}" \
    -s 203.0.113.2 -b "$priv" -t 192.0.2.2 -p "$ECHO_PORT" \
    >"$out/${names[$i]}-$proto.out" 2>"$out/${names[$i]}-$proto.err" &
  natmap_pid[$i,$proto]=$!
  pids+=($!)
  public[$i,$proto]=$((priv + 40000))
  echo "${public[$i,$proto]}" >"$out/${names[$i]}-$proto.port"
}

for i in "${!names[@]}"; do
  start_natmap "$i" tcp
  start_natmap "$i" udp
done
# Ready when each has reported its mapping (its first stdout line).
for i in "${!names[@]}"; do
  for proto in tcp udp; do
    for _ in $(seq 200); do [ -s "$out/${names[$i]}-$proto.out" ] && break; sleep 0.1; done
    [ -s "$out/${names[$i]}-$proto.out" ] || { echo "soak.sh: ${names[$i]} $proto reported no mapping" >&2; tail "$out/${names[$i]}-$proto.err" >&2; exit 1; }
  done
  log "${names[$i]}: tcp pid ${natmap_pid[$i,tcp]}, udp pid ${natmap_pid[$i,udp]} (${envs[$i]:-no extra environment}; ${bins[$i]})"
done

churn_pids=()
for i in "${!names[@]}"; do
  ip netns exec "$wan" python3 "$peer" churn "$seconds" "$rate" \
    "tcp:203.0.113.1:$out/${names[$i]}-tcp.port" "udp:203.0.113.1:$out/${names[$i]}-udp.port" \
    >"$out/${names[$i]}-churn.log" 2>&1 &
  pids+=($!) churn_pids+=($!)
done

csv="$out/samples.csv"
echo "elapsed_s,variant,proto,pid,rss_kib,fds,threads,gc_heap_b,gc_committed_b,gen0,gen1,gen2,allocated_b" >"$csv"
sample() { # ELAPSED
  local i proto pid rss threads fds gc
  for i in "${!names[@]}"; do
    for proto in tcp udp; do
      pid=${natmap_pid[$i,$proto]}
      [ -r "/proc/$pid/status" ] || { log "${names[$i]} $proto (pid $pid) is gone"; echo "$1,${names[$i]},$proto,$pid,dead,,,,,,,," >>"$csv"; continue; }
      rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
      threads=$(awk '/^Threads/ {print $2}' "/proc/$pid/status")
      fds=$(find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
      # "GC heap: H B in use, C B committed, gen0 G B after last GC; collections a/b/c; A B allocated since start"
      gc=$(grep 'GC heap:' "$out/${names[$i]}-$proto.err" | tail -n 1 |
        sed -nE 's/.*GC heap: ([0-9]+) B in use, ([0-9]+) B committed, .*collections ([0-9]+)\/([0-9]+)\/([0-9]+); ([0-9]+) B allocated.*/\1,\2,\3,\4,\5,\6/p')
      [ -n "$gc" ] || gc=",,,,,"
      echo "$1,${names[$i]},$proto,$pid,$rss,$fds,$threads,$gc" >>"$csv"
    done
  done
}

remap() { # flips every public port between 455xx and 465xx
  local i proto priv old new
  for i in "${!names[@]}"; do
    for proto in tcp udp; do
      [ "$proto" = tcp ] && priv=$((5555 + 10 * i)) || priv=$((5556 + 10 * i))
      old=${public[$i,$proto]}
      if [ "$old" -lt $((46555)) ]; then new=$((old + 1000)); else new=$((old - 1000)); fi
      "$tb" remap "$id" "$priv" "$old" "$new"
      public[$i,$proto]=$new
      echo "$new" >"$out/${names[$i]}-$proto.port"
    done
  done
}

log "running $minutes min: $rate new TCP connections/s and $rate new UDP client ports/s per variant; samples in $csv"
start=$SECONDS
next=10
sample 0
while [ $((SECONDS - start)) -lt "$seconds" ]; do
  sleep $((start + next - SECONDS > 0 ? start + next - SECONDS : 0))
  elapsed=$((SECONDS - start))
  sample "$elapsed"
  if [ $((next % 60)) = 0 ] && [ "$next" -lt "$seconds" ]; then
    remap
    if [ $((next % 300)) = 0 ]; then
      "$tb" coturn "$id" restart
      log "minute $((next / 60)): re-mapped, coturn restarted"
    else
      log "minute $((next / 60)): re-mapped"
    fi
  fi
  next=$((next + 10))
done

# The clients stop by themselves (their last flows time out within a few seconds) and print totals.
for pid in "${churn_pids[@]}"; do
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
done

status=0
summary=()
for i in "${!names[@]}"; do
  for proto in tcp udp; do
    [ "$proto" = tcp ] && max_kib=$TCP_MAX_KIB || max_kib=$UDP_MAX_KIB
    flows=$(grep "^$proto " "$out/${names[$i]}-churn.log" | tail -n 1 | awk '{print $4 " ok, " $6 " failed"}')
    ok=$(grep "^$proto " "$out/${names[$i]}-churn.log" | tail -n 1 | awk '{print $4 + 0}')
    failed=$(grep "^$proto " "$out/${names[$i]}-churn.log" | tail -n 1 | awk '{print $6 + 0}')
    line=$(awk -F, -v v="${names[$i]}" -v p="$proto" -v max="$max_kib" -v grow="$GROWTH_MAX_KIB" -v ok="$ok" -v failed="$failed" '
      function median(a, n,   i, j, t) {
        for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
      }
      $2 == v && $3 == p {
        if ($5 == "dead") { dead = 1; next }
        n++; t[n] = $1; rss[n] = $5; fd[n] = $6; th[n] = $7; heap[n] = $8; g0[n] = $10; g1[n] = $11; g2[n] = $12; alloc[n] = $13
        if ($5 > peak) peak = $5
      }
      END {
        if (n == 0) { print "FAIL no samples"; exit }
        s = 1; for (k = 1; k <= n; k++) if (t[k] >= 60) { s = k; break }
        last = t[n]
        nf = 0; nl = 0
        for (k = 1; k <= n; k++) {
          if (t[k] >= 60 && t[k] < 120) fa[++nf] = fd[k]
          if (t[k] > last - 60) fl[++nl] = fd[k]
        }
        fd1 = median(fa, nf); fd2 = median(fl, nl)
        growth = rss[n] - rss[s]
        why = ""
        if (dead) why = why " exited;"
        if (growth >= grow) why = why sprintf(" RSS grew %.1f MiB;", growth / 1024)
        if (peak > max) why = why sprintf(" RSS peak %.1f MiB over %d MiB;", peak / 1024, max / 1024)
        slack = fd1 / 10 > 8 ? fd1 / 10 : 8
        if (fd2 - fd1 > slack) why = why sprintf(" fds grew %d to %d;", fd1, fd2)
        if (ok == 0 || failed > ok / 10) why = why sprintf(" flows %d ok %d failed;", ok, failed)
        printf "%s %s %s: RSS %.1f -> %.1f MiB (%+.2f MiB, peak %.1f) from %d s to %d s, fds %d -> %d, threads %d -> %d, GC heap %.1f -> %.1f MiB, GCs %d -> %d (gen0/1/2 %d/%d/%d), allocated %.0f MiB\n",
          why == "" ? "PASS" : "FAIL" why, v, p, rss[s] / 1024, rss[n] / 1024, growth / 1024, peak / 1024, t[s], last,
          fd1, fd2, th[s], th[n], heap[s] / 1048576, heap[n] / 1048576, g0[s] + g1[s] + g2[s], g0[n] + g1[n] + g2[n],
          g0[n], g1[n], g2[n], alloc[n] / 1048576
      }' "$csv")
    echo "$line; flows: $flows"
    [[ $line == PASS* ]] || status=1
    summary+=("${names[$i]} $proto $(sed -nE 's/.*RSS ([0-9.]+ -> [0-9.]+ MiB \(([+-][0-9.]+) MiB, peak ([0-9.]+)\)).*fds ([0-9]+ -> [0-9]+).*/RSS \1, fds \4/p' <<<"$line")")
  done
done
[ $status = 0 ] && verdict=PASS || verdict=FAIL
IFS='|'
echo "soak: $verdict after $minutes min at $rate flows/s per protocol: ${summary[*]}" | sed 's/|/; /g'
exit $status
