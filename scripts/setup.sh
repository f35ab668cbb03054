#!/usr/bin/env bash
# Installs what the build needs (Debian packages, only those missing), then
# configures and builds a preset (default: release), optionally only some
# targets (e.g. gpt2_cli, the command-line tool).
#   scripts/setup.sh [PRESET [TARGET...]]
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-release}
shift || true
targets=("$@")

packages=(build-essential cmake ninja-build pkg-config clang
          libeigen3-dev libcli11-dev libspdlog-dev libfmt-dev libgtest-dev
          libbenchmark-dev nlohmann-json3-dev libutf8proc-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# CI treats warnings as errors in the optimised builds. Not in the sanitizer
# build: GCC documents that -fsanitize changes its flow analysis and gives
# false -Wmaybe-uninitialized/-Wstringop-* warnings there; the code it
# compiles is the same the release build has already checked.
extra=()
[ "${CI:-}" = "true" ] && [ "$preset" != asan ] && extra+=(-DGPT2_WERROR=ON)
cmake --preset "$preset" "${extra[@]}" >/dev/null
if ((${#targets[@]})); then
  cmake --build --preset "$preset" -j "$(nproc)" --target "${targets[@]}"
else
  cmake --build --preset "$preset" -j "$(nproc)"
fi
