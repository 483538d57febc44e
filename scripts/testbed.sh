#!/usr/bin/env bash
# A real NAT on one machine, for NatMap's end-to-end tests (needs root, iproute2, nftables,
# conntrack; coturn and nginx-light for the servers).
#
#   [lan] 192.0.2.2/24      --- 192.0.2.1 [rtr] 203.0.113.1      --- 203.0.113.2, .3     [wan]
#         2001:db8:1::2/64  --- 2001:db8:1::1   2001:db8:2::1/64 --- 2001:db8:2::2, ::3
#         natmap, services      nftables NAT (IPv4 only),            coturn (STUN :3478),
#                               plain IPv6 forwarding                nginx (HTTP :80)
#
# Usage:
#   testbed.sh up ID [--nat fullcone|masquerade|symmetric] [--map PRIV:PUB,...] [--owner PID]
#   testbed.sh down ID
#   testbed.sh gc [--all]            remove testbeds whose owner process is gone (all with --all;
#                                    by hand only: it also removes those of tests running now)
#   testbed.sh nat ID MODE [--map PRIV:PUB,...]
#   testbed.sh remap ID PRIV OLDPUB NEWPUB
#   testbed.sh readdress ID ADDR     the router's public address becomes ADDR (an ISP's PPPoE redial):
#                                    re-addresses rtr-wan, rewrites the NAT rules, flushes conntrack
#   testbed.sh renumber ID ADDR      the lan host's address becomes ADDR (a DHCP renumbering): lan0
#                                    re-addressed, its default route back, the NAT rules follow it
#   testbed.sh coturn ID start|stop|restart [single]
#   testbed.sh nginx ID start|stop|restart [--keepalive-requests N]   (default 1000000; 1 closes
#                                    every connection after its first answer)
#   testbed.sh hosts ID lan|rtr|wan [LINE...]   writes /etc/netns/NS/hosts (localhost and LINEs) and a
#                                    resolv.conf naming only the namespace's loopback, which
#                                    `ip netns exec` (so `exec`) mounts over /etc; they must exist
#                                    before the process starts; hosts is rewritten in place after
#   testbed.sh exec ID lan|rtr|wan CMD...
#   testbed.sh info ID               prints the testbed's namespaces and addresses (NAME=VALUE
#                                    lines, as up does), for scripts and for exec by hand
#
# Every subcommand but exec and info says what it did in one line on stderr.
#
# ID is 1-8 characters [a-z0-9]. Namespaces are nmtb-ID-lan, nmtb-ID-rtr, nmtb-ID-wan. The veth
# pairs are created directly inside the namespaces, so they never appear in the host namespace
# and their names (lan0, rtr-lan, rtr-wan, wan0) cannot collide between runs. `up` prints the
# names and addresses as NAME=VALUE lines. Only documentation addresses are ever configured, and
# only inside these namespaces; nothing in the host namespace is changed.
#
# fullcone is endpoint-independent mapping and filtering with deterministic port translation
# (default map 5555:45555,5556:45556, TCP and UDP alike; other source ports get `masquerade
# random`); masquerade keeps the source port when free and filters per flow (port-restricted
# cone); symmetric maps every new flow to a random port.
set -euo pipefail
shopt -s inherit_errexit

PREFIX=nmtb
STATE_ROOT=${NATMAP_TESTBED_STATE:-/run/natmap-testbed}
DEFAULT_MAP=5555:45555,5556:45556

LAN4=192.0.2.2 RTR_LAN4=192.0.2.1 RTR_WAN4=203.0.113.1 WAN4=203.0.113.2 WAN4B=203.0.113.3
LAN6=2001:db8:1::2 RTR_LAN6=2001:db8:1::1 RTR_WAN6=2001:db8:2::1 WAN6=2001:db8:2::2 WAN6B=2001:db8:2::3

die() { echo "testbed.sh: $*" >&2; exit 1; }
# What a subcommand did, in one line on stderr (stdout carries only the NAME=VALUE lines of up and info).
said() { echo "testbed.sh: $*" >&2; }

need() {
  local cmd
  for cmd in "$@"; do
    command -v "$cmd" >/dev/null 2>&1 || die "needs '$cmd' on PATH (./scripts/test.sh, run as root, installs it)"
  done
}

