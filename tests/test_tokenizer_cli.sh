#!/bin/sh
# test_tokenizer_cli.sh — the command-line contracts of `svs encode` / `svs decode` (DESIGN.md,
# formats.md §1–§6): ids equal to Hugging Face tokenizers (add_special_tokens=False) for a few
# strings including added tokens, one output line per input line with "id" copied, decode round
# trip, --skip-special-tokens, --no-added-tokens, the raw-bytes input forms and --lossy, and
# `svs: error: FILE:LINE: <field> ...` + exit 2 for every kind of bad input.
#
# Expected ids were produced with huggingface tokenizers 0.23.3 (Tokenizer.from_file(...)
# .encode(s, add_special_tokens=False).ids; encode_special_tokens=True for --no-added-tokens).
# Tokenizers come from ${SVS_SHARED:-../shared}/assets/tokenizers/; a missing one is skipped
# locally and a failure in CI (CI=true).
SVS=${SVS:-bin/svs}
ASSETS=${SVS_SHARED:-../shared}/assets/tokenizers
. "$(dirname "$0")/lib.sh"
skip=0

# have NAME: 0 when the tokenizer asset exists; otherwise a skip (local) or failure (CI).
have() {
    if [ -f "$ASSETS/$1/tokenizer.json" ]; then return 0; fi
    if [ "${CI:-}" = "true" ]; then bad "asset $ASSETS/$1/tokenizer.json is missing (CI)"; else skip=$((skip + 1)); echo "SKIP $1: $ASSETS/$1/tokenizer.json not found"; fi
    return 1
}

# Help texts and option errors need no asset.
for c in encode decode; do
    expect_exit 0 "svs $c --help" "$SVS" "$c" --help
    grep -q "usage: svs $c" "$tmp/out" && ok || bad "svs $c --help has no usage line"
    expect_err "$c without --jsonl" "--jsonl FILE is required" "$SVS" "$c" --tokenizer x.json
    expect_err "$c unknown option" 'unknown option "--frob"' "$SVS" "$c" --frob
done
printf '{"text": "x"}\n' >"$tmp/x.jsonl"
expect_err "missing tokenizer file" "$tmp/nope.json: cannot open" "$SVS" encode --tokenizer "$tmp/nope.json" --jsonl "$tmp/x.jsonl"
expect_err "missing --tokenizer" "--tokenizer FILE is required" "$SVS" encode --jsonl "$tmp/x.jsonl"

# Malformed or unsupported tokenizer.json: the message names the file and the JSON path/position.
printf '{"model": {"type": "WordPiece", "vocab": {}}}' >"$tmp/wp.json"
expect_err "unsupported model" "wp.json: model.type: unsupported model type \"WordPiece\"" "$SVS" encode --tokenizer "$tmp/wp.json" --jsonl "$tmp/x.jsonl"
printf '{"model":\n  {"type": "BPE",' >"$tmp/trunc.json"
expect_err "truncated tokenizer.json" "trunc.json: line 2, column" "$SVS" encode --tokenizer "$tmp/trunc.json" --jsonl "$tmp/x.jsonl"
printf '[1, 2]' >"$tmp/arr.json"
expect_exit 2 "tokenizer.json not an object" "$SVS" encode --tokenizer "$tmp/arr.json" --jsonl "$tmp/x.jsonl"

if have qwen2_5; then
    Q=$ASSETS/qwen2_5/tokenizer.json
    # Encode: HF ids, added tokens (special <|im_start|>, non-special <tool_call>), NFC input,
    # digits one by one, an empty string, "id" copied, one output line per input line.
    cat >"$tmp/enc.jsonl" <<'EOF'
{"text": "Hello world!", "id": "a"}
{"text": "<|im_start|>user\nHi<|im_end|>"}
{"text": "  3.14159 café\n\n", "id": 7}
{"text": "<tool_call>x</tool_call>"}
{"text": ""}
{"text": "\ufffd"}
EOF
    expect_out "qwen2.5 encode" '{"id":"a","ids":[9707,1879,0]}
{"ids":[151644,872,198,13048,151645]}
{"id":7,"ids":[220,220,18,13,16,19,16,20,24,51950,271]}
{"ids":[151657,87,151658]}
{"ids":[]}
{"ids":[5691]}' "$SVS" encode --tokenizer "$Q" --jsonl "$tmp/enc.jsonl"
    # stdin input ("-") gives the same output
    "$SVS" encode --tokenizer "$Q" --jsonl - <"$tmp/enc.jsonl" >"$tmp/out2" 2>"$tmp/err" && cmp -s "$tmp/out" "$tmp/out2" && ok || bad "encode --jsonl - differs from the file form"
    [ "$(wc -l <"$tmp/out")" -eq 6 ] && ok || bad "encode: expected 6 output lines, got $(wc -l <"$tmp/out")"

    # Decode round trip: decode(encode(text)) == text for every line.
    expect_exit 0 "qwen2.5 decode" "$SVS" decode --tokenizer "$Q" --jsonl "$tmp/out2"
    python3 - "$tmp/enc.jsonl" "$tmp/out" <<'PY' && ok || bad "decode round trip"
