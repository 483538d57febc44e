#!/usr/bin/env bash
# CI fuzzing: each NatMap.Fuzz target for a short, bounded time (FUZZ_SECONDS, default 60), one after
# the other (one afl-fuzz takes a core). Standard output gets one line per target,
# `TARGET: N execs, N crashes, N hangs, N paths`; the details go to standard error. Every target runs
# even when an earlier one fails; the exit status is non-zero if any crashed, hung or ran nothing.
# About 4 minutes in all on the CI machines, publishing and instrumenting included.
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
status=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for target in stun text gateway nftables; do
    ./scripts/fuzz.sh "$target" "$seconds" > "$out"
    code=$?
    line=$(tail -n 1 "$out")
    echo "${line:-$target: fuzz.sh printed no summary}"
    if (( code != 0 )); then
        echo "fuzz-ci.sh: $target failed (exit $code); inputs, if any, are in artifacts/fuzz/$target/crashes" >&2
        status=1
    fi
done
exit $status
