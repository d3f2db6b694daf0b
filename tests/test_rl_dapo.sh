#!/bin/sh
# test_rl_dapo.sh — `svs rl --mode rlvr` with verl's token-budget micro-batches
# (--micro-batch-tokens, ref/seqlen_balance.c) and DAPO in the loop (dynamic sampling with refill,
# --max-gen-batches; overlong shaping, --set overlong=1 ...), docs/rl.md. Tiny random Qwen2
# (vocab 1,500, the golden BPE, ref backend), tinymath problems, the test-only reward test-even.
#
# Token budget: a budget above the mini-batch's tokens gives one micro-batch, bit-identical to
# fixed rows covering the mini-batch; a small budget gives more micro-batches, deterministic
# metrics, and (seq-mean-token-sum, which the b_mb/N_mini weight makes partition-independent,
# spec/grpo-conventions.md §5.2) the same gradient norm as one micro-batch within float
# rounding, while the 1/GA weight of fixed unequal micro-batches does not; a budget below a row
# is refused. Dynamic sampling: every step trains on exactly B groups, refills happen, runs are
# deterministic and resume bit-identically, the limit is an error. Overlong: the penalty and the
# reward arithmetic (reward = acc + penalty), bad configurations refused.
SVS=${SVS:-bin/svs}
TOK=golden/tokenizer/ours_tokenizer.json
. "$(dirname "$0")/lib.sh"

expect_err() { # expect_err NAME SUBSTRING CMD...   (CMD may be rl, which writes $tmp/rl.err)
    name=$1; sub=$2; shift 2
    : >"$tmp/rl.err"
    "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    rc=$?
    cat "$tmp/rl.err" >>"$tmp/err"
    if [ "$rc" -eq 2 ] && grep -q "^svs: error: " "$tmp/err" && grep -qF -- "$sub" "$tmp/err"; then ok
    else bad "$name: exit $rc, stderr: $(head -c 300 "$tmp/err")"; fi
}
# field FILE NAME: the values of one numeric field, one per line
field() { sed -n "s|.*\"$2\":\([-0-9.eE+]*\).*|\1|p" "$1"; }

tiny_qwen2_config "$tmp/cfg.json"
"$SVS" tinymath --split rl --count 8 --seed 1 >"$tmp/data.jsonl" || bad "tinymath"

rl() { # rl OUTDIR STEPS [extra options]
    out=$1; steps=$2; shift 2
    "$SVS" rl --mode rlvr --init-random "$tmp/cfg.json" --tokenizer "$TOK" --data "$tmp/data.jsonl" \
        --steps "$steps" --batch-problems 2 --n 4 --max-new-tokens 10 --lr 1e-2 --reward test-even --seed 1 \
        --backend ref --out "$out" "$@" 2>"$tmp/rl.err"
}

# ---- token-budget micro-batches ------------------------------------------------------------
# one mini-batch of 8 rows per step (--mini-batch-problems 2), filter off
rl "$tmp/rows" 2 --set filter=none --mini-batch-problems 2 --micro-batch-rows 8
check "fixed rows: exit 0 ($(tail -c 200 "$tmp/rl.err"))" '[ $? -eq 0 ]'
rl "$tmp/huge" 2 --set filter=none --mini-batch-problems 2 --micro-batch-tokens 100000
check "huge budget: exit 0 ($(tail -c 200 "$tmp/rl.err"))" '[ $? -eq 0 ]'
check "huge budget: one micro-batch per mini-batch" '[ "$(field "$tmp/huge/metrics.jsonl" actor/micro_batches | sort -u)" = 1 ]'
strip "$tmp/rows/metrics.jsonl" >"$tmp/rows.s"; strip "$tmp/huge/metrics.jsonl" >"$tmp/huge.s"
check "huge budget = one fixed micro-batch: identical metrics" 'cmp -s "$tmp/rows.s" "$tmp/huge.s"'
check "huge budget = one fixed micro-batch: identical parameters" \
    'cmp -s "$tmp/rows/ckpt-000002/params.bin" "$tmp/huge/ckpt-000002/params.bin"'

