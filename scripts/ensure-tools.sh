# Sourced by the scripts that need system tools (test.sh, soak.sh, fuzz.sh):
#   ensure_tools WHO COMMAND:PACKAGE...
# installs, with apt, the Debian package of each command that is not on the PATH (as root).
ensure_tools() {
  local who=$1 pair
  local need=()
  shift
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair#*:}")
  done
  [ ${#need[@]} -eq 0 ] && return 0
  echo "$who: installing ${need[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
}
