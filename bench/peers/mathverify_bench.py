#!/usr/bin/env python3
"""Peer benchmark: Math-Verify 0.8.0 over the verifier golden corpus (single process, one thread).

Per case: parse(gold) + parse(pred or response) + verify(gold, pred), with the calling convention
of golden/gen_verifier_corpus.py (gold as "\\boxed{" + gold + "}", an undelimited pred wrapped in
"$...$", default configs and Math-Verify's own 5 s signal timeouts). Import and corpus loading are
not timed. Cases whose corpus mv_error records a hard timeout (a hang that signal.alarm cannot
interrupt) are skipped and counted in "skipped".

Prints one JSON line:
  {"peer":"math-verify","version":"0.8.0","cases":N,"seconds":S,"verdicts_per_s":V,
   "max_rss_kb":R, ...extra fields}
"seconds" is the median over --repeat runs.

Usage: python3 bench/peers/mathverify_bench.py [--corpus PATH] [--limit N] [--repeat R]
"""

import argparse
import json
import os
import resource
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "golden"))

from gen_verifier_corpus import mv_verdict_inprocess  # noqa: E402  (same calling convention)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default=os.path.join(REPO, "golden", "verifier_corpus.jsonl"))
    ap.add_argument("--limit", type=int, default=0, help="time only the first N cases")
    ap.add_argument("--repeat", type=int, default=1, help="runs; the median time is reported")
    args = ap.parse_args()

    with open(args.corpus, encoding="utf-8") as f:
        rows = [json.loads(l) for l in f if l.strip()]
    header = rows[0] if rows and rows[0].get("header") else {}
    cases = rows[1:] if header else rows
    skipped = [c for c in cases if c.get("mv_error", "").startswith("hard timeout")]
    cases = [c for c in cases if not c.get("mv_error", "").startswith("hard timeout")]
    if args.limit > 0:
        cases = cases[:args.limit]

    import math_verify  # noqa: F401  (import outside the timed region)
    from importlib.metadata import version

    times = []
    mismatch = 0
    for rep in range(max(1, args.repeat)):
        t0 = time.perf_counter()
        verdicts = [mv_verdict_inprocess(c)[0] for c in cases]
        times.append(time.perf_counter() - t0)
        if rep == 0:
            mismatch = sum(v != c.get("mv") for v, c in zip(verdicts, cases))
    secs = statistics.median(times)
    out = {"peer": "math-verify", "version": version("math-verify"), "cases": len(cases),
           "seconds": round(secs, 4),
           "verdicts_per_s": round(len(cases) / secs, 1) if secs > 0 else None,
           "max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
           "repeat": len(times), "all_seconds": [round(t, 4) for t in times],
           "skipped": len(skipped), "mismatch_vs_corpus_mv": mismatch,
           "corpus": os.path.relpath(args.corpus, REPO)}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
