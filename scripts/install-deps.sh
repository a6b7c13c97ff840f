#!/usr/bin/env bash
# Installs what the bridge needs from Debian's packages, only where it is missing:
# the broker and its clients, libmosquitto's headers, SQLite's headers, pkg-config, openssl
# (scripts/make-tls-certificates.sh and the TLS tests), systemd (systemd-analyze checks the
# shipped units), faketime (libfaketime steps the wall clock under a bridge in the tests); and, for the tests of /metrics, prometheus_client from PyPI (its text-format
# parser reads the exposition back).
set -euo pipefail
packages=(mosquitto mosquitto-clients libmosquitto-dev libsqlite3-dev pkg-config openssl systemd faketime)
# The fault suite (Tests/FaultTests, scripts/faults.sh): network namespaces and veth pairs, and
# the store read back while its disk is full.
packages+=(iproute2 sqlite3)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}" >&2
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y "${missing[@]}"
fi
# The Debian package starts a system-wide broker on 1883 (no passwords, no ACL); the project runs
# its own with the shipped configuration. A service this script just installed is stopped and
# disabled; one that was there before is left alone, with a note.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet mosquitto 2>/dev/null; then
    if printf '%s\n' "${missing[@]:-}" | grep -qx mosquitto; then
        echo "stopping the mosquitto service the package started (the project runs its own broker)" >&2
        sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
        $sudo systemctl disable --now mosquitto || true
    else
        echo "note: a system mosquitto service is running on port 1883 (systemctl stop mosquitto to free it)" >&2
    fi
fi

# The tests parse /metrics with prometheus_client's parser (scripts/metrics-to-json.py).
if command -v python3 >/dev/null 2>&1 && ! python3 -c 'import prometheus_client.parser' 2>/dev/null; then
    echo "installing: prometheus-client (PyPI)" >&2
    python3 -m pip install --quiet --disable-pip-version-check prometheus-client \
        || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages prometheus-client \
        || { sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"; DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y python3-prometheus-client; }
fi
