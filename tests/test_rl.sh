#!/bin/sh
# test_rl.sh — `svs rl --mode rlvr` and `svs eval` (docs/rl.md) on a tiny random Qwen2 (vocab
# 1,500, the golden BPE, ref backend) with tinymath problems and the test-only reward
# (test-even: 1 when the sum of the response ids is even, so groups have mixed rewards):
# one metrics line per step with the spec's fields; same seed -> identical metrics and weights;
# 3 steps = 2 steps + resume 1 step (metrics, parameters, AdamW state bit-identical); a crash
# inside the checkpoint write (SVS_RL_CRASH_AFTER_TMP=1) keeps the previous checkpoint and the
# resumed run still matches; the four dataset formats load; bad lines exit 2 naming line/field;
# svs eval prints avg@n and pass@k per data_source and overall.
SVS=${SVS:-bin/svs}
TOK=golden/tokenizer/ours_tokenizer.json
. "$(dirname "$0")/lib.sh"

tiny_qwen2_config "$tmp/cfg.json"
"$SVS" tinymath --split rl --count 6 --seed 1 >"$tmp/data.jsonl" || bad "tinymath"

rl() { # rl OUTDIR STEPS [extra options]
    out=$1; steps=$2; shift 2
    "$SVS" rl --mode rlvr --init-random "$tmp/cfg.json" --tokenizer "$TOK" --data "$tmp/data.jsonl" \
        --steps "$steps" --batch-problems 2 --n 4 --max-new-tokens 10 --mini-batch-problems 1 \
        --micro-batch-rows 3 --lr 1e-2 --set filter=none --reward test-even --seed 1 --backend ref \
        --out "$out" "$@" 2>"$tmp/rl.err"
}

# a full run of 3 steps, twice
rl "$tmp/a" 3; check "run a: exit 0 ($(tail -c 300 "$tmp/rl.err"))" '[ $? -eq 0 ]'
check "one metrics line per step" '[ "$(wc -l <"$tmp/a/metrics.jsonl")" -eq 3 ]'
for f in step critic/OQA-reward acc actor/entropy actor/pg_loss actor/pg_clipfrac actor/pg_clipfrac_lower \
         actor/ppo_kl actor/grad_norm actor/lr response_length/mean perf/tokens_per_s timing_s/gen timing_s/step; do
    check "field $f" '[ "$(grep -c "\"$f\":" "$tmp/a/metrics.jsonl")" -eq 3 ]'
done
check "rewards are mixed (the update is not trivial)" 'grep -q "\"critic/OQA-reward\":0\.[1-9]" "$tmp/a/metrics.jsonl"'
check "two optimizer steps per step" '[ "$(grep -c "\"optim_steps\":2" "$tmp/a/metrics.jsonl")" -eq 3 ]'
check "progress line on stderr" 'grep -q "step 3/3" "$tmp/rl.err"'
check "exported model" '[ -f "$tmp/a/model/model.safetensors" ] && [ -f "$tmp/a/model/config.json" ]'
check "checkpoint pointer" '[ "$(cat "$tmp/a/latest")" = ckpt-000003 ] && [ -f "$tmp/a/ckpt-000003/adam_v.bin" ]'
rl "$tmp/b" 3
strip "$tmp/a/metrics.jsonl" >"$tmp/a.s"; strip "$tmp/b/metrics.jsonl" >"$tmp/b.s"
check "same seed: identical metrics" 'cmp -s "$tmp/a.s" "$tmp/b.s"'
check "same seed: identical weights" 'cmp -s "$tmp/a/ckpt-000003/params.bin" "$tmp/b/ckpt-000003/params.bin"'
rl "$tmp/d" 3 --seed 2
strip "$tmp/d/metrics.jsonl" >"$tmp/d.s"
check "another seed: other metrics" '! cmp -s "$tmp/a.s" "$tmp/d.s"'

# 2 steps, stop, resume to 3
rl "$tmp/c" 2; check "run c: 2 steps" '[ "$(wc -l <"$tmp/c/metrics.jsonl")" -eq 2 ]'
rl "$tmp/c" 3; check "no --resume on an existing checkpoint: exit 2" '[ $? -eq 2 ]'
rl "$tmp/c" 3 --resume; check "resume: exit 0" '[ $? -eq 0 ]'
strip "$tmp/c/metrics.jsonl" >"$tmp/c.s"
check "resume: identical metrics" 'cmp -s "$tmp/a.s" "$tmp/c.s"'
check "resume: identical parameters" 'cmp -s "$tmp/a/ckpt-000003/params.bin" "$tmp/c/ckpt-000003/params.bin"'
check "resume: identical AdamW state" 'cmp -s "$tmp/a/ckpt-000003/adam_m.bin" "$tmp/c/ckpt-000003/adam_m.bin" && cmp -s "$tmp/a/ckpt-000003/adam_v.bin" "$tmp/c/ckpt-000003/adam_v.bin"'
check "resume: identical exported model" 'cmp -s "$tmp/a/model/model.safetensors" "$tmp/c/model/model.safetensors"'
check "old checkpoint removed" '[ ! -d "$tmp/c/ckpt-000002" ]'

