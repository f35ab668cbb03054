#!/usr/bin/python3
"""An independent GPT-2 forward pass in PyTorch, the oracle for the C++ engine.

It shares no code with the engine: it parses config.json and
model.safetensors itself (8-byte little-endian header length, JSON header,
numpy.frombuffer on the data area; F32, F16 and BF16), widens every tensor to
the compute dtype, and runs GPT-2 (pre-LayerNorm blocks, causal multi-head
attention scaled by 1/sqrt(head_dim), GELU tanh approximation, final
LayerNorm, logits through the tied wte) on the whole sequence at once, without
a KV cache.

A BF16 checkpoint computes its matrix products as bf16 × bf16 summed at
full precision (as PyTorch autocast, llama.cpp and the engine do): the
input of each of the four linear layers of a block is rounded to float32,
then to bfloat16 (nearest, ties to even), before the product. The logits
product with wte keeps full-precision activations (so does the engine).

    /usr/bin/python3 scripts/reference_gpt2.py --model DIR --ids 1,2,3 --out OUTDIR [--dtype float64]

writes OUTDIR/logits.npy   float32 [T, V]      logits of every position
       OUTDIR/hidden.npy   float32 [L + 2, T, C]  residual stream: the
                           embedding, the output of each block, then ln_f's output
Computation is in float64 by default (float32 with --dtype float32); the files
hold the results rounded to float32.
"""
import argparse
import json
import math
import os
import struct
import sys

import numpy as np
import torch


def read_safetensors(path):
    """Returns ({name: numpy float32 array}, {name: stored dtype}) for every tensor of the file."""
    with open(path, "rb") as f:
        blob = f.read()
    (header_len,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + header_len].decode("utf-8"))
    data = memoryview(blob)[8 + header_len:]
    tensors = {}
    stored = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        raw = data[begin:end]
        shape = entry["shape"]
        dtype = entry["dtype"]
        stored[name] = dtype
        if dtype == "F32":
            a = np.frombuffer(raw, dtype="<f4")
        elif dtype == "F16":
            a = np.frombuffer(raw, dtype="<f2").astype(np.float32)
        elif dtype == "BF16":
            # bfloat16 is the top half of a float32: shift the bits up.
            bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
            a = bits.view(np.float32)
        else:
            raise SystemExit(f"{path}: tensor {name}: unsupported dtype {dtype}")
        tensors[name] = a.reshape(shape).copy()
    return tensors, stored


def load_model(model_dir, dtype):
    with open(os.path.join(model_dir, "config.json")) as f:
        config = json.load(f)
    raw, stored = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    weights = {}
    bf16 = False
    for name, array in raw.items():
        if name.startswith("transformer."):
            name = name[len("transformer."):]
        weights[name] = torch.from_numpy(array).to(dtype)
        bf16 |= name == "wte.weight" and stored.get("transformer." + name, stored.get(name)) == "BF16"
    return config, weights, bf16


def layer_norm(x, weight, bias, eps):
    mean = x.mean(dim=-1, keepdim=True)
    var = ((x - mean) ** 2).mean(dim=-1, keepdim=True)   # biased, as torch.nn.LayerNorm
    return (x - mean) / torch.sqrt(var + eps) * weight + bias


def gelu_new(x):
    # Hendrycks & Gimpel's tanh approximation, as GPT-2's "gelu_new".
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def forward(config, w, ids, bf16_products=False, kv_f16=False):
    def linear_input(x):
        if not bf16_products:
            return x
        return x.to(torch.float32).to(torch.bfloat16).to(x.dtype)

    n_layer = config["n_layer"]
    n_head = config["n_head"]
    C = config["n_embd"]
    eps = config.get("layer_norm_epsilon", 1e-5)
    HS = C // n_head
    T = len(ids)

    ids_t = torch.tensor(ids, dtype=torch.long)
    x = w["wte.weight"][ids_t] + w["wpe.weight"][:T]
    hidden = [x]
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    for l in range(n_layer):
        p = f"h.{l}."
        h = layer_norm(x, w[p + "ln_1.weight"], w[p + "ln_1.bias"], eps)
        qkv = linear_input(h) @ w[p + "attn.c_attn.weight"] + w[p + "attn.c_attn.bias"]       # [T, 3C]
        q, k, v = qkv.split(C, dim=-1)
        if kv_f16:
            # The engine's F16 KV cache: keys and values computed in float32,
            # then rounded to binary16 (to nearest, ties to even).
            k = k.to(torch.float32).to(torch.float16).to(k.dtype)
            v = v.to(torch.float32).to(torch.float16).to(v.dtype)
        q = q.view(T, n_head, HS).transpose(0, 1)                              # [NH, T, HS]
        k = k.view(T, n_head, HS).transpose(0, 1)
        v = v.view(T, n_head, HS).transpose(0, 1)
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(HS)                     # [NH, T, T]
        scores = scores.masked_fill(~mask, float("-inf"))
        att = torch.softmax(scores, dim=-1) @ v                                # [NH, T, HS]
        att = att.transpose(0, 1).reshape(T, C)
        x = x + linear_input(att) @ w[p + "attn.c_proj.weight"] + w[p + "attn.c_proj.bias"]
        h = layer_norm(x, w[p + "ln_2.weight"], w[p + "ln_2.bias"], eps)
        h = gelu_new(linear_input(h) @ w[p + "mlp.c_fc.weight"] + w[p + "mlp.c_fc.bias"])
        x = x + linear_input(h) @ w[p + "mlp.c_proj.weight"] + w[p + "mlp.c_proj.bias"]
        hidden.append(x)
    x = layer_norm(x, w["ln_f.weight"], w["ln_f.bias"], eps)
    hidden.append(x)
    logits = x @ w["wte.weight"].T                                             # tied output projection
    return logits, torch.stack(hidden)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="directory with config.json and model.safetensors")
    parser.add_argument("--ids", required=True, help="comma-separated token ids")
    parser.add_argument("--out", required=True, help="output directory")
    parser.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    parser.add_argument("--kv-f16", action="store_true",
                        help="round the keys and values to binary16 (the engine's F16 KV cache) and write only "
                             "logits_kv_f16.npy")
    args = parser.parse_args()

    dtype = torch.float64 if args.dtype == "float64" else torch.float32
    config, weights, bf16 = load_model(args.model, dtype)
    ids = [int(s) for s in args.ids.split(",") if s.strip()]
    if not ids:
        raise SystemExit("--ids: no token ids")
    if len(ids) > config.get("n_positions", config.get("n_ctx", 0)):
        raise SystemExit("--ids: more tokens than the context")
    if min(ids) < 0 or max(ids) >= config["vocab_size"]:
        raise SystemExit("--ids: token id outside the vocabulary")
    with torch.no_grad():
        logits, hidden = forward(config, weights, ids, bf16_products=bf16, kv_f16=args.kv_f16)
    os.makedirs(args.out, exist_ok=True)
    if args.kv_f16:
        np.save(os.path.join(args.out, "logits_kv_f16.npy"), logits.numpy().astype(np.float32))
        print(f"{args.out}: logits_kv_f16 {tuple(logits.shape)}", file=sys.stderr)
        return
    np.save(os.path.join(args.out, "logits.npy"), logits.numpy().astype(np.float32))
    np.save(os.path.join(args.out, "hidden.npy"), hidden.numpy().astype(np.float32))
    print(f"{args.out}: logits {tuple(logits.shape)}, hidden {tuple(hidden.shape)}", file=sys.stderr)


if __name__ == "__main__":
    main()
