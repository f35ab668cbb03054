#!/usr/bin/python3
"""Regenerates the forward-pass goldens in tests/data/forward/.

For each case below: writes case.json (model spec + token ids), lets the C++
test write the random checkpoint (write_random_model, kept via
GPT2_FORWARD_MODELS_DIR), records its SHA-256 in case.json, runs the
independent PyTorch reference (scripts/reference_gpt2.py, float64) and stores
logits.npy / hidden.npy beside it (and, for KV_F16_CASES, logits_kv_f16.npy:
the reference with its keys and values rounded to binary16). Finally runs
the test once more.

    /usr/bin/python3 scripts/make_forward_goldens.py [BUILD_DIR]   (default build/release)
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "tests", "data", "forward")

# Shapes chosen to exercise the kernels' remainders: head sizes 16, 24 and 15
# (not powers of two), widths not multiples of 16 (120, 48), vocabularies not
# multiples of 8, checkpoints with large weights, a context of 300 (> the 256-position chunk of a Session, so
# chunking is covered), the context filled to n_ctx, a non-default epsilon.
CASES = [
    dict(name="f32_l2_c64_h4", dtype="F32", seed=101, n_layer=2, n_head=4, n_embd=64, n_ctx=64,
         vocab_size=1000, layer_norm_epsilon=1e-5, T=64),
    dict(name="f16_l3_c96_h4", dtype="F16", seed=202, n_layer=3, n_head=4, n_embd=96, n_ctx=40,
         vocab_size=1000, layer_norm_epsilon=1e-5, T=40),
    dict(name="bf16_l2_c120_h8", dtype="BF16", seed=303, n_layer=2, n_head=8, n_embd=120, n_ctx=33,
         vocab_size=777, layer_norm_epsilon=1e-6, T=33),
    # "sharp": written by the test itself with large weights (peaked attention,
    # logits of order 10), see write_sharp_model in tests/test_forward.cpp.
    dict(name="f32_sharp_l2_c72_h3", generator="sharp", dtype="F32", seed=505, n_layer=2, n_head=3, n_embd=72,
         n_ctx=50, vocab_size=300, layer_norm_epsilon=1e-5, T=50),
    dict(name="f32_l1_c48_h3_long", dtype="F32", seed=404, n_layer=1, n_head=3, n_embd=48, n_ctx=300,
         vocab_size=501, layer_norm_epsilon=1e-5, T=300),
]

# Cases that also get logits_kv_f16.npy: the reference with its keys and
# values rounded to binary16, for sessions with an F16 KV cache (F32 and F16
# weights; the sharp case, whose peaked attention magnifies the rounding).
KV_F16_CASES = ("f32_l2_c64_h4", "f16_l3_c96_h4", "f32_sharp_l2_c72_h3")


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "release")
    test_bin = os.path.join(build, "tests", "test_forward")
    models = tempfile.mkdtemp(prefix="gpt2-forward-models-")
    rng = np.random.default_rng(2024)
    for case in CASES:
        d = os.path.join(DATA, case["name"])
        os.makedirs(d, exist_ok=True)
        spec = {k: v for k, v in case.items() if k not in ("name", "T")}
        spec["ids"] = [int(i) for i in rng.integers(0, case["vocab_size"], size=case["T"])]
        spec["sha256"] = ""
        with open(os.path.join(d, "case.json"), "w") as f:
            json.dump(spec, f, indent=1)

    # First run: the goldens are stale, the test fails, but it leaves the models.
    env = dict(os.environ, GPT2_FORWARD_MODELS_DIR=models)
    subprocess.run([test_bin, "--gtest_filter=Cases/ForwardGoldenCase.*"], env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for case in CASES:
        d = os.path.join(DATA, case["name"])
        model = os.path.join(models, case["name"])
        with open(os.path.join(model, "model.safetensors"), "rb") as f:
            sha = hashlib.sha256(f.read()).hexdigest()
        with open(os.path.join(d, "case.json")) as f:
            spec = json.load(f)
        spec["sha256"] = sha
        with open(os.path.join(d, "case.json"), "w") as f:
            json.dump(spec, f, indent=1)
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "reference_gpt2.py"), "--model", model,
                        "--ids", ",".join(map(str, spec["ids"])), "--out", d], check=True)
        if case["name"] in KV_F16_CASES:
            subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "reference_gpt2.py"), "--model", model,
                            "--ids", ",".join(map(str, spec["ids"])), "--out", d, "--kv-f16"], check=True)
    subprocess.run([test_bin], check=True)


if __name__ == "__main__":
    main()
