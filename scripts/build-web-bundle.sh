#!/usr/bin/env bash
# Makes web/vendor/mqtt.js, the MQTT.js bundle the browser SDK imports, from Debian's packages:
# node-mqtt, bundled by Debian's esbuild with node-buffer, node-process, node-url and
# node-readable-stream, and empty stand-ins for node's net/tls/fs and ws (web/bundle/empty.cjs).
# The bundle is made here, at install time (scripts/install-deps.sh runs this), and is never
# committed (.gitignore). Run it again after upgrading node-mqtt.
#
#   scripts/build-web-bundle.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=web/vendor/mqtt.js
nodejs=/usr/share/nodejs
for need in "$nodejs/mqtt/lib/connect/index.js" "$nodejs/buffer" "$nodejs/process" "$nodejs/url" "$nodejs/readable-stream"; do
    [ -e "$need" ] || { echo "error: $need is missing (apt-get install node-mqtt node-buffer node-process node-url node-readable-stream)" >&2; exit 1; }
done
command -v esbuild >/dev/null || { echo "error: esbuild not found (apt-get install esbuild)" >&2; exit 1; }
mkdir -p web/vendor
version=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$nodejs/mqtt/package.json" | head -1)
NODE_PATH=$nodejs esbuild web/bundle/mqtt-entry.js --bundle --format=esm --platform=browser \
    --inject:web/bundle/node-globals.js --define:global=globalThis \
    --alias:net=./web/bundle/empty.cjs --alias:tls=./web/bundle/empty.cjs \
    --alias:fs=./web/bundle/empty.cjs --alias:ws=./web/bundle/empty.cjs \
    --banner:js="// MQTT.js $version (Debian's node-mqtt), bundled by scripts/build-web-bundle.sh. Not committed." \
    --log-level=warning --outfile="$out.tmp"
mv "$out.tmp" "$out"
echo "made $out (MQTT.js $version)" >&2
