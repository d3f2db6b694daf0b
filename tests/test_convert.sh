#!/bin/sh
# test_convert.sh — `svs convert` writes an HF folder that svs loads back with identical
# numbers (svs score on the original and on the converted checkpoint print the same bytes);
# errors exit 2. That HF transformers loads the written folders with identical logits is
# checked by golden/check_convert_hf.py (needs torch; see docs/checkpoints.md).
SVS=${SVS:-bin/svs}
. "$(dirname "$0")/lib.sh"

printf '%s\n' '{"prompt_ids": [1, 5, 9], "response_ids": [3, 7, 2, 11]}' '{"prompt_ids": [4], "response_ids": [8, 6]}' >"$tmp/in.jsonl"
for m in golden/model/qwen2_gqa1_tied golden/model/llama_gqa3_rope_llama3_tied golden/model/qwen2_gqa3_hd10; do
    name=$(basename "$m")
    if "$SVS" convert --model "$m" --out "$tmp/$name" 2>"$tmp/err"; then ok; else bad "convert $name: $(cat "$tmp/err")"; continue; fi
    [ -f "$tmp/$name/config.json" ] && [ -f "$tmp/$name/model.safetensors" ] && ok || bad "convert $name: files missing"
    "$SVS" score --model "$m" --jsonl "$tmp/in.jsonl" --temperature 0.7 >"$tmp/a" 2>&1 || bad "score original $name"
    "$SVS" score --model "$tmp/$name" --jsonl "$tmp/in.jsonl" --temperature 0.7 >"$tmp/b" 2>&1 || bad "score converted $name"
    cmp -s "$tmp/a" "$tmp/b" && ok || bad "score differs after convert ($name)"
done
"$SVS" convert --model golden/model/does-not-exist --out "$tmp/x" >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "^svs: error: " "$tmp/err" && ok || bad "missing model must exit 2: $(cat "$tmp/err")"
"$SVS" convert --model golden/model/qwen2_gqa1_tied >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "required" "$tmp/err" && ok || bad "missing --out must exit 2"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
