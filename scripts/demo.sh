#!/bin/sh
# demo.sh — the main job (`make demo`): RLVR and SvS from the same tiny checkpoint
# (data/tiny/), on the same problems, with the same seeds and step budget, then base / RLVR /
# SvS evaluated with pass@k (k = 1..64) on held-out tiny-math problems; plots and a summary
# table. docs/demo.md explains every setting and what the result shows.
#
# Everything lands in $DEMO_OUT (default build/demo): rl_problems.jsonl, eval_problems.jsonl,
# rlvr/ and svs/ (metrics.jsonl, checkpoints, model/), eval_{base,rlvr,svs}.jsonl,
# report/{entropy,accuracy,passk}.svg + summary.md. The knobs below can be overridden from
# the environment (DEMO_STEPS=2 for a quick look).
set -eu
SVS=${SVS:-bin/svs}
OUT=${DEMO_OUT:-build/demo}
MODEL=${DEMO_MODEL:-data/tiny}
STEPS=${DEMO_STEPS:-20}              # RL steps of each run (the shared budget)
BATCH=${DEMO_BATCH_PROBLEMS:-8}      # problems per step
N=${DEMO_N:-8}                       # samples per problem / seed / synthetic problem
LR=${DEMO_LR:-1e-4}                  # AdamW learning rate (constant)
MINI=${DEMO_MINI_BATCH_PROBLEMS:-$BATCH} # problems per optimizer step (verl: ppo_mini_batch_size)
RL_DIFFICULTY=${DEMO_RL_DIFFICULTY:-1}
RL_COUNT=$((STEPS * BATCH))          # each RL problem is seen once
EVAL_COUNT=${DEMO_EVAL_PROBLEMS:-64}
EVAL_N=${DEMO_EVAL_N:-64}
MAX_NEW=${DEMO_MAX_NEW_TOKENS:-128}
SEED=${DEMO_SEED:-1}

start=$(date +%s)
stage() { echo "[demo $1/6 +$(( $(date +%s) - start ))s] $2" >&2; }

[ -f "$MODEL/model.safetensors" ] || { echo "svs: error: $MODEL/model.safetensors not found (make tiny-model rebuilds it)" >&2; exit 2; }
rm -rf "$OUT"
mkdir -p "$OUT"
stage 1 "problems: $RL_COUNT RL problems (rl split, difficulty $RL_DIFFICULTY), $EVAL_COUNT held-out (eval split)"
"$SVS" tinymath --split rl --count "$RL_COUNT" --seed "$SEED" --difficulty "$RL_DIFFICULTY" > "$OUT/rl_problems.jsonl"
"$SVS" tinymath --split eval --count "$EVAL_COUNT" --seed "$SEED" --difficulty "$RL_DIFFICULTY" > "$OUT/eval_problems.jsonl"

# Both runs: same checkpoint, data, seed, steps, lr, n, B; GRPO preset verl-svs (the official
# SvS settings: token-mean, clip 0.2/0.28, no KL) with a constant LR scaled to this model. The
# two runs (and then the evaluations) run side by side, one thread each: on a small model two
# single-threaded processes use two cores better than one process with two threads.
COMMON="--model $MODEL --tokenizer $MODEL/tokenizer.json --data $OUT/rl_problems.jsonl --steps $STEPS
        --batch-problems $BATCH --mini-batch-problems $MINI --n $N --max-new-tokens $MAX_NEW --lr $LR --seed $SEED --save-every $STEPS
        --threads 1"