# a crash during the write of checkpoint 3
rl "$tmp/e" 2
cp "$tmp/e/ckpt-000002/params.bin" "$tmp/e2.params"
SVS_RL_CRASH_AFTER_TMP=1 rl "$tmp/e" 3 --resume; check "crash: exit 3" '[ $? -eq 3 ]'
check "crash: temp dir left, pointer unchanged" '[ -d "$tmp/e/ckpt-000003.tmp" ] && [ "$(cat "$tmp/e/latest")" = ckpt-000002 ]'
check "crash: previous checkpoint intact" 'cmp -s "$tmp/e2.params" "$tmp/e/ckpt-000002/params.bin"'
check "the policy changed in step 3" '! cmp -s "$tmp/e2.params" "$tmp/a/ckpt-000003/params.bin"'
rl "$tmp/e" 3 --resume; check "crash: resume exit 0" '[ $? -eq 0 ]'
strip "$tmp/e/metrics.jsonl" >"$tmp/e.s"
check "crash: identical metrics after resume" 'cmp -s "$tmp/a.s" "$tmp/e.s"'
check "crash: identical parameters after resume" 'cmp -s "$tmp/a/ckpt-000003/params.bin" "$tmp/e/ckpt-000003/params.bin"'
check "crash: temp dir cleaned" '[ ! -d "$tmp/e/ckpt-000003.tmp" ]'

# dataset formats: ours, SvS eval (ref_answer), GSM8K, verl
cat >"$tmp/formats.jsonl" <<'EOF2'
{"question": "What is 2 plus 3?", "answer": "5", "data_source": "ours"}
{"question": "What is 7 minus 4?", "ref_answer": "3", "data_source": "svs"}
{"question": "Tom has 2 apples and gets 2 more. How many?", "answer": "2 + 2 = 4\n#### 4", "data_source": "gsm8k"}
{"prompt": [{"role": "user", "content": "What is 1 plus 1? Please reason step by step."}], "reward_model": {"ground_truth": "2", "style": "rule"}, "data_source": "verl"}
EOF2
"$SVS" rl --mode rlvr --init-random "$tmp/cfg.json" --tokenizer "$TOK" --data "$tmp/formats.jsonl" --steps 1 \
    --batch-problems 4 --n 2 --max-new-tokens 4 --out "$tmp/f" --backend ref 2>"$tmp/rl.err"
check "four formats: exit 0 ($(tail -c 200 "$tmp/rl.err"))" '[ $? -eq 0 ] && [ "$(wc -l <"$tmp/f/metrics.jsonl")" -eq 1 ]'
bad_data() { # bad_data NAME SUBSTRING LINE2
    printf '%s\n%s\n' '{"question": "q", "answer": "1"}' "$3" >"$tmp/bad.jsonl"
    expect_err "$1" "$2" "$SVS" rl --mode rlvr --init-random "$tmp/cfg.json" --tokenizer "$TOK" --data "$tmp/bad.jsonl" \
        --steps 1 --out "$tmp/bad" --backend ref
}
bad_data "missing answer" 'bad.jsonl:2: field "answer"' '{"question": "q"}'
bad_data "question not a string" 'bad.jsonl:2: field "question"' '{"question": 3, "answer": "1"}'
bad_data "verl without ground truth" 'bad.jsonl:2: field "reward_model.ground_truth"' '{"prompt": [{"role": "user", "content": "x"}]}'
bad_data "verl message content" 'bad.jsonl:2: field "prompt[0].content"' '{"prompt": [{"role": "user"}], "reward_model": {"ground_truth": "1"}}'
bad_data "malformed JSON" 'bad.jsonl:2:' '{"question": '
bad_data "no question nor prompt" 'bad.jsonl:2: field "question"' '{"answer": "1"}'
expect_err "bad preset" 'option --preset' "$SVS" rl --mode rlvr --init-random "$tmp/cfg.json" --tokenizer "$TOK" \
    --data "$tmp/data.jsonl" --steps 1 --out "$tmp/bad" --preset nope
expect_err "bad mode" '--mode rlvr' "$SVS" rl --mode sft --model x --tokenizer "$TOK" --data "$tmp/data.jsonl" --steps 1 --out "$tmp/bad"

# svs eval
"$SVS" eval --model "$tmp/a/model" --tokenizer "$TOK" --data "$tmp/formats.jsonl" --n 4 --max-new-tokens 6 \
    --backend ref >"$tmp/eval.jsonl" 2>"$tmp/eval.err"
check "eval: exit 0 ($(tail -c 200 "$tmp/eval.err"))" '[ $? -eq 0 ]'
check "eval: one line per data_source + all" '[ "$(wc -l <"$tmp/eval.jsonl")" -eq 5 ] && tail -n 1 "$tmp/eval.jsonl" | grep -q "\"data_source\":\"all\""'
check "eval: avg@4, pass@1,2,4" '[ "$(grep -c "\"avg@4\":.*\"pass@1\":.*\"pass@2\":.*\"pass@4\":" "$tmp/eval.jsonl")" -eq 5 ]'
check "eval: problems counted" 'tail -n 1 "$tmp/eval.jsonl" | grep -q "\"problems\":4"'
"$SVS" eval --model "$tmp/a/model" --tokenizer "$TOK" --data "$tmp/formats.jsonl" --n 3 --k-list 1,3 --max-new-tokens 4 \
    --backend ref >"$tmp/eval2.jsonl" 2>/dev/null
check "eval: --k-list" 'grep -q "\"pass@3\"" "$tmp/eval2.jsonl" && ! grep -q "\"pass@2\"" "$tmp/eval2.jsonl"'
expect_err "eval: k > n" 'option --k-list' "$SVS" eval --model "$tmp/a/model" --tokenizer "$TOK" --data "$tmp/formats.jsonl" --n 2 --k-list 4

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
