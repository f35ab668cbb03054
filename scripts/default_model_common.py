"""Shared pieces of the default-model scripts: the KJV corpus, GPT-2's byte-level
BPE tokenizer, and a minimal safetensors reader/writer.

Used by scripts/train_default_model.py and scripts/reference_goldens_default_model.py.
Run with Debian's /usr/bin/python3 (python3-torch, python3-numpy, python3-regex).

Corpus: the King James Bible (public domain) from Debian's bible-kjv-text, read
through the `bible` program of package bible-kjv. Normalisation: one verse per
line, plain text (verse numbers and the "Book N" chapter headings dropped,
wrapped lines joined with one space). A chapter is one document; documents are
separated by GPT-2's <|endoftext|> token (id 50256) in the token stream.
Held-out split: every 50th chapter in canonical order (chapter index i, counting
from 0 over all 1189 chapters, is held out when i % 50 == 49), 23 chapters.
"""

import json
import os
import re
import struct
import subprocess
from functools import lru_cache

import numpy as np

BOOKS = [
    "Genesis", "Exodus", "Leviticus", "Numbers", "Deuteronomy", "Joshua", "Judges",
    "Ruth", "1 Samuel", "2 Samuel", "1 Kings", "2 Kings", "1 Chronicles",
    "2 Chronicles", "Ezra", "Nehemiah", "Esther", "Job", "Psalms", "Proverbs",
    "Ecclesiastes", "Song of Solomon", "Isaiah", "Jeremiah", "Lamentations",
    "Ezekiel", "Daniel", "Hosea", "Joel", "Amos", "Obadiah", "Jonah", "Micah",
    "Nahum", "Habakkuk", "Zephaniah", "Haggai", "Zechariah", "Malachi", "Matthew",
    "Mark", "Luke", "John", "Acts", "Romans", "1 Corinthians", "2 Corinthians",
    "Galatians", "Ephesians", "Philippians", "Colossians", "1 Thessalonians",
    "2 Thessalonians", "1 Timothy", "2 Timothy", "Titus", "Philemon", "Hebrews",
    "James", "1 Peter", "2 Peter", "1 John", "2 John", "3 John", "Jude", "Revelation",
]

HELDOUT_EVERY = 50  # chapter i (0-based, canonical order) is held out when i % 50 == 49
EOT_ID = 50256      # GPT-2's <|endoftext|>

_HEADING = re.compile(r"^(%s) (\d+)$" % "|".join(re.escape(b) for b in BOOKS))
_VERSE = re.compile(r"^\s+(\d+) (.*)$")


def read_kjv_chapters():
    """Return a list of (book, chapter, [verse texts]) in canonical order.

    The `bible` program paginates its output and repeats the "Book N" heading
    at page breaks, so a heading only starts a new chapter when (book, N)
    changes. Verse lines are indented and start with the verse number;
    unindented non-heading lines continue the previous verse.
    """
    raw = subprocess.run(["bible", "gen1:1-rev22:21"], check=True,
                         capture_output=True, text=True).stdout
    chapters = []
    current = None
    for line in raw.split("\n"):
        if not line.strip():
            continue
        m = _HEADING.match(line)
        if m:
            key = (m.group(1), int(m.group(2)))
            if current is None or (current[0], current[1]) != key:
                current = (key[0], key[1], [])
                chapters.append(current)
            continue
        m = _VERSE.match(line)
        if m:
            verses = current[2]
            if int(m.group(1)) != len(verses) + 1:
                raise ValueError("verse numbering broken at %s %d:%s" % (current[0], current[1], m.group(1)))
            verses.append(m.group(2).strip())
            continue
        current[2][-1] += " " + line.strip()
    n_verses = sum(len(c[2]) for c in chapters)
    if len(chapters) != 1189 or n_verses != 31102:
        raise ValueError("expected 1189 chapters / 31102 verses, got %d / %d" % (len(chapters), n_verses))
    return chapters


def split_chapters(chapters):
    """(train, heldout) lists of chapters; see HELDOUT_EVERY."""
    train = [c for i, c in enumerate(chapters) if i % HELDOUT_EVERY != HELDOUT_EVERY - 1]
    held = [c for i, c in enumerate(chapters) if i % HELDOUT_EVERY == HELDOUT_EVERY - 1]
    return train, held


def chapter_text(chapter):
    """A chapter as a document: one verse per line, newline-terminated."""
    return "".join(v + "\n" for v in chapter[2])


