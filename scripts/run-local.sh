#!/usr/bin/env bash
# Runs the presence bridge next to a local mosquitto, installing what is missing.
#
#   scripts/run-local.sh [presence-bridge run options...]
#
# Starts mosquitto with the shipped mosquitto.conf (127.0.0.1:1883, passwords, the ACL of
# docs/PROTOCOL.md) in the background, creates the bridge's broker account on first use (its password
# is kept in data/bridge-password), builds the bridge in release mode and runs it in the
# foreground, with /metrics, /livez and /readyz on http://127.0.0.1:9464. It serves the browser
# page on http://127.0.0.1:8081/ (PRESENCE_WEB_PORT; scripts/serve-web.py), which connects to
# the broker's WebSockets listener on 127.0.0.1:8080. Ctrl-C stops them all.
# Add users with scripts/add-user.sh NAME PASSWORD. With data/tls/server.crt and server.key
# (scripts/make-tls-certificates.sh makes them) the broker also listens for TLS on 8883.
#
#   scripts/run-local.sh --brokers 3 [--base-port 21883] [--http-port 29464] [--ws-base-port 8090] [run options...]
#
# Starts a federation instead (README, "Scaling out"): 3 brokers on consecutive ports from
# --base-port (1883 by default) with the configs of scripts/make-federation.sh (in
# data/federation/), one shard of the bridge beside each (data/shard-I/, its log in
# data/shard-I.log, /metrics etc. on consecutive ports from --http-port), each broker's
# WebSockets listener on loopback on consecutive ports from --ws-base-port (8090), the page, and
# prints the broker list, the WebSockets URLs and the page's URL for the federation. All of them share data/broker/passwd, so scripts/add-user.sh adds a user to all of them.
# --base-port alone moves the single broker (and --http-port its bridge's HTTP port).
set -euo pipefail
cd "$(dirname "$0")/.."

brokers=1
base_port=1883
http_port=9464
ws_base_port=8090
while [ $# -gt 0 ]; do
    case $1 in
        --brokers) brokers=$2; shift 2 ;;
        --base-port) base_port=$2; shift 2 ;;
        --http-port) http_port=$2; shift 2 ;;
        --ws-base-port) ws_base_port=$2; shift 2 ;;
        *) break ;;
    esac
done
scripts/install-deps.sh

mkdir -p data/broker data/bridge
if [ ! -s data/bridge-password ]; then
    umask 077
    head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' > data/bridge-password
    umask 022
fi
scripts/add-user.sh presence-bridge "$(cat data/bridge-password)" >/dev/null
# As root, mosquitto drops to the mosquitto user: let it write its persistence and read its files.
if [ "$(id -u)" -eq 0 ] && id mosquitto >/dev/null 2>&1; then
    chown -R mosquitto: data/broker
fi

swift build -c release --product presence-bridge

if [ "$brokers" -gt 1 ]; then
    exec scripts/run-federation.sh "$brokers" "$base_port" "$http_port" "$ws_base_port" "$@"
fi
if [ "$base_port" != 1883 ]; then
    sed "s|^listener 1883 127.0.0.1|listener $base_port 127.0.0.1|" mosquitto.conf > data/broker/mosquitto-$base_port.conf
fi

if (exec 3<>/dev/tcp/127.0.0.1/"$base_port") 2>/dev/null; then
    echo "something already listens on 127.0.0.1:$base_port (a system mosquitto? 'systemctl stop mosquitto'); using it" >&2
    broker_pid=""
else
    config=mosquitto.conf
    [ "$base_port" = 1883 ] || config=data/broker/mosquitto-$base_port.conf
    if [ -f data/tls/server.crt ] && [ -f data/tls/server.key ]; then
        cat "$config" deploy/mosquitto-tls.conf > data/broker/mosquitto-with-tls.conf
        config=data/broker/mosquitto-with-tls.conf
        echo "TLS listener on 8883 (data/tls/server.crt; devices use data/tls/ca.crt)" >&2
    fi
    mosquitto -c "$config" &
    broker_pid=$!
    trap 'rm -f data/broker/mosquitto.pid; kill "$broker_pid" ${web_pid:-} 2>/dev/null; wait' EXIT
    for _ in $(seq 1 50); do
        (exec 3<>/dev/tcp/127.0.0.1/"$base_port") 2>/dev/null && break
        sleep 0.1
    done
    echo "$broker_pid" > data/broker/mosquitto.pid
fi

# The page (web/), on loopback; it connects to the broker's WebSockets listener (8080, loopback).
web_port=${PRESENCE_WEB_PORT:-8081}
python3 scripts/serve-web.py --port "$web_port" 2>data/serve-web.log &
web_pid=$!
[ -n "$broker_pid" ] || trap 'kill "$web_pid" 2>/dev/null; wait' EXIT
echo "the page: http://127.0.0.1:$web_port/ (MQTT over WebSockets on ws://127.0.0.1:8080/mqtt; add users with scripts/add-user.sh)" >&2

PRESENCE_PASSWORD_FILE=data/bridge-password "$(swift build -c release --show-bin-path)/presence-bridge" run \
    --broker "mqtt://127.0.0.1:$base_port" --username presence-bridge --data-dir data/bridge --http "127.0.0.1:$http_port" "$@"
