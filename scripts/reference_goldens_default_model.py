#!/usr/bin/python3
"""PyTorch float32 reference for the bundled default model (models/kjv-small).

Loads the SAVED model.safetensors (16-bit weights widened to float32: exactly
what the C++ engine loads) and runs its own plain GPT-2 forward pass, written
independently of the training code (explicit LayerNorm and gelu_new formulas).

Modes:
  goldens  (default) writes tests/data/default_model/{loglik,greedy}.json:
           (a) per-token log-likelihood of a held-out passage, (b) the greedy
           64-token continuation of a fixed prompt. See docs/default-model.md.
  samples  prints samples at several temperatures (for the docs), fixed seed.

Usage:
    /usr/bin/python3 scripts/reference_goldens_default_model.py
    /usr/bin/python3 scripts/reference_goldens_default_model.py --mode samples
"""

import argparse
import json
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import default_model_common as common  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

HELDOUT_CHAPTER = ("Genesis", 50)  # chapter index 49: the first held-out chapter
LOGLIK_TOKENS = 256                # = n_ctx: the whole passage fits one window
GREEDY_PROMPT = "And God said"
GREEDY_STEPS = 64


def load_model(model_dir):
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = json.load(f)
    raw, _ = common.read_safetensors(os.path.join(model_dir, "model.safetensors"))
    w = {k: torch.from_numpy(v.astype(np.float32)) for k, v in raw.items()}
    return cfg, w


def layer_norm(x, g, b, eps):
    mean = x.mean(dim=-1, keepdim=True)
    var = ((x - mean) ** 2).mean(dim=-1, keepdim=True)  # biased variance, as in GPT-2
    return (x - mean) / torch.sqrt(var + eps) * g + b


def gelu_new(x):
    # GPT-2's tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


@torch.no_grad()
def forward(cfg, w, ids):
    """ids: list of T token ids -> logits [T, V] (float32)."""
    T = len(ids)
    C, NH, eps = cfg["n_embd"], cfg["n_head"], cfg["layer_norm_epsilon"]
    HS = C // NH
    idx = torch.tensor(ids, dtype=torch.long)
    x = w["wte.weight"][idx] + w["wpe.weight"][:T]
    causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
    for i in range(cfg["n_layer"]):
        h = "h.%d." % i
        a = layer_norm(x, w[h + "ln_1.weight"], w[h + "ln_1.bias"], eps)
        qkv = a @ w[h + "attn.c_attn.weight"] + w[h + "attn.c_attn.bias"]  # Conv1D: [in, out]
        q, k, v = (t.reshape(T, NH, HS).transpose(0, 1) for t in qkv.split(C, dim=1))
        scores = (q @ k.transpose(1, 2)) / math.sqrt(HS)
        scores = scores.masked_fill(~causal, float("-inf"))
        y = (torch.softmax(scores, dim=-1) @ v).transpose(0, 1).reshape(T, C)
        x = x + y @ w[h + "attn.c_proj.weight"] + w[h + "attn.c_proj.bias"]
        m = layer_norm(x, w[h + "ln_2.weight"], w[h + "ln_2.bias"], eps)
        m = gelu_new(m @ w[h + "mlp.c_fc.weight"] + w[h + "mlp.c_fc.bias"])
        x = x + m @ w[h + "mlp.c_proj.weight"] + w[h + "mlp.c_proj.bias"]
    x = layer_norm(x, w["ln_f.weight"], w["ln_f.bias"], eps)
    return x @ w["wte.weight"].t()  # tied output projection


def heldout_passage(tok):
    chapters = common.read_kjv_chapters()
    _, held = common.split_chapters(chapters)
    ch = [c for c in held if (c[0], c[1]) == HELDOUT_CHAPTER][0]
    ids = [common.EOT_ID] + tok.encode(common.chapter_text(ch))
    return ids[:LOGLIK_TOKENS]


