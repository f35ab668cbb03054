#!/usr/bin/python3
"""Train the bundled default model: a small GPT-2 on the King James Bible.

Usage (Debian's python3-torch on the CPU; see docs/default-model.md):
    /usr/bin/python3 scripts/train_default_model.py --out models/kjv-small --threads 1 \
        --max-steps 380 --warmup 30 --time-budget-min 44 --eval-every 40 --eval-windows 20
(the defaults are these values; this is the command that produced models/kjv-small)

Architecture: GPT-2 exactly (learned positional embeddings, pre-LN blocks,
fused c_attn, Conv1D [in,out] weight layout as in the released checkpoints,
gelu tanh approximation, final LayerNorm, output projection tied to wte), with
the real GPT-2 vocabulary (50257) and tokenizer, so the engine loads it through
the same path as the official checkpoints.

tied_rest_note: the KJV text uses only ~9.8k of the 50257 GPT-2 tokens, and
the 50257-way output projection dominates the cost of a step. Training
therefore constrains every token that never occurs in the training text to
share one embedding row ("wte.rest"); the loss is still the exact
full-vocabulary cross-entropy of that constrained model (the shared row's
logit gets + log(number of tied tokens), which is what 40k equal logits
contribute to the softmax normaliser). The saved model is an ordinary GPT-2
whose unused wte rows are all copies of the shared row; the final evaluation
runs a plain full-vocabulary GPT-2 on the saved file.

Reproducibility: fixed seed, single-threaded by default; the cosine LR schedule
runs over --max-steps. --time-budget-min is a hard stop: when the budget runs
out training stops early (logged), then the model is evaluated and saved.

Writes into --out: config.json, model.safetensors (F16), vocab.json,
merges.txt, loss_curve.csv, train_summary.json.
"""