check_id() {
  [[ ${1:-} =~ ^[a-z0-9]{1,8}$ ]] || die "bad testbed id '${1:-}': use 1-8 characters [a-z0-9]"
}

ns() { echo "$PREFIX-$ID-$1"; }
state() { echo "$STATE_ROOT/$ID"; }
in_ns() { local n; n=$(ns "$1"); shift; ip netns exec "$n" "$@"; }
exists() { [ -e "/run/netns/$(ns "$1")" ]; }

require_up() {
  exists lan && exists rtr && exists wan || die "testbed '$ID' is not up (run: testbed.sh up $ID)"
}

# Polls for a readiness condition (a listening socket), never a fixed sleep.
wait_until() {
  local what=$1 deadline=$((SECONDS + 10)); shift
  until "$@"; do
    [ $SECONDS -lt $deadline ] || die "timed out waiting for $what"
    sleep 0.05
  done
}

listening() { # NS PROTO ADDR PORT
  local n=$1 proto=$2 addr=$3 port=$4 flag
  [ "$proto" = tcp ] && flag=-ltnH || flag=-lunH
  [[ $addr == *:* ]] && addr="[$addr]"
  in_ns "$n" ss $flag "src $addr and sport = :$port" 2>/dev/null | grep -q .
}

not_listening() { ! listening "$@"; }

kill_ns_processes() { # NAME: TERM, then KILL what is left; processes keep a deleted netns alive
  local n=$1 pids i
  [ -e "/run/netns/$n" ] || return 0
  pids=$(ip netns pids "$n" 2>/dev/null || true)
  [ -n "$pids" ] || return 0
  kill -TERM $pids 2>/dev/null || true
  for i in $(seq 1 10); do
    pids=$(ip netns pids "$n" 2>/dev/null || true)
    [ -n "$pids" ] || return 0
    sleep 0.05
  done
  kill -KILL $pids 2>/dev/null || true
}

down_id() {
  local part n
  for part in lan rtr wan; do
    n=$(ns "$part")
    kill_ns_processes "$n"
    if [ -e "/run/netns/$n" ] && ! ip netns del "$n" && [ -e "/run/netns/$n" ]; then
      die "could not delete namespace $n"
    fi
    rm -rf "/etc/netns/$n"
  done
  rm -rf "$(state)"
}

parse_map() { # validates PRIV:PUB,... and prints nft map elements for out4 and in4
  local map=$1 out="" in="" pair priv pub
  [[ $map =~ ^[0-9]+:[0-9]+(,[0-9]+:[0-9]+)*$ ]] || die "bad --map '$map': use PRIV:PUB[,PRIV:PUB...]"
  IFS=, read -ra pairs <<<"$map"
  for pair in "${pairs[@]}"; do
    priv=${pair%%:*} pub=${pair#*:}
    { [ "$priv" -ge 1 ] && [ "$priv" -le 65535 ] && [ "$pub" -ge 1 ] && [ "$pub" -le 65535 ]; } ||
      die "bad port in --map '$pair'"
    out+="${out:+, }$priv : $pub"
    in+="${in:+, }$pub : $priv"
  done
  echo "$out"
  echo "$in"
}

# The router's public IPv4 address: RTR_WAN4 unless `readdress` changed it.
public_addr() { cat "$(state)/public" 2>/dev/null || echo "$RTR_WAN4"; }

# The lan host's IPv4 address: LAN4 unless `renumber` changed it.
lan_addr() { cat "$(state)/lan" 2>/dev/null || echo "$LAN4"; }

nat_rules() { # MODE MAP -> nft script on stdout
  local mode=$1 map=$2 elements out in pub lan
  pub=$(public_addr)
  lan=$(lan_addr)
  echo "table ip nat"
  echo "delete table ip nat"
  case $mode in
    fullcone)
      elements=$(parse_map "$map")
      out=${elements%%$'\n'*} in=${elements#*$'\n'}
      cat <<EOF
table ip nat {
  map out4 { type inet_service : inet_service; elements = { $out }; }
  map in4 { type inet_service : inet_service; elements = { $in }; }
  chain pre {
    type nat hook prerouting priority dstnat; policy accept;
    iifname "rtr-wan" ip daddr $pub tcp dport @in4 dnat to $lan : tcp dport map @in4
    iifname "rtr-wan" ip daddr $pub udp dport @in4 dnat to $lan : udp dport map @in4
  }
  chain post {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "rtr-wan" ip saddr $lan tcp sport @out4 snat to $pub : tcp sport map @out4
    oifname "rtr-wan" ip saddr $lan udp sport @out4 snat to $pub : udp sport map @out4
    oifname "rtr-wan" masquerade random
  }
}
EOF
      ;;
    masquerade|symmetric)
      local how=masquerade
      [ "$mode" = symmetric ] && how="masquerade random"
      cat <<EOF
table ip nat {
  chain post {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "rtr-wan" $how
  }
}
EOF
      ;;
    *) die "unknown NAT mode '$mode': use fullcone, masquerade or symmetric" ;;
  esac
}

