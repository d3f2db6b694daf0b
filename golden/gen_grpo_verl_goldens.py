#!/usr/bin/env python3
"""GRPO goldens from verl's own functions (PyPI verl, pinned in golden/requirements-grpo.txt).

Calls, unmodified, on random float32 CPU batches:
  verl.trainer.ppo.core_algos: compute_grpo_outcome_advantage (std on and off),
    compute_rloo_outcome_advantage, compute_policy_loss_vanilla (Clip-Higher, dual clip; its
    per-token loss matrix is captured by wrapping core_algos.agg_loss, which it calls; its gradient
    with respect to log_prob by autograd), agg_loss for every loss_agg_mode without and with the
    global batch info (dp_size 1), kl_penalty for every estimator (value and autograd gradient);
  verl.utils.torch_functional: logprobs_from_logits and entropy_from_logits on logits divided by the
    temperature (verl's actor divides the logits in place first).

Import note: `import verl` imports verl.protocol, which imports ray (a distributed runtime that
none of these functions uses). Rather than install ray, this script puts a stand-in module named
`ray` (and `ray.*`) in sys.modules before the import; nothing of verl is copied or patched. The
other imports (omegaconf, tensordict, codetiming, numpy, torch) are real, at the pinned versions.

Writes golden/grpo_verl.jsonl: line 1 = header (versions, seed, count), then one batch per line.
Inputs are float32 values written with 9 significant digits (they read back exactly); outputs are
float32 results of verl, written the same way. tests/test_grpo_verl.c compares ref/grpo*.c to them.

Usage: python3 golden/gen_grpo_verl_goldens.py [--out PATH] [--count N] [--seed S]
"""

import argparse
import importlib.abc
import importlib.machinery
import json
import os
import platform
import sys
import types

HERE = os.path.dirname(os.path.abspath(__file__))


# ---------------------------------------------------------------- the ray stand-in

class _Anything:
    """Accepts any attribute, call, subscript or subclassing (decorators return the function)."""

    def __init__(self, *a, **k):
        pass

    def __call__(self, *a, **k):
        return a[0] if len(a) == 1 and callable(a[0]) and not k else _Anything()

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _Anything()

    def __getitem__(self, key):
        return _Anything()

    def __mro_entries__(self, bases):
        return (object,)


def _module_getattr(name):
    if name.startswith("__"):
        raise AttributeError(name)
    return _Anything()


class _RayFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path, target=None):
        if name == "ray" or name.startswith("ray."):
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
        return None

    def create_module(self, spec):
        m = types.ModuleType(spec.name)
        m.__getattr__ = _module_getattr
        m.__path__ = []
        return m

    def exec_module(self, module):
        pass


def import_verl():
    try:
        import ray  # noqa: F401  (a real ray, if installed, is fine too)
        stub = False
    except ImportError:
        sys.meta_path.insert(0, _RayFinder())
        stub = True
    import verl
    import verl.trainer.ppo.core_algos as core_algos
    import verl.utils.torch_functional as verl_F
    return verl, core_algos, verl_F, stub


verl, core_algos, verl_F, RAY_STUBBED = import_verl()
import numpy as np  # noqa: E402
import torch  # noqa: E402

AGG_MODES = ["token-mean", "seq-mean-token-sum", "seq-mean-token-mean", "seq-mean-token-sum-norm",
             "token-sum"]
KL_TYPES = ["k1", "abs", "k2", "k3", "k1+", "abs+", "k2+", "k3+"]


class ActorCfg(dict):
    """The fields compute_policy_loss_vanilla reads from its ActorConfig (attribute and .get)."""

    def __getattr__(self, k):
        return self[k]


def g9(x):
    """float32 value -> JSON number with 9 significant digits; NaN/inf -> null"""
    x = float(x)
    return float("%.9g" % x) if np.isfinite(x) else None


def f9(t):
    return [g9(v) for v in np.asarray(t, dtype=np.float32).reshape(-1)]


# ---------------------------------------------------------------- random inputs

