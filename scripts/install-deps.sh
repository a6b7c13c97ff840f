#!/usr/bin/env bash
# Installs what is missing, from Debian's packages (and PyPI for two Python libraries).
#
#   scripts/install-deps.sh           what running the bridge needs (run-local.sh, install.sh)
#   scripts/install-deps.sh --tests   that, and what the tests need (scripts/test.sh)
#
# To run: the broker and its clients, libmosquitto's and SQLite's headers, pkg-config, openssl
# (scripts/make-tls-certificates.sh), and MQTT.js with what bundles it for the page
# (scripts/build-web-bundle.sh: esbuild and node-* packages). For the tests, also: systemd
# (systemd-analyze checks the shipped units), faketime (libfaketime steps the wall clock under a
# bridge), TypeScript (tsc -p web checks the SDK's JSDoc types), headless Chromium and its
# WebDriver for Tests/Browser, a font with the status dots (🟢🟡⚫) for its screenshots, nginx
# (the TLS proxy of deploy/nginx/presence-web.conf, run by Tests/Browser); from PyPI,
# prometheus_client (its parser reads /metrics back) and Selenium.
set -euo pipefail
tests=false
[ "${1:-}" = "--tests" ] && tests=true
packages=(mosquitto mosquitto-clients libmosquitto-dev libsqlite3-dev pkg-config openssl)
packages+=(node-mqtt esbuild node-buffer node-process node-url node-readable-stream)
if $tests; then
    packages+=(systemd faketime node-typescript chromium chromium-driver fonts-noto-color-emoji nginx)
    # The fault suite (Tests/FaultTests, scripts/faults.sh): network namespaces and veth pairs, and
    # the store read back while its disk is full.
    packages+=(iproute2 sqlite3)
fi
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
# Likewise nginx's package starts a web server on port 80: the tests run their own nginx.
if printf '%s\n' "${missing[@]:-}" | grep -qx nginx && command -v systemctl >/dev/null 2>&1 \
   && systemctl is-active --quiet nginx 2>/dev/null; then
    echo "stopping the nginx service the package started (the tests run their own)" >&2
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo systemctl disable --now nginx || true
fi

# The tests parse /metrics with prometheus_client's parser (scripts/metrics-to-json.py).
if $tests && command -v python3 >/dev/null 2>&1 && ! python3 -c 'import prometheus_client.parser' 2>/dev/null; then
    echo "installing: prometheus-client (PyPI)" >&2
    python3 -m pip install --quiet --disable-pip-version-check prometheus-client \
        || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages prometheus-client \
        || { sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"; DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y python3-prometheus-client; }
fi

# The browser: the MQTT.js bundle the SDK imports (made here, never committed), and Selenium for
# Tests/Browser (PyPI, or Debian's python3-selenium).
(
    cd "$(dirname "$0")/.."
    if [ ! -s web/vendor/mqtt.js ] || [ /usr/share/nodejs/mqtt/package.json -nt web/vendor/mqtt.js ] \
       || [ -n "$(find web/bundle web/package.json scripts/build-web-bundle.sh -newer web/vendor/mqtt.js 2>/dev/null)" ]; then
        scripts/build-web-bundle.sh
    fi
)
if $tests && command -v python3 >/dev/null 2>&1 && ! python3 -c 'import selenium.webdriver' 2>/dev/null; then
    echo "installing: selenium (PyPI)" >&2
    python3 -m pip install --quiet --disable-pip-version-check selenium \
        || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages selenium \
        || { sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"; DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y python3-selenium; }
fi