set_nat() { # MODE MAP
  local rules
  rules=$(nat_rules "$1" "$2")
  in_ns rtr nft -f - <<<"$rules" || die "nft rejected the $1 rules"
  in_ns rtr conntrack -F >/dev/null 2>&1 || true
  echo "$1" >"$(state)/nat"
  echo "$2" >"$(state)/map"
}

# An ISP's PPPoE redial: the router comes back with another public address, every flow forgotten.
# The NAT rules are rewritten for the new address with the mode and map in force (a `remap` since
# the last `nat` or `up` is kept, as the live map is read back from nftables in fullcone mode).
cmd_readdress() {
  local addr=${1:-} old mode map
  [[ $addr =~ ^203\.0\.113\.([0-9]{1,3})$ ]] && [ "${BASH_REMATCH[1]}" -ge 1 ] && [ "${BASH_REMATCH[1]}" -le 254 ] ||
    die "readdress: use a documentation address 203.0.113.1-254"
  require_up
  old=$(public_addr)
  mode=$(cat "$(state)/nat")
  map=$(current_map)
  [ "$old" = "$addr" ] && return 0
  # Old first: deleting a primary address takes its secondaries with it.
  ip -n "$(ns rtr)" addr del "$old/24" dev rtr-wan
  ip -n "$(ns rtr)" addr add "$addr/24" dev rtr-wan
  echo "$addr" >"$(state)/public"
  set_nat "$mode" "$map"
}

# The port map in force: read back from nftables in fullcone mode, so a `remap` is kept.
current_map() {
  local mode
  mode=$(cat "$(state)/nat")
  if [ "$mode" = fullcone ]; then
    in_ns rtr nft -j list map ip nat out4 | python3 -c '
import json, sys
for item in json.load(sys.stdin)["nftables"]:
    if "map" in item:
        print(",".join(f"{k}:{v}" for k, v in item["map"].get("elem", [])))'
  else
    cat "$(state)/map" 2>/dev/null || echo "$DEFAULT_MAP"
  fi
}

# A DHCP renumbering of the lan host: the old address goes, the new one comes with the default
# route (which went with the old address), and the router's NAT is rewritten for the new address.
cmd_renumber() {
  local addr=${1:-} old
  [[ $addr =~ ^192\.0\.2\.([0-9]{1,3})$ ]] && [ "${BASH_REMATCH[1]}" -ge 2 ] && [ "${BASH_REMATCH[1]}" -le 254 ] ||
    die "renumber: use a documentation address 192.0.2.2-254"
  require_up
  old=$(lan_addr)
  [ "$old" = "$addr" ] && return 0
  local map mode
  mode=$(cat "$(state)/nat")
  map=$(current_map)
  ip -n "$(ns lan)" addr del "$old/24" dev lan0
  ip -n "$(ns lan)" addr add "$addr/24" dev lan0
  ip -n "$(ns lan)" route replace default via "$RTR_LAN4"
  echo "$addr" >"$(state)/lan"
  set_nat "$mode" "$map"
}

hosts_dir() { echo "/etc/netns/$(ns "$1")"; }

