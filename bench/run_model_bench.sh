#!/bin/sh
# run_model_bench.sh BUILD OUT — the model section of bench/run_bench.sh: training step and
# batched greedy decode tokens/s of the transformer on ref, opt:openblas, opt:onednn and PyTorch
# CPU fp32 (bench/peers/torch_model_bench.py) with the same thread count (BENCH_THREADS, default
# 1; ref is always 1 thread), one process per measurement (each max RSS is its own), JSON lines
# appended to OUT, then a comparison table. ~5 minutes on a 2-core machine.
# Args of bench_model / the peer: MODEL OP B T NEW REPEATS WARMUP. Ends with a per-op profile
# (bench_model --profile) of the 3.4M step and the tiny 64-sequence generation.
set -u
BUILD=${1:-build}
OUT=${2:-$BUILD/bench/results.jsonl}
TH=${BENCH_THREADS:-1}
BM="$BUILD/bench/bench_model"
PEER="python3 bench/peers/torch_model_bench.py"
HAVE_TORCH=0
python3 -c "import torch, transformers" 2>/dev/null && HAVE_TORCH=1
OPTS=""
for g in openblas onednn; do
    "$BM" --backend "opt:$g" --threads "$TH" tiny load >/dev/null 2>&1 && OPTS="$OPTS opt:$g"
done
[ -z "$OPTS" ] && echo "(bench_model built without the opt backend: ref only)"
[ "$HAVE_TORCH" = 1 ] || echo "(torch/transformers not installed: no PyTorch column)"

# one configuration on every backend; $1 = args, $2 = "noref" to skip the (slow) reference
run_all() {
    # shellcheck disable=SC2086
    if [ "${2:-}" != noref ]; then "$BM" --backend ref $1 | tee -a "$OUT"; fi
    for be in $OPTS; do
        # shellcheck disable=SC2086
        "$BM" --backend "$be" --threads "$TH" $1 | tee -a "$OUT"
    done
    if [ "$HAVE_TORCH" = 1 ]; then
        # shellcheck disable=SC2086
        $PEER --threads "$TH" $1 2>/dev/null | tee -a "$OUT"
    fi
}
# ref runs fewer repeats where one run is long (ref REPEATS/WARMUP differ from opt's only there)
refonly() { "$BM" --backend ref "$@" | tee -a "$OUT"; }
optpeer() { # like run_all without ref
    run_all "$*" noref
}

echo "== model: ref vs opt (each GEMM library) vs PyTorch CPU fp32, $TH thread(s) (ref: 1) =="
# tiny (demo size)
run_all "tiny train 8 64 0 3 1"
run_all "tiny decode 1 16 32 3 1"
run_all "tiny decode 64 16 32 3 1"
# 3.4M: the issue's training config, batch 16 × seq 128
refonly 3.4m train 16 128 0 1 0
optpeer 3.4m train 16 128 0 3 1
run_all "3.4m decode 1 16 32 3 1"
refonly 3.4m decode 64 16 32 1 0
optpeer 3.4m decode 64 16 32 3 1
# SmolLM2-135M (opt/ref: the Q4_1 GGUF dequantized to fp32; pytorch: random init, same shapes).
# ref training (~1 token/s, docs/benchmarks.md) and ref 64-sequence decode (~5 min) skipped.
optpeer smollm2 train 1 256 0 2 1
refonly smollm2 decode 1 16 16 1 0
optpeer smollm2 decode 1 16 16 2 1
optpeer smollm2 decode 64 16 16 1 1
# the 4,096-token micro-batch (4 × 1024) on opt: one step, for its peak RSS (memory cap 16 GB)
if [ -n "$OPTS" ] && [ "${BENCH_SKIP_4K:-0}" = 0 ]; then
    be=${OPTS# }
    be=${be%% *}
    # shellcheck disable=SC3045  # dash and bash both have ulimit -v
    ( ulimit -v 16000000 2>/dev/null; timeout 240 "$BM" --backend "$be" --threads "$TH" smollm2 train 4 1024 0 1 0 ) \
        | sed 's/"op":"train_step"/"op":"train_step_4k"/' | tee -a "$OUT" \
        || echo "(4,096-token step failed or timed out)"
fi

python3 - "$OUT" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith('{"bench":"model"')]
rows = [r for r in rows if "backend" in r]  # this section's lines
cols = ["ref", "opt:openblas", "opt:onednn", "pytorch"]
def key(r): return "pytorch" if r["impl"] == "pytorch" else r["backend"]
tab = {}
for r in rows:
    tab.setdefault((r["model"], r["op"], r["batch"], r["seq"]), {})[key(r)] = r
print("\nmodel    op           BxT       " + "".join("%-22s" % c for c in cols) + "opt/pt  opt/ref  MFU(blas/dnnl)")
for (m, op, b, t), d in tab.items():
    cell = lambda c: ("%.1f/%dMB" % (d[c]["tokens_per_s"], d[c]["max_rss_kb"] // 1024)) if c in d and "tokens_per_s" in d[c] else "-"
    best = max([d[c]["tokens_per_s"] for c in cols[1:3] if c in d and "tokens_per_s" in d[c]] or [0])
    pt = d.get("pytorch", {}).get("tokens_per_s"); rf = d.get("ref", {}).get("tokens_per_s")
    mfu = "/".join("%.0f%%" % (100 * d[c]["mfu"]) if c in d and "mfu" in d[c] else "-" for c in cols[1:3])
    print("%-8s %-12s %-9s " % (m, op, "%dx%d" % (b, t)) + "".join("%-22s" % cell(c) for c in cols)
          + "%-7s %-8s %s" % ("%.2f" % (best / pt) if pt and best else "-",
                              "%.0f" % (best / rf) if rf and best else "-", mfu if op.startswith("train") else ""))
for m in ("tiny", "3.4m", "smollm2"):
    for c in cols:
        one = next((d[c] for (mm, op, b, t), d in tab.items() if mm == m and op == "decode" and b == 1 and c in d), None)
        many = next((d[c] for (mm, op, b, t), d in tab.items() if mm == m and op == "decode" and b == 64 and c in d), None)
        if one and many:
            print("decode 64 vs 1 sequence, %s %s: %.1fx" % (m, c, many["tokens_per_s"] / one["tokens_per_s"]))
gg = {key(r): r["gemm_gflops"] for r in rows if "gemm_gflops" in r}
print("GEMM 1024^3 GFLOP/s (last measured): " + ", ".join("%s %.1f" % kv for kv in gg.items()))
PY

# where the time goes: per-op wall time of the timed runs (bench_model --profile,
# bench/ops_profile.h) for the 3.4M training step and the tiny 64-sequence generation, on the
# last opt backend of the list (oneDNN when built)
if [ -n "$OPTS" ]; then
    be=${OPTS##* }
    for args in "3.4m train 16 128 0 3 1" "tiny decode 64 16 32 5 1"; do
        echo "== profile: $be, $TH thread(s), $args =="
        # shellcheck disable=SC2086
        "$BM" --backend "$be" --threads "$TH" --profile $args 2>&1 >/dev/null | python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin if l.startswith("{\"profile\"")]
for r in rows:
    if "shape" in r:
        print("  %-16s %-14s %8.2f ms/run  %6.1f GFLOP/s" % (r["profile"], r["shape"], r["ms_per_run"], r["gflops"]))
    else:
        print("  %-22s %8.2f ms/run  %5.1f %%" % (r["profile"], r["ms_per_run"], 100 * r["share"]))
'
    done
fi