# the rows are prompt (up to 143 tokens) + 10 response tokens; a budget of 300 forces several micro-batches
rl "$tmp/small" 2 --set filter=none --mini-batch-problems 2 --micro-batch-tokens 300
check "budget 300: exit 0 ($(tail -c 200 "$tmp/rl.err"))" '[ $? -eq 0 ]'
mbs=$(field "$tmp/small/metrics.jsonl" actor/micro_batches | tr '\n' ' ')
echo "REPORT budget 300 tokens: micro-batches per step: $mbs(8 rows of prompt + 10 tokens each)"
check "budget 300: more than one micro-batch" '[ "$(field "$tmp/small/metrics.jsonl" actor/micro_batches | sort -n | head -n 1)" -gt 1 ]'
rl "$tmp/small2" 2 --set filter=none --mini-batch-problems 2 --micro-batch-tokens 300
strip "$tmp/small/metrics.jsonl" >"$tmp/small.s"; strip "$tmp/small2/metrics.jsonl" >"$tmp/small2.s"
check "budget 300: same seed, identical metrics" 'cmp -s "$tmp/small.s" "$tmp/small2.s"'
check "budget 300: identical parameters" 'cmp -s "$tmp/small/ckpt-000002/params.bin" "$tmp/small2/ckpt-000002/params.bin"'
check "budget 300: token-mean per micro-batch changes the update" \
    '! cmp -s "$tmp/small/ckpt-000002/params.bin" "$tmp/huge/ckpt-000002/params.bin"'
rl "$tmp/lenbal" 2 --set filter=none --mini-batch-problems 2 --micro-batch-tokens 300 --micro-batch-balance lengths
check "--micro-batch-balance lengths: exit 0 ($(tail -c 200 "$tmp/rl.err"))" '[ $? -eq 0 ]'

# b_mb/N_mini (spec §5.2): with seq-mean-token-sum (Σ_i S_i / b per micro-batch) the weighted sum is
# Σ_i S_i / N whatever the partition: the first step's gradient norm (same parameters, same rows)
# must equal the one-micro-batch run's up to float rounding; 1/GA over fixed 3+3+2 rows must not.
# Step 1's rows have 153 (x4) and 105 (x4) tokens; budget 420 gives ceil(1032/420) = 3
# micro-batches [0,3] [2,4,7] [1,5,6] (verl 0.9.1's split, 2+3+3 rows), so a 1/GA weight there
# would differ too.
SEQ="--set loss_agg_mode=seq-mean-token-sum --set seq_denom=all"
rl "$tmp/seq1" 1 --set filter=none --mini-batch-problems 2 --micro-batch-rows 8 $SEQ
rl "$tmp/seqt" 1 --set filter=none --mini-batch-problems 2 --micro-batch-tokens 420 $SEQ
rl "$tmp/seqga" 1 --set filter=none --mini-batch-problems 2 --micro-batch-rows 3 $SEQ --set scope=micro-ga
g1=$(field "$tmp/seq1/metrics.jsonl" actor/grad_norm); gt=$(field "$tmp/seqt/metrics.jsonl" actor/grad_norm)
gga=$(field "$tmp/seqga/metrics.jsonl" actor/grad_norm); kt=$(field "$tmp/seqt/metrics.jsonl" actor/micro_batches)
echo "REPORT seq-mean-token-sum grad norm: one micro-batch $g1, token budget ($kt micro-batches, x b_mb/N) $gt, fixed 3+3+2 rows x 1/GA $gga"
check "b_mb/N_mini: token-budget gradient = one micro-batch (rel 1e-5)" \
    "awk -v a='$g1' -v b='$gt' 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a > 0 && d <= 1e-5 * a) }'"
check "the comparison discriminates: 1/GA over unequal micro-batches differs (rel > 1e-3)" \
    "awk -v a='$g1' -v b='$gga' 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d > 1e-3 * a) }'"