# /etc/netns/NS/hosts, for host names inside a namespace; rewritten in place (truncate and write),
# since `ip netns exec` bind-mounts the file itself and a rename would leave the mount on the old one.
cmd_hosts() {
  local part=${1:-} dir
  [[ $part =~ ^(lan|rtr|wan)$ ]] || die "hosts: use lan|rtr|wan [LINE...]"
  shift
  require_up
  dir=$(hosts_dir "$part")
  mkdir -p "$dir"
  { echo "127.0.0.1 localhost"; echo "::1 localhost"; printf '%s\n' "$@"; } >"$dir/hosts"
  # A name not in the file is looked up with DNS: at the namespace's own loopback, where nothing
  # answers, so the lookup fails at once and no query leaves for the host's resolver.
  [ -e "$dir/resolv.conf" ] || echo "nameserver 127.0.0.1" >"$dir/resolv.conf"
}

info() {
  cat <<EOF
LAN_NS=$(ns lan)
RTR_NS=$(ns rtr)
WAN_NS=$(ns wan)
LAN4=$LAN4
RTR_LAN4=$RTR_LAN4
RTR_WAN4=$RTR_WAN4
WAN4=$WAN4
WAN4B=$WAN4B
LAN6=$LAN6
RTR_LAN6=$RTR_LAN6
RTR_WAN6=$RTR_WAN6
WAN6=$WAN6
WAN6B=$WAN6B
STATE=$(state)
EOF
}

cmd_up() {
  local mode=fullcone map=$DEFAULT_MAP owner=""
  while [ $# -gt 0 ]; do
    case $1 in
      --nat) mode=${2:?--nat needs a mode}; shift 2 ;;
      --map) map=${2:?--map needs PRIV:PUB,...}; shift 2 ;;
      --owner) owner=${2:?--owner needs a pid}; shift 2 ;;
      *) die "up: unknown argument '$1'" ;;
    esac
  done
  need ip nft conntrack ss
  [ -z "$owner" ] || [[ $owner =~ ^[0-9]+$ ]] || die "bad --owner '$owner'"
  nat_rules "$mode" "$map" >/dev/null

  # Idempotent: a testbed left over with this id is replaced.
  down_id
  mkdir -p "$(state)"
  echo "${owner:-0}" >"$(state)/owner"
  # Whatever stops the build half way (a failing command, die), nothing half built stays behind.
  trap 'down_id' EXIT

  local part
  for part in lan rtr wan; do
    ip netns add "$(ns "$part")"
    in_ns "$part" ip link set lo up
    # No router solicitations, no autoconfiguration, no duplicate address detection delay:
    # every address is usable as soon as it is added, and nothing but our traffic is sent.
    in_ns "$part" sysctl -qw net.ipv6.conf.default.accept_ra=0 net.ipv6.conf.default.autoconf=0 \
      net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.default.router_solicitations=0
  done
  ip -n "$(ns lan)" link add lan0 type veth peer name rtr-lan netns "$(ns rtr)"
  ip -n "$(ns wan)" link add wan0 type veth peer name rtr-wan netns "$(ns rtr)"

  in_ns rtr sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1

  ip -n "$(ns lan)" addr add "$LAN4/24" dev lan0
  ip -n "$(ns lan)" addr add "$LAN6/64" dev lan0 nodad
  ip -n "$(ns lan)" link set lan0 up
  ip -n "$(ns lan)" route add default via "$RTR_LAN4"
  ip -n "$(ns lan)" -6 route add default via "$RTR_LAN6"

  ip -n "$(ns rtr)" addr add "$RTR_LAN4/24" dev rtr-lan
  ip -n "$(ns rtr)" addr add "$RTR_LAN6/64" dev rtr-lan nodad
  ip -n "$(ns rtr)" addr add "$RTR_WAN4/24" dev rtr-wan
  ip -n "$(ns rtr)" addr add "$RTR_WAN6/64" dev rtr-wan nodad
  ip -n "$(ns rtr)" link set rtr-lan up
  ip -n "$(ns rtr)" link set rtr-wan up

  ip -n "$(ns wan)" addr add "$WAN4/24" dev wan0
  ip -n "$(ns wan)" addr add "$WAN4B/24" dev wan0
  ip -n "$(ns wan)" addr add "$WAN6/64" dev wan0 nodad
  ip -n "$(ns wan)" addr add "$WAN6B/64" dev wan0 nodad
  ip -n "$(ns wan)" link set wan0 up
  # IPv6 is routed without NAT, so the wan side needs the way back to the lan prefix.
  ip -n "$(ns wan)" -6 route add 2001:db8:1::/64 via "$RTR_WAN6"
  # Fixed IPv6 neighbours: in a freshly built router the first neighbour solicitation toward
  # wan goes unanswered and the first packet waits a retransmission (about 1 s), which would
  # show up in every IPv6 timing. The veths never change their addresses, so static is exact.
  local lan_mac rl_mac rw_mac wan_mac
  lan_mac=$(in_ns lan cat /sys/class/net/lan0/address)
  rl_mac=$(in_ns rtr cat /sys/class/net/rtr-lan/address)
  rw_mac=$(in_ns rtr cat /sys/class/net/rtr-wan/address)
  wan_mac=$(in_ns wan cat /sys/class/net/wan0/address)
  ip -n "$(ns lan)" -6 neigh replace "$RTR_LAN6" lladdr "$rl_mac" dev lan0 nud permanent
  ip -n "$(ns rtr)" -6 neigh replace "$LAN6" lladdr "$lan_mac" dev rtr-lan nud permanent
  ip -n "$(ns rtr)" -6 neigh replace "$WAN6" lladdr "$wan_mac" dev rtr-wan nud permanent
  ip -n "$(ns rtr)" -6 neigh replace "$WAN6B" lladdr "$wan_mac" dev rtr-wan nud permanent
  ip -n "$(ns wan)" -6 neigh replace "$RTR_WAN6" lladdr "$rw_mac" dev wan0 nud permanent

  set_nat "$mode" "$map"
  trap - EXIT
  info
}

