#!/usr/bin/env python3
"""GRPO numerics goldens in float64 (spec/grpo-conventions.md sections 2, 4, 5, 6).

An independent float64 re-implementation of the formulas of the spec, written from its tables
(not from ref/grpo*.c): advantages per library, the clipped per-token loss of verl / TRL /
OpenRLHF, its gradient with torch's tie rules, every aggregation mode in the S / V-legacy /
engine / TRL / OpenRLHF semantics, the micro-batch scope of section 5.2, and the KL estimators
with each library's clamps. numpy only; torch is not needed.

Inputs are drawn at random and rounded to float32 first, so svs.c (float32) and this file
(float64) start from the same numbers; tests/test_grpo_golden.c compares them with rtol ~1e-5.

Random batches cover: fully masked rows, singleton groups, all-equal groups, non-adjacent group
members, log-ratios beyond +-20, log-ratios of exactly 0 (ties at r = 1) and ratios on the
float32 clip bounds (ties L1 = L2 at the bound).

Writes golden/grpo_random.jsonl: line 1 = header (generator, numpy and python versions, seed,
count, field meanings), then one JSON object per batch (NaN written as null).

Usage: python3 golden/gen_grpo_goldens.py [--out PATH] [--count N] [--seed S]
"""

import argparse
import json
import math
import os
import platform

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
F32 = np.float32

# Per-token loss settings of each preset (spec section 12.2); openrlhf's clip eps is "explicit"
# in the spec, 0.2 / 0.2 is chosen here and the C test sets the same values.
LOSS = {
    "verl-svs": dict(lo=0.2, hi=0.28, c=3.0, clamp=True),
    "verl": dict(lo=0.2, hi=0.2, c=3.0, clamp=True),
    "verl-engine": dict(lo=0.2, hi=0.2, c=3.0, clamp=True),
    "dapo": dict(lo=0.2, hi=0.28, c=10.0, clamp=True),
    "trl": dict(lo=0.2, hi=0.2, c=None, clamp=False),
    "openrlhf": dict(lo=0.2, hi=0.2, c=None, clamp=True),
}
ADV_EPS = {"verl-svs": 1e-6, "verl": 1e-6, "verl-engine": 1e-6, "dapo": 1e-6, "trl": 1e-4,
           "openrlhf": 1e-9}
KINK_REL = 1e-4  # tokens this close to a gradient discontinuity are flagged (kink = 1)


def nn(x):
    """float -> JSON number, NaN/inf -> None"""
    x = float(x)
    return None if not math.isfinite(x) else float("%.12g" % x)


def f32list(a):
    return [float("%.9g" % float(v)) for v in np.asarray(a, dtype=F32).ravel()]


# ---------------------------------------------------------------- advantages (section 2)

def groups_of(uid):
    out = {}
    for i, u in enumerate(uid):
        out.setdefault(u, []).append(i)
    return out


def adv_grpo(uid, r, eps, singleton, norm=True, ddof=1):
    """verl grpo loop / TRL / OpenRLHF group_norm: (r - mean) / (std_unbiased + eps)."""
    a = np.zeros(len(r))
    for rows in groups_of(uid).values():
        x = r[rows]
        if len(rows) == 1:
            a[rows] = {"verl": x / (1.0 + eps) if norm else x, "zero": 0.0, "nan": np.nan,
                       "raw": x}[singleton]
            continue
        m, s = x.mean(), x.std(ddof=ddof)
        a[rows] = (x - m) / (s + eps) if norm else x - m
    return a


def adv_grpo_vectorized(uid, r, eps=1e-6):
    a = np.zeros(len(r))
    for rows in groups_of(uid).values():
        x = r[rows]
        n = len(rows)
        if n == 1:
            a[rows] = x / (1.0 + eps)
            continue
        var = (np.sum(x * x) - np.sum(x) ** 2 / n) / max(n - 1, 1)
        std = math.sqrt(max(var, eps))
        a[rows] = (x - x.mean()) / (std + eps)
    return a


def adv_rloo(uid, r):
    a = np.zeros(len(r))
    for rows in groups_of(uid).values():
        x = r[rows]
        n = len(rows)
        a[rows] = x if n == 1 else x - (x.sum() - x) / (n - 1)  # singleton keeps its raw score
    return a


