#!/usr/bin/python3
"""Convert a GPT-2 checkpoint in Hugging Face layout to a GGUF file that llama.cpp's
`gpt2` architecture loads, so llama.cpp can be benchmarked on the same weights as our
engine (docs/benchmarks.md, "llama.cpp on this machine").

Input directory: config.json, model.safetensors (F32 or F16/BF16, names with or without
the "transformer." prefix), vocab.json, merges.txt.

Usage:
    /usr/bin/python3 scripts/write_gguf.py MODEL_DIR OUT.gguf --type {f32,f16,q8_0}

Needs only numpy (no gguf / safetensors packages): the GGUF v3 container is written here
from its specification (ggml's docs/gguf.md):
  header  = "GGUF", u32 version=3, u64 tensor_count, u64 kv_count
  kv      = string key, u32 value_type, value   (string = u64 length + UTF-8 bytes)
  tensor  = string name, u32 n_dims, u64 ne[n_dims] (ne[0] = fastest-varying axis),
            u32 ggml_type, u64 offset (relative to the data section, aligned)
  then padding to general.alignment and the tensor data, each tensor aligned.

Tensor layout follows llama.cpp's gpt2 loader: every matrix is stored as
ne = {in, out}, i.e. a row-major numpy array [out, in] (PyTorch nn.Linear layout).
Hugging Face's GPT-2 uses Conv1D with weights [in, out], so those are transposed.
Type choice mirrors llama.cpp's own converter: 1-D tensors (norms, biases) and the
position embedding stay F32; the other matrices get the requested type.
The output projection is tied to token_embd (no output.weight) unless the checkpoint
carries a distinct lm_head.weight.
"""

import argparse
import json
import struct
import sys
from pathlib import Path

import numpy as np

# GGUF metadata value types (gguf.md).
GGUF_UINT32 = 4
GGUF_INT32 = 5
GGUF_FLOAT32 = 6
GGUF_BOOL = 7
GGUF_STRING = 8
GGUF_ARRAY = 9

# ggml tensor types and llama file types (ggml.h / llama.h enums).
GGML_TYPE = {"f32": 0, "f16": 1, "q8_0": 8}
LLAMA_FTYPE = {"f32": 0, "f16": 1, "q8_0": 7}
QK8_0 = 32  # Q8_0 block length
ALIGNMENT = 32
TOKEN_TYPE_NORMAL = 1
TOKEN_TYPE_CONTROL = 3


def fail(msg):
    sys.stderr.write(f"write_gguf: {msg}\n")
    sys.exit(1)


