#!/usr/bin/python3
"""Compare the next-token logits of llama.cpp (via scripts/llamacpp_logits.mjs, on a GGUF
written by scripts/write_gguf.py) with our engine's (`gpt2 logits --ids ... --out`), for
the same token ids. An independent check of both the GGUF conversion and our forward pass.

Usage (from the repository root, after `npm install` in scripts/ and building gpt2_cli):
    /usr/bin/python3 scripts/compare_llamacpp_logits.py --model models/kjv-small \
        --gguf /tmp/gguf/kjv-small-f32.gguf [--gguf ...] [--prompt TEXT ...]

Prints, per GGUF and prompt: max |difference|, the logits' spread (max - min) for scale,
whether the argmax agrees and how many of the top-10 ids agree. Exits 1 when an F32 GGUF
differs by more than --tolerance (default 1e-2 absolute; llama.cpp keeps K/V in F16).
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PROMPTS = [
    "In the beginning God created the heaven and the earth.",
    # A longer one, so K/V of many positions (stored in F16 by llama.cpp) contribute.
    "And God said, Let there be light: and there was light. And God saw the light, that it was good: "
    "and God divided the light from the darkness. And God called the light Day, and the darkness he "
    "called Night. And the evening and the morning were the first day. And God said, Let there be a "
    "firmament in the midst of the waters, and let it divide the waters from the waters.",
]


def our_ids(cli, model, prompt):
    out = subprocess.run([cli, "tokenize", "--model", str(model), "--json", prompt], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)["ids"]


def our_logits(cli, model, ids, threads):
    with tempfile.TemporaryDirectory() as tmp:
        npy = Path(tmp) / "logits.npy"
        subprocess.run([cli, "logits", "--model", str(model), "--threads", str(threads),
                        "--ids", ",".join(map(str, ids)), "--out", str(npy)],
                       check=True, capture_output=True)
        return np.load(npy)[-1].astype(np.float64)


def llamacpp_logits(gguf, ids, threads, kv):
    out = subprocess.run(["node", "llamacpp_logits.mjs", str(gguf), *map(str, ids), "--threads", str(threads), "--kv", kv],
                         check=True, capture_output=True, text=True, cwd=ROOT / "scripts").stdout
    return np.asarray(json.loads(out)["logits"], dtype=np.float64)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, required=True, help="our model directory (HF layout)")
    ap.add_argument("--gguf", type=Path, action="append", required=True)
    ap.add_argument("--prompt", action="append", help="default: two KJV prompts (12 and ~90 tokens)")
    ap.add_argument("--cli", default=str(ROOT / "build/release/bin/gpt2"))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--tolerance", type=float, default=1e-2)
    ap.add_argument("--kv", choices=["f16", "f32"], default="f16", help="llama.cpp's K/V cache type (default f16, its own default)")
    args = ap.parse_args()

    failed = False
    for prompt in args.prompt or DEFAULT_PROMPTS:
        ids = our_ids(args.cli, args.model, prompt)
        ours = our_logits(args.cli, args.model, ids, args.threads)
        top_ours = np.argsort(-ours)[:10]
        for gguf in args.gguf:
            theirs = llamacpp_logits(gguf, ids, args.threads, args.kv)
            diff = np.abs(ours - theirs)
            top_theirs = np.argsort(-theirs)[:10]
            print(f"{gguf.name:24s} kv {args.kv} T={len(ids):4d}  max|diff| {diff.max():.3e}  mean|diff| {diff.mean():.3e}  "
                  f"spread {ours.max() - ours.min():.2f}  argmax {'same' if top_ours[0] == top_theirs[0] else 'DIFFERENT'}"
                  f"  top-10 overlap {len(set(top_ours) & set(top_theirs))}/10")
            if "f32" in gguf.name and diff.max() > args.tolerance:
                failed = True
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
