# lib.sh — the helpers every tests/test_*.sh script sources (`. tests/lib.sh`): counters, a
# scratch directory removed at exit, and the check functions. A script ends with
# `echo "$pass passed, $fail failed"` (tests/run_tests.sh sums those lines) and a non-zero
# exit status when something failed.
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
# check NAME SHELL-CONDITION: one check, the condition evaluated with eval
check() { if eval "$2"; then ok; else bad "$1"; fi; }
# strip FILE: svs rl metrics lines without the wall-clock fields (perf/tokens_per_s and
# timing_s/* come last in every line)
strip() { sed 's/,"perf\/tokens_per_s".*$//' "$1"; }
# expect_err NAME SUBSTRING CMD...: CMD must exit 2 with "svs: error: ...SUBSTRING..." on stderr
expect_err() {
    name=$1; sub=$2; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    rc=$?
    if [ "$rc" -eq 2 ] && grep -q "^svs: error: " "$tmp/err" && grep -qF -- "$sub" "$tmp/err"; then ok
    else bad "$name: exit $rc, stderr: $(head -c 300 "$tmp/err")"; fi
}