import argparse
import csv
import json
import math
import os
import shutil
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import default_model_common as common  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class GPT2(torch.nn.Module):
    """GPT-2 with parameters named and shaped like HF's GPT2Model (Conv1D [in,out])."""

    def __init__(self, n_layer, n_head, n_embd, n_positions, vocab_size, eps=1e-5, used_ids=None):
        super().__init__()
        self.n_layer, self.n_head, self.n_embd, self.eps = n_layer, n_head, n_embd, eps
        P = torch.nn.Parameter
        C = n_embd
        # ParameterDict keys may not contain '.', so they are stored with '/' and
        # exposed under the HF names by named_hf() / w().
        self.params = torch.nn.ParameterDict()

        class _Setter:
            def __setitem__(_, key, value):
                self.params[key.replace(".", "/")] = value

        p = _Setter()
        std = 0.02
        # c_proj weights feed the residual stream: GPT-2 scales their init by 1/sqrt(2 L).
        proj_std = 0.02 / math.sqrt(2 * n_layer)
        self.vocab_size = vocab_size
        if used_ids is None:
            p["wte.weight"] = P(torch.randn(vocab_size, C) * std)
        else:
            # Training parametrisation (see tied_rest_note in the module docstring):
            # rows of tokens that occur in the training text are free; all other
            # rows are tied to ONE shared row "wte.rest". Input ids are then
            # compact: 0..U-1 for used tokens, U for every other token.
            self.used_ids = torch.as_tensor(used_ids, dtype=torch.long)
            U = len(used_ids)
            p["wte.used"] = P(torch.randn(U, C) * std)
            p["wte.rest"] = P(torch.randn(1, C) * std)
            # The shared row stands for vocab_size - U identical logits, so its
            # softmax mass is multiplied by that count: add log(count) to its logit.
            rest_bias = torch.zeros(U + 1)
            rest_bias[U] = math.log(vocab_size - U)
            self.register_buffer("rest_bias", rest_bias, persistent=False)
        p["wpe.weight"] = P(torch.randn(n_positions, C) * 0.01)
        for i in range(n_layer):
            h = "h.%d." % i
            p[h + "ln_1.weight"] = P(torch.ones(C))
            p[h + "ln_1.bias"] = P(torch.zeros(C))
            p[h + "attn.c_attn.weight"] = P(torch.randn(C, 3 * C) * std)
            p[h + "attn.c_attn.bias"] = P(torch.zeros(3 * C))
            p[h + "attn.c_proj.weight"] = P(torch.randn(C, C) * proj_std)
            p[h + "attn.c_proj.bias"] = P(torch.zeros(C))
            p[h + "ln_2.weight"] = P(torch.ones(C))
            p[h + "ln_2.bias"] = P(torch.zeros(C))
            p[h + "mlp.c_fc.weight"] = P(torch.randn(C, 4 * C) * std)
            p[h + "mlp.c_fc.bias"] = P(torch.zeros(4 * C))
            p[h + "mlp.c_proj.weight"] = P(torch.randn(4 * C, C) * proj_std)
            p[h + "mlp.c_proj.bias"] = P(torch.zeros(C))
        p["ln_f.weight"] = P(torch.ones(C))
        p["ln_f.bias"] = P(torch.zeros(C))
        mask = torch.tril(torch.ones(n_positions, n_positions, dtype=torch.bool))
        self.register_buffer("mask", mask, persistent=False)

    def w(self, name):
        return self.params[name.replace(".", "/")]

    def named_hf(self):
        return [(k.replace("/", "."), v) for k, v in self.params.items()]

    def is_compact(self):
        return "wte/used" in self.params

    def embedding(self):
        if self.is_compact():
            return torch.cat([self.w("wte.used"), self.w("wte.rest")], dim=0)
        return self.w("wte.weight")

    def hf_state(self):
        """HF-named float32 tensors of the equivalent full-vocabulary GPT-2."""
        out = {}
        for name, prm in self.named_hf():
            if name in ("wte.used", "wte.rest"):
                continue
            out[name] = prm.detach().clone()
        if self.is_compact():
            wte = self.w("wte.rest").detach().expand(self.vocab_size, self.n_embd).clone()
            wte[self.used_ids] = self.w("wte.used").detach()
            out["wte.weight"] = wte
        order = ["wte.weight"] + [k for k in out if k != "wte.weight"]
        return {k: out[k] for k in order}

    def forward(self, idx):
        w = self.w
        B, T = idx.shape
        C, NH = self.n_embd, self.n_head
        HS = C // NH
        wte = self.embedding()
        x = wte[idx] + w("wpe.weight")[:T]
        for i in range(self.n_layer):
            h = "h.%d." % i
            a = F.layer_norm(x, (C,), w(h + "ln_1.weight"), w(h + "ln_1.bias"), self.eps)
            qkv = a @ w(h + "attn.c_attn.weight") + w(h + "attn.c_attn.bias")
            q, k, v = qkv.split(C, dim=2)
            q = q.view(B, T, NH, HS).transpose(1, 2)
            k = k.view(B, T, NH, HS).transpose(1, 2)
            v = v.view(B, T, NH, HS).transpose(1, 2)
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(HS))
            att = att.masked_fill(~self.mask[:T, :T], float("-inf"))
            att = torch.softmax(att, dim=-1)
            y = (att @ v).transpose(1, 2).reshape(B, T, C)
            x = x + y @ w(h + "attn.c_proj.weight") + w(h + "attn.c_proj.bias")
            m = F.layer_norm(x, (C,), w(h + "ln_2.weight"), w(h + "ln_2.bias"), self.eps)
            m = F.gelu(m @ w(h + "mlp.c_fc.weight") + w(h + "mlp.c_fc.bias"), approximate="tanh")
            x = x + m @ w(h + "mlp.c_proj.weight") + w(h + "mlp.c_proj.bias")
        x = F.layer_norm(x, (C,), w("ln_f.weight"), w("ln_f.bias"), self.eps)
        logits = x @ wte.t()  # tied output projection
        if self.is_compact():
            logits = logits + self.rest_bias
        return logits


@torch.no_grad()
def evaluate(model, stream, ctx, max_windows=None):
    """Mean next-token NLL (nats) over non-overlapping ctx-token windows of `stream`
    (each window predicts its own tokens 1..ctx from 0..ctx-1, plus one more)."""
    model.eval()
    n = (len(stream) - 1) // ctx
    if max_windows is not None:
        n = min(n, max_windows)
    total, count = 0.0, 0
    bs = 8
    for s in range(0, n, bs):
        starts = range(s * ctx, min(n, s + bs) * ctx, ctx)
        x = torch.stack([torch.from_numpy(stream[a:a + ctx]) for a in starts])
        y = torch.stack([torch.from_numpy(stream[a + 1:a + 1 + ctx]) for a in starts])
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1), reduction="sum")
        total += loss.item()
        count += y.numel()
    model.train()
    return total / count