def draw_scores(rng, n_groups, sizes):
    kind = rng.integers(4)
    scores = []
    for g in range(n_groups):
        n = sizes[g]
        if kind == 0:
            s = rng.integers(0, 2, n).astype(np.float64)
        elif kind == 1:
            s = rng.normal(0, 1, n)
        elif kind == 2:  # close scores
            s = 0.5 + rng.integers(0, 8, n) * 2.0 ** -12
        else:
            s = rng.choice([-1.0, 1.0, 0.5, 0.0], n)
        if rng.random() < 0.15:
            s[:] = s[0]  # all-equal group
        scores.extend(s)
    return np.asarray(scores, dtype=np.float32)


def draw_batch(rng):
    n_groups = int(rng.integers(1, 5))
    sizes = [int(rng.choice([1, 2, 3, 4, 5])) for _ in range(n_groups)]
    uid = np.concatenate([[g] * sizes[g] for g in range(n_groups)]).astype(np.int64)
    scores = draw_scores(rng, n_groups, sizes)
    perm = rng.permutation(len(uid))  # group members need not be adjacent
    uid, scores = uid[perm], scores[perm]
    B, L, V = len(uid), int(rng.integers(1, 10)), int(rng.integers(2, 9))
    lengths = rng.integers(0 if rng.random() < 0.3 else 1, L + 1, B)
    mask = (np.arange(L)[None, :] < lengths[:, None]).astype(np.float32)
    T = float(rng.choice([1.0, 0.7, 0.5, 1.3]))
    logits = (rng.normal(0, 2.5, (B, L, V))).astype(np.float32)
    labels = rng.integers(0, V, (B, L))
    logp = (rng.normal(-1.5, 1.0, (B, L))).astype(np.float32)
    spread = float(rng.choice([0.05, 0.3, 1.0]))
    old = (logp + rng.normal(0, spread, (B, L))).astype(np.float32)
    far = rng.random((B, L)) < 0.05
    old[far] = (logp[far] + rng.choice([-25.0, 25.0], far.sum())).astype(np.float32)  # |d| > 20
    same = rng.random((B, L)) < 0.1
    old[same] = logp[same]  # r = 1 exactly
    ref = (logp + rng.normal(0, 1.5, (B, L))).astype(np.float32)
    ref[far] = (logp[far] + 30.0).astype(np.float32)  # k3 clamps
    eps_high = float(rng.choice([0.2, 0.28]))
    clip_c = float(rng.choice([3.0, 10.0]))
    return dict(uid=uid, scores=scores, mask=mask, logits=logits, labels=labels, logp=logp, old=old,
                ref=ref, T=T, eps_low=0.2, eps_high=eps_high, clip_c=clip_c, B=B, L=L, V=V)


# ---------------------------------------------------------------- verl calls

def token_rewards(b):
    """verl puts the outcome score at the last valid token (token 0 for an empty row)."""
    r = torch.zeros(b["B"], b["L"])
    for i in range(b["B"]):
        n = int(b["mask"][i].sum())
        r[i, max(n - 1, 0)] = float(b["scores"][i])
    return r


def verl_advantages(b):
    tr, m, idx = token_rewards(b), torch.from_numpy(b["mask"]), b["uid"]
    grpo, _ = core_algos.compute_grpo_outcome_advantage(tr, m, idx, epsilon=1e-6, norm_adv_by_std_in_grpo=True)
    dr, _ = core_algos.compute_grpo_outcome_advantage(tr, m, idx, epsilon=1e-6, norm_adv_by_std_in_grpo=False)
    rloo, _ = core_algos.compute_rloo_outcome_advantage(tr, m, idx, epsilon=1e-6)
    return grpo, dr, rloo


def verl_policy_loss(b, adv):
    """compute_policy_loss_vanilla with token-mean; its loss matrix captured from agg_loss."""
    captured = {}
    original = core_algos.agg_loss

    def capture(loss_mat, loss_mask, loss_agg_mode, **kw):
        captured["mat"] = loss_mat.detach().clone()
        return original(loss_mat=loss_mat, loss_mask=loss_mask, loss_agg_mode=loss_agg_mode, **kw)

    cfg = ActorCfg(clip_ratio=b["eps_low"], clip_ratio_low=b["eps_low"], clip_ratio_high=b["eps_high"],
                   clip_ratio_c=b["clip_c"], global_batch_info={})
    logp = torch.from_numpy(b["logp"]).clone().requires_grad_(True)
    core_algos.agg_loss = capture
    try:
        loss, metrics = core_algos.compute_policy_loss_vanilla(
            torch.from_numpy(b["old"]), logp, adv, torch.from_numpy(b["mask"]), loss_agg_mode="token-mean",
            config=cfg)
    finally:
        core_algos.agg_loss = original
    loss.backward()
    return loss.item(), captured["mat"], logp.grad, metrics