def make_goldens(cfg, w, tok, out_dir, model_rel):
    os.makedirs(out_dir, exist_ok=True)

    # (a) per-token log-likelihood of a held-out passage
    ids = heldout_passage(tok)
    logits = forward(cfg, w, ids)
    logp = torch.log_softmax(logits.double(), dim=-1)
    token_logprobs = [float(logp[t, ids[t + 1]]) for t in range(len(ids) - 1)]
    mean_nll = -sum(token_logprobs) / len(token_logprobs)
    loglik = {
        "description": "Per-token log-likelihood (natural log) of a held-out passage under %s, "
                       "PyTorch float32 forward pass of the saved F16 weights widened to float32 "
                       "(log-softmax taken in float64). token_logprobs[i] = log p(token_ids[i+1] | "
                       "token_ids[0..i]); the whole passage is one forward pass from position 0 "
                       "(no BOS added beyond token_ids[0], which is <|endoftext|>)." % model_rel,
        "model": model_rel,
        "source": "KJV %s %d (held-out chapter), one verse per line, prefixed by <|endoftext|>"
                  % HELDOUT_CHAPTER,
        "text": tok.decode(ids),
        "n_tokens": len(ids),
        "token_ids": ids,
        "token_logprobs": [round(v, 7) for v in token_logprobs],
        "mean_nll": round(mean_nll, 7),
        "tolerance_nats_per_token": 1e-3,
    }
    with open(os.path.join(out_dir, "loglik.json"), "w") as f:
        json.dump(loglik, f, indent=1)
        f.write("\n")

    # (b) greedy continuation, full recompute of the whole sequence every step
    prompt = tok.encode(GREEDY_PROMPT)
    seq = list(prompt)
    margins = []
    for _ in range(GREEDY_STEPS):
        last = forward(cfg, w, seq)[-1]
        top2 = torch.topk(last, 2)
        margins.append(float(top2.values[0] - top2.values[1]))
        seq.append(int(top2.indices[0]))
    cont = seq[len(prompt):]
    if min(margins) <= 0.0:
        raise ValueError("greedy golden has a tie at step %d; pick another prompt" % margins.index(min(margins)))
    greedy = {
        "description": "Greedy (argmax) continuation under %s, PyTorch float32 forward pass of the "
                       "saved F16 weights widened to float32. The prompt is encoded with no BOS/"
                       "<|endoftext|> prefix; each step takes the argmax of the last position's "
                       "logits. top1_top2_logit_gap[i] is the margin of step i's choice (all > 0: "
                       "no ties), to judge how robust an exact match is."
                       % model_rel,
        "model": model_rel,
        "prompt": GREEDY_PROMPT,
        "prompt_ids": prompt,
        "n_steps": GREEDY_STEPS,
        "continuation_ids": cont,
        "continuation_text": tok.decode(cont),
        "top1_top2_logit_gap": [round(m, 5) for m in margins],
        "min_logit_gap": round(min(margins), 5),
    }
    with open(os.path.join(out_dir, "greedy.json"), "w") as f:
        json.dump(greedy, f, indent=1)
        f.write("\n")
    print("loglik: %d tokens, mean NLL %.5f nats (ppl %.2f)" % (len(ids), mean_nll, math.exp(mean_nll)))
    print("greedy: %r -> %r (min top1-top2 gap %.4f)" % (GREEDY_PROMPT, tok.decode(cont), min(margins)))


def samples(cfg, w, tok, prompts, temps, n_tokens, seed):
    gen = torch.Generator().manual_seed(seed)
    for prompt in prompts:
        for temp in temps:
            seq = tok.encode(prompt)
            n0 = len(seq)
            for _ in range(n_tokens):
                last = forward(cfg, w, seq[-cfg["n_ctx"]:])[-1].double()
                if temp == 0:
                    nxt = int(torch.argmax(last))
                else:
                    probs = torch.softmax(last / temp, dim=-1)
                    nxt = int(torch.multinomial(probs, 1, generator=gen))
                seq.append(nxt)
            print("### prompt %r, temperature %s, %d tokens, seed %d" % (prompt, temp, n_tokens, seed))
            print(prompt + tok.decode(seq[n0:]))
            print()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=os.path.join(REPO, "models", "kjv-small"))
    ap.add_argument("--out", default=os.path.join(REPO, "tests", "data", "default_model"))
    ap.add_argument("--mode", choices=["goldens", "samples"], default="goldens")
    ap.add_argument("--prompt", action="append", help="samples mode; repeatable")
    ap.add_argument("--temps", default="0,0.7,1.0,1.3")
    ap.add_argument("--tokens", type=int, default=60)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    torch.set_num_threads(1)
    cfg, w = load_model(args.model)
    tok = common.GPT2Tokenizer(args.model)
    if args.mode == "goldens":
        model_rel = os.path.relpath(os.path.abspath(args.model), REPO)
        make_goldens(cfg, w, tok, args.out, model_rel)
    else:
        temps = [float(t) for t in args.temps.split(",")]
        samples(cfg, w, tok, args.prompt or [GREEDY_PROMPT], temps, args.tokens, args.seed)


if __name__ == "__main__":
    main()