def lr_at(step, max_steps, warmup, lr_max, lr_min):
    if step < warmup:
        return lr_max * (step + 1) / warmup
    frac = min(1.0, (step - warmup) / max(1, max_steps - warmup))
    return lr_min + 0.5 * (lr_max - lr_min) * (1.0 + math.cos(math.pi * frac))


def save_model(model, args, out_dir):
    tensors = {}
    for name, prm in model.hf_state().items():
        tensors[name] = prm.cpu().numpy().astype(np.float16)
    # Fail loudly if any weight does not survive the F16 cast.
    for name, arr in tensors.items():
        if not np.all(np.isfinite(arr)):
            raise ValueError("non-finite value in %s after F16 cast" % name)
    common.write_safetensors(os.path.join(out_dir, "model.safetensors"), tensors,
                             metadata={"format": "pt"})
    config = {
        "architectures": ["GPT2LMHeadModel"],
        "model_type": "gpt2",
        "activation_function": "gelu_new",
        "vocab_size": model.vocab_size,
        "n_positions": args.ctx,
        "n_ctx": args.ctx,
        "n_embd": args.n_embd,
        "n_layer": args.n_layer,
        "n_head": args.n_head,
        "n_inner": None,
        "layer_norm_epsilon": 1e-5,
        "bos_token_id": common.EOT_ID,
        "eos_token_id": common.EOT_ID,
        "resid_pdrop": 0.0,
        "embd_pdrop": 0.0,
        "attn_pdrop": 0.0,
        "initializer_range": 0.02,
        "tie_word_embeddings": True,
        "torch_dtype": "float16",
    }
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    tok_dir = os.path.join(REPO, "data", "gpt2-tokenizer")
    for fn in ("vocab.json", "merges.txt"):
        shutil.copyfile(os.path.join(tok_dir, fn), os.path.join(out_dir, fn))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(REPO, "models", "kjv-small"))
    ap.add_argument("--n-layer", type=int, default=6)
    ap.add_argument("--n-head", type=int, default=6)
    ap.add_argument("--n-embd", type=int, default=192)
    ap.add_argument("--ctx", type=int, default=256)
    ap.add_argument("--batch", type=int, default=8, help="sequences per step")
    ap.add_argument("--max-steps", type=int, default=380, help="cosine schedule length")
    ap.add_argument("--warmup", type=int, default=30)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--lr-min", type=float, default=1e-4)
    ap.add_argument("--weight-decay", type=float, default=0.1)
    ap.add_argument("--time-budget-min", type=float, default=44.0,
                    help="hard stop on training wall time (minutes); evaluation and saving follow")
    ap.add_argument("--eval-every", type=int, default=40)
    ap.add_argument("--eval-windows", type=int, default=20,
                    help="held-out windows used for the interval evaluations (final eval uses all)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1234)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    os.makedirs(args.out, exist_ok=True)

    t0 = time.time()
    chapters = common.read_kjv_chapters()
    train_ch, held_ch = common.split_chapters(chapters)
    tok = common.GPT2Tokenizer(os.path.join(REPO, "data", "gpt2-tokenizer"))
    train_ids = common.encode_documents(tok, train_ch)
    held_ids = common.encode_documents(tok, held_ch)
    print("corpus: %d train chapters / %d tokens, %d held-out chapters / %d tokens (%.1fs)"
          % (len(train_ch), len(train_ids), len(held_ch), len(held_ids), time.time() - t0), flush=True)

    used_ids = np.unique(train_ids)
    compact = np.full(50257, len(used_ids), dtype=np.int64)
    compact[used_ids] = np.arange(len(used_ids))
    train_c, held_c = compact[train_ids], compact[held_ids]
    print("distinct tokens in the training text: %d; held-out tokens outside it: %d"
          % (len(used_ids), int((held_c == len(used_ids)).sum())), flush=True)
    model = GPT2(args.n_layer, args.n_head, args.n_embd, args.ctx, 50257, used_ids=used_ids)
    n_params = 50257 * args.n_embd + sum(p.numel() for n, p in model.named_hf() if not n.startswith("wte."))
    print("parameters: %d (%.1f MB in F16)" % (n_params, n_params * 2 / 1e6), flush=True)
    # Weight decay on matrices only (not on LayerNorm gains/biases), as is usual for GPT training.
    decay = [p for n, p in model.named_hf() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_hf() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95), eps=1e-8)

    curve_path = os.path.join(args.out, "loss_curve.csv")
    curve = open(curve_path, "w", newline="")
    writer = csv.writer(curve)
    writer.writerow(["step", "tokens_seen", "elapsed_s", "lr", "train_loss", "heldout_loss"])

    budget_s = args.time_budget_min * 60.0
    t_train = time.time()
    run_loss, run_n = 0.0, 0
    step = 0
    stopped_on_budget = False
    ctx, B = args.ctx, args.batch
    while step < args.max_steps:
        if time.time() - t_train > budget_s:
            stopped_on_budget = True
            break
        lr = lr_at(step, args.max_steps, args.warmup, args.lr, args.lr_min)
        for g in opt.param_groups:
            g["lr"] = lr
        starts = rng.integers(0, len(train_c) - ctx - 1, size=B)
        x = torch.from_numpy(np.stack([train_c[s:s + ctx] for s in starts]))
        y = torch.from_numpy(np.stack([train_c[s + 1:s + 1 + ctx] for s in starts]))
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        run_loss += loss.item()
        run_n += 1
        step += 1
        if step % 20 == 0:
            print("step %d  loss %.4f  lr %.2e  %.1fs" % (step, loss.item(), lr, time.time() - t_train), flush=True)
        if step % args.eval_every == 0 or step == 1:
            held = evaluate(model, held_c, ctx, args.eval_windows)
            writer.writerow([step, step * B * ctx, "%.1f" % (time.time() - t_train), "%.3e" % lr,
                             "%.4f" % (run_loss / run_n), "%.4f" % held])
            curve.flush()
            print("== step %d  train %.4f  heldout %.4f" % (step, run_loss / run_n, held), flush=True)
            run_loss, run_n = 0.0, 0
    train_s = time.time() - t_train

    save_model(model, args, args.out)
    # Final held-out evaluation on ALL held-out windows, from the saved F16 weights
    # widened back to float32 (what the engine will see).
    # This uses a plain full-vocabulary GPT2 (no tied-rest parametrisation), so it
    # also checks that the saved model is the one that was trained.
    full = GPT2(args.n_layer, args.n_head, args.n_embd, args.ctx, 50257)
    saved, _ = common.read_safetensors(os.path.join(args.out, "model.safetensors"))
    with torch.no_grad():
        for name, prm in full.named_hf():
            prm.copy_(torch.from_numpy(saved[name].astype(np.float32)))
    held_final = evaluate(full, held_ids, ctx)
    train_eval = evaluate(full, train_ids, ctx, 80)
    writer.writerow([step, step * B * ctx, "%.1f" % train_s, "%.3e" % lr,
                     "%.4f" % (run_loss / run_n if run_n else float("nan")), "%.4f" % held_final])
    curve.close()
    summary = {
        "steps": step, "max_steps": args.max_steps, "stopped_on_time_budget": stopped_on_budget,
        "train_wall_s": round(train_s, 1), "total_wall_s": round(time.time() - t0, 1),
        "threads": args.threads, "seed": args.seed, "batch": B, "ctx": ctx,
        "tokens_seen": step * B * ctx, "train_tokens": int(len(train_ids)),
        "heldout_tokens": int(len(held_ids)), "parameters": n_params,
        "distinct_train_tokens": int(len(used_ids)),
        "lr": args.lr, "lr_min": args.lr_min, "warmup": args.warmup, "weight_decay": args.weight_decay,
        "heldout_loss_f16": round(held_final, 4), "heldout_ppl_f16": round(math.exp(held_final), 2),
        "train_loss_first_80_windows_f16": round(train_eval, 4),
        "argv": sys.argv[1:],
        "torch": torch.__version__,
    }
    with open(os.path.join(args.out, "train_summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
        f.write("\n")
    print(json.dumps(summary, indent=2), flush=True)


if __name__ == "__main__":
    main()
