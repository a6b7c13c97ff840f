#!/usr/bin/env bash
# Runs a local federation: N mosquittos and N shards of the bridge (README, "Scaling out").
#
#   scripts/run-federation.sh N BASE_PORT HTTP_PORT WS_BASE_PORT [presence-bridge run options...]
#
# Called by `scripts/run-local.sh --brokers N` once the bridge's account and the release build
# are in place. Broker i listens on 127.0.0.1:BASE_PORT+i with data/federation/broker-i.conf
# (scripts/make-federation.sh), its WebSockets listener on loopback port WS_BASE_PORT+i; shard i runs beside it with its store in data/shard-i/, its log
# in data/shard-i.log and /metrics, /livez, /readyz on 127.0.0.1:HTTP_PORT+i. The brokers share
# data/broker/passwd; their pids are in data/broker/mosquitto.pid, so scripts/add-user.sh makes
# all of them reload it. Serves the page on 127.0.0.1:PRESENCE_WEB_PORT (8081). Prints the
# broker list, the WebSockets URLs and the page's URL with both; Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
count=$1 base_port=$2 http_port=$3 ws_base_port=$4
shift 4

urls=()
for i in $(seq 0 $((count - 1))); do
    port=$((base_port + i))
    if (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null; then
        echo "something already listens on 127.0.0.1:$port; choose another --base-port" >&2
        exit 1
    fi
    urls+=("mqtt://127.0.0.1:$port")
done
list=$(IFS=,; echo "${urls[*]}")
scripts/make-federation.sh --out data/federation --ws-base-port "$ws_base_port" "${urls[@]}"
scripts/add-user.sh presence-federation "$(cat data/federation/federation-password)" >/dev/null
if [ "$(id -u)" -eq 0 ] && id mosquitto >/dev/null 2>&1; then
    chown -R mosquitto: data/broker data/federation
fi

pids=()
stop() {
    rm -f data/broker/mosquitto.pid
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait
}
trap stop EXIT
broker_pids=()
for i in $(seq 0 $((count - 1))); do
    mosquitto -c "data/federation/broker-$i.conf" > "data/federation/broker-$i.log" 2>&1 &
    pids+=($!)
    broker_pids+=($!)
done
echo "${broker_pids[*]}" > data/broker/mosquitto.pid
for i in $(seq 0 $((count - 1))); do
    for _ in $(seq 1 50); do
        (exec 3<>/dev/tcp/127.0.0.1/$((base_port + i))) 2>/dev/null && break
        sleep 0.1
    done
done

# The page (web/, scripts/serve-web.py), told the federation by its query (printed below).
web_port=${PRESENCE_WEB_PORT:-8081}
python3 scripts/serve-web.py --port "$web_port" 2>data/serve-web.log &
pids+=($!)

bin="$(swift build -c release --show-bin-path)/presence-bridge"
for i in $(seq 0 $((count - 1))); do
    mkdir -p "data/shard-$i"
    PRESENCE_PASSWORD_FILE=data/bridge-password "$bin" run --shard "$i" --brokers "$list" \
        --username presence-bridge --data-dir "data/shard-$i" --http "127.0.0.1:$((http_port + i))" "$@" \
        > "data/shard-$i.log" 2>&1 &
    pids+=($!)
done
echo "brokers: $list"
websockets=()
for i in $(seq 0 $((count - 1))); do websockets+=("ws://127.0.0.1:$((ws_base_port + i))/mqtt"); done
echo "  their WebSockets listeners, in the same order: $(IFS=,; echo "${websockets[*]}")"
echo "  the page: http://127.0.0.1:$web_port/?brokers=$list&websockets=$(IFS=,; echo "${websockets[*]}")"
echo "  a user's home: $bin home --brokers $list USER"
echo "  logs: data/federation/broker-I.log, data/shard-I.log; Ctrl-C stops everything"
wait -n
echo "a broker or a shard stopped; stopping the others" >&2
