#!/usr/bin/env python3
"""hf_tokenizers_bench.py — the Hugging Face `tokenizers` column next to bench_tokenizer.c.

Same corpus (build/bench/tokenizer_corpus.jsonl, written by build/bench/bench_tokenizer), same
tokenizer.json (Qwen2.5 by default), same measurements: median load time of
Tokenizer.from_file, median encode time over all documents, peak memory (max RSS), and the
token count + FNV-1a checksum of all ids (must equal svs.c's). Prints JSON lines
{"bench":"tokenizer","impl":"hf-tokenizers","op":...}.

--threads 1 (default) sets RAYON_NUM_THREADS=1 before tokenizers is imported and reports
  encode (one Tokenizer.encode call per document, add_special_tokens=False) and
  encode_batch (one call, one thread);
--threads 0 leaves the thread pool alone (all cores) and reports encode_batch only, for
  reference. Versions: golden/requirements-tokenizer.txt.
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time


def fnv_ids(h, ids):
    for v in ids:
        v &= 0xFFFFFFFF
        for b in range(4):
            h = ((h ^ ((v >> (8 * b)) & 0xFF)) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h


def rss_kb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def emit(**kw):
    print(json.dumps({"bench": "tokenizer", "impl": "hf-tokenizers", **kw}), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", default=os.environ.get("SVS_SHARED", "../shared"))
    ap.add_argument("--tokenizer")
    ap.add_argument("--corpus", default="build/bench/tokenizer_corpus.jsonl")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    if args.threads > 0:
        os.environ["RAYON_NUM_THREADS"] = str(args.threads)
        os.environ["TOKENIZERS_PARALLELISM"] = "false" if args.threads == 1 else "true"
    import tokenizers  # after the environment is set
    from tokenizers import Tokenizer

    path = args.tokenizer or os.path.join(args.shared, "assets", "tokenizers", "qwen2_5", "tokenizer.json")
    if not os.path.exists(args.corpus):
        sys.exit(f"{args.corpus} missing: run build/bench/bench_tokenizer first (it writes the corpus)")
    with open(args.corpus, encoding="utf-8") as f:
        docs = [json.loads(line)["text"] for line in f]
    nbytes = sum(len(d.encode("utf-8")) for d in docs)
    rss0 = rss_kb()
    ver = tokenizers.__version__

    times, tok = [], None
    for _ in range(args.repeats):
        del tok
        t0 = time.perf_counter()
        tok = Tokenizer.from_file(path)
        times.append(time.perf_counter() - t0)
    if args.threads == 1:
        emit(op="load", tokenizers=ver, tokenizer=path, seconds=round(statistics.median(times), 4),
             max_rss_kb=rss_kb(), rss_before_kb=rss0)

    def run(op, fn):
        times, cpus = [], []
        for _ in range(args.repeats):
            t0, c0 = time.perf_counter(), time.process_time()
            encs = fn()
            times.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
        h = 1469598103934665603
        ntok = 0
        for ids in encs:
            ntok += len(ids)
            h = fnv_ids(h, ids)
        s = statistics.median(times)
        emit(op=op, tokenizers=ver, threads=args.threads if args.threads > 0 else os.cpu_count(), docs=len(docs),
             bytes=nbytes, tokens=ntok, ids_fnv1a=f"{h:016x}", seconds=round(s, 4), cpu_seconds=round(statistics.median(cpus), 4), mb_per_s=round(nbytes / 1e6 / s, 2),
             tokens_per_s=round(ntok / s), max_rss_kb=rss_kb())

    if args.threads == 1:
        run("encode", lambda: [tok.encode(d, add_special_tokens=False).ids for d in docs])
    run("encode_batch", lambda: [e.ids for e in tok.encode_batch(docs, add_special_tokens=False)])


if __name__ == "__main__":
    main()
