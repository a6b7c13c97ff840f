#!/usr/bin/env bash
# Writes the mosquitto configuration of a federation of N brokers, a full mesh of links.
#
#   scripts/make-federation.sh [--out DIR] [--password-file FILE] [--data DIR] [--ws-base-port P] URL URL ...
#
# URL is mqtt://HOST:PORT of each broker, in the order of the federation: the very list
# (byte for byte) that `presence-bridge run --brokers` and the SDKs are given, since a user's
# home is hashed from these strings. For each broker i it writes, in DIR (default
# data/federation):
#
#   links-i.conf    broker i's links to every other broker (mosquitto "connection" blocks)
#   broker-i.conf   the shipped mosquitto.conf for broker i (its listener on PORT, its own
#                   persistence folder DIR-or---data/broker-i/) followed by links-i.conf;
#                   with --ws-base-port P its WebSockets listener (loopback, as shipped) is on
#                   port P+i, without it there is none (one port cannot serve N brokers)
#   federation.acl  the shipped mosquitto.acl, plus what the federation needs (below)
#
# Each link i->j forwards, out of broker i only (so each broker pushes what it owns):
#   presence/v1/in/+/contacts, /watch     -> presence/v1/bridge/fed/i/in/+/contacts, /watch on j
#   presence/v1/bridge/route/j/out/#      -> presence/v1/out/# on j   (views for viewers homed at j)
#   presence/v1/bridge/status             -> presence/v1/bridge/shards/i/status on j
# and publishes its own state (1 up, 0 down: its will) on presence/v1/bridge/links/i/j.
# What a link delivers lands under a topic that no link forwards, so the mesh cannot loop.
# The links log in to the other brokers as presence-federation (password from --password-file,
# made if missing): add that account to each broker's password file (run-local.sh does).
set -euo pipefail
cd "$(dirname "$0")/.."

out=data/federation
password_file=""
data=""
prefix=presence/v1
ws_base_port=""
while [ $# -gt 0 ]; do
    case $1 in
        --out) out=$2; shift 2 ;;
        --password-file) password_file=$2; shift 2 ;;
        --data) data=$2; shift 2 ;;
        --prefix) prefix=${2%/}; shift 2 ;;
        --ws-base-port) ws_base_port=$2; shift 2 ;;
        --) shift; break ;;
        -*) echo "unknown option $1" >&2; exit 2 ;;
        *) break ;;
    esac
done
if [ $# -lt 2 ]; then
    echo "usage: $0 [--out DIR] [--password-file FILE] [--data DIR] [--prefix P] [--ws-base-port P] URL URL ..." >&2
    exit 2
fi
urls=("$@")
data=${data:-$out}
password_file=${password_file:-$out/federation-password}
mkdir -p "$out"
if [ ! -s "$password_file" ]; then
    (umask 077 && head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' > "$password_file")
fi
password=$(cat "$password_file")

address_of() {  # mqtt://host:port -> host:port
    local rest=${1#mqtt://}
    if [ "$rest" = "$1" ]; then echo "only mqtt:// URLs are supported here: $1" >&2; exit 1; fi
    case $rest in *:*) echo "$rest" ;; *) echo "$rest:1883" ;; esac
}

for i in "${!urls[@]}"; do
    links=$out/links-$i.conf
    {
        echo "# Broker $i of ${#urls[@]} (${urls[$i]}): its links to the others, made by scripts/make-federation.sh."
        echo "# Every link is 'out' only: broker $i pushes what it owns; the others push theirs."
        for j in "${!urls[@]}"; do
            [ "$i" = "$j" ] && continue
            name=presence-federation-$i-to-$j
            echo ""
            echo "connection $name"
            echo "address $(address_of "${urls[$j]}")"
            echo "remote_clientid $name"
            echo "local_clientid $name-local"
            echo "remote_username presence-federation"
            echo "remote_password $password"
            echo "bridge_protocol_version mqttv311"
            echo "# Tells broker $j this is a bridge: it sends nothing back over the link."
            echo "try_private true"
            echo "# Broker $j keeps the link's session, broker $i its queue: nothing lost across a drop."
            echo "cleansession false"
            echo "start_type automatic"
            echo "restart_timeout 1 5"
            echo "keepalive_interval 10"
            echo "# 1 while up, 0 (the link's will) when broker $i is gone, on both brokers."
            echo "notifications true"
            echo "notification_topic $prefix/bridge/links/$i/$j"
            echo "topic +/contacts out 1 $prefix/in/ $prefix/bridge/fed/$i/in/"
            echo "topic +/watch out 1 $prefix/in/ $prefix/bridge/fed/$i/in/"
            echo "topic out/# out 1 $prefix/bridge/route/$j/ $prefix/"
            echo "topic status out 1 $prefix/bridge/ $prefix/bridge/shards/$i/"
        done
    } > "$links"

    address=$(address_of "${urls[$i]}")
    host=${address%:*}
    port=${address##*:}
    {
        echo "# Broker $i of the federation, made by scripts/make-federation.sh from mosquitto.conf."
        # The WebSockets listener (`listener 8080 lo`, its block ends at a blank line): on its
        # own port P+i with --ws-base-port, else left out, since N brokers cannot share one port.
        if [ -n "$ws_base_port" ]; then
            websockets="s|^listener [0-9]* lo\$|listener $((ws_base_port + i)) lo|"
        else
            websockets='/^listener [0-9]* lo$/,/^$/d'
        fi
        sed -e "s|^listener 1883 127.0.0.1|listener $port $host|" \
            -e "s|^persistence_location .*|persistence_location $data/broker-$i/|" \
            -e "s|^acl_file .*|acl_file $out/federation.acl|" \
            -e "$websockets" mosquitto.conf
        echo ""
        cat "$links"
    } > "$out/broker-$i.conf"
    mkdir -p "$data/broker-$i"
done

{
    cat mosquitto.acl
    echo ""
    echo "# The federation (scripts/make-federation.sh). Every user may read each shard's status"
    echo "# and the state of the links (which views may be stale); nothing under bridge/fed/ or"
    echo "# bridge/route/: those are for the bridge's and the links' accounts."
    echo "pattern read  $prefix/bridge/shards/+/status"
    echo "pattern read  $prefix/bridge/links/+/+"
    echo "# The links, as they write on the broker they connect to."
    echo "user presence-federation"
    echo "topic write $prefix/bridge/fed/#"
    echo "topic write $prefix/out/#"
    echo "topic write $prefix/bridge/shards/#"
    echo "topic write $prefix/bridge/links/#"
} > "$out/federation.acl"
echo "wrote $out/broker-0.conf … broker-$((${#urls[@]} - 1)).conf, links-*.conf and federation.acl" >&2
