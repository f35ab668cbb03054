#!/usr/bin/env bash
# Sets up, builds and runs every test (ctest prints its summary line).
#   scripts/test.sh [PRESET]      PRESET: release (default) or asan
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-release}
scripts/setup.sh "$preset"
ctest --preset "$preset" -j "$(nproc)"
