#!/usr/bin/env bash
# Installs the Debian package (`cpack --preset package` made it in build-package/) on this
# machine as root, checks it as a user would, then removes it: the program and its manual pages,
# bash completion and systemd unit, the system user and the folder of its store, the example
# simulated from /usr/share/doc, a CMake project and a pkg-config build against /usr, the C
# library found by the system's loader from Python, and a removal that leaves nothing but the
# store. It changes the machine: run it on one made for testing (CI runs it).
set -euo pipefail

source_dir="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$source_dir"
version="$(sed -n 's/^  VERSION \([0-9.]*\)$/\1/p' CMakeLists.txt | head -1)"
arch="$(dpkg --print-architecture)"
deb="build-package/outreach_${version}_${arch}.deb"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

fail() { echo "check_deb: $*" >&2; exit 1; }
step() { echo "check_deb: $*"; }

[ -f "$deb" ] || fail "no $deb: run cmake --preset package && cmake --build --preset package && cpack --preset package"
if dpkg-query -W -f='${Status}' outreach 2>/dev/null | grep -q "install ok installed"; then
  fail "a package named outreach is installed already; this check installs and removes its own"
fi
# The package keeps the store on removal: one left by an earlier install is somebody's.
[ ! -e /var/lib/outreach ] || fail "/var/lib/outreach exists: this check makes and removes its own store there"

step "the package's dependencies are computed from what it links"
depends="$(dpkg-deb -f "$deb" Depends)"
for library in libssl3 libsqlite3-0 libpq5 libboost-json1.81.0 adduser; do
  grep -q "$library" <<<"$depends" || fail "Depends lacks $library: $depends"
done

step "installing $deb"
DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=600 "./$deb" >"$work/install.log" 2>&1 ||
  { cat "$work/install.log"; fail "apt-get install failed"; }
dpkg -L outreach | sort >"$work/files"

step "the program"
[ "$(command -v outreach)" = /usr/bin/outreach ] || fail "outreach is not /usr/bin/outreach"
[ "$(outreach --version)" = "outreach $version" ] || fail "outreach --version says $(outreach --version)"
examples=/usr/share/doc/outreach/examples/saas-founders
outreach simulate "$examples/campaign.json" --inbound "$examples/inbound.jsonl" --json >"$work/summary.json" 2>/dev/null
/usr/bin/python3 - "$work/summary.json" <<'PY'
import json, sys
campaign = json.load(open(sys.argv[1]))["campaigns"][0]
sent = sum(day["sent"] for day in campaign["days"])
assert campaign["name"] == "q4-saas-founders" and sent > 0, campaign
PY

step "manual pages and bash completion"
# Read from the package itself: a machine may tell dpkg to leave manual pages out (path-exclude).
dpkg-deb -x "$deb" "$work/root"
for page in outreach outreach-run outreach-suppress-add; do
  [ -f "$work/root/usr/share/man/man1/$page.1" ] || fail "no manual page $page(1)"
  groff -man -Tascii -ww -z "$work/root/usr/share/man/man1/$page.1" 2>"$work/groff.log" && [ ! -s "$work/groff.log" ] ||
    { cat "$work/groff.log"; fail "groff warns about $page(1)"; }
done
groff -man -Tascii -P-cbou "$work/root/usr/share/man/man1/outreach-run.1" | grep -q -- "--claim-lease" ||
  fail "outreach-run(1) lacks --claim-lease"
bash -c 'source /usr/share/bash-completion/completions/outreach && complete -p outreach' >/dev/null ||
  fail "the bash completion does not load"

step "the system user, the store's folder and the service"
getent passwd outreach >/dev/null || fail "no outreach user"
[ "$(stat -c %U /var/lib/outreach)" = outreach ] || fail "/var/lib/outreach does not belong to outreach"
unit=/usr/lib/systemd/system/outreach.service
[ -f "$unit" ] || unit=/lib/systemd/system/outreach.service
[ -f "$unit" ] || fail "no systemd unit"
diff <(sed -n '/^\[Unit\]/,$p' "$unit") <(sed -n '/^```ini$/,/^```$/p' docs/operations.md | sed -n '/^\[Unit\]/,/^```$/p' | sed '$d') ||
  fail "the unit in docs/operations.md is not the one the package installs"
exec_start="$(sed -n 's/^ExecStart=//p' "$unit")"
[ "$exec_start" = "/usr/bin/outreach run --store /var/lib/outreach/state.db" ] || fail "ExecStart is $exec_start"
# What the unit runs, as its user: a campaign stored (a run stopped at an instant long past sends
# nothing), then the store read back.
cp -r "$examples" "$work/example" && chmod -R a+rX "$work"
runuser -u outreach -- env ACME_UNSUBSCRIBE_SECRET=check-deb-secret outreach run "$work/example/campaign.json" --store /var/lib/outreach/state.db \
  --until 2000-01-01T00:00:00Z >"$work/run.log" 2>&1 || { cat "$work/run.log"; fail "outreach run as the outreach user failed"; }
runuser -u outreach -- outreach status --store /var/lib/outreach/state.db | grep -q q4-saas-founders ||
  fail "the store does not have the campaign"

step "a CMake project and a pkg-config build against /usr"
cmake -S tests/consumer -B "$work/consumer" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DOUTREACH_EXPECTED_PREFIX=/usr >"$work/consumer.log" 2>&1 || { cat "$work/consumer.log"; fail "find_package(outreach) failed"; }
cmake --build "$work/consumer" >>"$work/consumer.log" 2>&1 || { cat "$work/consumer.log"; fail "the consumer did not build"; }
"$work/consumer/outreach_consumer" >/dev/null || fail "the consumer failed"
# shellcheck disable=SC2046
c++ -std=c++20 tests/consumer/main.cpp -o "$work/pkg-consumer" $(pkg-config --cflags --libs --static outreach) ||
  fail "the pkg-config build failed"
"$work/pkg-consumer" >/dev/null || fail "the pkg-config consumer failed"
cat >"$work/version.c" <<'C'
#include <outreach.h>
#include <stdio.h>
int main(void) { puts(outreach_version()); return 0; }
C
cc "$work/version.c" -o "$work/c-version" -loutreach_c || fail "a C program does not link -loutreach_c"
[ "$("$work/c-version")" = "$version" ] || fail "liboutreach_c says $("$work/c-version")"
found="$(env -u OUTREACH_LIBRARY PYTHONPATH=bindings/python /usr/bin/python3 -c \
  'import outreach; outreach.version(); print(outreach.library_path())')"
[ "$found" = liboutreach_c.so.0 ] || fail "Python loaded $found, not the system's liboutreach_c.so.0"

step "removing the package"
DEBIAN_FRONTEND=noninteractive apt-get remove -y -q -o DPkg::Lock::Timeout=600 outreach >"$work/remove.log" 2>&1 ||
  { cat "$work/remove.log"; fail "apt-get remove failed"; }
left=""
while read -r path; do
  if [ -e "$path" ] && [ ! -d "$path" ]; then left+=" $path"; fi
done <"$work/files"
[ -z "$left" ] || fail "left behind by the removal:$left"
[ ! -e /etc/outreach ] || fail "/etc/outreach is left behind"
[ -f /var/lib/outreach/state.db ] || fail "the removal took the store"
rm -rf /var/lib/outreach
step "passed"
