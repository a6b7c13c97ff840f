#!/bin/sh
# Adds (or updates) a broker user for the presence bridge.
#
#   scripts/add-user.sh USER [PASSWORD]
#
# USER must be a valid presence user id (docs/PROTOCOL.md): 1 to 64 characters of
# A-Z a-z 0-9 . _ - @, the first a letter or digit. Anything else is refused: a "/" (or "+",
# "#") in a user name would let the ACL's %u reach into another user's namespace.
# Without PASSWORD, mosquitto_passwd asks for it. The password file (default
# data/broker/passwd, as in mosquitto.conf; override with PASSWORD_FILE=...) is created
# when missing.
set -eu

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: $0 USER [PASSWORD]" >&2
    exit 2
fi
user=$1
if ! printf '%s' "$user" | LC_ALL=C grep -Eq '^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$' \
    || [ "$(printf '%s' "$user" | wc -l)" -ne 0 ]; then
    echo "error: '$user' is not a valid user id (1-64 of A-Z a-z 0-9 . _ - @, first a letter or digit)" >&2
    exit 1
fi
if ! command -v mosquitto_passwd >/dev/null 2>&1; then
    echo "error: mosquitto_passwd not found (apt-get install mosquitto)" >&2
    exit 1
fi

cd "$(dirname "$0")/.."
file=${PASSWORD_FILE:-data/broker/passwd}
mkdir -p "$(dirname "$file")"
if [ ! -f "$file" ]; then
    (umask 077 && : > "$file")
fi
if [ $# -eq 2 ]; then
    mosquitto_passwd -b "$file" "$user" "$2"
else
    mosquitto_passwd "$file" "$user"
fi
# As root, mosquitto drops to the user "mosquitto": it must read the file and write its folder.
if [ "$(id -u)" = 0 ] && id mosquitto >/dev/null 2>&1; then
    chown mosquitto: "$file" "$(dirname "$file")"
fi
# A broker started by scripts/run-local.sh rereads its password file on SIGHUP (with
# --brokers N, the file lists every broker of the federation: they share the password file).
pidfile=$(dirname "$file")/mosquitto.pid
# shellcheck disable=SC2046  # one word per process id
if [ -f "$pidfile" ] && kill -HUP $(cat "$pidfile") 2>/dev/null; then
    echo "user '$user' written to $file; the running broker reloaded it"
else
    echo "user '$user' written to $file (reload or restart mosquitto to apply)"
fi
