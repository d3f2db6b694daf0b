#!/usr/bin/env python3
"""check_trainer.py — cross-check of our C BPE trainer (ref/tokenizer/tok_train.c) with a naive
Python trainer that recounts every pair at every step (no incremental bookkeeping).

Words are produced by HF tokenizers itself from the trained file (special tokens cut out, then
its normalizer and pre-tokenizer), so this also checks that our training-time pre-tokenization
agrees with HF's. Same rules as tok_train.c: ids 0..255 = bytes in the file's order, most
frequent pair first, ties to the smallest (left id, right id), a merge that recreates existing
bytes reuses the id, stop at the file's vocabulary size or when the best count < 2.
Slow (~2 min for ours_tokenizer.json on corpus.jsonl); not part of `make test`.
Usage: python3 golden/tokenizer/check_trainer.py TOKENIZER_JSON CORPUS_JSONL   (exit 1 on a difference)
"""
import collections
import json
import re
import sys

from tokenizers import Tokenizer


def words_of(path, corpus):
    """Counts HF's pre-tokenized pieces (byte-level spelling) of every corpus text."""
    tj = json.load(open(path, encoding="utf-8"))
    tok = Tokenizer.from_file(path)
    specials = sorted((a["content"] for a in tj["added_tokens"]), key=len, reverse=True)
    cut = re.compile("|".join(re.escape(s) for s in specials)) if specials else None
    words = collections.Counter()
    for line in open(corpus, encoding="utf-8"):
        obj = json.loads(line)
        if obj.get("header"):
            continue
        for seg in cut.split(obj["text"]) if cut else [obj["text"]]:
            if seg:
                norm = tok.normalizer.normalize_str(seg) if tok.normalizer else seg
                for piece, _ in tok.pre_tokenizer.pre_tokenize_str(norm):
                    words[piece] += 1
    return tj, words


def train(tj, words):
    inv = {v: k for k, v in tj["model"]["vocab"].items()}
    toks = [inv[i] for i in range(256)]
    tokid = {t: i for i, t in enumerate(toks)}
    seqs = [[tokid[c] for c in w] for w in words]
    counts = list(words.values())
    target = len(tj["model"]["vocab"])
    merges = []
    while len(toks) < target:
        pairs = collections.Counter()
        for seq, c in zip(seqs, counts):
            for a, b in zip(seq, seq[1:]):
                pairs[(a, b)] += c
        if not pairs:
            break
        (a, b), n = min(pairs.items(), key=lambda kv: (-kv[1], kv[0]))
        if n < 2:
            break
        s = toks[a] + toks[b]
        if s not in tokid:
            tokid[s] = len(toks)
            toks.append(s)
        c = tokid[s]
        merges.append((toks[a], toks[b]))
        for seq in seqs:
            out, i = [], 0
            while i < len(seq):
                if i + 1 < len(seq) and seq[i] == a and seq[i + 1] == b:
                    out.append(c)
                    i += 2
                else:
                    out.append(seq[i])
                    i += 1
            seq[:] = out
    return merges


def main():
    tj, words = words_of(sys.argv[1], sys.argv[2])
    ours = [tuple(m) for m in tj["model"]["merges"]]
    naive = train(tj, words)
    print(f"naive trainer: {len(naive)} merges; {sys.argv[1]}: {len(ours)} merges; equal: {naive == ours}")
    for i, (x, y) in enumerate(zip(naive, ours)):
        if x != y:
            print(f"first difference at merge {i}: naive {x}, file {y}")
            break
    sys.exit(0 if naive == ours else 1)


if __name__ == "__main__":
    main()
