#!/usr/bin/env python3
"""gen_ids.py — token-id and decode goldens from Hugging Face `tokenizers` (pinned in
golden/requirements-tokenizer.txt).

Inputs:  golden/tokenizer/corpus.jsonl (gen_corpus.py) and the tokenizer.json files
         ../shared/assets/tokenizers/{qwen2_5,llama3,gpt2}/tokenizer.json plus
         golden/tokenizer/ours_tokenizer.json (written by our C trainer: `svs bpe-train`).
Outputs: golden/tokenizer/ids_<name>.jsonl for name in qwen2_5, llama3, gpt2, ours:
           line 1: {"header": true, "tokenizer": name, "tokenizers": <version>, "file": <path>,
                    "file_sha256": ..., "corpus_sha256": ..., "documents": N, "tokens": T}
           then one {"id": doc id, "ids": [int, ...]} per corpus document, in corpus order,
           from Tokenizer.from_file(file).encode(text, add_special_tokens=False).ids
         golden/tokenizer/decode.jsonl: header line, then
           {"tokenizer": name, "case": str, "ids": [...], "skip_special_tokens": bool, "text": str}
           from Tokenizer.decode(ids, skip_special_tokens=...). Cases: prefixes of encoded corpus
           documents cut inside a multi-byte character (the decoded text ends in U+FFFD), whole
           documents with and without skip_special_tokens, and random id sequences drawn with a
           seeded splitmix64 over the whole id range (single byte tokens, added tokens, ...).

Determinism: corpus order, fixed seeds, no wall-clock. The header records the tokenizers
version and the sha256 of every input.
Usage: python3 golden/tokenizer/gen_ids.py [--shared ../shared] [--only qwen2_5,llama3,gpt2,ours]
"""
import argparse
import hashlib
import json
import os
import sys

import tokenizers
from tokenizers import Tokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
GENERATOR = "golden/tokenizer/gen_ids.py v1"
NAMES = ["qwen2_5", "llama3", "gpt2", "ours"]


class SplitMix64:
    """Same PRNG as gen_corpus.py."""

    def __init__(self, seed):
        self.state = seed & 0xFFFFFFFFFFFFFFFF

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
        return z ^ (z >> 31)

    def below(self, n):
        return self.next() % n


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def tokenizer_path(shared, name):
    if name == "ours":
        return os.path.join(HERE, "ours_tokenizer.json")
    return os.path.join(shared, "assets", "tokenizers", name, "tokenizer.json")


def read_corpus(path):
    docs = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            obj = json.loads(line)
            if not obj.get("header"):
                docs.append(obj)
    return docs


def write_ids(name, tok, path, docs, corpus_sha):
    encs = [tok.encode(d["text"], add_special_tokens=False).ids for d in docs]
    header = {"header": True, "generator": GENERATOR, "tokenizer": name, "tokenizers": tokenizers.__version__,
              "file": os.path.relpath(path, os.path.join(HERE, "..", "..")), "file_sha256": sha256_file(path),
              "corpus_sha256": corpus_sha, "documents": len(docs), "tokens": sum(map(len, encs)),
              "call": "Tokenizer.from_file(file).encode(text, add_special_tokens=False).ids"}
    out = os.path.join(HERE, f"ids_{name}.jsonl")
    with open(out, "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(header) + "\n")
        for d, ids in zip(docs, encs):
            f.write(json.dumps({"id": d["id"], "ids": ids}, separators=(",", ":")) + "\n")
    print(f"wrote {out}: {len(docs)} documents, {header['tokens']} tokens", file=sys.stderr)
    return encs


def token_bytes(tok, i):
    """Raw bytes of one non-added token id (inverse of the GPT-2 byte map)."""
    s = tok.id_to_token(i)
    return bytes(BYTE_OF[c] for c in s)


def bytes_to_unicode():
    bs = list(range(0x21, 0x7F)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs)}


BYTE_OF = bytes_to_unicode()


def decode_cases(name, tok, docs, encs):
    """Yields (case, ids, skip_special) for the decode goldens of one tokenizer."""
    added = {t.content for t in tok.get_added_tokens_decoder().values()}
    # 1. prefixes cut inside a multi-byte character: walk each document's tokens, track how many
    #    bytes are decoded and take the first two cuts that end in the middle of a character.
    cuts = 0
    for d, ids in zip(docs, encs):
        if cuts >= 60:
            break
        raw, found = b"", 0
        for k, i in enumerate(ids):
            t = tok.id_to_token(i)
            if t in added:
                raw = b""
                continue
            raw += token_bytes(tok, i)
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                yield (f"cut:{d['id']}:{k + 1}", ids[: k + 1], False)
                found += 1
                cuts += 1
                if found == 2:
                    break
            else:
                raw = b""
    # 2. whole documents, with and without skipping special tokens
    for d, ids in zip(docs, encs):
        if d["id"].startswith("special-") or d["id"] in ("emoji-all", "nfc-e-acute", "ws-mix", "prose-mixed-00"):
            yield (f"doc:{d['id']}", ids, False)
            yield (f"doc:{d['id']}", ids, True)
    # 3. random id sequences over the whole id range, and over the single-byte tokens 0..255
    rng = SplitMix64(0x5EEDDEC0 + NAMES.index(name))
    n_ids = tok.get_vocab_size(with_added_tokens=True)
    for k in range(80):
        hi = 256 if k % 2 else n_ids
        ids = [rng.below(hi) for _ in range(1 + rng.below(12))]
        yield (f"random:{k:02d}", ids, bool(k % 3 == 0))


def write_decode(results):
    out = os.path.join(HERE, "decode.jsonl")
    header = {"header": True, "generator": GENERATOR, "tokenizers": tokenizers.__version__,
              "call": "Tokenizer.decode(ids, skip_special_tokens=...)", "cases": len(results)}
    with open(out, "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(header) + "\n")
        for r in results:
            f.write(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n")
    print(f"wrote {out}: {len(results)} cases", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", default=os.path.join(HERE, "..", "..", "..", "shared"))
    ap.add_argument("--only", default=",".join(NAMES))
    args = ap.parse_args()
    corpus = os.path.join(HERE, "corpus.jsonl")
    docs = read_corpus(corpus)
    corpus_sha = sha256_file(corpus)
    results = []
    for name in args.only.split(","):
        path = tokenizer_path(args.shared, name)
        if not os.path.exists(path):
            print(f"skip {name}: {path} missing", file=sys.stderr)
            continue
        tok = Tokenizer.from_file(path)
        encs = write_ids(name, tok, path, docs, corpus_sha)
        for case, ids, skip in decode_cases(name, tok, docs, encs):
            text = tok.decode(ids, skip_special_tokens=skip)
            results.append({"tokenizer": name, "case": case, "ids": ids, "skip_special_tokens": skip, "text": text})
    if args.only == ",".join(NAMES):
        write_decode(results)


if __name__ == "__main__":
    main()
