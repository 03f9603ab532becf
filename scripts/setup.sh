#!/usr/bin/env bash
# Installs every system and Python package that overdue's build, demo and tests need, on a
# fresh Debian 12 with Swift at /opt/swift. Idempotent: installs only what is missing.
set -euo pipefail

packages=(
    libcurl4-openssl-dev   # libcurl (OpenSSL flavour) for SMTP
    libsqlite3-dev sqlite3 # the ledger; sqlite3 for the import benchmark
    ca-certificates openssl
    python3 python3-aiosmtpd  # SMTP test server (STARTTLS, AUTH, implicit TLS)
    postfix                # smtp-sink / smtp-source for fault injection and benchmarks
    systemd                # systemd-analyze verify / security for the unit tests
    make strace procps
    dpkg-dev lintian       # make deb: dpkg-deb, dpkg-shlibdeps, strip; lintian checks the .deb
    debootstrap systemd-container  # the package test boots a bare Debian 12 with systemd-nspawn
    dovecot-imapd          # IMAP server the inbox tests start on 127.0.0.1 with their own config
    postgresql-15 libpq-dev  # the PostgreSQL ledger: libpq to build, a server the tests start unprivileged
    iproute2               # network namespaces for the several-daemons tests
)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}" >&2
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    # Postfix must not ask questions or configure itself as this machine's MTA.
    echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
    echo "postfix postfix/mailname string localhost" | $SUDO debconf-set-selections
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# pytest for the end-to-end tests, on whichever python3 is first on PATH.
python3 -c 'import pytest' 2>/dev/null || python3 -m pip install -q pytest

export PATH="/opt/swift/usr/bin:$PATH"
command -v swift >/dev/null || { echo "setup: swift not found (expected /opt/swift)" >&2; exit 69; }
