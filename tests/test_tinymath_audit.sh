#!/bin/sh
# test_tinymath_audit.sh — `svs tinymath --audit-trace TRACE.jsonl` (ref/cli/cmd_tinymath.c): on a
# small hand-written SvS trace of two steps (lines of the kinds ref/rl_svs_trace.h documents),
# the per-step and "all" counts of synthesis samples, valid, recognized by the tiny-math solver
# and same answer as the original problem (overall and for synthesis_reward == 1) are exactly the
# ones worked out below; malformed traces give `svs: error: FILE:LINE: ...` and exit 2.
SVS=${SVS:-bin/svs}
. "$(dirname "$0")/lib.sh"

# Step 3: n = 2 samples per problem. Problem 0 "What is 2 + 3?" (5), problem 1 "Find 25% of 40."
# (10). Seeds: rows 1 (problem 0, kept), 2 (problem 1, dropped), 3 (problem 1, kept), so kept
# seed 0 -> answer 5, kept seed 1 -> answer 10. Synthesis samples:
#   a  kept 0  "Find 50% of 10."            -> 5   recognized, same      reward 1
#   b  kept 0  "What is 2 + 2?"             -> 4   recognized, different reward 1
#   c  kept 0  incoherent word problem      -> not recognized           reward 0.5
#   d  kept 0  invalid (no problem)                                     reward 0
#   e  kept 1  "What is the mean of 4, 16 and 10?" -> 10 same          reward 0
#   f  kept 1  "Find the GCD of 20 and 30." -> 10  same                 reward 1 (an integer)
#   => synthesis 6, valid 5, recognized 4, same 3; reward1 3, recognized 3, same 2.
# Step 4: n = 1, problem 0 answer \frac{1}{2}; kept seed 0 = row 0. Samples "Compute 1/4 + 1/4."
# (reward 1) and "  What is 3/6 + 0/6?\n" (reward 0), both 1/2.
#   => 2, 2, 2, 2; 1, 1, 1. Step 3's update line comes after step 4's lines (grouping by step).
cat >"$tmp/trace.jsonl" <<'EOF'
{"step":3,"stage":"oqa","problem":0,"question":"What is 2 + 3?","answer":"5","rewards":[0.0,1.0],"acc":0.5,"under_performing":true}
{"step":3,"stage":"oqa","problem":1,"question":"Find 25% of 40.","answer":"10","rewards":[1.0,1.0],"acc":1.0,"under_performing":true}
{"step":3,"stage":"seed","seed":0,"oqa_row":1,"kept":true,"response":"2 + 3 = 5. The answer is \\boxed{5}"}
{"step":3,"stage":"seed","seed":1,"oqa_row":2,"kept":false,"response":"... \\boxed{10}"}
{"step":3,"stage":"seed","seed":2,"oqa_row":3,"kept":true,"response":"... \\boxed{10}"}
{"step":3,"stage":"synthesis","kept_seed":0,"sample":0,"response":"r","valid":true,"problem":"Find 50% of 10.","spa_count":2,"synthesis_reward":1.0}
{"step":3,"stage":"synthesis","kept_seed":0,"sample":1,"response":"r","valid":true,"problem":"What is 2 + 2?","spa_count":1,"synthesis_reward":1.0}
{"step":3,"stage":"synthesis","kept_seed":0,"sample":2,"response":"r","valid":true,"problem":"Ben has 14 coins. Amy sells 6 eggs. How many coins does Ben have now?","spa_count":0,"synthesis_reward":0.5}
{"step":3,"stage":"synthesis","kept_seed":0,"sample":3,"response":"r","valid":false,"problem":null,"spa_count":-1,"synthesis_reward":0.0}
{"step":3,"stage":"synthesis","kept_seed":1,"sample":0,"response":"r","valid":true,"problem":"What is the mean of 4, 16 and 10?","spa_count":4,"synthesis_reward":0.0}
{"step":3,"stage":"synthesis","kept_seed":1,"sample":1,"response":"r","valid":true,"problem":"Find the GCD of 20 and 30.","spa_count":1,"synthesis_reward":1}
{"step":3,"stage":"batch","train":true,"exit":0,"rows":[]}
{"step":4,"stage":"oqa","problem":0,"question":"What is 1/3 + 1/6?","answer":"\\frac{1}{2}","rewards":[1.0],"acc":1.0,"under_performing":false}
{"step":4,"stage":"seed","seed":0,"oqa_row":0,"kept":true,"response":"... \\boxed{\\frac{1}{2}}"}
{"step":4,"stage":"synthesis","kept_seed":0,"sample":0,"response":"r","valid":true,"problem":"Compute 1/4 + 1/4.","spa_count":1,"synthesis_reward":1.0}
{"step":4,"stage":"synthesis","kept_seed":0,"sample":1,"response":"r","valid":true,"problem":"  What is 3/6 + 0/6?\n","spa_count":0,"synthesis_reward":0.0}
{"step":3,"stage":"update","pg_loss":0.1}
EOF
want='{"step":3,"synthesis":6,"valid":5,"recognized":4,"same_answer":3,"reward1":3,"reward1_recognized":3,"reward1_same_answer":2}
{"step":4,"synthesis":2,"valid":2,"recognized":2,"same_answer":2,"reward1":1,"reward1_recognized":1,"reward1_same_answer":1}
{"step":"all","synthesis":8,"valid":7,"recognized":6,"same_answer":5,"reward1":4,"reward1_recognized":4,"reward1_same_answer":3}'
expect_exit 0 "audit of the fixture" "$SVS" tinymath --audit-trace "$tmp/trace.jsonl"
got=$(cat "$tmp/out")
if [ "$got" = "$want" ]; then ok; else bad "audit counts: got
$got
expected
$want"; fi

