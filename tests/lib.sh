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
# expect_exit CODE NAME CMD...: CMD must exit CODE (stdout -> $tmp/out, stderr -> $tmp/err)
expect_exit() {
    code=$1; name=$2; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    rc=$?
    if [ "$rc" -eq "$code" ]; then ok; else bad "$name: exit $rc, expected $code; stderr: $(head -c 300 "$tmp/err")"; fi
}
# expect_err NAME SUBSTRING CMD...: two checks, CMD exits 2 and its stderr has
# "svs: error: ...SUBSTRING..."
expect_err() {
    name=$1; sub=$2; shift 2
    expect_exit 2 "$name" "$@"
    if grep -q "^svs: error: " "$tmp/err" && grep -qF -- "$sub" "$tmp/err"; then ok; else bad "$name: stderr lacks 'svs: error: ...$sub': $(head -c 300 "$tmp/err")"; fi
}
# expect_out NAME EXPECTED CMD...: two checks, CMD exits 0 and prints exactly EXPECTED
expect_out() {
    name=$1; want=$2; shift 2
    expect_exit 0 "$name" "$@"
    got=$(cat "$tmp/out")
    if [ "$got" = "$want" ]; then ok; else bad "$name: got '$got', expected '$want'"; fi
}
# tiny_qwen2_config FILE: the config.json of the random 2-layer Qwen2 (hidden 16, vocab 1500)
# the svs rl tests train with --init-random
tiny_qwen2_config() {
    cat >"$1" <<'CFG'
{"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": 16, "intermediate_size": 32,
 "num_attention_heads": 2, "num_key_value_heads": 1, "num_hidden_layers": 2, "vocab_size": 1500,
 "max_position_embeddings": 512, "rms_norm_eps": 1e-06, "rope_theta": 10000.0, "tie_word_embeddings": true,
 "hidden_act": "silu", "use_sliding_window": false}
CFG
}
