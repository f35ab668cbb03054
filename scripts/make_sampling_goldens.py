#!/usr/bin/python3
"""Goldens for the sampler tests: the kept sets of Hugging Face's top-p and
typical-p warpers, re-stated in PyTorch (float32, CPU) from their documented
algorithm, on seeded random logits. Writes tests/data/sampling/hf_goldens.json.

    /usr/bin/python3 scripts/make_sampling_goldens.py
"""
import json
import os

import numpy  # noqa: F401  (float32 repr)
import torch


def hf_top_p(scores, top_p):
    # TopPLogitsWarper: ascending sort, cumsum, remove cumsum <= 1 - p, keep >= 1.
    sorted_logits, sorted_indices = torch.sort(scores, descending=False)
    cumulative_probs = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
    remove = cumulative_probs <= (1 - top_p)
    remove[-1:] = False
    kept = sorted_indices[~remove]
    return sorted(kept.tolist())


def hf_typical(scores, mass):
    # TypicalLogitsWarper: rank by |-log p - H|, keep up to the first index
    # whose cumulative mass reaches `mass` (ties with that score kept), >= 1.
    normalized = torch.nn.functional.log_softmax(scores, dim=-1)
    p = torch.exp(normalized)
    ent = -(normalized * p).nansum(-1, keepdim=True)
    shifted = torch.abs((-normalized) - ent)
    sorted_scores, sorted_indices = torch.sort(shifted, descending=False)
    sorted_logits = scores.gather(-1, sorted_indices)
    cumulative_probs = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
    last_ind = (cumulative_probs < mass).sum()
    last_ind = min(int(last_ind), scores.shape[-1] - 1)
    remove = sorted_scores > sorted_scores[last_ind]
    remove[0] = False
    kept = sorted_indices[~remove]
    return sorted(kept.tolist())


def main():
    g = torch.Generator().manual_seed(1234)
    cases = []
    for n, kind in [(1000, "gauss"), (1000, "zipf"), (5000, "gauss"), (20000, "zipf")]:
        if kind == "gauss":
            logits = torch.randn(n, generator=g, dtype=torch.float32) * 2.0
        else:
            ranks = torch.randperm(n, generator=g).to(torch.float64) + 1.0
            logits = (-1.1 * torch.log(ranks) + 0.3 * torch.randn(n, generator=g, dtype=torch.float64)).to(torch.float32)
        # Shortest decimal that round-trips to the same float32 (numpy repr).
        case = {"kind": kind, "logits": [float(repr(v)) for v in logits.numpy()], "top_p": [], "typical_p": []}
        for p in [0.1, 0.5, 0.9, 0.95, 0.99]:
            case["top_p"].append({"p": p, "kept": hf_top_p(logits, p)})
        for m in [0.2, 0.5, 0.9, 0.95]:
            case["typical_p"].append({"mass": m, "kept": hf_typical(logits, m)})
        cases.append(case)
    out = os.path.join(os.path.dirname(__file__), "..", "tests", "data", "sampling", "hf_goldens.json")
    with open(out, "w") as f:
        json.dump({"generator": "scripts/make_sampling_goldens.py", "torch": torch.__version__, "cases": cases}, f)


if __name__ == "__main__":
    main()
