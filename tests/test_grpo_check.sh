#!/bin/sh
# test_grpo_check.sh — `svs grpo` (docs/grpo_checker.md): --show prints the presets and honours
# --set; --check on batches dumped by plain torch (docs/python/grpo_dump_example.py, committed as
# tests/fixtures/grpo/*.jsonl) exits 0 when clean, exits 1 naming the differing quantity for each
# seeded bug, and exits 2 naming the line and field on bad input. Builds nothing: ${SVS:-bin/svs}.
# Fixtures (torch 2.15.0): python3 docs/python/grpo_dump_example.py --no-check [--preset verl]
#   [--bug B] --out tests/fixtures/grpo/{clean_verl_svs,clean_verl,bug_B}.jsonl
SVS=${SVS:-bin/svs}
FIX=tests/fixtures/grpo
. "$(dirname "$0")/lib.sh"

has_line() { # has_line NAME REGEX: stdout has a matching line
    if grep -qE -- "$2" "$tmp/out"; then ok; else bad "$1: no line matching '$2' in: $(head -c 600 "$tmp/out")"; fi
}

# ---- --show and --set ----
expect_exit 0 "grpo --help" "$SVS" grpo --help
has_line "grpo --help usage" "^usage: svs grpo"
expect_exit 0 "show verl-svs" "$SVS" grpo --preset verl-svs --show
has_line "show verl-svs eps_high" "^eps_high += 0.28$"
has_line "show verl-svs masked" "^masked += mult$"
expect_exit 0 "show trl" "$SVS" grpo --preset trl --show
has_line "show trl adv_eps" "^adv_eps += 0.0001$"
has_line "show trl dual clip off" "^dual_clip_c += 0$"
has_line "show trl nan_rewards" "^nan_rewards += ignore$"
has_line "show trl kl_bias_correction" "^kl_bias_correction += 1$"
has_line "show trl entropy_agg" "^entropy_agg += token-mean-micro$"
expect_exit 0 "show verl" "$SVS" grpo --preset verl --show
has_line "show verl nan_rewards" "^nan_rewards += propagate$"
has_line "show verl kl_bias_correction" "^kl_bias_correction += 0$"
has_line "show verl entropy_agg" "^entropy_agg += loss$"
expect_err "show bad entropy_agg" 'switch entropy_agg: unknown value "mean" (accepted: loss, token-mean-micro)' \
    "$SVS" grpo --preset trl --set entropy_agg=mean --show
expect_exit 0 "show openrlhf" "$SVS" grpo --preset openrlhf --show
has_line "show openrlhf unset" "^eps_low += \(unset"
expect_exit 0 "show override" "$SVS" grpo --preset verl --set eps_high=0.28 --set loss_agg_mode=seq-mean-token-mean --show
has_line "show override eps_high" "^eps_high += 0.28$"
has_line "show override agg" "^loss_agg_mode += seq-mean-token-mean$"
expect_err "show unknown preset" 'unknown GRPO preset "nope"' "$SVS" grpo --preset nope --show
expect_err "show bad switch" 'unknown GRPO switch "eps_hi"' "$SVS" grpo --preset verl --set eps_hi=1 --show
expect_err "show bad value" 'switch loss_agg_mode: unknown value "mean"' "$SVS" grpo --preset verl --set loss_agg_mode=mean --show
expect_err "show and check" "exactly one of --show and --check" "$SVS" grpo --preset verl --show --check "$FIX/clean_verl.jsonl"
expect_err "no preset" "give --preset" "$SVS" grpo --show
expect_err "openrlhf needs explicit switches" "switch eps_low must be set explicitly" "$SVS" grpo --preset openrlhf --check "$FIX/clean_verl.jsonl"

