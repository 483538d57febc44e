#!/usr/bin/env bash
# Sets up what the tests need and runs them: `sudo ./scripts/test.sh [extra dotnet test args]`.
# Prints one closing line `N passed, N failed, N skipped`, counted from the TRX results.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" = 0 ] && [ "${NATMAP_SKIP_APT:-0}" != 1 ]; then
  need=()
  for tool in ip:iproute2 nft:nftables conntrack:conntrack turnserver:coturn nginx:nginx-light \
              socat:socat iperf3:iperf3 sockperf:sockperf turnutils_stunclient:coturn; do
    command -v "${tool%%:*}" >/dev/null 2>&1 || need+=("${tool#*:}")
  done
  if [ ${#need[@]} -gt 0 ]; then
    echo "installing: ${need[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
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
