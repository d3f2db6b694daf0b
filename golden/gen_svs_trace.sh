#!/bin/sh
# gen_svs_trace.sh — records golden/svs_step_tiny.jsonl: the trace (svs rl --trace) of one
# deterministic SvS step of the shipped tiny model (data/tiny/) on the reference backend, with
# the options in golden/svs_step_tiny.args. tests/test_svs_trace.c re-runs the same command and
# compares. Regenerate only when the tiny model, the problems or the step itself change on
# purpose, and say why in the commit.
set -eu
SVS=${SVS:-bin/svs}
OUT=${SVS_BUILD:-build}/golden-svs-trace
rm -rf "$OUT"
# shellcheck disable=SC2046
"$SVS" rl $(cat golden/svs_step_tiny.args) --out "$OUT" --trace golden/svs_step_tiny.jsonl
echo "wrote golden/svs_step_tiny.jsonl ($(wc -l < golden/svs_step_tiny.jsonl) lines)" >&2
