#!/usr/bin/env bash
# Builds the libFuzzer targets (preset "fuzz", clang) and runs each one for
# SECONDS (default 60), starting from the committed seeds in
# tests/fuzz/corpus/<target>/. New corpus entries go to build/fuzz/corpus/,
# crash reproducers to build/fuzz/artifacts/ (the script then fails).
#   scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
jobs=${FUZZ_BUILD_JOBS:-2}

targets=()
for f in tests/fuzz/fuzz_*.cpp; do targets+=("$(basename "$f" .cpp)"); done

cmake --preset fuzz >/dev/null
cmake --build build/fuzz -j "$jobs" --target "${targets[@]}"

status=0
for t in "${targets[@]}"; do
  corpus=build/fuzz/corpus/$t
  artifacts=build/fuzz/artifacts
  mkdir -p "$corpus" "$artifacts" "tests/fuzz/corpus/$t"
  echo "== $t: ${seconds}s"
  log=build/fuzz/$t.log
  # The first corpus directory receives new inputs; the seeds stay untouched.
  rc=0
  build/fuzz/fuzz/"$t" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
      -dict=tests/fuzz/json.dict -artifact_prefix="$artifacts/$t-" -print_final_stats=1 \
      "$corpus" "tests/fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
  grep -E "^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::new_units_added|SUMMARY)" "$log" || true
  if [ "$rc" -ne 0 ]; then
    echo "$t: FAILED (exit $rc); see $log and the reproducer in $artifacts/" >&2
    tail -40 "$log" >&2
    status=1
  fi
done
exit $status
