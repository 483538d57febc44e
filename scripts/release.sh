#!/usr/bin/env bash
# Builds everything a release ships into artifacts/release/:
#   ./scripts/release.sh [version]          (default: the version in NatMap.Cli.csproj)
#
#   natmap-VERSION-linux-x64               NativeAOT single file
#   natmap-VERSION-linux-arm64             NativeAOT single file, cross-linked (clang, Debian's
#                                          aarch64 binutils and libc), checked under qemu-user
#   natmap-VERSION-win-x64.zip             framework-dependent (needs the .NET 10 runtime):
#   natmap-VERSION-osx-arm64.tar.gz        NativeAOT cannot cross-compile to Windows or macOS here
#   natmap-VERSION-symbols.tar.gz          the native symbols (natmap.dbg) of both AOT builds
#   NatMap.Core.VERSION.nupkg              the library
#   NatMap.Cli.VERSION.nupkg               the dotnet tool (command natmap)
#   SHA256SUMS                             sha256sum -c SHA256SUMS checks them all
#
# linux-musl-x64/arm64 are not built: the NativeAOT packs for musl (ILCompiler and runtime) are not
# served to this machine. As root it installs what it needs with apt (clang, binutils and libc
# for aarch64 (gcc-aarch64-linux-gnu), qemu-user-static, python3). Each binary's --version must read VERSION.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=ensure-tools.sh
. scripts/ensure-tools.sh

version=${1:-$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' NatMap.Cli/NatMap.Cli.csproj | head -n1)}
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] || { echo "release.sh: bad version '$version': expected 1.2.3 or 1.2.3-rc.1" >&2; exit 2; }
out=artifacts/release
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rm -rf "$out" && mkdir -p "$out"
say() { echo "release.sh: $*" >&2; }

if [ "$(id -u)" = 0 ]; then
  # gcc-aarch64-linux-gnu brings the aarch64 binutils, libc and crt files that clang links against.
  ensure_tools release.sh clang:clang aarch64-linux-gnu-gcc:gcc-aarch64-linux-gnu \
    qemu-aarch64-static:qemu-user-static python3:python3 zip:zip
fi

common=(-c Release -p:Version="$version" --nologo -v q)

# NativeAOT, one platform: the stripped binary, its symbols kept apart.
aot() {
  local rid=$1; shift
  say "NativeAOT $rid"
  dotnet publish NatMap.Cli "${common[@]}" -p:NatMapRid="$rid" -o "$work/$rid" "$@" >"$work/$rid.log" 2>&1 \
    || { tail -n 30 "$work/$rid.log" >&2; exit 1; }
  cp "$work/$rid/natmap" "$out/natmap-$version-$rid"
  mkdir -p "$work/symbols/$rid" && cp "$work/$rid/natmap.dbg" "$work/symbols/$rid/natmap.dbg"
}
aot linux-x64
aot linux-arm64 -p:ObjCopyName=aarch64-linux-gnu-objcopy
tar -C "$work/symbols" -czf "$out/natmap-$version-symbols.tar.gz" linux-x64 linux-arm64

# Framework-dependent builds: natmap.dll, built for any CPU (dotnet natmap.dll runs it anywhere), and
# the platform's launcher (natmap.exe, natmap).
for rid in win-x64 osx-arm64; do
  say "framework-dependent $rid"
  dotnet publish NatMap.Cli "${common[@]}" -p:NatMapRid="$rid" -p:PublishAot=false --self-contained false -p:PlatformTarget=AnyCPU \
    -o "$work/fd-$rid/natmap-$version-$rid" >"$work/$rid.log" 2>&1 || { tail -n 30 "$work/$rid.log" >&2; exit 1; }
  rm -f "$work/fd-$rid/natmap-$version-$rid"/*.xml
  case $rid in
    win-*) (cd "$work/fd-$rid" && zip -qr "$OLDPWD/$out/natmap-$version-$rid.zip" "natmap-$version-$rid") ;;
    *) tar -C "$work/fd-$rid" -czf "$out/natmap-$version-$rid.tar.gz" "natmap-$version-$rid" ;;
  esac
done

say "NuGet packages"
dotnet pack NatMap.Core "${common[@]}" -o "$out" >/dev/null
dotnet pack NatMap.Cli "${common[@]}" -o "$out" >/dev/null

# Checks: the version stamped into each build, and a loopback UDP mapping from the x64 binary and,
# under qemu-user, from the arm64 one against a local STUN responder.
check_version() {
  local what=$1 got; shift
  got=$("$@" --version)
  [ "${got%%+*}" = "$version" ] || { say "$what --version printed '$got', expected $version"; exit 1; }
}
# shellcheck source=loopback-mapping.sh
. scripts/loopback-mapping.sh
check_mapping() {
  local what=$1
  shift
  loopback_mapping "$work/mapping-$what" "$@" || { say "$what: the mapping check failed"; exit 1; }
  say "$what: $(cat "$work/mapping-$what/line")"
}
qemu=(qemu-aarch64-static -L /usr/aarch64-linux-gnu)
check_version linux-x64 "$out/natmap-$version-linux-x64"
check_version linux-arm64 "${qemu[@]}" "$out/natmap-$version-linux-arm64"
"${qemu[@]}" "$out/natmap-$version-linux-arm64" --help | grep -q '^Usage:' || { say "linux-arm64 --help printed no usage"; exit 1; }
check_mapping linux-x64 "$out/natmap-$version-linux-x64"
check_mapping linux-arm64 "${qemu[@]}" "$out/natmap-$version-linux-arm64"
check_version win-x64/osx-arm64 dotnet "$work/fd-osx-arm64/natmap-$version-osx-arm64/natmap.dll"

(cd "$out" && sha256sum -- * > SHA256SUMS)
say "done: $out"
(cd "$out" && ls -l --time-style=+ -- * | awk '{ printf "%10d  %s\n", $5, $NF }')
