#!/bin/sh
# test_train.sh — `svs train` (docs/train.md): a tiny Qwen2 (hidden 64, 2 layers) trained from
# scratch on tinymath SFT pairs with the golden 1,500-token BPE on the ref backend: the loss
# falls (last < 0.6 × first), the folder loads with `svs score` and `svs generate`, the same
# seed gives byte-identical metrics (tokens_per_s removed) and weights, bad inputs exit 2.
SVS=${SVS:-bin/svs}
TOK=golden/tokenizer/ours_tokenizer.json
. "$(dirname "$0")/lib.sh"

field() { # field NAME LINE -> the number after "NAME":
    printf '%s\n' "$2" | sed -n "s/.*\"$1\":\([-0-9.eE+]*\).*/\1/p"
}

"$SVS" tinymath --split train --format sft --count 200 --seed 1 >"$tmp/train.jsonl" || bad "tinymath train"
"$SVS" tinymath --split eval --format sft --count 16 --seed 2 >"$tmp/eval.jsonl" || bad "tinymath eval"
cat >"$tmp/cfg.json" <<'JSON'
{"model_type": "qwen2", "vocab_size": 1536, "hidden_size": 64, "intermediate_size": 172,
 "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
 "max_position_embeddings": 512, "rms_norm_eps": 1e-6, "rope_theta": 10000.0,
 "tie_word_embeddings": true}
JSON
COMMON="--tokenizer $TOK --init $tmp/cfg.json --data $tmp/train.jsonl --backend ref --batch-tokens 1024 --lr 5e-3"

expect_exit 0 "svs train --help" "$SVS" train --help
grep -q "usage: svs train" "$tmp/out" && ok || bad "svs train --help has no usage line"

# ---- 30 steps from scratch: the loss falls ----
expect_exit 0 "train 30 steps" "$SVS" train $COMMON --eval "$tmp/eval.jsonl" --out "$tmp/m" --steps 30 --warmup 2 --schedule cosine
for f in config.json model.safetensors tokenizer.json train_metrics.jsonl; do
    [ -s "$tmp/m/$f" ] && ok || bad "train: $tmp/m/$f missing"
done
n=$(wc -l <"$tmp/m/train_metrics.jsonl")
[ "$n" -eq 30 ] && ok || bad "train: $n metrics lines, expected 30"
first=$(field loss "$(head -n 1 "$tmp/m/train_metrics.jsonl")")
last=$(field loss "$(tail -n 1 "$tmp/m/train_metrics.jsonl")")
evl=$(field eval_loss "$(tail -n 1 "$tmp/m/train_metrics.jsonl")")
echo "train: loss $first -> $last, eval_loss $evl"
awk -v a="$first" -v b="$last" 'BEGIN { exit !(a > 6.5 && b < 0.6 * a) }' && ok || bad "train: loss $first -> $last (want last < 0.6 x first)"
awk -v e="$evl" 'BEGIN { exit !(e > 0 && e < 4.5) }' && ok || bad "train: eval_loss '$evl'"
grep -q '"grad_norm":' "$tmp/m/train_metrics.jsonl" && grep -q '"tokens_per_s":' "$tmp/m/train_metrics.jsonl" && ok || bad "train: metrics fields"
grep -q '"eos_token_id": *1499' "$tmp/m/config.json" && ok || bad "train: config.json lacks eos_token_id 1499 (<|im_end|>)"
cmp -s "$TOK" "$tmp/m/tokenizer.json" && ok || bad "train: tokenizer.json is not a copy"

# ---- the folder loads with score and generate ----
echo '{"prompt_ids": [1498, 882, 198], "response_ids": [19, 20, 1499]}' >"$tmp/score.jsonl"
expect_exit 0 "score the trained folder" "$SVS" score --model "$tmp/m" --jsonl "$tmp/score.jsonl" --backend ref
grep -q '"logprobs":\[' "$tmp/out" && ok || bad "score output: $(head -c 200 "$tmp/out")"
printf '%s\n' '{"prompt": "<|im_start|>user\nWhat is 2 + 3?<|im_end|>\n<|im_start|>assistant\n"}' >"$tmp/gen.jsonl"
expect_exit 0 "generate with the trained folder" "$SVS" generate --model "$tmp/m" --tokenizer "$tmp/m/tokenizer.json" --jsonl "$tmp/gen.jsonl" --temperature 0 --max-new-tokens 24 --backend ref
grep -q '"text":' "$tmp/out" && ok || bad "generate output: $(head -c 200 "$tmp/out")"
echo "generate: $(head -c 200 "$tmp/out")"

