#!/usr/bin/env bash
# Coverage-guided fuzzing of one NatMap.Fuzz target with AFL++ and SharpFuzz.
#
#   ./scripts/fuzz.sh TARGET SECONDS      TARGET: stun, text, gateway or nftables
#
# Installs what is missing (afl++ through apt, the SharpFuzz.CommandLine dotnet tool into
# artifacts/fuzz/tools), publishes NatMap.Fuzz into a fresh folder, instruments NatMap.Core.dll,
# NatMap.CommandLine.dll and natmap.dll there (instrumenting twice fails, hence the fresh folder), and runs afl-fuzz for SECONDS
# from the committed seeds in NatMap.Fuzz/Corpus/TARGET. Crashing and hanging inputs are copied to
# artifacts/fuzz/TARGET/crashes and replayed once with the uninstrumented build to show the exception.
# The last line is always `TARGET: N execs, N crashes, N hangs, N paths` (from fuzzer_stats); the exit
# status is non-zero on any crash or hang, when nothing ran (0 execs), or when afl-fuzz itself failed.
# NATMAP_FUZZ_DIR moves the working folder (default artifacts/fuzz, ignored by git).
# NATMAP_FUZZ_EXECS=N also stops the run after about N executions (afl-fuzz -E), for long runs
# measured in executions; SECONDS still bounds it.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { echo "usage: $0 stun|text|gateway|nftables SECONDS" >&2; exit 2; }
[[ $# -eq 2 ]] || usage
target=$1 seconds=$2
[[ $target == stun || $target == text || $target == gateway || $target == nftables ]] || usage
[[ $seconds =~ ^[1-9][0-9]*$ ]] || usage

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
work=${NATMAP_FUZZ_DIR:-$PWD/artifacts/fuzz}
tools=$work/tools
run=$work/$target
publish=$run/publish
plain=$run/plain
findings=$run/findings
crashes=$run/crashes
seeds=$PWD/NatMap.Fuzz/Corpus/$target
log=$run/afl-fuzz.log

mkdir -p "$work"
summary() { echo "$target: ${1:-0} execs, ${2:-0} crashes, ${3:-0} hangs, ${4:-0} paths"; }
fail() { echo "fuzz.sh: $*" >&2; summary; exit 1; }

[[ -d $seeds ]] && compgen -G "$seeds/*" > /dev/null || fail "no seeds in $seeds"

# shellcheck source=ensure-tools.sh
. scripts/ensure-tools.sh
ensure_tools fuzz.sh afl-fuzz:afl++ 2> "$work/apt.log" || fail "apt-get install afl++ failed (see $work/apt.log)"

if [[ ! -x $tools/sharpfuzz ]]; then
    echo "fuzz.sh: installing SharpFuzz.CommandLine 2.3.0 into $tools" >&2
    dotnet tool install --tool-path "$tools" SharpFuzz.CommandLine --version 2.3.0 > /dev/null \
        || fail "dotnet tool install SharpFuzz.CommandLine failed"
fi

rm -rf "$run"
mkdir -p "$run" "$crashes"
echo "fuzz.sh: publishing NatMap.Fuzz" >&2
# PublishAot=false for the whole graph: natmap publishes as a NativeAOT (self-contained) executable,
# which a framework-dependent harness may not reference (NETSDK1151); the harness needs its IL anyway.
dotnet publish NatMap.Fuzz/NatMap.Fuzz.csproj -c Release -o "$publish" -p:PublishAot=false -v quiet > "$run/publish.log" 2>&1 \
    || { cat "$run/publish.log" >&2; fail "dotnet publish failed"; }
# The uninstrumented copy replays findings: the instrumented DLLs die outside afl-fuzz.
cp -r "$publish" "$plain"
for dll in NatMap.Core.dll NatMap.CommandLine.dll natmap.dll; do
    "$tools/sharpfuzz" "$publish/$dll" || fail "sharpfuzz could not instrument $dll"
done

echo "fuzz.sh: afl-fuzz $target for $seconds s" >&2
# No TTY, root, a shared machine: no UI, no CPU binding (others build on the same cores), no
# frequency check, and core dumps may go to a handler (the crash still reaches afl-fuzz as a signal).
# -t 5000: one input that runs 5 s is a hang; -m none: the .NET runtime reserves far more than AFL's default.
limit=(-V "$seconds")
if [[ -n ${NATMAP_FUZZ_EXECS:-} ]]; then
    [[ $NATMAP_FUZZ_EXECS =~ ^[1-9][0-9]*$ ]] || fail "NATMAP_FUZZ_EXECS must be a positive number"
    limit+=(-E "$NATMAP_FUZZ_EXECS")
fi
fuzz() {
    afl_status=0
    AFL_SKIP_BIN_CHECK=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 \
    AFL_NO_AFFINITY=1 AFL_NO_AUTODICT=1 \
        afl-fuzz "${limit[@]}" -i "$seeds" -o "$findings" -t 5000 -m none -- dotnet "$publish/NatMap.Fuzz.dll" "$target" \
        > "$log" 2>&1 < /dev/null || afl_status=$?
}
fuzz
# Once, on a CI machine at 400% load, the dry run of the first seed saw no coverage at all ("No
# instrumentation detected") and afl-fuzz gave up before fuzzing; the same build then ran fine. One
# more try, said so on stderr; an uninstrumented build fails both.
if [[ ! -f $findings/default/fuzzer_stats ]] && grep -q "No instrumentation detected" "$log"; then
    echo "fuzz.sh: afl-fuzz saw no instrumentation in its dry run; trying once more" >&2
    cp "$log" "$run/afl-fuzz.first.log"
    rm -rf "$findings"
    fuzz
fi

stats=$findings/default/fuzzer_stats
if [[ ! -f $stats ]]; then
    tail -n 30 "$log" >&2
    fail "afl-fuzz wrote no fuzzer_stats (exit $afl_status; log: $log)"
fi
stat() { awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$stats"; }
execs=$(stat execs_done) found_crashes=$(stat saved_crashes) found_hangs=$(stat saved_hangs) paths=$(stat corpus_count)
echo "fuzz.sh: $(stat execs_per_sec) exec/s over the last interval, $(( execs / ($(stat run_time) > 0 ? $(stat run_time) : 1) )) exec/s on average, stability $(stat stability), run time $(stat run_time) s" >&2

shopt -s nullglob
copied=0
for kind in crashes hangs; do
    for input in "$findings"/default/$kind/id:*; do
        cp "$input" "$crashes/$kind-$(basename "$input" | tr ':,' '_-')"
        copied=$((copied + 1))
    done
done
if (( copied > 0 )); then
    echo "fuzz.sh: $copied crashing or hanging input(s) copied to $crashes" >&2
    for input in $(ls "$crashes" | head -n 3); do
        echo "fuzz.sh: replaying $input with the uninstrumented build:" >&2
        (timeout 20 dotnet "$plain/NatMap.Fuzz.dll" "$target" "$crashes/$input") > "$run/replay.txt" 2>&1 || true
        head -n 15 "$run/replay.txt" >&2
    done
fi

status=0
if (( afl_status != 0 )); then
    tail -n 20 "$log" >&2
    echo "fuzz.sh: afl-fuzz exited with $afl_status (log: $log)" >&2
    status=1
fi
if (( ${execs:-0} == 0 )); then
    echo "fuzz.sh: no input was executed: the run proves nothing" >&2
    status=1
fi
if (( ${found_crashes:-0} > 0 || ${found_hangs:-0} > 0 )); then
    status=1
fi
summary "$execs" "$found_crashes" "$found_hangs" "$paths"
exit $status