# ---- clean batches ----
expect_exit 0 "clean verl-svs" "$SVS" grpo --check "$FIX/clean_verl_svs.jsonl"
has_line "clean verl-svs all agree" "^result: all 12 quantities agree$"
expect_exit 0 "clean verl" "$SVS" grpo --check "$FIX/clean_verl.jsonl"
expect_exit 0 "clean verl-svs --json" "$SVS" grpo --check "$FIX/clean_verl_svs.jsonl" --json
python3 - "$tmp/out" <<'PY' && ok || bad "--json output"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert rows[-1] == {"summary": True, "quantities": 12, "differing": 0, "preset": "verl-svs"}, rows[-1]
assert all(r["verdict"] == "ok" and r["first_diff"] is None for r in rows[:-1])
assert rows[0]["quantity"] == "advantages" and rows[0]["compared"] == 47
PY
# the same clean verl-svs dump under another preset: clip bounds differ (token_loss), weighting differs (loss)
expect_exit 1 "verl-svs dump under verl" "$SVS" grpo --preset verl --check "$FIX/clean_verl_svs.jsonl"
has_line "preset mismatch names token_loss" "^token_loss .* DIFFERS "
expect_exit 0 "override back to verl-svs" "$SVS" grpo --preset verl --set eps_high=0.28 --set scope=micro-rows \
    --set tok_denom=eps --set masked=mult --check "$FIX/clean_verl_svs.jsonl"

# ---- seeded bugs: exit 1 and the differing quantity named ----
seeded() { # seeded BUG QUANTITY...
    b=$1; shift
    expect_exit 1 "bug $b" "$SVS" grpo --check "$FIX/bug_$b.jsonl"
    for q in "$@"; do has_line "bug $b flags $q" "^$q +[0-9]+ .* DIFFERS "; done
    has_line "bug $b result" "^result: DIFFERS in "
}
seeded population-std advantages
seeded eps-on-var advantages
seeded mask-ignored loss
seeded clip-swapped token_loss loss pg_clipfrac
seeded seq-mean loss
seeded no-temperature logp entropy
# localisation: a std bug leaves the loss alone (the loss is recomputed from their advantages)
grep -qE "^loss .* ok " "$tmp/out" && ok || bad "no-temperature: loss should agree (their logp feeds our loss)"
expect_exit 1 "bug --json" "$SVS" grpo --check "$FIX/bug_population-std.jsonl" --json
python3 - "$tmp/out" <<'PY' && ok || bad "--json first_diff of a seeded bug"
import json, sys
rows = {r.get("quantity", "summary"): r for r in map(json.loads, open(sys.argv[1]))}
a = rows["advantages"]
assert a["verdict"] == "differs" and a["first_diff"]["row"] == 0 and a["first_diff"]["line"] == 2, a
assert rows["summary"]["differing"] == 1
PY
# tolerances: a loose enough tolerance accepts the population-std advantages
expect_exit 0 "loose tolerance" "$SVS" grpo --check "$FIX/bug_population-std.jsonl" --tolerance-rel 0.2

# ---- bad input: exit 2 naming line and field ----
H='{"header": true, "preset": "verl"}'
R1='{"uid": "a", "reward": 1, "mask": [1, 1, 0], "logp": [-1, -0.5, null], "old_logp": [-1, -1, 0], "advantages": 0.707105756}'
R2='{"uid": "a", "reward": 0, "mask": [1, 0, 0], "logp": [-1, 0, 0], "old_logp": [-1.2, 0, 0], "advantages": -0.707105756}'
bad_input() { # bad_input NAME SUBSTRING LINE...
    name=$1; sub=$2; shift 2
    printf '%s\n' "$@" >"$tmp/in.jsonl"
    expect_err "$name" "$sub" "$SVS" grpo --check "$tmp/in.jsonl"
}
printf '%s\n' "$H" "$R1" "$R2" >"$tmp/ok.jsonl"
expect_exit 0 "minimal valid batch" "$SVS" grpo --check "$tmp/ok.jsonl"
bad_input "length mismatch" ':3: field "old_logp": length 2, expected 3' "$H" "$R1" \
    '{"uid": "a", "reward": 0, "mask": [1, 0, 0], "logp": [-1, 0, 0], "old_logp": [-1, 0], "advantages": 0}'
bad_input "mask width" ':3: field "mask": length 4, expected 3' "$H" "$R1" \
    '{"uid": "a", "reward": 0, "mask": [1, 0, 0, 0], "logp": [-1, 0, 0], "old_logp": [-1, 0, 0], "advantages": 0}'
