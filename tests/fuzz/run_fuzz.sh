#!/bin/sh
# run_fuzz.sh BUILD SECONDS — runs every libFuzzer target for SECONDS each (no crash, no leak,
# no timeout allowed: -timeout=2 fails any input that takes over 2 s). Seeds: tests/fuzz/seeds/<target>/.
BUILD=${1:-build}
SECS=${2:-30}
status=0
for f in "$BUILD"/fuzz/fuzz_*; do
    [ -x "$f" ] || continue
    name=$(basename "$f")
    corpus="$BUILD/fuzz-corpus/$name"
    mkdir -p "$corpus"
    seeds="tests/fuzz/seeds/$name"
    [ -d "$seeds" ] || seeds=""
    echo "fuzz: $name for ${SECS}s"
    if ! "$f" -max_total_time="$SECS" -timeout=2 -rss_limit_mb=2048 -max_len=65536 -artifact_prefix="$BUILD/fuzz-$name-" \
        -print_final_stats=0 "$corpus" $seeds >"$BUILD/fuzz-$name.log" 2>&1; then
        echo "fuzz: $name FAILED (log: $BUILD/fuzz-$name.log)"
        tail -n 30 "$BUILD/fuzz-$name.log"
        status=1
    else
        grep -E "^#[0-9]+ *DONE" "$BUILD/fuzz-$name.log" | tail -n 1
    fi
done
exit $status
