#!/usr/bin/env bash
# Sets up what the tests need and runs them: `sudo ./scripts/test.sh [extra dotnet test args]`.
# Prints one closing line `N passed, N failed, N skipped`, counted from the TRX results.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" = 0 ] && [ "${NATMAP_SKIP_APT:-0}" != 1 ]; then
  need=()
  for tool in ip:iproute2 nft:nftables conntrack:conntrack turnserver:coturn nginx:nginx-light \
              socat:socat iperf3:iperf3 sockperf:sockperf turnutils_stunclient:coturn python3:python3 \
              ss:iproute2 flock:util-linux; do
    command -v "${tool%%:*}" >/dev/null 2>&1 || need+=("${tool#*:}")
  done
  if [ ${#need[@]} -gt 0 ]; then
    echo "installing: ${need[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  fi
fi

if [ "$(id -u)" = 0 ] && command -v ip >/dev/null 2>&1; then
  if [ "${CI:-}" = true ]; then
    # A clean CI machine runs one test run at a time: whatever testbed an earlier (crashed) run
    # left behind goes. Services that installing nginx and coturn may have started on the host
    # are stopped; the tests run their own copies inside network namespaces.
    ./scripts/testbed.sh gc --all
    for svc in nginx coturn; do
      if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
        systemctl stop "$svc" || true
      elif command -v service >/dev/null 2>&1 && service "$svc" status >/dev/null 2>&1; then
        service "$svc" stop >/dev/null 2>&1 || true
      fi
    done
  else
    # Elsewhere other runs may be going on: only testbeds whose owner process is gone go.
    ./scripts/testbed.sh gc
  fi
fi

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
set +e
dotnet test NatMap.sln -c "${CONFIGURATION:-Release}" --logger "trx;LogFileName=results.trx" \
  --results-directory "$results" "$@"
status=$?
set -e

python3 scripts/trx-summary.py "$results"/*.trx
summary=$?
[ $status -eq 0 ] || exit $status
exit $summary