bad_input "mask value" ':2: field "mask": element 1: expected 0 or 1' "$H" \
    '{"uid": "a", "reward": 1, "mask": [1, 0.5, 0], "logp": [-1, 0, 0], "old_logp": [-1, 0, 0], "advantages": 0}'
bad_input "null at valid token" ':2: field "logp": element 1: expected a number (null is allowed only where mask = 0)' "$H" \
    '{"uid": "a", "reward": 1, "mask": [1, 1, 0], "logp": [-1, null, 0], "old_logp": [-1, 0, 0], "advantages": 0}'
bad_input "overflowing float32" ':2: field "old_logp": element 0: not a finite float32 value' "$H" \
    '{"uid": "a", "reward": 1, "mask": [1, 1, 0], "logp": [-1, 0, 0], "old_logp": [1e39, 0, 0], "advantages": 0}'
bad_input "missing field" ':2: missing field "old_logp"' "$H" \
    '{"uid": "a", "reward": 1, "mask": [1], "logp": [-1], "advantages": 0}'
bad_input "missing reward" ':2: missing field "reward"' "$H" '{"uid": "a", "mask": [1], "logp": [-1], "old_logp": [-1]}'
bad_input "bad uid" ':2: field "uid": expected a string or an integer' "$H" \
    '{"uid": [1], "reward": 1, "mask": [1], "logp": [-1], "old_logp": [-1], "advantages": 0}'
bad_input "reward type" ':2: field "reward": expected a number' "$H" \
    '{"uid": "a", "reward": "1", "mask": [1], "logp": [-1], "old_logp": [-1], "advantages": 0}'
bad_input "unknown field" ':2: field "old_logps": unknown field' "$H" \
    '{"uid": "a", "reward": 1, "mask": [1], "logp": [-1], "old_logp": [-1], "old_logps": [-1]}'
bad_input "inconsistent optional" ':3: field "token_loss": missing here but present in the first row' "$H" \
    '{"uid": "a", "reward": 1, "mask": [1], "logp": [-1], "old_logp": [-1], "token_loss": [0]}' \
    '{"uid": "a", "reward": 0, "mask": [1], "logp": [-1], "old_logp": [-1]}'
bad_input "advantages shape" ':3: field "advantages": every row must give advantages the same way' "$H" "$R1" \
    '{"uid": "a", "reward": 0, "mask": [1, 0, 0], "logp": [-1, 0, 0], "old_logp": [-1, 0, 0], "advantages": [0, 0, 0]}'
bad_input "header not first" ':3: field "header": the header must be the first line' "$R1" "$R2" "$H" "$R2"
bad_input "batch not last" ':3: field "batch": the batch line must be the last line' "$H" "$R1" '{"batch": true, "loss": 0}' "$R2"
bad_input "batch scalar type" ':4: field "loss": expected a number' "$H" "$R1" "$R2" '{"batch": true, "loss": "x"}'
bad_input "kl_loss without ref" ':4: field "kl_loss": cannot be checked: the rows need "ref_logp"' "$H" "$R1" "$R2" '{"batch": true, "kl_loss": 0}'
bad_input "micro_batches partition" ':1: field "micro_batches": covers 1 of the 2 rows' \
    '{"header": true, "preset": "verl", "micro_batches": [[0]]}' "$R1" "$R2"
bad_input "micro_batches index" ':1: field "micro_batches": micro-batch 0: element 1 is not a row index in [0, 2)' \
    '{"header": true, "preset": "verl", "micro_batches": [[0, 5]]}' "$R1" "$R2"
bad_input "micro_batches twice" ':1: field "micro_batches": row 0 appears twice' \
    '{"header": true, "preset": "verl", "micro_batches": [[0], [0, 1]]}' "$R1" "$R2"
bad_input "header temperature" ':1: field "temperature": must be > 0' '{"header": true, "preset": "verl", "temperature": 0}' "$R1"
bad_input "header set" ':1: field "set": switch eps_high: expected a finite number' \
    '{"header": true, "preset": "verl", "set": {"eps_high": "wide"}}' "$R1"
