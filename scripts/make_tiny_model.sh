#!/bin/sh
# make_tiny_model.sh — rebuilds the tiny-math tokenizer and model shipped in data/tiny/
# (`make tiny-model`). Every step is a plain `svs` command; same build, same thread count ->
# same bytes (the opt backend is deterministic for a fixed thread count; docs/backends.md).
#
#   1. data: 60,000 SFT pairs (question + math instruction -> worked solution) and 30,000
#      synthesis SFT pairs (the tiny synthesis prompt around a solution -> a new problem with
#      the same answer in a ```text block), all from the train split (data/tiny/README.md);
#   2. tokenizer: byte-level BPE (svs bpe-train) on the same pairs as the Qwen2.5 chat template
#      lays them out, with the ChatML special tokens; merges run out at 677 ids;
#   3. model: a Qwen2-architecture config (data/tiny/init_config.json, 1.85 M parameters)
#      trained from scratch by svs train: 2,500 AdamW steps of 4,096 tokens, cosine LR 3e-3.
#
# Output: data/tiny/{config.json, model.safetensors, tokenizer.json, train_metrics.jsonl}.
# Time: ~20-25 minutes on 2 cores.  Usage: sh scripts/make_tiny_model.sh [OUT_DIR]
set -eu
SVS=${SVS:-bin/svs}
OUT=${1:-data/tiny}
WORK=${SVS_BUILD:-build}/tiny-model
THREADS=${TINY_THREADS:-2}
mkdir -p "$WORK"

echo "[tiny-model 1/3] data -> $WORK" >&2
"$SVS" tinymath --split train --count 60000 --seed 1 --format sft > "$WORK/sft.jsonl"
"$SVS" tinymath --split train --count 30000 --seed 2 --format synthesis-sft \
    --synthesis-prompt data/prompts/synthesis_tiny.txt > "$WORK/synthesis_sft.jsonl"
"$SVS" tinymath --split eval --count 300 --seed 1 --format sft > "$WORK/heldout_sft.jsonl"
cat "$WORK/sft.jsonl" "$WORK/synthesis_sft.jsonl" > "$WORK/train.jsonl"

echo "[tiny-model 2/3] tokenizer (svs bpe-train)" >&2
# The BPE corpus is each pair as the chat template writes it, minus the special tokens
# (which are never merged): system block, user prompt, assistant response.
SYS='system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.\\nuser\\n'
sed "s/^{\"prompt\":\"/{\"text\":\"$SYS/; s/\",\"response\":\"/\\\\nassistant\\\\n/" "$WORK/train.jsonl" \
    > "$WORK/bpe_corpus.jsonl"
"$SVS" bpe-train --input "$WORK/bpe_corpus.jsonl" --vocab-size 768 --nfc \
    --special '<|endoftext|>' --special '<|im_start|>' --special '<|im_end|>' --out "$WORK/tokenizer.json"

echo "[tiny-model 3/3] model (svs train, $THREADS threads)" >&2
rm -rf "$WORK/model"
"$SVS" train --tokenizer "$WORK/tokenizer.json" --init data/tiny/init_config.json \
    --data "$WORK/train.jsonl" --eval "$WORK/heldout_sft.jsonl" --eval-every 500 \
    --out "$WORK/model" --steps 2500 --batch-tokens 4096 --lr 3e-3 --warmup 100 --schedule cosine \
    --log-every 50 --seed 1 --backend opt --threads "$THREADS"

mkdir -p "$OUT"
for f in config.json model.safetensors tokenizer.json train_metrics.jsonl; do
    cp "$WORK/model/$f" "$OUT/$f"
done
echo "[tiny-model] wrote $OUT/config.json, model.safetensors, tokenizer.json, train_metrics.jsonl" >&2
