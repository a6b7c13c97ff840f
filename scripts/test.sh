#!/usr/bin/env bash
# The test command: installs what is missing, then runs every test (unit and integration;
# integration tests start their own mosquitto on a free port and always stop it), then the
# browser's (web/tests under node, Tests/Browser in headless Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --tests
swift build --build-tests
if [ "$#" -gt 0 ]; then
    exec swift test --skip-build "$@"
fi
# Everything, in five processes: Swift Testing runs a process's tests in parallel, and the
# suites that start brokers and bridge processes are split over processes of their own, so that
# on 2 cores each test's deadlines hold (all of them at once also held ~965 descriptors).
contract='PresenceBridgeTests|PresenceClientTests'
service='BridgeOperationsTests|PresenceBenchTests'
# Three federated brokers and three bridge shards per test: their own process too.
federation='FederationTests'
faults='FaultTests'
swift test --skip-build --skip "$contract|$service|$federation|$faults"
swift test --skip-build --filter "$contract"
swift test --skip-build --filter "$service"
swift test --skip-build --filter "$federation"
# The fault suite's short version (scripts/faults.sh runs the full one), in a process of its own:
# real crashes, cuts and full disks under load, and a short fuzz of the input decoder.
swift test --skip-build --no-parallel --filter "$faults"
scripts/fuzz.sh 30
# The page and the JavaScript SDK: their JSDoc types (tsc), the pure parts under node's test
# runner, then two users in two headless Chromiums against mosquitto and the bridge built above.
tsc -p web
node --test web/tests/
PRESENCE_BRIDGE="$(swift build --show-bin-path)/presence-bridge" python3 Tests/Browser/test_presence_page.py
# The page in a federation: three brokers with the generated configs and WebSockets listeners, three shards.
PRESENCE_BRIDGE="$(swift build --show-bin-path)/presence-bridge" python3 Tests/Browser/test_federated_page.py
