#!/usr/bin/env bash
# Installs every Debian 12 package outreach needs to build, test, document and benchmark.
# Idempotent and non-interactive: packages already present are left alone, and apt is
# only asked for the ones that are missing. Run as root (or through sudo).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libboost1.81-dev libboost-date-time1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libboost-program-options1.81-dev libboost-system1.81-dev
  libssl-dev openssl ca-certificates
  libexpected-dev doctest-dev doxygen libcli11-dev
  clang-14 libclang-rt-14-dev
  libsqlite3-dev sqlite3
  libpq-dev postgresql
  libhowardhinnant-date-dev tzdata
  python3 python3-pytest python3-aiosmtpd python3-dkim python3-venv python3-setuptools python3-wheel python3-pip
  python3-mypy
  groff-base dpkg-dev
  postfix graphviz
  dovecot-core dovecot-imapd
  chromium chromium-driver python3-selenium
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
# postfix is only wanted for its smtp-sink / smtp-source test tools: no mail system is configured.
echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
# Dovecot and PostgreSQL are only ever run by the tests, from folders of their own
# (tests/support/dovecot_server.py, postgresql_server.py): while installing, a policy-rc.d that
# refuses every service start keeps the packages from starting the system's servers, which could
# fail the install (no init in a container, a port taken). One already present is left as it is.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod 755 "$policy"
  trap '$SUDO rm -f "$policy"' EXIT
fi
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
