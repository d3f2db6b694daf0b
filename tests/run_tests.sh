#!/bin/sh
# run_tests.sh — runs every test program (build/tests/test_*) and every test script
# (tests/test_*.sh, tests/test_*.py), sums their `N passed, N failed[, N skipped]` lines and
# ends with the total on a line of its own. A program that exits non-zero without printing a
# summary (a crash) counts as one failure. Exit status: 0 only when nothing failed.
#
#   sh tests/run_tests.sh [BUILD_DIR]        TEST_FILTER=substring limits what runs
BUILD=${1:-build}
export SVS_SHARED="${SVS_SHARED:-../shared}"
export SVS_BUILD="$BUILD"
export SVS="${SVS:-bin/svs}"
passed=0
failed=0
skipped=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

run_one() {
    name=$1
    shift
    case "$name" in *"${TEST_FILTER:-}"*) ;; *) return ;; esac
    start=$(date +%s)
    "$@" >"$log" 2>&1
    rc=$?
    end=$(date +%s)
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    if [ -z "$line" ]; then
        failed=$((failed + 1))
        echo "CRASH $name (exit $rc, no summary line)"
        tail -n 20 "$log"
        return
    fi
    p=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
    f=$(echo "$line" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')
    s=$(echo "$line" | sed -nE 's/.*, ([0-9]+) skipped.*/\1/p')
    s=${s:-0}
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    passed=$((passed + p))
    failed=$((failed + f))
    skipped=$((skipped + s))
    if [ "$f" -ne 0 ]; then
        echo "FAIL $name: $line ($((end - start)) s)"
        grep -E '^(FAIL|CRASH|MISMATCH)' "$log" | head -n 40
    else
        echo "ok   $name: $line ($((end - start)) s)"
    fi
    grep -E "^(REPORT|SKIP)" "$log" | head -n 80
}

for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    run_one "$(basename "$t")" "$t"
done
for t in tests/test_*.sh; do
    [ -f "$t" ] || continue
    run_one "$(basename "$t")" sh "$t"
done
for t in tests/test_*.py; do
    [ -f "$t" ] || continue
    case "$(basename "$t")" in *"${TEST_FILTER:-}"*) ;; *) continue ;; esac
    if [ -n "${SVS_ASAN:-}" ]; then
        # an ASan-instrumented libsvs.so cannot be loaded into an uninstrumented Python
        echo "SKIP $(basename "$t") (ASan build)"
        skipped=$((skipped + 1))
        continue
    fi
    run_one "$(basename "$t")" python3 "$t"
done

if [ "$skipped" -ne 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