bad_input "header preset" 'unknown GRPO preset "verl2"' '{"header": true, "preset": "verl2"}' "$R1"
bad_input "logits without tokens" ':2: field "tokens": missing (needed with "logits")' "$H" \
    '{"uid": "a", "reward": 1, "mask": [1], "logp": [-1], "old_logp": [-1], "logits": [[0, 1]]}'
bad_input "token id range" ':2: field "tokens": element 0: expected an id in [0, 2)' "$H" \
    '{"uid": "a", "reward": 1, "mask": [1], "logp": [-1], "old_logp": [-1], "logits": [[0, 1]], "tokens": [2]}'
bad_input "nothing to compare" 'nothing to compare' "$H" '{"uid": "a", "reward": 1, "mask": [1], "logp": [-1], "old_logp": [-1]}'
bad_input "no rows" 'no response rows' "$H"
bad_input "invalid json" ':2: invalid JSON' "$H" '{"uid": "a",'
bad_input "NaN literal" ':2: invalid JSON' "$H" '{"uid": "a", "reward": NaN, "mask": [1], "logp": [-1], "old_logp": [-1]}'
expect_err "missing file" "cannot open" "$SVS" grpo --preset verl --check "$tmp/nope.jsonl"
expect_err "bad tolerance" 'option --tolerance-rel: expected a finite number >= 0' "$SVS" grpo --check "$tmp/ok.jsonl" --tolerance-rel -1
# a NaN (null) at a masked position leaks into the loss under masked=mult (S) and not under select (V)
printf '%s\n' '{"header": true, "preset": "verl"}' "$R1" "$R2" '{"batch": true, "loss": null}' >"$tmp/nan.jsonl"
expect_exit 1 "select: loss is finite, theirs NaN" "$SVS" grpo --check "$tmp/nan.jsonl"
expect_exit 0 "mult: NaN leaks, agrees with NaN" "$SVS" grpo --set masked=mult --check "$tmp/nan.jsonl"

# unscored responses ("reward": null): TRL (nan_rewards=ignore) leaves them out of the group
# mean / std and gives A = 0, also to a group left with one scored row; verl's plain mean makes
# the group NaN
U='{"header": true, "preset": "trl"}'
printf '%s\n' "$U" \
    '{"uid": "a", "reward": null, "mask": [1], "logp": [-1], "old_logp": [-1], "advantages": 0}' \
    '{"uid": "a", "reward": 1, "mask": [1], "logp": [-1], "old_logp": [-1], "advantages": 0.7070068}' \
    '{"uid": "a", "reward": 0, "mask": [1], "logp": [-1], "old_logp": [-1], "advantages": -0.7070068}' \
    '{"uid": "b", "reward": null, "mask": [1], "logp": [-1], "old_logp": [-1], "advantages": 0}' \
    '{"uid": "b", "reward": 0.5, "mask": [1], "logp": [-1], "old_logp": [-1], "advantages": 0}' >"$tmp/unscored.jsonl"
expect_exit 0 "unscored rewards under trl" "$SVS" grpo --check "$tmp/unscored.jsonl"
expect_exit 1 "unscored rewards under nan_rewards=propagate" "$SVS" grpo --set nan_rewards=propagate \
    --check "$tmp/unscored.jsonl"
has_line "propagate names advantages" "^advantages .* DIFFERS "
# TRL's KL bias correction: kl_loss = mean of k3 · exp(logp − old): (0.14872122 · 1.2214029 + 0)/2
printf '%s\n' '{"header": true, "preset": "trl", "set": {"kl_coef": 0.1}}' \
    '{"uid": "a", "reward": 1, "mask": [1], "logp": [-1], "old_logp": [-1.2], "ref_logp": [-0.5]}' \
    '{"uid": "a", "reward": 0, "mask": [1], "logp": [-1], "old_logp": [-1], "ref_logp": [-1]}' \
    '{"batch": true, "kl_loss": 0.09082426}' >"$tmp/klbc.jsonl"
expect_exit 0 "kl_loss with the bias correction" "$SVS" grpo --check "$tmp/klbc.jsonl"
expect_exit 1 "kl_loss without the bias correction" "$SVS" grpo --set kl_bias_correction=0 --check "$tmp/klbc.jsonl"
has_line "no bias correction names kl_loss" "^kl_loss .* DIFFERS "

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
