"""test_checkpoint_python.py — cross-checks the C checkpoint I/O (ref/model/) with the Python
reference libraries (docs/formats.md §8, §9):

* a safetensors file written by `safetensors_write` (via `test_checkpoint --emit DIR`) loads in
  Python `safetensors` with the same names, shapes, bits and __metadata__;
* a file written by Python `safetensors` (F32 and F16) reads back in C (`test_checkpoint --dump`)
  with the same bits;
* config.json files written by `model_config_to_json` load in HF transformers' AutoConfig with the
  same values (rope_scaling llama3 included).

Needs build/tests/test_checkpoint (SVS_BUILD) and the Python packages `safetensors`, `numpy`,
`transformers` (torch is not needed); whatever is missing is skipped. Prints `N passed, N failed`.
"""
import math
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, os.environ.get("SVS_BUILD", "build"), "tests", "test_checkpoint")
passed = failed = skipped = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL", what)


def skip(what):
    global skipped
    skipped += 1
    print("SKIP", what)


def bits(x):
    import numpy as np
    return np.asarray(x, dtype=np.float32).reshape(-1).view(np.uint32).tolist()


def check_c_written(d):
    import numpy as np
    from safetensors import safe_open
    from safetensors.numpy import load_file

    path = os.path.join(d, "model.safetensors")
    t = load_file(path)
    check(set(t) == {"model.a", "b.special", "scalar", "empty", "subnormals", 'rank4 "quoted\\name"'},
          "names: %s" % sorted(t))
    check(t["model.a"].dtype == np.float32 and t["model.a"].shape == (2, 3), "model.a shape")
    check(t["model.a"].tolist() == [[-1.0, -0.5, 0.0], [0.5, 1.0, 1.5]], "model.a values")
    sp = t["b.special"]
    check(bits(sp[0]) == [0x80000000] and math.isinf(sp[1]) and sp[1] > 0 and math.isinf(sp[2]) and sp[2] < 0
          and math.isnan(sp[3]), "special values")
    check(t["scalar"].shape == () and float(t["scalar"]) == 3.25, "0-rank scalar")
    check(t["empty"].shape == (0, 5), "empty tensor shape")
    sub = np.array([1e-45, -1e-40, 1.17549435e-38], dtype=np.float32)
    check(bits(t["subnormals"]) == bits(sub), "subnormals bit-exact")
    check(t['rank4 "quoted\\name"'].shape == (1, 2, 1, 2), "rank-4 tensor with quotes in its name")
    with safe_open(path, framework="numpy") as f:
        check(f.metadata() == {"format": "pt"}, "metadata: %s" % f.metadata())


def check_python_written(d):
    import numpy as np
    from safetensors.numpy import save_file

    path = os.path.join(d, "py.safetensors")
    a = (np.arange(24, dtype=np.float32).reshape(2, 3, 4) - 7.5) / 3
    h = np.array([1.0, -2.0, 65504.0, 6e-8, np.inf, 0.333], dtype=np.float16)
    save_file({"model.layers.0.w": a, "half": h, "zero": np.zeros((0,), np.float32)}, path, metadata={"k": "v"})
    out = subprocess.run([BIN, "--dump", path], capture_output=True, text=True)
    check(out.returncode == 0, "C reads a Python-written file: %s" % out.stdout.strip()[:200])
    got = {}
    for line in out.stdout.splitlines():
        head, _, vals = line.partition(" :")
        got[head] = [int(v, 16) for v in vals.split()]
    want = {"model.layers.0.w 3 2 3 4": bits(a), "half 1 6": bits(h.astype(np.float32)), "zero 1 0": []}
    for k, v in want.items():
        check(got.get(k) == v, "C dump of %s" % k)


def check_configs(d):
    from transformers import AutoConfig

    def load(name):
        sub = os.path.join(d, name.replace(".json", ""))
        os.makedirs(sub, exist_ok=True)
        shutil.copy(os.path.join(d, name), os.path.join(sub, "config.json"))
        return AutoConfig.from_pretrained(sub)

    def rope(cfg):
        rp = getattr(cfg, "rope_parameters", None) or {}
        rs = getattr(cfg, "rope_scaling", None) or {}
        theta = rp.get("rope_theta", getattr(cfg, "rope_theta", None))
        return theta, dict(rs, **rp)

    c = load("config_llama31.json")
    theta, r = rope(c)
    check(c.model_type == "llama" and c.hidden_size == 4096 and c.num_key_value_heads == 8
          and c.intermediate_size == 14336 and c.vocab_size == 128256, "llama3.1 dims")
    check(theta == 500000.0 and r.get("rope_type") == "llama3" and r.get("factor") == 8.0
          and r.get("original_max_position_embeddings") == 8192, "llama3.1 rope: %s %s" % (theta, r))
    check(list(c.eos_token_id) == [128001, 128008, 128009] and c.rms_norm_eps == 1e-5, "llama3.1 ids/eps")
    c = load("config_qwen25.json")
    theta, _ = rope(c)
    check(c.model_type == "qwen2" and c.hidden_size == 896 and c.num_key_value_heads == 2 and c.tie_word_embeddings
          and theta == 1000000.0 and c.rms_norm_eps == 1e-6 and c.bos_token_id == 151643, "qwen2.5 config")
    c = load("config_smollm2.json")
    check(c.head_dim == 64 and c.num_attention_heads == 9 and c.tie_word_embeddings and c.pad_token_id == 2,
          "smollm2 config")


def main():
    if not os.access(BIN, os.X_OK):
        skip("%s not built" % BIN)
    else:
        try:
            import numpy  # noqa: F401
            import safetensors  # noqa: F401
            have_st = True
        except ImportError:
            have_st = False
            skip("python safetensors/numpy not installed")
        d = tempfile.mkdtemp(prefix="svs_ckpt_py_")
        try:
            r = subprocess.run([BIN, "--emit", d], capture_output=True, text=True)
            check(r.returncode == 0, "test_checkpoint --emit: %s" % r.stderr)
            if have_st:
                check_c_written(d)
                check_python_written(d)
            try:
                import transformers  # noqa: F401
                check_configs(d)
            except ImportError:
                skip("transformers not installed")
        finally:
            shutil.rmtree(d, ignore_errors=True)
    if skipped:
        print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    else:
        print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
