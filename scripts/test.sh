#!/usr/bin/env bash
# The test command: installs what is missing, then runs every test (unit and integration;
# integration tests start their own mosquitto on a free port and always stop it).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build --build-tests
swift test --skip-build "$@"