coturn_pid() { cat "$(state)/coturn.pid" 2>/dev/null || true; }

coturn_stop() { stop_server coturn "$(state)/coturn.pid" udp 3478; }

# stop_server NAME PIDFILE PROTO PORT: SIGTERM to the server in PIDFILE, then wait until it has
# exited and its PORT on the wan address is free.
stop_server() {
  local name=$1 pidfile=$2 proto=$3 port=$4 pid
  pid=$(cat "$pidfile" 2>/dev/null || true)
  if [ -n "$pid" ] && alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    wait_until "$name (pid $pid) to exit" not_alive "$pid"
  fi
  rm -f "$pidfile"
  wait_until "port $port to be free" not_listening wan "$proto" "$WAN4" "$port"
}

# A zombie counts as gone: where pid 1 does not reap orphans, a killed server stays a zombie.
alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}

not_alive() { ! alive "$1"; }

coturn_start() {
  local variant=${1:-double} pid listen
  need turnserver
  pid=$(coturn_pid)
  if [ -n "$pid" ] && alive "$pid"; then
    [ "$(cat "$(state)/coturn.variant" 2>/dev/null)" = "$variant" ] && return 0
    coturn_stop
  fi
  case $variant in
    double) listen=(-L "$WAN4" -L "$WAN4B" -L "$WAN6" -L "$WAN6B") ;;
    # One address per family: no RFC 5780 (change requests get error 420).
    single) listen=(-L "$WAN4" -L "$WAN6") ;;
    *) die "coturn: unknown variant '$variant' (use single, or nothing for two addresses)" ;;
  esac
  # `ip netns exec` execs the server, so $! is its pid.
  ip netns exec "$(ns wan)" turnserver -n -S --no-tls --no-dtls --no-cli "${listen[@]}" \
    --listening-port 3478 --log-file stdout --simple-log --pidfile "$(state)/coturn.pidfile" \
    </dev/null >"$(state)/coturn.log" 2>&1 &
  echo $! >"$(state)/coturn.pid"
  echo "$variant" >"$(state)/coturn.variant"
  pid=$!
  local addr
  for addr in "$WAN4" "$WAN6"; do
    wait_until "coturn to listen on $addr udp/3478 (log: $(state)/coturn.log)" listening wan udp "$addr" 3478
    wait_until "coturn to listen on $addr tcp/3478 (log: $(state)/coturn.log)" listening wan tcp "$addr" 3478
  done
  if [ "$variant" = double ]; then
    wait_until "coturn to listen on $WAN4B udp/3478" listening wan udp "$WAN4B" 3478
    wait_until "coturn to listen on $WAN4B tcp/3478" listening wan tcp "$WAN4B" 3478
  fi
  alive "$pid" || die "coturn exited (log: $(state)/coturn.log)"
}