def reinforce_baseline_whitened(uid, r, mask):
    """verl reinforce_plus_plus_baseline: r - group mean, tile, masked_whiten (Bessel), * mask."""
    base = np.zeros(len(r))
    for rows in groups_of(uid).values():
        base[rows] = r[rows] - (r[rows].mean() if len(rows) > 1 else 0.0)
    x = base[:, None] * np.ones_like(mask)
    N = mask.sum()
    if N <= 1:
        return None
    mu = (x * mask).sum() / N
    var = (((x - mu) ** 2) * mask).sum() / N * N / (N - 1)
    return ((x - mu) / math.sqrt(var + 1e-8)) * mask


# ---------------------------------------------------------------- per-token loss (section 4)

def token_loss(logp, old, A, lo, hi, c, clamp):
    """Returns loss, dloss/dlogp, clipped, clipped_lower, -d, kink flag (all arrays)."""
    d = logp - old
    dpass = np.ones_like(d)
    if clamp:
        dpass = ((d >= -20) & (d <= 20)).astype(float)
        d = np.clip(d, -20.0, 20.0)
    r = np.exp(d)
    lo_b, hi_b = 1.0 - lo, 1.0 + hi
    rc = np.clip(r, lo_b, hi_b)
    rcpass = ((r >= lo_b) & (r <= hi_b)).astype(float)
    L1, L2 = -A * r, -A * rc
    Lc = np.maximum(L1, L2)
    s1 = np.where(L1 > L2, 1.0, np.where(L1 < L2, 0.0, 0.5))
    dLc = s1 * (-A) + (1 - s1) * (-A) * rcpass
    loss, dl = Lc.copy(), dLc.copy()
    lower = np.zeros_like(d)
    kink = (np.abs(r - lo_b) <= KINK_REL * lo_b) | (np.abs(r - hi_b) <= KINK_REL * hi_b)
    kink |= np.abs(np.abs(logp - old) - 20) <= 1e-3 if clamp else False
    if c is not None:
        L3 = -A * c
        neg = A < 0
        loss = np.where(neg, np.minimum(Lc, L3), Lc)
        sh = np.where(Lc < L3, 1.0, np.where(Lc > L3, 0.0, 0.5))
        dl = np.where(neg, sh * dLc, dLc)
        lower = (neg & (Lc > L3)).astype(float)
        kink |= neg & (np.abs(Lc - L3) <= KINK_REL * np.abs(L3))
    return loss, dl * r * dpass, (L2 > L1).astype(float), lower, -d, kink.astype(int)


# ---------------------------------------------------------------- aggregation (section 5.1)

def rows_sum(x, m):
    return (x * m).sum(axis=1)


def agg(sem, mode, x, m, L, G_tok, G_seq):
    """One micro-batch; sem in S, V, E (engine), TRL, O (OpenRLHF). Returns a float (maybe NaN)."""
    n = m.sum(axis=1)
    S = rows_sum(x, m)
    ne = n > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        if mode == "token-mean":
            return {"S": S.sum() / (m.sum() + 1e-8), "V": S.sum() / m.sum(), "E": S.sum() / G_tok,
                    "O": S.sum() / G_tok}[sem]
        if mode == "seq-mean-token-sum":
            return {"S": S.mean(), "V": S[ne].sum() / ne.sum(), "E": S[ne].sum() / G_seq}[sem]
        if mode == "seq-mean-token-mean":
            return {"S": (S / n).mean(), "V": (S[ne] / (n[ne] + 1e-8)).sum() / ne.sum(),
                    "E": (S[ne] / (n[ne] + 1e-8)).sum() / G_seq,
                    "O": (S[ne] / (n[ne] + 1e-8)).sum() / G_seq}[sem]
        if mode == "seq-mean-token-sum-norm":
            return {"S": S.sum() / L, "V": S.sum() / L, "E": S[ne].sum() / G_seq / L}[sem]
        if mode == "token-sum":
            return S.sum()
        if mode == "trl-dapo":
            return S.sum() / G_tok
        if mode == "trl-bnpo":
            return S.sum() / max(m.sum(), 1.0)
        if mode == "trl-grpo":
            return (S / np.maximum(n, 1.0)).mean()
        if mode == "trl-dr-grpo":
            return S.sum() / (x.shape[0] * L)
    raise ValueError(mode)


