#!/usr/bin/env bash
# The build step of the Dockerfile, kept as a script so that it runs (and is checked) outside a
# container as well: publishes natmap with NativeAOT for this machine's architecture into OUT,
# with nothing beside the binary, and checks that it starts.
#   ./scripts/container-build.sh OUT
# Needs the .NET 10 SDK and clang (or gcc); the Dockerfile's build stage installs clang.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: container-build.sh OUT}
case $(uname -m) in
  x86_64) rid=linux-x64 ;;
  aarch64) rid=linux-arm64 ;;
  *) echo "container-build.sh: no NativeAOT build for $(uname -m)" >&2; exit 1 ;;
esac
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dotnet publish NatMap.Cli -c Release -p:NatMapRid="$rid" -o "$work" --nologo -v q
mkdir -p "$out"
install -m 755 "$work/natmap" "$out/natmap"
"$out/natmap" --version >/dev/null
echo "container-build.sh: $out/natmap ($rid, $(stat -c %s "$out/natmap") bytes, version $("$out/natmap" --version))"
