#!/bin/sh
# bench_tokenizer.sh BUILD — tokenizer benchmark: svs.c (build/bench/bench_tokenizer) next to HF
# tokenizers (bench/peers/hf_tokenizers_bench.py) on the same >= 10 MB math corpus, Qwen2.5
# tokenizer.json. JSON lines on stdout, then a one-line comparison. The first C run writes the
# corpus to $BUILD/bench/tokenizer_corpus.jsonl (deterministic, not committed).
set -u
BUILD=${1:-build}
CORPUS="$BUILD/bench/tokenizer_corpus.jsonl"
REPEATS=${BENCH_TOKENIZER_REPEATS:-3}
mkdir -p "$BUILD/bench"
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
"$BUILD/bench/bench_tokenizer" --corpus "$CORPUS" --repeats "$REPEATS" | tee "$tmp"
if python3 -c "import tokenizers" 2>/dev/null; then
    python3 bench/peers/hf_tokenizers_bench.py --corpus "$CORPUS" --repeats "$REPEATS" --threads 1 | tee -a "$tmp"
    python3 bench/peers/hf_tokenizers_bench.py --corpus "$CORPUS" --repeats "$REPEATS" --threads 0 | tee -a "$tmp"
else
    echo "(tokenizers not installed: pip install -r golden/requirements-tokenizer.txt for the peer column)"
fi
python3 - "$tmp" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
get = lambda impl, op: next((r for r in rows if r["impl"] == impl and r["op"] == op), None)
o, p = get("svs.c", "encode"), get("hf-tokenizers", "encode")
ol, pl = get("svs.c", "load"), get("hf-tokenizers", "load")
if o and p:
    same = o["tokens"] == p["tokens"] and o["ids_fnv1a"] == p["ids_fnv1a"]
    print("tokenizer: svs.c %.2f MB/s vs HF tokenizers %.2f MB/s single thread (%.2fx); load %.3f s vs %.3f s; "
          "max RSS %d KB vs %d KB; identical ids: %s"
          % (o["mb_per_s"], p["mb_per_s"], o["mb_per_s"] / p["mb_per_s"], ol["seconds"], pl["seconds"],
             o["max_rss_kb"], p["max_rss_kb"], "yes" if same else "NO"))
    oc = get("svs.c", "encode_cached")
    if oc:
        print("tokenizer: with one piece cache for the corpus (as svs encode runs): svs.c %.2f MB/s (%.2fx HF single thread)"
              % (oc["mb_per_s"], oc["mb_per_s"] / p["mb_per_s"]))
    if not same:
        sys.exit(1)
PY
