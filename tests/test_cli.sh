#!/bin/sh
# test_cli.sh — the command-line contracts of DESIGN.md: help texts, `svs: error:` + exit 2 on
# bad input (naming the line and field), one output line per input line, pass@k output.
SVS=${SVS:-bin/svs}
. "$(dirname "$0")/lib.sh"

expect_exit 0 "svs --help" "$SVS" --help
grep -q "verify" "$tmp/out" && ok || bad "svs --help does not list verify"
expect_exit 2 "svs without command" "$SVS"
expect_err "unknown command" 'unknown command "frobnicate"' "$SVS" frobnicate
for c in verify passk; do
    expect_exit 0 "svs $c --help" "$SVS" "$c" --help
    grep -q "usage: svs $c" "$tmp/out" && ok || bad "svs $c --help has no usage line"
done

# pass@k
expect_out "passk 8 2 4" "0.7857142857142857" "$SVS" passk -n 8 -c 2 -k 4
expect_exit 0 "passk 1024 3 32" "$SVS" passk -n 1024 -c 3 -k 32
# >= 10 significant digits, and the value 1487/16352 (exact: 0.090936888454011741683...)
python3 -c "import sys; v=open(sys.argv[1]).read().strip(); assert len(v.replace('0.','',1).lstrip('0')) >= 10, v; assert abs(float(v) - 1487/16352) < 1e-15, v" "$tmp/out" && ok || bad "passk 1024 3 32: $(cat "$tmp/out")"
expect_out "passk c=0" "0" "$SVS" passk -n 8 -c 0 -k 4
expect_err "passk k>n" "k = 5 > n = 4" "$SVS" passk -n 4 -c 0 -k 5
expect_out "passk k>n human-eval" "1" "$SVS" passk -n 4 -c 0 -k 5 --humaneval-k-gt-n
expect_err "passk bad int" '"x" is not an integer' "$SVS" passk -n x -c 0 -k 1
printf '{"n": 8, "c": 2}\n{"correct": [true, false, false, false]}\n' >"$tmp/p.jsonl"
expect_out "passk jsonl" '{"k":1,"pass_at_k":0.25,"problems":2}
{"k":4,"pass_at_k":0.89285714285714279,"problems":2}' "$SVS" passk --jsonl "$tmp/p.jsonl" -k 1,4
printf '{"n": 8}\n' >"$tmp/p2.jsonl"
expect_err "passk jsonl missing c" ':1: expected fields "n" and "c"' "$SVS" passk --jsonl "$tmp/p2.jsonl" -k 1

# verify: single pair
expect_out "verify boxed" "1" "$SVS" verify --gold '\frac{1}{2}' --response 'So the answer is $\boxed{0.5}$.'
expect_out "verify wrong" "0" "$SVS" verify --gold '3' --response 'The answer is \boxed{4}.'
expect_out "verify pred" "1" "$SVS" verify --gold '\dfrac{20000}{\pi}' --pred '\frac{20000}{\pi}'
expect_err "verify both" "exactly one of --response and --pred" "$SVS" verify --gold 1 --pred 1 --response 1
expect_err "verify bad policy" "decimal" "$SVS" verify --gold 1 --pred 1 --policy decimal=banana

# verify: JSONL contract
printf '%s\n' '{"gold": "42", "response": "... so \\boxed{42}"}' '{"gold": "x=5", "pred": "5", "id": 7}' \
    '{"gold": "2", "pred": "3"}' >"$tmp/v.jsonl"
expect_exit 0 "verify jsonl" "$SVS" verify --jsonl "$tmp/v.jsonl"
[ "$(wc -l <"$tmp/out")" -eq 3 ] && ok || bad "verify jsonl: expected 3 output lines, got $(wc -l <"$tmp/out")"
python3 - "$tmp/out" <<'PY' && ok || bad "verify jsonl output fields/verdicts"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert [r["correct"] for r in rows] == [True, True, False], rows
assert all(isinstance(r["extracted"], str) for r in rows)
assert rows[0]["extracted"] == "42" and rows[1]["id"] == 7
PY
printf '%s\n' '{"gold": "1", "pred": "1"}' '{"gold": 1, "pred": "1"}' >"$tmp/bad1.jsonl"
expect_err "verify non-string field" ':2: field "gold": expected a string' "$SVS" verify --jsonl "$tmp/bad1.jsonl"
printf '%s\n' '{"gold": "1", "pred": "1"' >"$tmp/bad2.jsonl"
expect_err "verify truncated json" ':1: invalid JSON' "$SVS" verify --jsonl "$tmp/bad2.jsonl"
printf '%s\n' '{"gold": "1"}' >"$tmp/bad3.jsonl"
expect_err "verify missing pred" ':1: missing field "pred" or "response"' "$SVS" verify --jsonl "$tmp/bad3.jsonl"
printf '{"gold": "1", "pred": "\377"}\n' >"$tmp/bad4.jsonl"
expect_err "verify invalid utf-8" ':1: invalid JSON' "$SVS" verify --jsonl "$tmp/bad4.jsonl"
printf '{"gold": "1", "pred": "1"}\n\n' >"$tmp/bad5.jsonl"
expect_err "verify empty line" ':2: empty line' "$SVS" verify --jsonl "$tmp/bad5.jsonl"
printf '[1, 2]\n' >"$tmp/bad6.jsonl"
expect_err "verify not an object" ':1: expected a JSON object' "$SVS" verify --jsonl "$tmp/bad6.jsonl"
expect_err "verify missing file" "cannot open" "$SVS" verify --jsonl "$tmp/does-not-exist.jsonl"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
