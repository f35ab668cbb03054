#!/usr/bin/env bash
# Installs the release build into a scratch prefix and builds examples/consumer
# against it with find_package(gpt2): proves the CMake package config works.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install build/release --prefix "$prefix/install" >/dev/null
cmake -S examples/consumer -B "$prefix/build" -G Ninja -DCMAKE_PREFIX_PATH="$prefix/install" >/dev/null
cmake --build "$prefix/build" >/dev/null
"$prefix/build/consumer"
echo "consumer: built and ran against the installed library"