check "three token-budget micro-batches in that run (2+3+3 rows)" '[ "$kt" -eq 3 ]'
# preset verl (scope micro-ga, 1/GA with fixed rows): with a token budget verl's legacy actor
# weights by b_mb/N_mini instead (dp_actor.py), so the same equality must hold
rl "$tmp/vseq1" 1 --preset verl --set filter=none --mini-batch-problems 2 --micro-batch-rows 8 $SEQ
rl "$tmp/vseqt" 1 --preset verl --set filter=none --mini-batch-problems 2 --micro-batch-tokens 420 $SEQ
v1=$(field "$tmp/vseq1/metrics.jsonl" actor/grad_norm); vt=$(field "$tmp/vseqt/metrics.jsonl" actor/grad_norm)
echo "REPORT preset verl (micro-ga), seq-mean-token-sum grad norm: one micro-batch $v1, token budget 420 $vt"
check "preset verl + token budget: weights b_mb/N_mini (rel 1e-5)" \
    "awk -v a='$v1' -v b='$vt' 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a > 0 && d <= 1e-5 * a) }'"

expect_err "budget below a row" "micro-batch-tokens" rl "$tmp/tiny" 1 --micro-batch-tokens 20
expect_err "bad balance name" "micro-batch-balance" rl "$tmp/bal" 1 --micro-batch-tokens 1000 --micro-batch-balance x

# ---- DAPO dynamic sampling ------------------------------------------------------------------
# n = 2: half of the groups have equal rewards and are dropped by mean01 (the verl-svs filter)
dyn() { out=$1; steps=$2; shift 2; rl "$out" "$steps" --n 2 --mini-batch-problems 1 --max-gen-batches 0 "$@"; }
dyn "$tmp/dyn" 4
check "dynamic sampling: exit 0 ($(tail -c 200 "$tmp/rl.err"))" '[ $? -eq 0 ]'
ngb=$(field "$tmp/dyn/metrics.jsonl" train/num_gen_batches | tr '\n' ' ')
kept=$(field "$tmp/dyn/metrics.jsonl" train/kept_groups | tr '\n' ' ')
echo "REPORT dynamic sampling (B 2, n 2, mean01): gen batches per step: $ngb kept groups: $kept"
check "every step trains on B = 2 groups (2 optimizer steps of 1 problem)" \
    '[ "$(grep -c "\"optim_steps\":2," "$tmp/dyn/metrics.jsonl")" -eq 4 ]'
check "kept groups >= 2 every step" '[ "$(field "$tmp/dyn/metrics.jsonl" train/kept_groups | sort -n | head -n 1)" -ge 2 ]'
check "some step needed a refill" '[ "$(field "$tmp/dyn/metrics.jsonl" train/num_gen_batches | sort -n | tail -n 1)" -gt 1 ]'
rl "$tmp/nodyn" 4 --n 2 --mini-batch-problems 1
check "without refill some step has fewer optimizer steps" \
    '[ "$(grep -c "\"optim_steps\":2," "$tmp/nodyn/metrics.jsonl")" -lt 4 ]'
check "without refill: no dynamic-sampling fields" '! grep -q "train/num_gen_batches" "$tmp/nodyn/metrics.jsonl"'
dyn "$tmp/dyn2" 4
strip "$tmp/dyn/metrics.jsonl" >"$tmp/dyn.s"; strip "$tmp/dyn2/metrics.jsonl" >"$tmp/dyn2.s"
check "dynamic sampling: same seed, identical metrics" 'cmp -s "$tmp/dyn.s" "$tmp/dyn2.s"'
# data position: the problems of every generation batch are consumed (4 steps, 8 problems)
used=$(field "$tmp/dyn/metrics.jsonl" train/num_gen_batches | awk '{ s += 2 * $1 } END { print s % 8 }')
check "data position advances by the problems sampled ($used)" \
    'grep -q "\"data_pos\": $used," "$tmp/dyn/ckpt-000004/state.json"'
