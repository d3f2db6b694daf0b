#!/bin/sh
# Regenerate every golden file with the pinned PyPI packages (golden/requirements*.txt):
#   golden/verifier_corpus.jsonl  (golden/gen_verifier_corpus.py, Math-Verify 0.8.0 verdicts)
#   golden/passk_golden.txt       (golden/gen_passk.py, exact Fraction arithmetic)
#   golden/tokenizer/*            (golden/tokenizer/make_tokenizer_golden.sh: HF tokenizers,
#                                  transformers chat templates, our BPE trainer via bin/svs)
# Usage: make golden   (PYTHON=python3.11 to choose the interpreter;
#                       SVS_SHARED=/path/to/shared for the data files, default ../shared)
set -eu
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
"$PY" -m pip install --quiet --disable-pip-version-check -r golden/requirements.txt
"$PY" golden/gen_passk.py
"$PY" golden/gen_verifier_corpus.py
[ -x bin/svs ] || make --no-print-directory bin/svs
sh golden/tokenizer/make_tokenizer_golden.sh