# ---- determinism: same seed twice -> identical metrics (minus timing) and weights ----
for r in a b; do
    expect_exit 0 "train run $r" "$SVS" train $COMMON --out "$tmp/$r" --steps 4 --save-every 2 --seed 7
    sed 's/,"tokens_per_s":[^,}]*//' "$tmp/$r/train_metrics.jsonl" >"$tmp/$r.metrics"
done
cmp -s "$tmp/a.metrics" "$tmp/b.metrics" && ok || bad "same seed: metrics differ"
ha=$(sha256sum <"$tmp/a/model.safetensors"); hb=$(sha256sum <"$tmp/b/model.safetensors")
[ "$ha" = "$hb" ] && ok || bad "same seed: model.safetensors differ"
expect_exit 0 "train other seed" "$SVS" train $COMMON --out "$tmp/c" --steps 1 --seed 8
[ "$(sha256sum <"$tmp/c/model.safetensors")" != "$(sha256sum <"$tmp/m/model.safetensors")" ] && ok || bad "other seed: same weights"
ls "$tmp/a" | grep -q '\.tmp$' && bad "tmp files left in the output folder" || ok

# ---- bad inputs exit 2 ----
echo '{"prompt": "x"}' >"$tmp/bad1.jsonl"
printf '{"prompt": "x", "response": "y"}\n{"prompt": 3, "response": "y"}\n' >"$tmp/bad2.jsonl"
printf '{"prompt": "x", "response": "y"}\nnot json\n' >"$tmp/bad3.jsonl"
echo '{"foo": "x"}' >"$tmp/bad4.jsonl"
sed 's/"vocab_size": 1536/"vocab_size": 1000/' "$tmp/cfg.json" >"$tmp/small.json"
sed 's/"hidden_size": 64/"hidden_size": 63/' "$tmp/cfg.json" >"$tmp/odd.json"
B="--tokenizer $TOK --init $tmp/cfg.json --out $tmp/x --steps 1 --backend ref"
expect_err "missing response" ':1: field "response"' "$SVS" train $B --data "$tmp/bad1.jsonl"
expect_err "prompt not a string" ':2: field "prompt"' "$SVS" train $B --data "$tmp/bad2.jsonl"
expect_err "malformed line" 'bad3.jsonl:2:' "$SVS" train $B --data "$tmp/bad3.jsonl"
expect_err "no known field" ':1: expected fields' "$SVS" train $B --data "$tmp/bad4.jsonl"
expect_err "missing data file" 'cannot open' "$SVS" train $B --data "$tmp/none.jsonl"
expect_err "vocab too small" '"vocab_size"' "$SVS" train --tokenizer $TOK --init "$tmp/small.json" --data "$tmp/train.jsonl" --out "$tmp/x" --steps 1
expect_err "bad config" 'odd.json' "$SVS" train --tokenizer $TOK --init "$tmp/odd.json" --data "$tmp/train.jsonl" --out "$tmp/x" --steps 1
expect_err "both --model and --init" 'exactly one' "$SVS" train $B --model "$tmp/m" --data "$tmp/train.jsonl"
expect_err "no --steps" '--steps' "$SVS" train --tokenizer $TOK --init "$tmp/cfg.json" --data "$tmp/train.jsonl" --out "$tmp/x"
expect_err "bad schedule" '--schedule' "$SVS" train $B --data "$tmp/train.jsonl" --schedule wsd
expect_err "bad lr" '--lr' "$SVS" train $B --data "$tmp/train.jsonl" --lr -1
expect_err "too long" '--max-len' "$SVS" train $B --data "$tmp/train.jsonl" --max-len 8
expect_err "unknown option" '--frob' "$SVS" train $B --data "$tmp/train.jsonl" --frob

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
