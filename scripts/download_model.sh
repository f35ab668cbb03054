#!/usr/bin/env bash
# Fetches an official GPT-2 checkpoint from the Hugging Face hub (needs
# internet; nothing in the build or the tests depends on it):
#   scripts/download_model.sh gpt2|gpt2-medium|gpt2-large|gpt2-xl DIR
# Writes DIR/config.json, DIR/model.safetensors, DIR/vocab.json, DIR/merges.txt.
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: $0 gpt2|gpt2-medium|gpt2-large|gpt2-xl DIR" >&2
  exit 2
fi
name=$1 dir=$2
case "$name" in
  gpt2|gpt2-medium|gpt2-large|gpt2-xl) ;;
  *) echo "download_model: unknown model '$name' (expected gpt2, gpt2-medium, gpt2-large or gpt2-xl)" >&2; exit 2 ;;
esac
base="https://huggingface.co/openai-community/$name/resolve/main"
mkdir -p "$dir"
for f in config.json vocab.json merges.txt model.safetensors; do
  if [ -s "$dir/$f" ]; then echo "$dir/$f: already there"; continue; fi
  echo "fetching $f"
  curl -fL --retry 3 -o "$dir/$f.part" "$base/$f"
  mv "$dir/$f.part" "$dir/$f"
done
echo "done: gpt2 info --model $dir"
