#!/bin/sh
# demo_verifier.sh — `make demo-verifier`: the verifier on the bundled examples
# (data/examples/verify_example.jsonl) and, when ../shared is present, on the 500 MATH-500
# reference solutions (each whole solution must be judged equal to its answer).
set -eu
SVS=bin/svs
SHARED=${SVS_SHARED:-../shared}
echo "== svs verify on data/examples/verify_example.jsonl =="
$SVS verify --jsonl data/examples/verify_example.jsonl | python3 -c '
import json, sys
ex = [json.loads(l) for l in open("data/examples/verify_example.jsonl")]
out = [json.loads(l) for l in sys.stdin]
ok = 0
for e, o in zip(ex, out):
    mark = "ok " if o["correct"] == e["expected"] else "BAD"
    ok += o["correct"] == e["expected"]
    model = e.get("pred", e.get("response"))
    print("%s %-5s %-34.34s | %-28.28s | %-9s %s" % (mark, o["correct"], e["gold"], model, o["reason"], e["note"]))
print("%d/%d verdicts as intended" % (ok, len(ex)))
'
if [ -f "$SHARED/data/math500_test.jsonl" ]; then
    echo
    echo "== MATH-500: each reference solution vs its answer (whole-response extraction) =="
    python3 -c '
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    print(json.dumps({"id": r["unique_id"], "gold": r["answer"], "response": r["solution"]}))
' "$SHARED/data/math500_test.jsonl" > build/demo_math500.jsonl
    start=$(date +%s.%N)
    $SVS verify --jsonl build/demo_math500.jsonl > build/demo_math500.out
    end=$(date +%s.%N)
    python3 -c '
import json, sys
rows = [json.loads(l) for l in open("build/demo_math500.out")]
bad = [r for r in rows if not r["correct"]]
print("%d/%d solutions judged equal to their reference answer in %.2f s" % (len(rows) - len(bad), len(rows), float(sys.argv[2]) - float(sys.argv[1])))
for r in bad[:10]:
    print("  not equal: %s  gold=%r  extracted=%r  (%s)" % (r["id"], r["gold_extracted"], r["extracted"], r["reason"]))
' "$start" "$end"
else
    echo "(../shared not found: skipping the MATH-500 part; set SVS_SHARED)"
fi