def verl_aggs(mat, mask):
    m = torch.from_numpy(mask)
    local = {mode: g9(core_algos.agg_loss(mat, m, mode)) for mode in AGG_MODES}
    glob = {mode: g9(core_algos.agg_loss(mat, m, mode, dp_size=1, batch_num_tokens=m.sum(),
                                         global_batch_size=m.shape[0])) for mode in AGG_MODES}
    return local, glob


def verl_kl(b):
    out = {}
    for t in KL_TYPES:
        logp = torch.from_numpy(b["logp"]).clone().requires_grad_(True)
        kl = core_algos.kl_penalty(logp, torch.from_numpy(b["ref"]), t)
        kl.sum().backward()
        out[t] = dict(value=f9(kl.detach()), grad=f9(logp.grad))
    return out


def verl_logits(b):
    z = torch.from_numpy(b["logits"]).clone()
    z.div_(b["T"])  # dp_actor: logits.div_(temperature)
    lp = verl_F.logprobs_from_logits(z, torch.from_numpy(b["labels"]))
    ent = verl_F.entropy_from_logits(z)
    return f9(lp), f9(ent)


def one_batch(rng):
    b = draw_batch(rng)
    grpo, dr, rloo = verl_advantages(b)
    loss, mat, grad, metrics = verl_policy_loss(b, grpo)
    local, glob = verl_aggs(mat, b["mask"])
    lp, ent = verl_logits(b)
    return dict(
        B=b["B"], L=b["L"], V=b["V"], T=b["T"], eps_low=b["eps_low"], eps_high=b["eps_high"],
        clip_c=b["clip_c"], uid=b["uid"].tolist(), scores=f9(b["scores"]), mask=f9(b["mask"]),
        logp=f9(b["logp"]), old=f9(b["old"]), ref=f9(b["ref"]), logits=f9(b["logits"]),
        labels=b["labels"].reshape(-1).tolist(),
        adv_grpo=f9(grpo), adv_drgrpo=f9(dr), adv_rloo=f9(rloo),
        token_loss=f9(mat), pg_loss=g9(loss), grad_logp=f9(grad),
        pg_clipfrac=g9(metrics["actor/pg_clipfrac"]), pg_clipfrac_lower=g9(metrics["actor/pg_clipfrac_lower"]),
        ppo_kl=g9(metrics["actor/ppo_kl"]), agg_local=local, agg_global=glob, kl=verl_kl(b),
        logprob=lp, entropy=ent)


def header(args):
    import codetiming
    import omegaconf
    import tensordict
    return dict(header=True, generator="golden/gen_grpo_verl_goldens.py", verl=verl.__version__,
                torch=torch.__version__, numpy=np.__version__, tensordict=tensordict.__version__,
                omegaconf=omegaconf.__version__, codetiming=codetiming.__version__,
                python=platform.python_version(), ray_stubbed=RAY_STUBBED, seed=args.seed, count=args.count,
                flash_attn_ce=bool(getattr(verl_F, "FLAH_ATTN_CROSS_ENTROPY_LOSS_AVAILABLE", False)),
                fields="per batch: inputs (float32, row-major [B][L], logits [B][L][V]) and verl outputs")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(HERE, "grpo_verl.jsonl"))
    ap.add_argument("--count", type=int, default=120)
    ap.add_argument("--seed", type=int, default=20261122)
    args = ap.parse_args()
    torch.set_num_threads(1)
    rng = np.random.default_rng(args.seed)
    with open(args.out, "w") as f:
        f.write(json.dumps(header(args), allow_nan=False) + "\n")
        for _ in range(args.count):
            f.write(json.dumps(one_batch(rng), separators=(",", ":"), allow_nan=False) + "\n")
    print("wrote %s: %d batches, verl %s, torch %s" % (args.out, args.count, verl.__version__, torch.__version__))


if __name__ == "__main__":
    main()