steps_done() { if [ -f "$1" ]; then grep -c '"skipped":0\|"step":[0-9]*,"critic' "$1"; else echo 0; fi; }
# progress: one line, rewritten every 2 s, until the background jobs given as arguments end
watch_jobs() {
    while :; do
        alive=0
        for p in "$@"; do kill -0 "$p" 2>/dev/null && alive=1; done
        printf '\r[demo +%ss] RLVR step %s/%s | SvS step %s/%s ' "$(( $(date +%s) - start ))" \
            "$(steps_done "$OUT/rlvr/metrics.jsonl")" "$STEPS" "$(steps_done "$OUT/svs/metrics.jsonl")" "$STEPS" >&2
        [ $alive -eq 1 ] || break
        sleep 2
    done
    echo >&2
}
stage 2 "RLVR and SvS side by side: $STEPS steps x $BATCH problems x $N samples each (logs: $OUT/{rlvr,svs}.log)"
# shellcheck disable=SC2086
"$SVS" rl --mode rlvr $COMMON --out "$OUT/rlvr" 2>"$OUT/rlvr.log" &
p1=$!
# shellcheck disable=SC2086
"$SVS" rl --mode svs $COMMON --synthesis-prompt data/prompts/synthesis_tiny.txt --out "$OUT/svs" \
    --trace "$OUT/svs_trace.jsonl" 2>"$OUT/svs.log" &
p2=$!
watch_jobs $p1 $p2
wait $p1 || { tail -n 3 "$OUT/rlvr.log" >&2; exit 2; }
wait $p2 || { tail -n 3 "$OUT/svs.log" >&2; exit 2; }

EVAL="--tokenizer $MODEL/tokenizer.json --data $OUT/eval_problems.jsonl --n $EVAL_N --max-new-tokens $MAX_NEW
      --seed $SEED --batch-problems 4 --k-list 1,2,4,8,16,32,64 --threads 1"
stage 3 "evaluation: $EVAL_COUNT held-out problems x $EVAL_N samples, base and RLVR side by side, then SvS"
# shellcheck disable=SC2086
"$SVS" eval --model "$MODEL" $EVAL >"$OUT/eval_base.jsonl" 2>"$OUT/eval_base.log" &
p1=$!
# shellcheck disable=SC2086
"$SVS" eval --model "$OUT/rlvr/model" $EVAL >"$OUT/eval_rlvr.jsonl" 2>"$OUT/eval_rlvr.log" &
p2=$!
wait $p1 || { tail -n 3 "$OUT/eval_base.log" >&2; exit 2; }
wait $p2 || { tail -n 3 "$OUT/eval_rlvr.log" >&2; exit 2; }
stage 4 "evaluation: SvS"
# shellcheck disable=SC2086
"$SVS" eval --model "$OUT/svs/model" $EVAL >"$OUT/eval_svs.jsonl" 2>"$OUT/eval_svs.log" ||
    { tail -n 3 "$OUT/eval_svs.log" >&2; exit 2; }

stage 5 "report -> $OUT/report/"
# the synthetic problems SvS trained on, solved exactly (tm_solve): do they have the seed's answer?
"$SVS" tinymath --audit-trace "$OUT/svs_trace.jsonl" >"$OUT/svs_audit.jsonl"
audit=$(tail -n 1 "$OUT/svs_audit.jsonl")
field() { echo "$audit" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
"$SVS" report --out "$OUT/report" --run RLVR="$OUT/rlvr/metrics.jsonl" --run SvS="$OUT/svs/metrics.jsonl" \
    --eval base="$OUT/eval_base.jsonl" --eval RLVR="$OUT/eval_rlvr.jsonl" --eval SvS="$OUT/eval_svs.jsonl"
{
    echo
    echo "SvS synthesis audit (svs tinymath --audit-trace): of $(field valid) valid synthetic problems," \
         "$(field recognized) are tiny-math problems the exact solver reads, and $(field same_answer) of those" \
         "have the seed problem's answer; of the $(field reward1) that got synthesis reward 1," \
         "$(field reward1_same_answer) have it."
} | tee -a "$OUT/report/summary.md"
stage 6 "done in $(( $(date +%s) - start )) s: plots $OUT/report/{entropy,accuracy,passk}.svg, table $OUT/report/summary.md"
