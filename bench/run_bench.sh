#!/bin/sh
# run_bench.sh BUILD — every benchmark, ours next to the peers in the same run; figures are
# medians of repeated runs, each with its peak memory (max RSS). Results also go to
# build/bench/results.jsonl. Peers need Python packages pinned in golden/requirements*.txt.
set -u
BUILD=${1:-build}
OUT="$BUILD/bench/results.jsonl"
: >"$OUT"
REPEATS=${BENCH_REPEATS:-5}

echo "== verifier: verdicts/s, single thread, golden/verifier_corpus.jsonl =="
"$BUILD/bench/bench_verify" golden/verifier_corpus.jsonl "$REPEATS" | tee -a "$OUT"
if python3 -c "import math_verify" 2>/dev/null; then
    python3 bench/peers/mathverify_bench.py --repeat "${BENCH_PEER_REPEATS:-3}" | tee -a "$OUT"
else
    echo "(math-verify not installed: pip install -r golden/requirements.txt for the peer column)"
fi
python3 - "$OUT" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
ours = [r for r in rows if r.get("bench") == "verify"]
peer = [r for r in rows if r.get("peer") == "math-verify"]
if ours and peer:
    o, p = ours[-1], peer[-1]
    print("verifier: svs.c %.0f verdicts/s (max RSS %d KB) vs math-verify %.1f verdicts/s (max RSS %d KB): %.0fx"
          % (o["verdicts_per_s"], o["max_rss_kb"], p["verdicts_per_s"], p["max_rss_kb"], o["verdicts_per_s"] / p["verdicts_per_s"]))
PY

if [ -x "$BUILD/bench/bench_tokenizer" ] && [ -f bench/bench_tokenizer.sh ]; then
    echo
    sh bench/bench_tokenizer.sh "$BUILD" | tee -a "$OUT"
fi

if [ -x "$BUILD/bench/bench_model" ]; then
    # The transformer: ref, opt (each GEMM library) and PyTorch CPU fp32 with the same thread
    # count (BENCH_THREADS, default 1), one process per measurement; ~5 minutes on a 2-core
    # machine (BENCH_SKIP_4K=1 skips the 4,096-token SmolLM2 step). docs/benchmarks.md has the
    # figures.
    echo
    sh bench/run_model_bench.sh "$BUILD" "$OUT"
fi