cmd_coturn() {
  local action=${1:-} variant=${2:-double}
  require_up
  case $action in
    start) coturn_start "$variant" ;;
    stop) coturn_stop ;;
    restart) coturn_stop; coturn_start "$variant" ;;
    *) die "coturn: use start|stop|restart [single]" ;;
  esac
}

nginx_conf() {
  local s requests=${1:-1000000}
  s=$(state)
  mkdir -p "$s/nginx"
  cat >"$s/nginx/nginx.conf" <<EOF
pid $s/nginx/nginx.pid;
error_log $s/nginx/error.log;
worker_processes 1;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path $s/nginx/body;
  proxy_temp_path $s/nginx/proxy;
  fastcgi_temp_path $s/nginx/fastcgi;
  uwsgi_temp_path $s/nginx/uwsgi;
  scgi_temp_path $s/nginx/scgi;
  keepalive_timeout 120s;
  keepalive_requests $requests;
  server {
    listen $WAN4:80;
    listen [$WAN6]:80;
    location / { default_type text/plain; return 200 "ok\n"; }
  }
}
EOF
}

nginx_pid() { cat "$(state)/nginx/nginx.pid" 2>/dev/null || true; }

# TERM is nginx's fast shutdown: open keep-alive connections are closed at once.
nginx_stop() { stop_server nginx "$(state)/nginx/nginx.pid" tcp 80; }

nginx_start() {
  local pid requests=${1:-1000000}
  need nginx
  pid=$(nginx_pid)
  if [ -n "$pid" ] && alive "$pid"; then
    [ "$(cat "$(state)/nginx/requests" 2>/dev/null)" = "$requests" ] && return 0
    nginx_stop
  fi
  nginx_conf "$requests"
  echo "$requests" >"$(state)/nginx/requests"
  in_ns wan nginx -e "$(state)/nginx/error.log" -p "$(state)/nginx" -c "$(state)/nginx/nginx.conf" </dev/null ||
    die "nginx failed to start (log: $(state)/nginx/error.log)"
  wait_until "nginx to listen on $WAN4:80" listening wan tcp "$WAN4" 80
  wait_until "nginx to listen on [$WAN6]:80" listening wan tcp "$WAN6" 80
}

cmd_nginx() {
  local action=${1:-} requests=1000000
  require_up
  [ $# -gt 0 ] && shift
  if [ "${1:-}" = --keepalive-requests ]; then
    requests=${2:-}
    [[ $requests =~ ^[1-9][0-9]{0,6}$ ]] || die "nginx: --keepalive-requests needs a count from 1"
  fi
  case $action in
    start) nginx_start "$requests" ;;
    stop) nginx_stop ;;
    restart) nginx_stop; nginx_start "$requests" ;;
    *) die "nginx: use start|stop|restart [--keepalive-requests N]" ;;
  esac
}

cmd_remap() {
  local priv=${1:-} old=${2:-} new=${3:-} p
  for p in "$priv" "$old" "$new"; do
    [[ $p =~ ^[0-9]+$ ]] && [ "$p" -ge 1 ] && [ "$p" -le 65535 ] || die "remap: use PRIV OLDPUB NEWPUB (ports)"
  done
  require_up
  [ "$(cat "$(state)/nat" 2>/dev/null)" = fullcone ] || die "remap needs the fullcone NAT mode"
  # One nft transaction, so no packet sees a half-changed map; then forget live flows so the
  # next packet of every flow is translated by the new map (an ISP re-assigning the port).
  in_ns rtr nft -f - <<EOF || die "remap: nft rejected the change (is $priv:$old mapped?)"
delete element ip nat out4 { $priv }
add element ip nat out4 { $priv : $new }
delete element ip nat in4 { $old }
add element ip nat in4 { $new : $priv }
EOF
  in_ns rtr conntrack -F >/dev/null 2>&1 || true
}

