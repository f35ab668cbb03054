#!/usr/bin/env bash
# The main job on a fresh machine: install what is missing, build the gpt2
# command, and run the nine sampling strategies side by side on the bundled
# default model (models/kjv-small, trained on the King James Bible).
#   scripts/demo.sh [extra options for gpt2 compare]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh release gpt2_cli
exec build/release/bin/gpt2 compare --prompt "And it came to pass, when the king" -n 40 "$@"
