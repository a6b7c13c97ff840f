#!/usr/bin/env bash
# Installs presence-bridge as a systemd service next to the Debian mosquitto package.
#
#   sudo scripts/install.sh
#
# What goes where:
#   /usr/local/bin/presence-bridge                          the release binary
#   /etc/systemd/system/presence-bridge.service              the bridge's unit
#   /etc/systemd/system/mosquitto.service.d/presence-bridge.conf   mosquitto with this config
#   /etc/presence-bridge/mosquitto.conf, mosquitto.acl       the shipped broker config and ACL,
#                                                             paths rewritten for /etc and /var/lib
#   /etc/presence-bridge/broker/mosquitto.passwd             the broker's accounts
#   /etc/presence-bridge/bridge-password                      the bridge's broker password (root
#                                                             only; the unit's LoadCredential=)
#   /etc/presence-bridge/tls/                                 server.crt + server.key: when they
#                                                             exist, the TLS listener on 8883 is on
#   /usr/local/share/doc/presence-bridge/                     README, CHANGELOG, LICENSE
#   /var/lib/presence-bridge                                  the store (systemd's StateDirectory=)
#
# Existing passwords and certificates are kept; everything else is replaced. With DESTDIR=DIR
# everything goes under DIR and systemd is left alone (for packaging, and for the tests);
# PRESENCE_BINARY=PATH installs that binary instead of building one.
set -euo pipefail
cd "$(dirname "$0")/.."
root=${DESTDIR:-}
etc=$root/etc/presence-bridge

if [ -z "$root" ] && [ "$(id -u)" -ne 0 ]; then
    echo "run it as root (sudo $0)" >&2
    exit 1
fi
scripts/install-deps.sh

binary=${PRESENCE_BINARY:-}
if [ -z "$binary" ]; then
    swift build -c release --product presence-bridge
    binary="$(swift build -c release --show-bin-path)/presence-bridge"
fi
install -D -m 0755 "$binary" "$root/usr/local/bin/presence-bridge"
install -D -m 0644 deploy/systemd/presence-bridge.service "$root/etc/systemd/system/presence-bridge.service"
install -D -m 0644 deploy/systemd/mosquitto.service.d/presence-bridge.conf \
    "$root/etc/systemd/system/mosquitto.service.d/presence-bridge.conf"
for doc in README.md CHANGELOG.md LICENSE; do
    install -D -m 0644 "$doc" "$root/usr/local/share/doc/presence-bridge/$doc"
done

# The broker's configuration: the shipped one with its relative paths made absolute, plus the
# TLS listener when a certificate is in place.
install -d -m 0755 "$etc" "$etc/broker" "$etc/tls"
tls=""
if [ -f "$etc/tls/server.crt" ] && [ -f "$etc/tls/server.key" ]; then
    tls=$(sed -e 's#data/tls/#/etc/presence-bridge/tls/#g' deploy/mosquitto-tls.conf)
fi
{
    sed -e 's#^password_file .*#password_file /etc/presence-bridge/broker/mosquitto.passwd#' \
        -e 's#^acl_file .*#acl_file /etc/presence-bridge/mosquitto.acl#' \
        -e 's#^persistence_location .*#persistence_location /var/lib/mosquitto/#' \
        mosquitto.conf
    if [ -n "$tls" ]; then printf '\n%s\n' "$tls"; fi
} > "$etc/mosquitto.conf"
install -m 0644 mosquitto.acl "$etc/mosquitto.acl"

# The bridge's own broker account; its password is made once and kept.
if [ ! -s "$etc/bridge-password" ]; then
    (umask 077 && head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' > "$etc/bridge-password")
fi
chmod 0600 "$etc/bridge-password"
PASSWORD_FILE="$etc/broker/mosquitto.passwd" scripts/add-user.sh presence-bridge "$(cat "$etc/bridge-password")" >/dev/null
if [ "$(id -u)" -eq 0 ] && id mosquitto >/dev/null 2>&1; then
    chgrp mosquitto "$etc/mosquitto.conf" "$etc/mosquitto.acl" "$etc/tls"
    chmod 0640 "$etc/mosquitto.conf" "$etc/mosquitto.acl"
    chmod 0750 "$etc/tls"
    [ ! -f "$etc/tls/server.key" ] || { chgrp mosquitto "$etc/tls/server.key"; chmod 0640 "$etc/tls/server.key"; }
fi

echo "installed under ${root:-/}"
[ -n "$tls" ] || echo "no TLS listener: put server.crt and server.key in $etc/tls (scripts/make-tls-certificates.sh $etc/tls HOSTNAME makes a local CA for trying it out) and run this again"
if [ -z "$root" ] && [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    systemctl enable mosquitto presence-bridge
    systemctl restart mosquitto
    systemctl restart presence-bridge
    systemctl --no-pager status presence-bridge | head -5 || true
else
    echo "then: systemctl daemon-reload && systemctl enable --now mosquitto presence-bridge"
fi
