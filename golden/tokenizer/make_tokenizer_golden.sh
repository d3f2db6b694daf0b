#!/bin/sh
# Regenerate the tokenizer goldens (golden/tokenizer/README.md):
#   corpus.jsonl                  gen_corpus.py (no third-party packages)
#   ours_tokenizer.json           `svs bpe-train` (our C trainer) on corpus.jsonl
#   ids_*.jsonl, decode.jsonl     gen_ids.py   (HF tokenizers, golden/requirements-tokenizer.txt)
#   chat.jsonl                    gen_chat.py  (transformers apply_chat_template, offline)
# Usage: golden/tokenizer/make_tokenizer_golden.sh   (SVS=path/to/svs, default bin/svs — build it
#        with `make` first; PYTHON=python3.11; SVS_SHARED=/path/to/shared, default ../shared)
set -eu
cd "$(dirname "$0")/../.."
PY="${PYTHON:-python3}"
SVS="${SVS:-bin/svs}"
SHARED="${SVS_SHARED:-../shared}"
"$PY" -m pip install --quiet --disable-pip-version-check -r golden/requirements-tokenizer.txt
"$PY" golden/tokenizer/gen_corpus.py --shared "$SHARED"
"$SVS" bpe-train --input golden/tokenizer/corpus.jsonl --vocab-size 1500 --pretokenizer qwen2 --nfc \
    --special '<|endoftext|>' --special '<|im_start|>' --special '<|im_end|>' \
    --out golden/tokenizer/ours_tokenizer.json
"$PY" golden/tokenizer/gen_ids.py --shared "$SHARED"
HF_HUB_OFFLINE=1 "$PY" golden/tokenizer/gen_chat.py --shared "$SHARED"
