#!/usr/bin/env bash
# Fuzzes the input decoder and the JSON parser (PresenceWire) with libFuzzer for SECONDS (600 by
# default): `scripts/fuzz.sh [SECONDS]`. The target (Fuzz/PresenceWireFuzz.swift), the sources of
# PresenceWire and those of PresenceCore are compiled with `-sanitize=fuzzer,address` (the
# toolchain's libclang_rt.fuzzer); the corpus starts from one valid payload of every kind
# and grows in .build-fuzz/corpus. Exits non-zero on a crash, a hang (5 s per input) or more than
# 2 GiB resident; the last line says how many inputs ran.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
out=.build-fuzz
mkdir -p "$out/corpus" "$out/seeds" "$out/artifacts"
flags=(-sanitize=fuzzer,address -parse-as-library -O -wmo -package-name presence_bridge)
swiftc "${flags[@]}" -module-name PresenceCore -emit-module -emit-module-path "$out/PresenceCore.swiftmodule" \
    -c Sources/PresenceCore/*.swift -o "$out/PresenceCore.o"
swiftc "${flags[@]}" -I "$out" -module-name PresenceWireFuzz \
    Sources/PresenceWire/*.swift Sources/PresenceWire/JSON/*.swift Fuzz/PresenceWireFuzz.swift \
    "$out/PresenceCore.o" -o "$out/presence-wire-fuzz" 2> >(grep -v 'Cannot export local symbol' >&2)
# The first byte picks the topic (see the target): 0 state, 1 heartbeat, 2 activity, 3 settings,
# 4 contacts, 5 blocked, 6 watch.
seed() { printf "\\$(printf '%03o' "$1")%s" "$2" > "$out/seeds/$3"; }
seed 0 '{"status":"online","session":"k3f9","platform":"mobile"}' state
seed 0 '{"status":"offline","session":"k3f9","reason":"lost"}' will
seed 0 'away' bare
seed 1 '{"session":"k3f9"}' heartbeat
seed 2 '{"type":"typing","conversationId":"c1","to":["bob"],"ttl":5}' activity
seed 3 '{"showOnlineStatus":"everyone","showLastSeen":"contacts","showActivity":"nobody"}' settings
seed 4 '["bob","carol","dave"]' contacts
seed 5 '["mallory"]' blocked
seed 6 '["u1","u2"]' watch
log="$out/fuzz.log"
status=0
"$out/presence-wire-fuzz" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -max_len=70000 \
    -artifact_prefix="$out/artifacts/" -print_final_stats=1 "$out/corpus" "$out/seeds" > "$log" 2>&1 || status=$?
grep -E '^(==.*ERROR|SUMMARY)' "$log" || true
runs="$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')"
rss="$(grep -E '^stat::peak_rss_mb' "$log" | awk '{print $2}')"
if [ "$status" -ne 0 ]; then
    tail -40 "$log" >&2
    echo "fuzz: FAILED (exit $status); the input is in $out/artifacts/" >&2
    exit "$status"
fi
echo "fuzz: ${seconds} s, ${runs:-?} inputs, peak RSS ${rss:-?} MB (AddressSanitizer included): no crash, no hang, no memory beyond 2 GiB"