cmd_gc() {
  local all=0 n id owner removed=""
  [ "${1:-}" = --all ] && all=1
  [ -d /run/netns ] || return 0
  for n in $(ls /run/netns); do
    [[ $n =~ ^$PREFIX-([a-z0-9]{1,8})-(lan|rtr|wan)$ ]] || continue
    id=${BASH_REMATCH[1]}
    owner=$(cat "$STATE_ROOT/$id/owner" 2>/dev/null || echo none)
    # A testbed whose owner is alive belongs to a running test, and one brought up by hand
    # (owner 0) belongs to whoever did that; leave both (unless --all). Without a state folder it
    # is a leftover (up and down hold the lock, so it is not one half built or half torn down).
    if [ $all = 1 ] || [ "$owner" = none ] || { [ "$owner" != 0 ] && ! alive "$owner"; }; then
      [[ " $removed " == *" $id "* ]] || removed="$removed $id"
      ID=$id down_id
    fi
  done
  said "gc: removed${removed:- nothing}"
}

main() {
  local cmd=${1:-}
  [ $# -gt 0 ] && shift
  [ "$(id -u)" = 0 ] || die "must run as root (network namespaces, nftables)"
  case $cmd in
    up|down|nat|remap|readdress|renumber|coturn|nginx|hosts|exec|info)
      check_id "${1:-}"
      ID=$1
      shift
      ;;
  esac
  # up, down and gc create and delete namespaces: one at a time, so a gc never sees a
  # testbed half built or half torn down by a test running in parallel.
  case $cmd in
    up|down|gc)
      mkdir -p "$STATE_ROOT"
      exec 9>"$STATE_ROOT/.lock"
      flock 9
      ;;
  esac
  case $cmd in
    up) cmd_up "$@"
        said "testbed '$ID' is up: lan $(lan_addr) behind the $(cat "$(state)/nat") NAT at $(public_addr) (map $(cat "$(state)/map")), wan $WAN4 and $WAN4B" ;;
    down) need ip; down_id; said "testbed '$ID' is down: its namespaces, processes and state are gone" ;;
    gc) need ip; cmd_gc "$@" ;;
    nat) require_up; local mode=${1:?nat needs a mode}; shift
         local map=$DEFAULT_MAP
         [ "${1:-}" = --map ] && map=${2:?--map needs PRIV:PUB,...}
         set_nat "$mode" "$map"
         said "testbed '$ID': the router's NAT is now $mode (map $map)" ;;
    remap) cmd_remap "$@"; said "testbed '$ID': private port $1 is now mapped to public port $3 (was $2); live flows forgotten" ;;
    readdress) cmd_readdress "$@"; said "testbed '$ID': the router's public address is now $(public_addr)" ;;
    renumber) cmd_renumber "$@"; said "testbed '$ID': the lan host's address is now $(lan_addr)" ;;
    hosts) cmd_hosts "$@"; said "testbed '$ID': wrote /etc/netns/$(ns "$1")/hosts" ;;
    coturn) cmd_coturn "$@"
            if [ "$1" = stop ]; then said "testbed '$ID': coturn stopped"
            else said "testbed '$ID': coturn ${1}ed on $WAN4, $WAN6$([ "${2:-double}" = double ] && echo " and $WAN4B"), udp and tcp 3478"; fi ;;
    nginx) cmd_nginx "$@"
           if [ "$1" = stop ]; then said "testbed '$ID': nginx stopped"
           else said "testbed '$ID': nginx ${1}ed on $WAN4:80 and [$WAN6]:80"; fi ;;
    exec) require_up; local part=${1:-}; shift || true
          [[ $part =~ ^(lan|rtr|wan)$ ]] || die "exec: use lan|rtr|wan CMD..."
          [ $# -gt 0 ] || die "exec: missing command"
          exec ip netns exec "$(ns "$part")" "$@" ;;
    info) require_up; info ;;
    *) die "usage: testbed.sh up|down|gc|nat|remap|readdress|renumber|coturn|nginx|hosts|exec|info ID ... (see the header of $0)" ;;
  esac
}

main "$@"
