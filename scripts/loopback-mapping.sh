# Sourced by release.sh and pack-check.sh:
#   loopback_mapping DIR CMD...
# runs `CMD -u -s 127.0.0.1:PORT` against the loopback STUN responder (scripts/stun-fake.py) until it
# prints its first line (30 s at most), then stops it with SIGTERM. Returns 1, saying why on stderr,
# unless the line reports 203.0.113.1:45555; LOOPBACK_STATUS is the command's exit status on SIGTERM
# and DIR/line the line it printed (DIR/err its standard error).
loopback_mapping() {
  local dir=$1 responder pid addr port
  shift
  mkdir -p "$dir" && rm -f "$dir/stun-port" "$dir/line" "$dir/err"
  python3 scripts/stun-fake.py "$dir/stun-port" 30 &
  responder=$!
  for _ in $(seq 100); do [ -s "$dir/stun-port" ] && break; sleep 0.05; done
  "$@" -u -s "127.0.0.1:$(cat "$dir/stun-port")" >"$dir/line" 2>"$dir/err" &
  pid=$!
  for _ in $(seq 300); do [ -s "$dir/line" ] && break; sleep 0.1; done
  kill -TERM "$pid" 2>/dev/null || true
  LOOPBACK_STATUS=0
  wait "$pid" || LOOPBACK_STATUS=$?
  kill "$responder" 2>/dev/null || true
  wait "$responder" 2>/dev/null || true
  read -r addr port _ <"$dir/line" || true
  [ "$addr $port" = "203.0.113.1 45555" ] || { echo "no mapping reported: $(cat "$dir/line" "$dir/err")" >&2; return 1; }
}
