#!/usr/bin/env bash
# Makes a local certificate authority and a server certificate signed by it, with openssl,
# for trying out the broker's TLS listener (deploy/mosquitto-tls.conf).
#
#   scripts/make-tls-certificates.sh [DIR] [NAME...]
#
# DIR (default data/tls) receives ca.crt and ca.key (the CA: keep ca.key private, hand ca.crt
# to devices), server.crt and server.key (for mosquitto). Each NAME is a host name or an IP
# address the devices will connect to; the default is localhost, 127.0.0.1 and this machine's
# host name. The certificates are for trying it out: real ones come from your own CA or a
# public one, and go in the same place under the same names. An existing CA in DIR is reused,
# so a new server certificate does not invalidate the ca.crt devices already have.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-data/tls}
shift || true
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(localhost 127.0.0.1 "$(hostname)")

san=""
for name in "${names[@]}"; do
    if [[ $name =~ ^[0-9.]+$ || $name == *:* ]]; then entry="IP:$name"; else entry="DNS:$name"; fi
    san="${san:+$san,}$entry"
done

mkdir -p "$dir"
umask 077
if [ ! -f "$dir/ca.key" ] || [ ! -f "$dir/ca.crt" ]; then
    openssl req -x509 -newkey rsa:3072 -nodes -sha256 -days 825 -keyout "$dir/ca.key" -out "$dir/ca.crt" \
        -subj "/CN=presence-bridge local CA" -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
fi
openssl req -newkey rsa:3072 -nodes -sha256 -keyout "$dir/server.key" -out "$dir/server.csr" \
    -subj "/CN=${names[0]}" 2>/dev/null
printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' \
    "$san" > "$dir/server.ext"
openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial -sha256 -days 825 \
    -out "$dir/server.crt" -extfile "$dir/server.ext" 2>/dev/null
rm -f "$dir/server.csr" "$dir/server.ext" "$dir/ca.srl"
chmod 644 "$dir/ca.crt" "$dir/server.crt"
chmod 600 "$dir/ca.key" "$dir/server.key"
# As root, mosquitto drops to the user "mosquitto": it must read the server's key.
if [ "$(id -u)" -eq 0 ] && id mosquitto >/dev/null 2>&1; then
    chgrp mosquitto "$dir/server.key" && chmod 640 "$dir/server.key"
    chmod 755 "$dir"
fi
echo "made $dir/ca.crt (give it to devices) and $dir/server.crt + server.key for: ${names[*]}"
