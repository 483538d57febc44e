# Sourced by bench-forward.sh and soak-managed.sh: a work folder removed on exit with every process
# started (listed in $pids), free_port, and start_harness, which runs the benchmark project's
# forwarder harness (NatMap.Benchmarks `forward`, $HARNESS_DLL or else $DLL).
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

# Harness processes read this FIFO as stdin and stop when the script (its only writer) exits.
mkfifo "$work/hold"
exec 3<>"$work/hold"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_harness NAME ARGS... : runs the forwarder harness (of $HARNESS_DLL, default $DLL; in network
# namespace $HARNESS_NS if set), waits for "ready", sets $PORT and $PID.
start_harness() {
  local name=$1; shift
  ${HARNESS_NS:+ip netns exec "$HARNESS_NS"} dotnet "${HARNESS_DLL:-$DLL}" forward "$@" <"$work/hold" >"$work/$name.log" 2>&1 &
  PID=$!
  pids+=("$PID")
  for _ in $(seq 300); do
    if grep -qs '^ready ' "$work/$name.log"; then
      PORT=$(sed -n 's/^ready .*:\([0-9]*\)$/\1/p' "$work/$name.log")
      return 0
    fi
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "harness $name did not start:" >&2; cat "$work/$name.log" >&2; exit 1
}