def read_safetensors(path):
    """Returns {name: float32 ndarray} (F16/BF16 widened to F32)."""
    raw = path.read_bytes()
    (header_len,) = struct.unpack_from("<Q", raw, 0)
    header = json.loads(raw[8 : 8 + header_len])
    base = 8 + header_len
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        buf = raw[base + begin : base + end]
        dtype = info["dtype"]
        if dtype == "F32":
            arr = np.frombuffer(buf, dtype="<f4")
        elif dtype == "F16":
            arr = np.frombuffer(buf, dtype="<f2").astype(np.float32)
        elif dtype == "BF16":
            arr = (np.frombuffer(buf, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            fail(f"{path}: tensor {name} has dtype {dtype}; expected F32, F16 or BF16")
        out[name.removeprefix("transformer.")] = arr.reshape(info["shape"])
    return out


def quantize_q8_0(x):
    """Q8_0 as ggml defines it: per block of 32 along a row, d = max|x| / 127 stored as
    fp16, q = round-half-away-from-zero(x / d) as int8. Returns the raw block bytes."""
    rows = x.reshape(-1, QK8_0).astype(np.float32)
    d = np.abs(rows).max(axis=1, keepdims=True) / 127.0
    with np.errstate(divide="ignore"):
        inv = np.where(d == 0.0, 0.0, 1.0 / d).astype(np.float32)
    scaled = rows * inv
    q = (np.sign(scaled) * np.floor(np.abs(scaled) + 0.5)).astype(np.int8)
    blocks = np.empty(rows.shape[0], dtype=[("d", "<f2"), ("qs", "i1", (QK8_0,))])
    blocks["d"] = d[:, 0].astype(np.float16)
    blocks["qs"] = q
    return blocks.tobytes()


class GgufWriter:
    def __init__(self):
        self.kv = []  # encoded key/value records
        self.tensors = []  # (name, ne, ggml_type, bytes)

    @staticmethod
    def _str(s):
        b = s.encode("utf-8")
        return struct.pack("<Q", len(b)) + b

    def add_u32(self, key, v):
        self.kv.append(self._str(key) + struct.pack("<II", GGUF_UINT32, v))

    def add_f32(self, key, v):
        self.kv.append(self._str(key) + struct.pack("<If", GGUF_FLOAT32, v))

    def add_bool(self, key, v):
        self.kv.append(self._str(key) + struct.pack("<I?", GGUF_BOOL, v))

    def add_string(self, key, v):
        self.kv.append(self._str(key) + struct.pack("<I", GGUF_STRING) + self._str(v))

    def add_string_array(self, key, values):
        parts = [self._str(key), struct.pack("<IIQ", GGUF_ARRAY, GGUF_STRING, len(values))]
        parts.extend(self._str(v) for v in values)
        self.kv.append(b"".join(parts))

    def add_i32_array(self, key, values):
        arr = np.asarray(values, dtype="<i4")
        self.kv.append(self._str(key) + struct.pack("<IIQ", GGUF_ARRAY, GGUF_INT32, arr.size) + arr.tobytes())

    def add_tensor(self, name, arr, type_name):
        """arr: row-major numpy array; GGUF ne is its shape reversed."""
        arr = np.ascontiguousarray(arr, dtype=np.float32)
        if type_name == "f32":
            data = arr.astype("<f4").tobytes()
        elif type_name == "f16":
            data = arr.astype("<f2").tobytes()
        elif type_name == "q8_0":
            if arr.shape[-1] % QK8_0 != 0:
                fail(f"{name}: row length {arr.shape[-1]} is not a multiple of {QK8_0} for Q8_0")
            data = quantize_q8_0(arr)
        else:
            fail(f"unknown tensor type {type_name}")
        self.tensors.append((name, tuple(reversed(arr.shape)), GGML_TYPE[type_name], data))

    def write(self, path):
        def pad(n):
            return (ALIGNMENT - n % ALIGNMENT) % ALIGNMENT

        infos = []
        offset = 0
        for name, ne, ggml_type, data in self.tensors:
            infos.append(
                self._str(name)
                + struct.pack("<I", len(ne))
                + struct.pack(f"<{len(ne)}Q", *ne)
                + struct.pack("<IQ", ggml_type, offset)
            )
            offset += len(data) + pad(len(data))
        head = b"GGUF" + struct.pack("<IQQ", 3, len(self.tensors), len(self.kv))
        head += b"".join(self.kv) + b"".join(infos)
        with open(path, "wb") as f:
            f.write(head)
            f.write(b"\0" * pad(len(head)))
            for _, _, _, data in self.tensors:
                f.write(data)
                f.write(b"\0" * pad(len(data)))


# Per block: (GGUF name, Hugging Face name, is a weight matrix). Each has a
# .weight and a .bias; the matrices take --type, LayerNorm stays F32.
LAYER_TENSORS = [
    ("attn_norm", "ln_1", False),
    ("attn_qkv", "attn.c_attn", True),
    ("attn_output", "attn.c_proj", True),
    ("ffn_norm", "ln_2", False),
    ("ffn_up", "mlp.c_fc", True),
    ("ffn_down", "mlp.c_proj", True),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model_dir", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--type", choices=sorted(GGML_TYPE), default="f32", help="type of the 2-D weight matrices")
    args = ap.parse_args()

    cfg = json.loads((args.model_dir / "config.json").read_text())
    n_layer, n_embd, n_head = cfg["n_layer"], cfg["n_embd"], cfg["n_head"]
    n_ctx = cfg.get("n_positions", cfg.get("n_ctx"))
    n_ff = cfg.get("n_inner") or 4 * n_embd
    eps = cfg.get("layer_norm_epsilon", 1e-5)
    if cfg.get("activation_function", "gelu_new") not in ("gelu_new", "gelu_pytorch_tanh"):
        fail(f"activation_function {cfg['activation_function']}: llama.cpp's gpt2 uses tanh GELU")

    vocab = json.loads((args.model_dir / "vocab.json").read_text(encoding="utf-8"))
    tokens = [None] * len(vocab)
    for piece, idx in vocab.items():
        if not 0 <= idx < len(tokens) or tokens[idx] is not None:
            fail(f"vocab.json: id {idx} of {piece!r} is out of range or duplicated")
        tokens[idx] = piece
    merges = [
        line
        for line in (args.model_dir / "merges.txt").read_text(encoding="utf-8").split("\n")
        if line and not line.startswith("#version")
    ]
    eot = vocab.get("<|endoftext|>")
    bos = cfg.get("bos_token_id", eot)
    eos = cfg.get("eos_token_id", eot)
    token_types = [TOKEN_TYPE_NORMAL] * len(tokens)
    if eot is not None:
        token_types[eot] = TOKEN_TYPE_CONTROL

    st = read_safetensors(args.model_dir / "model.safetensors")
    wte = st["wte.weight"]
    if wte.shape != (len(tokens), n_embd):
        fail(f"wte.weight has shape {wte.shape}; vocab.json has {len(tokens)} tokens and n_embd is {n_embd}")

    w = GgufWriter()
    w.add_string("general.architecture", "gpt2")
    w.add_string("general.name", args.model_dir.name)
    w.add_u32("general.file_type", LLAMA_FTYPE[args.type])
    w.add_u32("general.alignment", ALIGNMENT)
    w.add_u32("gpt2.context_length", n_ctx)
    w.add_u32("gpt2.embedding_length", n_embd)
    w.add_u32("gpt2.feed_forward_length", n_ff)
    w.add_u32("gpt2.block_count", n_layer)
    w.add_u32("gpt2.attention.head_count", n_head)
    w.add_f32("gpt2.attention.layer_norm_epsilon", eps)
    w.add_string("tokenizer.ggml.model", "gpt2")
    w.add_string("tokenizer.ggml.pre", "gpt-2")
    w.add_string_array("tokenizer.ggml.tokens", tokens)
    w.add_i32_array("tokenizer.ggml.token_type", token_types)
    w.add_string_array("tokenizer.ggml.merges", merges)
    w.add_u32("tokenizer.ggml.bos_token_id", bos)
    w.add_u32("tokenizer.ggml.eos_token_id", eos)
    w.add_bool("tokenizer.ggml.add_bos_token", False)

    mat = args.type  # type of the big matrices
    w.add_tensor("token_embd.weight", wte, mat)
    w.add_tensor("position_embd.weight", st["wpe.weight"], "f32")
    for i in range(n_layer):
        p, b = f"h.{i}.", f"blk.{i}."
        for gguf_name, hf_name, is_matrix in LAYER_TENSORS:
            weight = st[p + hf_name + ".weight"]
            # Conv1D stores [in, out]; GGUF (like nn.Linear) wants [out, in].
            w.add_tensor(b + gguf_name + ".weight", weight.T if is_matrix else weight, mat if is_matrix else "f32")
            w.add_tensor(b + gguf_name + ".bias", st[p + hf_name + ".bias"], "f32")
    w.add_tensor("output_norm.weight", st["ln_f.weight"], "f32")
    w.add_tensor("output_norm.bias", st["ln_f.bias"], "f32")
    lm_head = st.get("lm_head.weight")
    if lm_head is not None and not np.array_equal(lm_head, wte):
        w.add_tensor("output.weight", lm_head, mat)

    w.write(args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB, {len(w.tensors)} tensors, type {args.type})")


if __name__ == "__main__":
    main()
