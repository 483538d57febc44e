#!/usr/bin/env bash
# The managed (System.IO.Pipelines) TCP engine under connection churn, on loopback, side by side
# with another build's managed engine: `./scripts/soak-managed.sh MINUTES [BASELINE_DLL]`.
#
# scripts/soak.sh runs the CLI, whose forwarder takes the splice engine on Linux; this one runs
# the benchmark project's forwarder harness with `--engine managed`, one process per build, in
# front of one echo service, and has scripts/soak-peer.py open RATE new connections a second to
# each (64 bytes there and back, then close). Every 10 s it samples each process's VmRSS and open
# descriptors. It prints, per build, RSS at minute 1 and at the end, and the growth, then the
# ratio of the growths (this build over the baseline) measured in the same run.
#
# Environment: NATMAP_SOAK_RATE=30 (new connections a second per build).
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:?usage: soak-managed.sh MINUTES [BASELINE_DLL]}
baseline=${2:-}
rate=${NATMAP_SOAK_RATE:-30}
[[ $minutes =~ ^[0-9]+$ && $minutes -ge 2 ]] || { echo "soak-managed.sh: MINUTES must be 2 or more" >&2; exit 2; }
[[ -z $baseline || -f $baseline ]] || { echo "soak-managed.sh: no baseline harness at $baseline" >&2; exit 2; }

dotnet build NatMap.Benchmarks -c Release -nologo -v q >/dev/null
DLL=NatMap.Benchmarks/bin/Release/net10.0/NatMap.Benchmarks.dll
# shellcheck source=forward-harness.sh
. scripts/forward-harness.sh
echo_port=$(free_port)
python3 scripts/soak-peer.py echo 127.0.0.1 "$echo_port" >"$work/echo.log" 2>&1 &
pids+=("$!")
for _ in $(seq 100); do grep -qs '^listening' "$work/echo.log" && break; sleep 0.1; done

names=() harness_pids=() targets=()
# The harnesses run with the CLI's GC settings (NatMap.Cli.csproj: workstation, non-concurrent,
# gen0 and gen1 budgets of 1 MiB, hex as the runtime reads them), so that RSS here means what it means for natmap.
export DOTNET_gcServer=0 DOTNET_gcConcurrent=0 DOTNET_GCGen0MaxBudget=100000 DOTNET_GCGen1MaxBudget=100000
start() { # NAME DLL
  HARNESS_DLL=$2 start_harness "$1" --proto tcp --engine managed --listen 127.0.0.1:0 --target "127.0.0.1:$echo_port"
  echo "$PORT" >"$work/$1.port"
  names+=("$1") harness_pids+=("$PID") targets+=("tcp:127.0.0.1:$work/$1.port")
}
start this "$DLL"
[[ -z $baseline ]] || start baseline "$baseline"

seconds=$((minutes * 60))
python3 scripts/soak-peer.py churn "$seconds" "$rate" "${targets[@]}" >"$work/churn.log" 2>&1 &
churn=$!
pids+=("$churn")
echo "soak-managed: ${names[*]} for $minutes min at $rate connections/s each, load average $(cut -d' ' -f1-3 /proc/loadavg)"
declare -A first last
for ((t = 10; t <= seconds; t += 10)); do
  sleep 10
  for i in "${!names[@]}"; do
    kib=$(awk '/^VmRSS/ {print $2}' "/proc/${harness_pids[$i]}/status")
    fds=$(ls "/proc/${harness_pids[$i]}/fd" | wc -l)
    [[ $t -eq 60 ]] && first[${names[$i]}]=$kib
    last[${names[$i]}]=$kib
    echo "$t ${names[$i]} rss_kib=$kib fds=$fds" >>"$work/samples"
  done
done
wait "$churn" || true
grep -h 'ok' "$work/churn.log" | tail -n "${#names[@]}"
for n in "${names[@]}"; do
  echo "$n: RSS ${first[$n]} -> ${last[$n]} KiB from 60 s to ${seconds} s ($(printf '%+d' $((last[$n] - first[$n]))) KiB), fds now $(awk -v n="$n" '$2 == n {f = $4} END {sub("fds=", "", f); print f}' "$work/samples")"
done
if [[ -n $baseline ]]; then
  python3 -c 'import sys; a, b = (int(x) for x in sys.argv[1:]); print("growth ratio this/baseline: " + (f"{a / b:.2f}" if b > 0 else f"{a} KiB vs {b} KiB"))' \
    "$((last[this] - first[this]))" "$((last[baseline] - first[baseline]))"
fi