dyn "$tmp/dynr" 2
dyn "$tmp/dynr" 4 --resume
strip "$tmp/dynr/metrics.jsonl" >"$tmp/dynr.s"
check "dynamic sampling: 2 steps + resume = 4 steps (metrics)" 'cmp -s "$tmp/dyn.s" "$tmp/dynr.s"'
check "dynamic sampling: 2 steps + resume = 4 steps (parameters)" \
    'cmp -s "$tmp/dyn/ckpt-000004/params.bin" "$tmp/dynr/ckpt-000004/params.bin"'
dyn "$tmp/dyng" 2 --gen-batch-problems 3
check "--gen-batch-problems 3: exit 0" '[ $? -eq 0 ]'
check "--gen-batch-problems 3: still 2 groups trained" '[ "$(grep -c "\"optim_steps\":2," "$tmp/dyng/metrics.jsonl")" -eq 2 ]'
rl "$tmp/dynnone" 2 --n 2 --mini-batch-problems 1 --max-gen-batches 3 --set filter=none
check "filter off: one generation batch, B groups kept" \
    '[ "$(field "$tmp/dynnone/metrics.jsonl" train/num_gen_batches | sort -u)" = 1 ] && [ "$(field "$tmp/dynnone/metrics.jsonl" train/kept_groups | sort -u)" = 2 ]'
# n = 1: a single reward is never strictly between 0 and 1, so mean01 keeps nothing
expect_err "max generation batches reached" "3 generation batches kept 0 groups" rl "$tmp/dynmax" 1 --n 1 --max-gen-batches 3
expect_err "--gen-batch-problems alone" "needs --max-gen-batches" rl "$tmp/g" 1 --gen-batch-problems 2

# ---- DAPO overlong shaping ------------------------------------------------------------------
# the random model never stops early: every response has 10 tokens; L_max 10, buffer 4, factor 0.5:
# penalty = min(-(10 - 6)/4 · 0.5, 0) = -0.5 on every row
rl "$tmp/ol" 2 --set filter=none --mini-batch-problems 2 --set overlong=1 --set overlong_buffer=4 --set overlong_factor=0.5
check "overlong: exit 0 ($(tail -c 200 "$tmp/rl.err"))" '[ $? -eq 0 ]'
pm=$(field "$tmp/ol/metrics.jsonl" dapo/overlong_penalty_mean | tr '\n' ' ')
echo "REPORT overlong (L_max 10 = --max-new-tokens, buffer 4, factor 0.5, all lengths 10): mean penalty per step $pm"
check "overlong: penalty -0.5 on every row" '[ "$(field "$tmp/ol/metrics.jsonl" dapo/overlong_penalty_mean | sort -u)" = "-0.5" ] && [ "$(field "$tmp/ol/metrics.jsonl" dapo/overlong_frac | sort -u)" = "1.0" ]'
field "$tmp/ol/metrics.jsonl" acc >"$tmp/ol.acc"; field "$tmp/ol/metrics.jsonl" critic/OQA-reward >"$tmp/ol.rw"
check "overlong: reward = acc + penalty" \
    "paste -d' ' '$tmp/ol.acc' '$tmp/ol.rw' | awk '{ d = \$1 - 0.5 - \$2; if (d < 0) d = -d; if (d > 1e-6) bad = 1 } END { exit bad }'"
rl "$tmp/ol8" 1 --set filter=none --mini-batch-problems 2 --set overlong=1 --set overlong_buffer=2 --set overlong_max_len=12
check "overlong_max_len=12 given: no penalty for 10 tokens" '[ "$(field "$tmp/ol8/metrics.jsonl" dapo/overlong_penalty_mean)" = "0.0" ]'
expect_err "overlong buffer above the length" "overlong_buffer" rl "$tmp/olb" 1 --preset dapo
expect_err "overlong in svs mode" "--mode rlvr" "$SVS" rl --mode svs --init-random "$tmp/cfg.json" --tokenizer "$TOK" \
    --data "$tmp/data.jsonl" --steps 1 --out "$tmp/olsvs" --set overlong=1 --set overlong_buffer=4 --max-new-tokens 10

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
