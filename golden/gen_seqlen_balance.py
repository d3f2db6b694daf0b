#!/usr/bin/env python3
"""Token-budget micro-batch goldens from verl's own seqlen_balancing (verl 0.9.1, PyPI).

Calls, unmodified, verl.utils.seqlen_balancing:
  karmarkar_karp(seqlen_list, k_partitions, equal_size)          -> partitions in KK's own order
  get_seqlen_balanced_partitions(seqlen_list, k, equal_size)     -> the same, indices sorted
  rearrange_micro_batches(batch, max_token_len)                  -> verl's use_dynamic_bsz split
                                                                    (defaults: no DP group, no
                                                                    min count, workload balance on)
on random integer lists: small and large values, many ties (tie-breaking is where a port goes
wrong), k from 1 to n, equal_size true (n divisible by k) and false; rearrange_micro_batches on
random row lengths (its batch is a TensorDict with input_ids and a left-aligned attention_mask
whose width is the longest row) with budgets from the longest row to more than the total, with
use_dynamic_bsz_balance true and false.

Import note: `import verl` imports verl.protocol, which imports ray (a distributed runtime that
none of these functions uses). As golden/gen_grpo_verl_goldens.py does, a stand-in module named
`ray` (and `ray.*`) is put in sys.modules before the import when ray is not installed; nothing of
verl is copied or patched. torch, tensordict, numpy are real (versions in the header).
Environment: the one of golden/requirements-grpo.txt (e.g. /tmp/venv-verl/bin/python).

Writes golden/seqlen_balance.jsonl: line 1 = header (versions, seed, count), then one case per
line: {"kind": "kk" | "balanced", "vals", "k", "equal_size", "parts"} or
{"kind": "rearrange", "lens", "max_token_len", "balance", "parts"}. tests/test_seqlen_balance.c
reproduces every partition exactly (same groups, same order).

Usage: python3 golden/gen_seqlen_balance.py [--out PATH] [--count N] [--seed S]
"""

import argparse
import json
import os
import platform
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
# the ray stand-in (and nothing else) from the GRPO generator
from gen_grpo_verl_goldens import _RayFinder  # noqa: E402


def import_verl():
    try:
        import ray  # noqa: F401  (a real ray, if installed, is fine too)
    except ImportError:
        sys.meta_path.insert(0, _RayFinder())
    stub = any(isinstance(f, _RayFinder) for f in sys.meta_path)
    import verl
    import verl.utils.seqlen_balancing as sb
    return verl, sb, stub


# gen_grpo_verl_goldens imports verl at module level, so the stand-in is already in place when
# it was needed; import_verl() is idempotent.
verl, sb, RAY_STUBBED = import_verl()
import tensordict  # noqa: E402
import torch  # noqa: E402


def draw_vals(rng, n):
    """Integer values with a mix of scales and many ties."""
    kind = rng.randrange(5)
    if kind == 0:
        return [rng.randint(1, 10) for _ in range(n)]            # small, lots of ties
    if kind == 1:
        return [rng.randint(1, 5000) for _ in range(n)]
    if kind == 2:
        return [rng.choice([7, 7, 7, 12, 30]) for _ in range(n)]  # heavy ties
    if kind == 3:  # verl workloads of random lengths (24576·L + L², up to ~1e10)
        return [24576 * L + L * L for L in (rng.randint(1, 40000) for _ in range(n))]
    return [rng.randint(1, 3) * 1000 + rng.randint(0, 1) for _ in range(n)]


def case_kk(rng, kind):
    n = rng.randint(1, 40)
    vals = draw_vals(rng, n)
    equal = rng.random() < 0.4
    if equal:
        divs = [d for d in range(1, n + 1) if n % d == 0]
        k = rng.choice(divs)
    else:
        k = rng.randint(1, n)
    fn = sb.karmarkar_karp if kind == "kk" else sb.get_seqlen_balanced_partitions
    parts = fn(seqlen_list=list(vals), k_partitions=k, equal_size=equal)
    return {"kind": kind, "vals": vals, "k": k, "equal_size": equal,
            "parts": [[int(i) for i in p] for p in parts]}


def case_rearrange(rng):
    n = rng.randint(1, 48)
    style = rng.randrange(3)
    if style == 0:
        lens = [rng.randint(1, 64) for _ in range(n)]
    elif style == 1:
        lens = [rng.randint(20, 40) for _ in range(n)]
    else:
        lens = [rng.choice([16, 16, 24, 48]) for _ in range(n)]
    width = max(lens)
    total = sum(lens)
    budget = rng.choice([width, width + rng.randint(0, width), rng.randint(width, max(width, total)),
                         total + rng.randint(0, 10)])
    mask = torch.zeros((n, width), dtype=torch.int64)
    for i, L in enumerate(lens):
        mask[i, :L] = 1
    batch = tensordict.TensorDict({"input_ids": mask.clone(), "attention_mask": mask}, batch_size=[n])
    balance = rng.random() < 0.75
    _, parts = sb.rearrange_micro_batches(batch, max_token_len=budget, use_dynamic_bsz_balance=balance)
    return {"kind": "rearrange", "lens": lens, "max_token_len": budget, "balance": balance,
            "parts": [[int(i) for i in p] for p in parts]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(HERE, "seqlen_balance.jsonl"))
    ap.add_argument("--count", type=int, default=120)
    ap.add_argument("--seed", type=int, default=20261122)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    cases = []
    for i in range(args.count):
        r = i % 3
        cases.append(case_kk(rng, "kk") if r == 0 else case_kk(rng, "balanced") if r == 1 else case_rearrange(rng))
    head = {"header": True, "generator": "golden/gen_seqlen_balance.py", "verl": verl.__version__,
            "torch": torch.__version__, "tensordict": tensordict.__version__,
            "python": platform.python_version(), "ray_stubbed": RAY_STUBBED, "seed": args.seed,
            "count": len(cases),
            "fields": "kk/balanced: vals, k, equal_size, parts; rearrange: lens, max_token_len, balance, parts"}
    with open(args.out, "w") as f:
        f.write(json.dumps(head) + "\n")
        for c in cases:
            f.write(json.dumps(c, separators=(",", ":")) + "\n")
    print("wrote %d cases to %s" % (len(cases), args.out))


if __name__ == "__main__":
    main()
