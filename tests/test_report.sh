#!/bin/sh
# test_report.sh — `svs report` (ref/cli/cmd_report.c, ref/cli/svg_plot.c): from two metrics
# files and three eval outputs it writes three SVG charts and a summary table whose numbers are
# the inputs' (first/last-3-step means, pass@k per model); bad inputs exit 2 with an error that
# names the file. Also `svs tinymath --format synthesis-sft` (the tiny model's synthesis SFT pairs).
SVS=${SVS:-bin/svs}
. "$(dirname "$0")/lib.sh"
# run A: entropy 1.0, 0.9, ..., 0.5 over 6 steps; acc 0.1 .. 0.6; one skipped attempt (ignored)
i=1
for e in 1.0 0.9 0.8 0.7 0.6 0.5; do
    echo "{\"step\":$i,\"acc\":0.$i,\"actor/entropy\":$e,\"timing_s/step\":2.0}"
    [ $i -eq 3 ] && echo "{\"step\":3,\"skipped\":1,\"acc\":0.9,\"actor/entropy\":9.0}"
    i=$((i + 1))
done >"$tmp/a.jsonl"
for i in 1 2 3 4; do echo "{\"step\":$i,\"acc\":0.5,\"actor/entropy\":1.0,\"actor/entropy_oqa\":2.0,\"timing_s/step\":1.5}"; done >"$tmp/b.jsonl"
ev() { echo "{\"data_source\":\"tinymath\",\"problems\":3,\"n\":4,\"pass@1\":0.9,\"pass@2\":0.9,\"pass@4\":0.9}"
       echo "{\"data_source\":\"all\",\"problems\":10,\"n\":4,\"avg@4\":$1,\"pass@1\":$1,\"pass@2\":$2,\"pass@4\":$3}"; }
ev 0.25 0.4 0.5 >"$tmp/e1.jsonl"
ev 0.3 0.45 0.6 >"$tmp/e2.jsonl"

"$SVS" report --out "$tmp/rep" --run A="$tmp/a.jsonl" --run B="$tmp/b.jsonl" --eval base="$tmp/e1.jsonl" \
    --eval tuned="$tmp/e2.jsonl" >"$tmp/table" 2>"$tmp/err"
check "report exit status" '[ $? -eq 0 ]'
for f in entropy accuracy passk; do
    check "$f.svg written" "grep -q '<svg' '$tmp/rep/$f.svg' && grep -q '</svg>' '$tmp/rep/$f.svg'"
done
check "entropy chart has two series" "[ \$(grep -c '<polyline' '$tmp/rep/entropy.svg') -eq 2 ]"
check "passk chart has two series" "[ \$(grep -c '<polyline' '$tmp/rep/passk.svg') -eq 2 ]"
check "entropy chart: 10 points (skipped attempt left out)" "[ \$(grep -c '<circle' '$tmp/rep/entropy.svg') -eq 10 ]"
check "legend labels" "grep -q '>A<' '$tmp/rep/entropy.svg' && grep -q '>tuned<' '$tmp/rep/passk.svg'"
# A: entropy first 3 = (1+.9+.8)/3 = 0.9, last 3 = 0.6; acc first 3 = 0.2, last 3 = 0.5; 12 s
check "run A row" "grep -qF '| A | 6 | 0.9000 | 0.6000 | 0.6000 | 0.200 | 0.500 | 12.0 |' '$tmp/table'"
check "run B row" "grep -qF '| B | 4 | 2.0000 | 2.0000 | 1.0000 | 0.500 | 0.500 | 6.0 |' '$tmp/table'"
check "eval rows use the all line" "grep -qF '| base | 10 × 4 | 0.2500 | 0.4000 | 0.5000 |' '$tmp/table' && grep -qF '| tuned | 10 × 4 | 0.3000 | 0.4500 | 0.6000 |' '$tmp/table'"
check "summary.md = printed table" "cmp -s '$tmp/table' '$tmp/rep/summary.md'"

expect_err "no inputs" "at least one" "$SVS" report --out "$tmp/r2"
expect_err "label syntax" "LABEL=FILE" "$SVS" report --out "$tmp/r2" --run nolabel
expect_err "missing file" "nope.jsonl" "$SVS" report --out "$tmp/r2" --run X="$tmp/nope.jsonl"
printf '{"step":1,"acc":0.5}\n{"step":\n' >"$tmp/badjson.jsonl"
expect_err "malformed metrics line" "badjson.jsonl:2" "$SVS" report --out "$tmp/r2" --run X="$tmp/badjson.jsonl"
echo '{"data_source":"tinymath","pass@1":0.5}' >"$tmp/noall.jsonl"
expect_err "eval without all line" "noall.jsonl" "$SVS" report --out "$tmp/r2" --eval X="$tmp/noall.jsonl"

# tinymath --format synthesis-sft: prompt = the template around the solution, response = target
printf 'SOLUTION:\n{REPLACE}\nNEW PROBLEM?\n' >"$tmp/tpl.txt"
"$SVS" tinymath --split train --count 20 --seed 3 --format synthesis-sft --synthesis-prompt "$tmp/tpl.txt" >"$tmp/s.jsonl"
"$SVS" tinymath --split train --count 20 --seed 3 --format synthesis >"$tmp/p.jsonl"
check "synthesis-sft: 20 lines" "[ \$(wc -l <'$tmp/s.jsonl') -eq 20 ]"
check "synthesis-sft: prompt wraps the solution" "\
    head -1 '$tmp/p.jsonl' | sed 's/^{\"solution\":\"\\([^\"]*\\)\".*/\\1/' >'$tmp/sol1'; \
    grep -qF \"\$(cat '$tmp/sol1')\" '$tmp/s.jsonl' && head -1 '$tmp/s.jsonl' | grep -q '^{\"prompt\":\"SOLUTION:'"
check "synthesis-sft: response has the text block" "grep -c 'text\\\\n' '$tmp/s.jsonl' | grep -qx 20"
expect_err "synthesis-prompt needs the format" "needs --format synthesis-sft" \
    "$SVS" tinymath --split train --count 1 --seed 1 --synthesis-prompt "$tmp/tpl.txt"
printf 'no placeholder\n' >"$tmp/bad_tpl.txt"
expect_err "template without placeholder" "REPLACE" \
    "$SVS" tinymath --split train --count 1 --seed 1 --format synthesis-sft --synthesis-prompt "$tmp/bad_tpl.txt"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
