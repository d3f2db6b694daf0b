#!/bin/sh
# test_rl_svs.sh — `svs rl --mode svs` (docs/rl.md "SvS mode") on a tiny random Qwen2 (vocab
# 1,500, the golden BPE, ref backend) with tinymath problems, the test-only reward test-even and
# the test-only synthesis hook --svs-test-synth (a random model never writes an extractable
# problem, so the synthesis texts are derived from the sampled ids: most are a ```text problem,
# some match no rule, which exercises the faithful Q2 fall-through and its checkpointed state).
# Every stage runs: 2 steps in default mode and 2 in faithful mode complete; metrics.jsonl has
# the SvS-Valid-Ratio/* and critic/*-reward fields; same seed -> identical metrics and weights;
# 1 step + resume = 2 uninterrupted steps (extraction state checkpointed); bad flags exit 2.
SVS=${SVS:-bin/svs}
TOK=golden/tokenizer/ours_tokenizer.json
. "$(dirname "$0")/lib.sh"

tiny_qwen2_config "$tmp/cfg.json"
"$SVS" tinymath --split rl --count 6 --seed 1 >"$tmp/data.jsonl" || bad "tinymath"
# a short template keeps the prompts inside the tiny model's context
printf 'Write a new problem in the style of this solution:\n{REPLACE}\nPut it in a ```text fence.' >"$tmp/tpl.txt"

rl() { # rl OUTDIR STEPS [extra options]
    out=$1; steps=$2; shift 2
    "$SVS" rl --mode svs --init-random "$tmp/cfg.json" --tokenizer "$TOK" --data "$tmp/data.jsonl" \
        --steps "$steps" --batch-problems 2 --n 4 --max-new-tokens 10 --mini-batch-problems 2 \
        --micro-batch-rows 6 --lr 1e-2 --reward test-even --svs-test-synth --synthesis-prompt "$tmp/tpl.txt" \
        --seed 1 --backend ref --out "$out" "$@" 2>"$tmp/rl.err"
}
trained() { grep -c '"skipped":0' "$1/metrics.jsonl"; }

for mode in default faithful; do
    if [ $mode = faithful ]; then fl=--faithful; else fl=; fi
    rl "$tmp/$mode.a" 2 $fl; check "$mode: exit 0 ($(tail -c 300 "$tmp/rl.err"))" '[ $? -eq 0 ]'
    check "$mode: 2 trained steps" '[ "$(trained "$tmp/$mode.a")" -eq 2 ]'
    for f in critic/OQA-reward critic/VPS-reward critic/SPA-reward SvS-Valid-Ratio/OQA-input SvS-Valid-Ratio/OQA-RL \
             SvS-Valid-Ratio/VPS-len SvS-Valid-Ratio/extract-VPS SvS-Valid-Ratio/VPS-RL SvS-Valid-Ratio/Num-OQA \
             SvS-Valid-Ratio/Num-VPS SvS-Valid-Ratio/Num-SPA SvS-Valid-Ratio/Num-Total actor/entropy actor/pg_loss \
             actor/grad_norm timing_s/step; do
        check "$mode: field $f" 'grep -q "\"$f\":" "$tmp/$mode.a/metrics.jsonl"'
    done
    check "$mode: SPA rows trained" 'grep -q "\"SvS-Valid-Ratio/Num-SPA\":[1-9]" "$tmp/$mode.a/metrics.jsonl"'
    check "$mode: checkpoint holds the SvS state" '[ -f "$tmp/$mode.a/ckpt-000002/extra.bin" ]'
    check "$mode: exported model" '[ -f "$tmp/$mode.a/model/model.safetensors" ]'
    rl "$tmp/$mode.b" 2 $fl
    strip "$tmp/$mode.a/metrics.jsonl" >"$tmp/$mode.a.s"; strip "$tmp/$mode.b/metrics.jsonl" >"$tmp/$mode.b.s"
    check "$mode: same seed, identical metrics" 'cmp -s "$tmp/$mode.a.s" "$tmp/$mode.b.s"'
    check "$mode: same seed, identical weights" 'cmp -s "$tmp/$mode.a/ckpt-000002/params.bin" "$tmp/$mode.b/ckpt-000002/params.bin"'
    rl "$tmp/$mode.c" 1 $fl; check "$mode: 1 step" '[ $? -eq 0 ] && [ "$(trained "$tmp/$mode.c")" -eq 1 ]'
    rl "$tmp/$mode.c" 2 $fl --resume; check "$mode: resume exit 0" '[ $? -eq 0 ]'
    strip "$tmp/$mode.c/metrics.jsonl" >"$tmp/$mode.c.s"
    check "$mode: resume, identical metrics" 'cmp -s "$tmp/$mode.a.s" "$tmp/$mode.c.s"'
    check "$mode: resume, identical weights" 'cmp -s "$tmp/$mode.a/ckpt-000002/params.bin" "$tmp/$mode.c/ckpt-000002/params.bin"'
    check "$mode: resume, identical AdamW state" 'cmp -s "$tmp/$mode.a/ckpt-000002/adam_v.bin" "$tmp/$mode.c/ckpt-000002/adam_v.bin"'
    check "$mode: resume, identical SvS state" 'cmp -s "$tmp/$mode.a/ckpt-000002/extra.bin" "$tmp/$mode.c/ckpt-000002/extra.bin"'