import json, sys
src = [json.loads(l) for l in open(sys.argv[1])]
dec = [json.loads(l) for l in open(sys.argv[2])]
assert len(src) == len(dec), (len(src), len(dec))
for s, d in zip(src, dec):
    assert d["text"] == s["text"], (s, d)
    assert d.get("id") == s.get("id"), (s, d)
PY

    # --skip-special-tokens drops <|im_start|>/<|im_end|> (special) but keeps <tool_call>.
    printf '{"ids": [151644, 872, 198, 13048, 151645, 151657, 87, 151658]}\n' >"$tmp/dec.jsonl"
    expect_out "decode keeps special" '{"text":"<|im_start|>user\nHi<|im_end|><tool_call>x</tool_call>"}' \
        "$SVS" decode --tokenizer "$Q" --jsonl "$tmp/dec.jsonl"
    expect_out "decode --skip-special-tokens" '{"text":"user\nHi<tool_call>x</tool_call>"}' \
        "$SVS" decode --tokenizer "$Q" --jsonl "$tmp/dec.jsonl" --skip-special-tokens
    # The lone byte 0x80 (token 222, spelled "Ģ") decodes to U+FFFD, never invalid UTF-8; [] -> "".
    printf '{"ids": [64, 222, 65]}\n{"ids": []}\n' >"$tmp/dec0.jsonl"
    expect_out "decode lone byte, empty" '{"text":"a\uFFFDb"}
{"text":""}' "$SVS" decode --tokenizer "$Q" --jsonl "$tmp/dec0.jsonl"

    # --no-added-tokens encodes "<|im_end|>" as ordinary text (HF encode_special_tokens=True).
    printf '{"text": "<|im_end|>"}\n' >"$tmp/na.jsonl"
    expect_out "encode added token" '{"ids":[151645]}' "$SVS" encode --tokenizer "$Q" --jsonl "$tmp/na.jsonl"
    expect_out "encode --no-added-tokens" '{"ids":[27,91,318,6213,91,29]}' "$SVS" encode --tokenizer "$Q" --jsonl "$tmp/na.jsonl" --no-added-tokens

    # Raw bytes: {"bytes": [...]} and {"text_b64": ...} ("a\xffb"); invalid UTF-8 is an error
    # naming the line and byte offset, and --lossy turns it into U+FFFD (id 5691).
    printf '{"text": "ok"}\n{"bytes": [97, 255, 98]}\n' >"$tmp/raw.jsonl"
    expect_err "invalid UTF-8 (bytes)" "raw.jsonl:2: invalid UTF-8 at byte offset 1" "$SVS" encode --tokenizer "$Q" --jsonl "$tmp/raw.jsonl"
    [ "$(cat "$tmp/out")" = '{"ids":[562]}' ] && ok || bad "lines before the failing one are written: '$(cat "$tmp/out")'"
    expect_out "--lossy (bytes)" '{"ids":[562]}
{"ids":[64,5691,65]}' "$SVS" encode --tokenizer "$Q" --jsonl "$tmp/raw.jsonl" --lossy
    printf '{"text_b64": "YWJj"}\n{"text_b64": "Yf9i", "id": 3}\n' >"$tmp/b64.jsonl" # "abc", "a\xffb"
    expect_err "invalid UTF-8 (text_b64)" "b64.jsonl:2: invalid UTF-8 at byte offset 1" "$SVS" encode --tokenizer "$Q" --jsonl "$tmp/b64.jsonl"
    expect_out "--lossy (text_b64)" '{"ids":[13683]}
{"id":3,"ids":[64,5691,65]}' "$SVS" encode --tokenizer "$Q" --jsonl "$tmp/b64.jsonl" --lossy
    printf '{"bytes": [97, 256]}\n' >"$tmp/e.jsonl"
    expect_err "bytes out of range" 'e.jsonl:1: field "bytes"[1]: expected an integer 0..255' "$SVS" encode --tokenizer "$Q" --jsonl "$tmp/e.jsonl"
    printf '{"text_b64": "a!b"}\n' >"$tmp/e.jsonl"
    expect_err "bad base64" 'e.jsonl:1: field "text_b64": invalid base64 character' "$SVS" encode --tokenizer "$Q" --jsonl "$tmp/e.jsonl"

    # Bad encode input lines.
    printf '{"text": "fine"}\n{"id": 1}\n' >"$tmp/e.jsonl"
    expect_err "encode missing text" 'e.jsonl:2: missing field "text"' "$SVS" encode --tokenizer "$Q" --jsonl "$tmp/e.jsonl"
    printf '{"text": 5}\n' >"$tmp/e.jsonl"
    expect_err "encode non-string text" 'e.jsonl:1: field "text": expected a string' "$SVS" encode --tokenizer "$Q" --jsonl "$tmp/e.jsonl"
    printf '{"text": "a", "bytes": [97]}\n' >"$tmp/e.jsonl"
    expect_err "encode two inputs" 'e.jsonl:1: expected exactly one of the fields' "$SVS" encode --tokenizer "$Q" --jsonl "$tmp/e.jsonl"
    printf '{"text": "a"\n' >"$tmp/e.jsonl"
    expect_err "encode invalid JSON line" 'e.jsonl:1: invalid JSON' "$SVS" encode --tokenizer "$Q" --jsonl "$tmp/e.jsonl"
    printf '{"text": "\377"}\n' >"$tmp/e.jsonl"
    expect_err "encode invalid UTF-8 in JSON" 'e.jsonl:1: invalid JSON' "$SVS" encode --tokenizer "$Q" --jsonl "$tmp/e.jsonl"

    # Bad decode input lines.
    printf '{"ids": [1]}\n{"text": "x"}\n' >"$tmp/d.jsonl"
    expect_err "decode missing ids" 'd.jsonl:2: field "ids": missing' "$SVS" decode --tokenizer "$Q" --jsonl "$tmp/d.jsonl"
    printf '{"ids": "1 2"}\n' >"$tmp/d.jsonl"
    expect_err "decode ids not an array" 'd.jsonl:1: field "ids": expected an array' "$SVS" decode --tokenizer "$Q" --jsonl "$tmp/d.jsonl"
    printf '{"ids": [1, "2"]}\n' >"$tmp/d.jsonl"
    expect_err "decode non-integer id" 'd.jsonl:1: field "ids"[1]: expected a non-negative integer' "$SVS" decode --tokenizer "$Q" --jsonl "$tmp/d.jsonl"
    printf '{"ids": [1, -3]}\n' >"$tmp/d.jsonl"
    expect_err "decode negative id" 'd.jsonl:1: field "ids"[1]: expected a non-negative integer' "$SVS" decode --tokenizer "$Q" --jsonl "$tmp/d.jsonl"
    printf '{"ids": [0, 151665]}\n' >"$tmp/d.jsonl"
    expect_err "decode id out of range" 'd.jsonl:1: field "ids"[1]: id 151665 is not in the vocabulary (size 151665)' "$SVS" decode --tokenizer "$Q" --jsonl "$tmp/d.jsonl"

    # A broken entry deep inside a real tokenizer.json is named by its JSON path.
    python3 - "$Q" "$tmp/badmerge.json" <<'PY' && ok || bad "writing badmerge.json"
import json, sys
t = json.load(open(sys.argv[1], encoding="utf-8"))
t["model"]["merges"][5] = 17
json.dump(t, open(sys.argv[2], "w", encoding="utf-8"), ensure_ascii=False)
PY
    expect_err "bad merge entry" "badmerge.json: model.merges[5]:" "$SVS" encode --tokenizer "$tmp/badmerge.json" --jsonl "$tmp/x.jsonl"
fi

if have gpt2; then
    printf '{"text": "Hello world! It'"'"'s 2024."}\n' >"$tmp/g.jsonl"
    expect_out "gpt2 encode" '{"ids":[15496,995,0,632,338,48609,13]}' "$SVS" encode --tokenizer "$ASSETS/gpt2/tokenizer.json" --jsonl "$tmp/g.jsonl"
fi
if have llama3; then
    printf '{"text": "Hello world! 12345"}\n' >"$tmp/l.jsonl"
    expect_out "llama3 encode" '{"ids":[9906,1917,0,220,4513,1774]}' "$SVS" encode --tokenizer "$ASSETS/llama3/tokenizer.json" --jsonl "$tmp/l.jsonl"
fi

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