# malformed traces: FILE:LINE and exit 2
head -n 2 "$tmp/trace.jsonl" >"$tmp/bad1.jsonl"
echo '{"step":3,"stage":"seed",' >>"$tmp/bad1.jsonl"
expect_err "truncated JSON line" "bad1.jsonl:3:" "$SVS" tinymath --audit-trace "$tmp/bad1.jsonl"

head -n 5 "$tmp/trace.jsonl" >"$tmp/bad2.jsonl"
echo '{"step":3,"stage":"synthesis","kept_seed":7,"sample":0,"valid":true,"problem":"What is 1 + 1?","synthesis_reward":1.0}' >>"$tmp/bad2.jsonl"
expect_err "kept_seed beyond the kept seeds" "bad2.jsonl:6: kept_seed 7" "$SVS" tinymath --audit-trace "$tmp/bad2.jsonl"

echo '{"stage":"oqa","problem":0,"answer":"5","rewards":[1.0]}' >"$tmp/bad3.jsonl"
expect_err "missing step" "bad3.jsonl:1: field \"step\"" "$SVS" tinymath --audit-trace "$tmp/bad3.jsonl"

head -n 5 "$tmp/trace.jsonl" >"$tmp/bad4.jsonl"
echo '{"step":3,"stage":"synthesis","kept_seed":0,"sample":0,"valid":true,"problem":"What is 1 + 1?"}' >>"$tmp/bad4.jsonl"
expect_err "missing synthesis_reward" "bad4.jsonl:6: field \"synthesis_reward\"" "$SVS" tinymath --audit-trace "$tmp/bad4.jsonl"

printf '{"step":5,"stage":"seed","seed":0,"oqa_row":9,"kept":true}\n{"step":5,"stage":"synthesis","kept_seed":0,"valid":true,"problem":"x","synthesis_reward":0}\n' >"$tmp/bad5.jsonl"
expect_err "seed row without its oqa line" "bad5.jsonl:2: kept_seed 0: oqa_row 9" "$SVS" tinymath --audit-trace "$tmp/bad5.jsonl"

: >"$tmp/empty.jsonl"
expect_err "empty trace" "empty trace" "$SVS" tinymath --audit-trace "$tmp/empty.jsonl"
expect_err "missing file" "cannot open" "$SVS" tinymath --audit-trace "$tmp/nope.jsonl"
expect_err "other options" "takes no other option" "$SVS" tinymath --split rl --audit-trace "$tmp/trace.jsonl"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
