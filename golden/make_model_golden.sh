#!/bin/sh
# Regenerate the model golden files:
#   golden/model/<config>/{config.json,model.safetensors,generation_config.json,state.bin}
#                                  (golden/gen_model_goldens.py: random Qwen2/Llama, ~15 s)
#   golden/model/smollm2_facts.json, golden/model/smollm2_golden.json
#                                  (golden/gen_smollm2_golden.py: SmolLM2-135M GGUF, ~2 min;
#                                   the 98 MB GGUF is cached in ~/.cache/svs/smollm2, or
#                                   $SVS_CACHE/smollm2, never in the repository)
# Usage: golden/make_model_golden.sh   (PYTHON=python3.11 to choose the interpreter;
#                                       NO_INSTALL=1 to skip the pip install)
# Both generators are deterministic (one thread, fixed seeds): reruns give identical files.
set -eu
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
if [ -z "${NO_INSTALL:-}" ]; then
    "$PY" -m pip install --quiet --disable-pip-version-check -r golden/requirements-model.txt
fi
"$PY" golden/gen_model_goldens.py
"$PY" golden/gen_smollm2_golden.py