done
check "faithful differs from default" '! cmp -s "$tmp/default.a.s" "$tmp/faithful.a.s"'
# the faithful run met a fall-through (Q2): its state holds a problem text
check "faithful: extraction state set" 'head -n 1 "$tmp/faithful.a/ckpt-000002/extra.bin" | grep -q "^svs-state-1 [0-9a-f]* 1 "'

# VPS-len: LP below every synthesis prompt removes all seeds; default mode trains on OQA rows
rl "$tmp/lp" 2 --max-prompt-len 60
check "VPS-len 0%: default trains on OQA ($(tail -c 200 "$tmp/rl.err"))" '[ $? -eq 0 ] && [ "$(trained "$tmp/lp")" -eq 2 ] && grep -q "\"SvS-Valid-Ratio/VPS-len\":0" "$tmp/lp/metrics.jsonl" && grep -q "\"SvS-Valid-Ratio/Num-VPS\":0," "$tmp/lp/metrics.jsonl"'
# faithful: the same case skips every step (counter unchanged) until --max-skips
rl "$tmp/lpf" 1 --max-prompt-len 60 --faithful --max-skips 2
check "faithful, no kept seeds: skipped steps then exit 2" '[ $? -eq 2 ] && [ "$(trained "$tmp/lpf")" -eq 0 ] && [ "$(grep -c "\"skipped\":1" "$tmp/lpf/metrics.jsonl")" -eq 3 ] && grep -q "\"step\":0" "$tmp/lpf/metrics.jsonl"'
# world size (Q11): rows truncated to a multiple of W
rl "$tmp/w" 1 --faithful --world-size 7
check "world size 7: update rows a multiple of 7" '[ $? -eq 0 ] && grep -q "\"svs/update_rows\":\(7\|14\|21\|28\|35\|42\|49\|56\|63\|70\)," "$tmp/w/metrics.jsonl"'

# bad flags
base="--init-random $tmp/cfg.json --tokenizer $TOK --data $tmp/data.jsonl --steps 1 --out $tmp/bad"
expect_err "bounds" 'SvS config' "$SVS" rl --mode svs $base --under-lower 0.6 --under-upper 0.5
expect_err "synth bound > 1" 'SvS config' "$SVS" rl --mode svs $base --synth-upper 1.5
expect_err "template without {REPLACE}" 'option --synthesis-prompt' "$SVS" rl --mode svs $base --synthesis-prompt "$tmp/data.jsonl"
expect_err "missing template" 'option --synthesis-prompt' "$SVS" rl --mode svs $base --synthesis-prompt "$tmp/nope.txt"
expect_err "--faithful needs --mode svs" '--mode svs' "$SVS" rl --mode rlvr $base --faithful
expect_err "bad --world-size" 'option --world-size' "$SVS" rl --mode svs $base --world-size 0
expect_err "bad temperature" 'temperature' "$SVS" rl --mode svs $base --vps-temperature 0
expect_err "bad mode" '--mode rlvr or --mode svs' "$SVS" rl --mode sft $base

# per-stage n: 2 synthesis samples per seed, 3 solutions per synthetic problem; the VPS / SPA
# row counts come in groups of 2 / 3, and the synthesis reward band is on the SPA count of 3
rl "$tmp/pern" 3 --vps-n 2 --spa-n 3 --trace "$tmp/pern.trace"
check "per-stage n runs" '[ $? -eq 0 ]'
vps=$(sed -n 's/.*"SvS-Valid-Ratio\/Num-VPS":\([0-9]*\).*/\1/p' "$tmp/pern/metrics.jsonl" | tr '\n' ' ')
spa=$(sed -n 's/.*"SvS-Valid-Ratio\/Num-SPA":\([0-9]*\).*/\1/p' "$tmp/pern/metrics.jsonl" | tr '\n' ' ')
check "VPS rows in groups of 2 ($vps), SPA rows in groups of 3 ($spa)" \
    'for v in $vps; do [ $((v % 2)) -eq 0 ] || exit 1; done; for v in $spa; do [ $((v % 3)) -eq 0 ] || exit 1; done; [ -n "$spa" ]'
check "trace: synthesis samples numbered 0..1" \
    'grep "\"stage\":\"synthesis\"" "$tmp/pern.trace" | grep -q "\"sample\":1" && ! grep -q "\"stage\":\"synthesis\".*\"sample\":2" "$tmp/pern.trace"'
check "trace: SPA counts within 0..3" '! grep -q "\"spa_count\":[4-9]" "$tmp/pern.trace" && grep -q "\"spa_count\":[0-3]" "$tmp/pern.trace"'
expect_err "faithful keeps one n" 'one n for every stage' "$SVS" rl --mode svs $base --n 4 --vps-n 2 --faithful
expect_err "per-stage n needs svs" '--vps-n' "$SVS" rl --mode rlvr $base --spa-n 2

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
