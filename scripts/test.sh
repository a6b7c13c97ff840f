#!/usr/bin/env bash
# The test command: installs what is missing, then runs every test (unit and integration;
# integration tests start their own mosquitto on a free port and always stop it).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build --build-tests
if [ "$#" -gt 0 ]; then
    exec swift test --skip-build "$@"
fi
# Everything, in three processes: Swift Testing runs a process's tests in parallel, and all of
# them at once held ~965 descriptors at the peak, close to FD_SETSIZE (1024), above which
# libmosquitto's select() loop cannot watch a socket (a connect then fails). The suites that
# start brokers and bridges are split over processes of their own.
contract='PresenceBridgeTests|PresenceClientTests'
service='BridgeOperationsTests|PresenceBenchTests'
faults='FaultTests'
swift test --skip-build --skip "$contract|$service|$faults"
swift test --skip-build --filter "$contract"
swift test --skip-build --filter "$service"
# The fault suite's short version (scripts/faults.sh runs the full one), in a process of its own:
# real crashes, cuts and full disks under load, and a short fuzz of the input decoder.
swift test --skip-build --no-parallel --filter "$faults"
scripts/fuzz.sh 30