# ---------------------------------------------------------------------------
# GPT-2 byte-level BPE (Radford et al. 2019; the released encoder's algorithm).

GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""


def bytes_to_unicode():
    """GPT-2's reversible byte -> printable unicode character table.

    Printable Latin-1 bytes ('!'..'~', '¡'..'¬', '®'..'ÿ') map to themselves;
    the remaining 68 bytes map, in increasing byte order, to U+0100, U+0101, ...
    """
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) \
        + list(range(ord("®"), ord("ÿ") + 1))
    table = {}
    extra = 0
    for b in range(256):
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


class GPT2Tokenizer:
    def __init__(self, tokenizer_dir):
        import regex  # python3-regex: needed for \p{L} / \p{N}
        with open(os.path.join(tokenizer_dir, "vocab.json"), encoding="utf-8") as f:
            self.encoder = json.load(f)
        self.decoder = {v: k for k, v in self.encoder.items()}
        with open(os.path.join(tokenizer_dir, "merges.txt"), encoding="utf-8") as f:
            lines = f.read().split("\n")
        merges = [tuple(l.split(" ")) for l in lines if l and not l.startswith("#version")]
        self.ranks = {pair: i for i, pair in enumerate(merges)}
        self.byte_encoder = bytes_to_unicode()
        self.byte_decoder = {v: k for k, v in self.byte_encoder.items()}
        self.pattern = regex.compile(GPT2_PATTERN)
        self.cache = {}

    def _bpe(self, word):
        """Apply merges to one pre-token (already byte->unicode mapped): always merge
        the adjacent pair with the lowest rank, all its occurrences at once."""
        if word in self.cache:
            return self.cache[word]
        parts = list(word)
        while len(parts) > 1:
            best = None
            best_rank = None
            for pair in zip(parts, parts[1:]):
                r = self.ranks.get(pair)
                if r is not None and (best_rank is None or r < best_rank):
                    best, best_rank = pair, r
            if best is None:
                break
            merged = []
            i = 0
            while i < len(parts):
                if i + 1 < len(parts) and parts[i] == best[0] and parts[i + 1] == best[1]:
                    merged.append(parts[i] + parts[i + 1])
                    i += 2
                else:
                    merged.append(parts[i])
                    i += 1
            parts = merged
        ids = [self.encoder[p] for p in parts]
        self.cache[word] = ids
        return ids

    def encode(self, text):
        ids = []
        for piece in self.pattern.findall(text):
            mapped = "".join(self.byte_encoder[b] for b in piece.encode("utf-8"))
            ids.extend(self._bpe(mapped))
        return ids

    def decode(self, ids):
        out = bytearray()
        for i in ids:
            out.extend(self.byte_decoder[c] for c in self.decoder[int(i)])
        return out.decode("utf-8", errors="replace")


def encode_documents(tok, chapters):
    """Token stream: <|endoftext|> before every chapter document."""
    ids = []
    for c in chapters:
        ids.append(EOT_ID)
        ids.extend(tok.encode(chapter_text(c)))
    return np.array(ids, dtype=np.int64)


# ---------------------------------------------------------------------------
# safetensors (https://github.com/huggingface/safetensors format description):
# 8-byte little-endian header length N, N bytes of JSON header (padded with
# spaces so the data starts 8-aligned), then the raw little-endian tensor bytes.

_DTYPES = {"F16": np.float16, "F32": np.float32}


def write_safetensors(path, tensors, metadata=None):
    """tensors: ordered dict name -> numpy array (float16 or float32), C-contiguous."""
    header = {}
    offset = 0
    blobs = []
    for name, arr in tensors.items():
        arr = np.ascontiguousarray(arr)
        dtype = {np.dtype(np.float16): "F16", np.dtype(np.float32): "F32"}[arr.dtype]
        data = arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": dtype, "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    if metadata:
        header["__metadata__"] = metadata
    hbytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hbytes += b" " * ((8 - len(hbytes) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hbytes)))
        f.write(hbytes)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    """Return dict name -> numpy array (dtype as stored) and the metadata dict."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {})
    base = 8 + n
    out = {}
    for name, info in header.items():
        start, end = info["data_offsets"]
        arr = np.frombuffer(blob[base + start:base + end], dtype=np.dtype(_DTYPES[info["dtype"]]).newbyteorder("<"))
        out[name] = arr.reshape(info["shape"])
    return out, meta
