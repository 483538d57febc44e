#!/usr/bin/env bash
# Sets up what the tests need and runs them, as root: `./scripts/test.sh [extra dotnet test args]`.
# Prints one closing line `N passed, N failed, N skipped`, counted from the TRX results.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=ensure-tools.sh
. scripts/ensure-tools.sh
if [ "$(id -u)" = 0 ] && [ "${NATMAP_SKIP_APT:-0}" != 1 ]; then
  ensure_tools test.sh ip:iproute2 nft:nftables conntrack:conntrack turnserver:coturn nginx:nginx-light \
    socat:socat iperf3:iperf3 sockperf:sockperf turnutils_stunclient:coturn python3:python3 \
    ss:iproute2 flock:util-linux systemd-analyze:systemd named:bind9 dig:bind9-dnsutils \
    transmission-daemon:transmission-daemon qbittorrent-nox:qbittorrent-nox
fi

if [ "$(id -u)" = 0 ] && [ -x scripts/testbed.sh ] && command -v ip >/dev/null 2>&1; then
  # Testbeds left behind by a crashed run (their owner process is gone) are removed, with every
  # process still running inside them; those of runs going on now are left alone.
  ./scripts/testbed.sh gc
fi
if [ "$(id -u)" = 0 ] && [ "${CI:-}" = true ]; then
  # Installing nginx and coturn may have started them on the host; the tests run their own
  # copies inside network namespaces and need nothing else answering.
  for svc in nginx coturn; do
    if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
      systemctl stop "$svc" || true
    elif command -v service >/dev/null 2>&1 && service "$svc" status >/dev/null 2>&1; then
      service "$svc" stop >/dev/null 2>&1 || true
    fi
  done
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