def agg_token_weights(sem, mode, m, L, G_tok):
    """d agg / d x for the token-mean modes used for gradients (verl S token-mean, TRL dapo)."""
    return m / ((m.sum() + 1e-8) if sem == "S" else G_tok)


MODES = {
    "verl-svs": ("S", ["token-mean", "seq-mean-token-sum", "seq-mean-token-mean",
                       "seq-mean-token-sum-norm"]),
    "verl": ("V", ["token-mean", "seq-mean-token-sum", "seq-mean-token-mean",
                   "seq-mean-token-sum-norm"]),
    "verl-engine": ("E", ["token-mean", "seq-mean-token-sum", "seq-mean-token-mean",
                          "seq-mean-token-sum-norm", "token-sum"]),
    "dapo": ("V", ["token-mean"]),
    "trl": ("TRL", ["trl-dapo", "trl-bnpo", "trl-grpo", "trl-dr-grpo"]),
    "openrlhf": ("O", ["token-mean", "seq-mean-token-mean"]),
}


def split_loss(preset, loss, m, k):
    """Section 5.2: the mini-batch split into rows [0, k) and [k, B), token-mean."""
    B = m.shape[0]
    parts = [(loss[:k], m[:k]), (loss[k:], m[k:])]
    G = m.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        if preset == "verl-svs":   # per micro-batch masked_mean (+1e-8), x rows(micro)/N
            return sum(rows_sum(x, q).sum() / (q.sum() + 1e-8) * x.shape[0] / B for x, q in parts)
        if preset == "verl":       # per micro-batch, / GA
            return sum(rows_sum(x, q).sum() / q.sum() / 2 for x, q in parts)
        return sum(rows_sum(x, q).sum() / G for x, q in parts)  # engine: global tokens


# ---------------------------------------------------------------- KL (section 6)

def kl_all(logp, ref):
    diff = logp - ref
    x = np.clip(ref - logp, -20, 20)
    return {
        "k1": diff, "k2": 0.5 * diff ** 2,
        "k3_verl": np.clip(np.exp(x) - x - 1, -10, 10),
        "k3_none": np.exp(ref - logp) - (ref - logp) - 1,
        "k3_openrlhf": np.clip(np.exp(-diff) - 1 + diff, -10, 10),
    }


# ---------------------------------------------------------------- random batches

def random_batch(rng):
    B = int(rng.integers(1, 11))
    L = int(rng.integers(1, 13))
    sizes = []
    while sum(sizes) < B:
        sizes.append(int(min(rng.choice([1, 2, 3, 4, 8]), B - sum(sizes))))
    uid = np.concatenate([np.full(s, 100 + g) for g, s in enumerate(sizes)])
    if rng.random() < 0.3:
        rng.shuffle(uid)  # members of a group need not be adjacent
    r = np.zeros(B)
    for u in set(uid.tolist()):
        rows = np.where(uid == u)[0]
        kind = rng.random()
        if kind < 0.55:
            r[rows] = rng.integers(0, 2, len(rows))
        elif kind < 0.7:
            r[rows] = rng.choice([0.0, 1.0, 0.3])  # all-equal group
        else:
            r[rows] = rng.random(len(rows))
    mask = np.zeros((B, L))
    for i in range(B):
        n = 0 if rng.random() < 0.12 else int(rng.integers(1, L + 1))
        mask[i, :n] = 1
        if rng.random() < 0.1 and n > 2:  # a multi-turn loss mask with a hole
            mask[i, int(rng.integers(0, n))] = 0
    if mask.sum() == 0:
        mask[0, 0] = 1
    logp = -rng.exponential(1.5, (B, L))
    kind = rng.random((B, L))
    delta = rng.normal(0, 0.3, (B, L))
    delta = np.where(kind < 0.1, 0.0, delta)                              # r = 1 exactly
    delta = np.where((kind >= 0.1) & (kind < 0.18),
                     rng.choice([-1, 1], (B, L)) * rng.uniform(20.5, 30, (B, L)), delta)
    old = (logp - delta).astype(F32).astype(float)
    # ratios exactly on the float32 clip bounds: old = logp - log(bound) for some tokens, then
    # keep only tokens whose float32 exp hits the bound (checked in float32 by numpy)
    bounds = np.array([0.8, 1.2, 1.28], dtype=F32)
    pick = kind >= 0.95
    b = bounds[rng.integers(0, 3, (B, L))].astype(float)
    old_b = (logp.astype(F32) - np.log(b).astype(F32)).astype(F32).astype(float)
    old = np.where(pick, old_b, old)
    ref = logp - rng.normal(0, 1.0, (B, L)) * np.where(rng.random((B, L)) < 0.1, 15, 1)
    q = lambda a: np.asarray(a, dtype=F32).astype(float)
    return B, L, uid, q(r), mask, q(logp), q(old), q(ref)


