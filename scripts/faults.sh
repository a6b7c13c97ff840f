#!/usr/bin/env bash
# The fault suite at full size, then the table of docs/README "Reliability":
#   scripts/faults.sh [FUZZ_SECONDS]
# Runs Tests/FaultTests with PRESENCE_FAULTS=full (1,000 users x 10 contacts, 20 bridge kills,
# a 30 s network cut, 3 minutes of churn, ...; see Tests/FaultTests/FaultScale.swift) one test
# at a time, then scripts/fuzz.sh for FUZZ_SECONDS (600 by default), and prints one row per
# fault with the machine and the date. As root (network namespaces, tmpfs mounts); takes about
# half an hour. scripts/test.sh runs the same tests in their short version.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzz_seconds="${1:-600}"
scripts/install-deps.sh
swift build --build-tests
# The bridge under test is the release build, as it runs in production (FAULTS_BRIDGE_BUILD=debug
# for the tests' own); the tests, their load, their checker and the broker are the same either way.
build="${FAULTS_BRIDGE_BUILD:-release}"
swift build -c "$build" --product presence-bridge
bridge="$(swift build -c "$build" --show-bin-path)/presence-bridge"
report="$(mktemp /tmp/presence-faults-XXXXXX.jsonl)"
started="$(date -u '+%Y-%m-%d %H:%M UTC')"
status=0
PRESENCE_FAULTS=full PRESENCE_FAULTS_REPORT="$report" PRESENCE_BRIDGE_EXECUTABLE="$bridge" \
    swift test --skip-build --no-parallel --filter FaultTests || status=$?
fuzz_line="$(scripts/fuzz.sh "$fuzz_seconds" 2>&1 | tail -1)" || status=$?
python3 - "$report" "$started" "$fuzz_seconds" "$fuzz_line" "$build" <<'PY'
import json, os, platform, sys
report, started, fuzz_seconds, fuzz_line, build = sys.argv[1:6]
rows = [json.loads(line) for line in open(report) if line.strip()]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
print(f"\nscripts/faults.sh, started {started}; the bridge's {build} build; {os.cpu_count()} cores ({cpu}), load average at the end {os.getloadavg()[0]:.1f}")
print("\n| fault | injected | checked | result | time to converge |")
print("|---|---|---|---|---|")
for row in rows:
    print(f"| {row['fault']} | {row['injected']} | {row['checked']} | {row['result']} | {row['converge']} |")
print(f"| libFuzzer over the input decoder and the JSON parser | {fuzz_seconds} s | {fuzz_line.strip()} | | |")
PY
rm -f "$report"
exit "$status"