def batch_record(idx, rng):
    B, L, uid, r, mask, logp, old, ref = random_batch(rng)
    a_in = np.asarray(adv_grpo(uid, r, 1e-6, "verl"), dtype=F32).astype(float)
    A = a_in[:, None] * mask  # broadcast (section 2.5), the loss input for every preset
    G_tok, G_seq = mask.sum(), float(B)
    rec = {"id": idx, "B": B, "L": L, "uid": uid.tolist(), "scores": f32list(r),
           "mask": mask.ravel().astype(int).tolist(), "logp": f32list(logp), "old": f32list(old),
           "ref": f32list(ref), "adv_in": f32list(A), "presets": {}}
    sing = {"verl-svs": "verl", "verl": "verl", "verl-engine": "verl", "dapo": "verl",
            "trl": "zero", "openrlhf": "nan"}
    k = int(rng.integers(1, B)) if B > 1 else 1
    rec["split_at"] = k
    for p, cfg in LOSS.items():
        loss, dl, clip, lower, negd, kink = token_loss(logp, old, A, **cfg)
        sem, modes = MODES[p]
        out = {"adv": [nn(v) for v in adv_grpo(uid, r, ADV_EPS[p], sing[p])],
               "loss": [nn(v) for v in loss.ravel()],
               "agg": {md: nn(agg(sem, md, loss, mask, L, G_tok, G_seq)) for md in modes},
               "clipfrac": nn((clip * mask).sum() / (mask.sum() + 1e-8)),
               "clipfrac_lower": nn((lower * mask).sum() / (mask.sum() + 1e-8)),
               "ppo_kl": nn((negd * mask).sum() / (mask.sum() + 1e-8))}
        if p in ("verl-svs", "trl"):
            w = agg_token_weights("S" if p == "verl-svs" else "E", "token-mean", mask, L, G_tok)
            out["grad"] = [nn(v) for v in (w * dl).ravel()]
            out["kink"] = kink.ravel().tolist()
        if p in ("verl-svs", "verl", "verl-engine") and B > 1:
            out["split"] = nn(split_loss(p, loss, mask, k))
        rec["presets"][p] = out
    rb = reinforce_baseline_whitened(uid, r, mask)
    rec["adv_extra"] = {
        "drgrpo": [nn(v) for v in adv_grpo(uid, r, 1e-6, "verl", norm=False)],
        "rloo": [nn(v) for v in adv_rloo(uid, r)],
        "grpo_vectorized": [nn(v) for v in adv_grpo_vectorized(uid, r)],
        "population_std": [nn(v) for v in adv_grpo(uid, r, 1e-6, "verl", ddof=0)],
        "reinforce_baseline_whiten": None if rb is None else [nn(v) for v in rb.ravel()],
    }
    rec["kl"] = {name: [nn(v) for v in val.ravel()] for name, val in kl_all(logp, ref).items()}
    return rec


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(HERE, "grpo_random.jsonl"))
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--seed", type=int, default=20260901)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    header = {"header": True, "generator": "golden/gen_grpo_goldens.py", "seed": args.seed,
              "count": args.count, "numpy": np.__version__, "python": platform.python_version(),
              "spec": "spec/grpo-conventions.md sections 2, 4, 5, 6 (float64)",
              "notes": "inputs are float32 values; adv_in = verl grpo advantages (float32) "
                       "broadcast with the mask, the loss input of every preset; openrlhf clip "
                       "eps 0.2/0.2 chosen explicitly; split = token-mean of rows [0,split_at) "
                       "and [split_at,B) as two micro-batches; NaN written as null"}
    with open(args.out, "w") as f:
        f.write(json.dumps(header, sort_keys=True) + "\n")
        for i in range(args.count):
            f.write(json.dumps(batch_record(i, rng), sort_keys=True, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
