#!/usr/bin/env python3
"""Dump a tiny GRPO batch computed with plain torch, then check it with `svs grpo --check`.

The batch: 12 responses in 4 groups (binary rewards, close non-binary scores, a singleton, an
all-equal group), response width L = 6 with ragged masks, random logits over a vocabulary of 5,
sampled tokens, logits divided by the rollout temperature 0.7, and two micro-batches. It computes
what verl's actor computes, written here in plain torch (no verl import): GRPO advantages
(core_algos.compute_grpo_outcome_advantage), log-probs and entropy from the logits / T,
the vanilla clipped loss with Clip-Higher and the dual clip (compute_policy_loss_vanilla), the
low_var_kl estimator, and the micro-batch aggregation of the chosen preset (spec/grpo-conventions.md
§5.2). The JSONL schema is docs/grpo_checker.md.

--bug NAME seeds one of the bugs the checker must flag (population std, epsilon on the variance,
mask ignored in the aggregation, clip bounds swapped, seq-mean instead of token-mean, no
temperature division); tests/fixtures/grpo/*.jsonl were written by this script.

Usage: python3 docs/python/grpo_dump_example.py [--preset verl-svs|verl] [--bug NAME]
       [--out FILE] [--svs bin/svs] [--no-check]
"""

import argparse
import json
import os
import subprocess
import sys

import torch

BUGS = ["none", "population-std", "eps-on-var", "mask-ignored", "clip-swapped", "seq-mean",
        "no-temperature"]
# the two presets this example models (spec §12.2): clip bounds, micro-batch weighting, x*m or select
PRESETS = {
    "verl-svs": dict(eps_low=0.2, eps_high=0.28, scope="rows", tok_eps=1e-8),
    "verl": dict(eps_low=0.2, eps_high=0.2, scope="ga", tok_eps=0.0),
}
CLIP_C, TEMPERATURE, ADV_EPS = 3.0, 0.7, 1e-6


def make_inputs(seed):
    """uids, float32 scores, masks, logits and sampled tokens of the tiny batch."""
    g = torch.Generator().manual_seed(seed)
    uids = ["p0"] * 4 + ["p1"] * 4 + ["p2"] + ["p3"] * 3
    step = 2.0 ** -12  # close scores, exact in float32: epsilon-on-variance becomes visible
    scores = torch.tensor([1, 0, 0, 1, 0.5, 0.5 + step, 0.5 + 2 * step, 0.5 + 3 * step, 0.7, 1, 1, 1],
                          dtype=torch.float32)
    B, L, V = len(uids), 6, 5
    lengths = torch.randint(2, L + 1, (B,), generator=g)
    mask = (torch.arange(L)[None, :] < lengths[:, None]).float()
    logits = (torch.randn(B, L, V, generator=g) * 2.0).float()
    probs = torch.softmax(logits / TEMPERATURE, dim=-1)
    tokens = torch.multinomial(probs.reshape(-1, V), 1, generator=g).reshape(B, L)
    noise_old = torch.randn(B, L, generator=g) * 0.25
    noise_ref = torch.randn(B, L, generator=g) * 0.5
    return uids, scores, mask, logits, tokens, noise_old, noise_ref


def grpo_advantages(uids, scores, mask, bug):
    """verl compute_grpo_outcome_advantage: per-group mean and unbiased std, (s - mean)/(std + eps)."""
    adv = scores.clone()
    groups = {}
    for i, u in enumerate(uids):
        groups.setdefault(u, []).append(i)
    for rows in groups.values():
        s = scores[rows]
        if len(rows) == 1:
            mean, std = torch.tensor(0.0), torch.tensor(1.0)
        else:
            mean, std = s.mean(), s.std(unbiased=(bug != "population-std"))
        for i in rows:
            if bug == "eps-on-var" and len(rows) > 1:
                adv[i] = (scores[i] - mean) / torch.sqrt(std * std + ADV_EPS)
            else:
                adv[i] = (scores[i] - mean) / (std + ADV_EPS)
    return adv[:, None] * mask


def logp_entropy(logits, tokens, bug):
    """verl: logits / T, then logp = z_y - logsumexp(z); H = logsumexp(z) - sum softmax(z) z."""
    z = logits if bug == "no-temperature" else logits / TEMPERATURE
    lse = torch.logsumexp(z, dim=-1)
    logp = torch.gather(z, -1, tokens[..., None]).squeeze(-1) - lse
    ent = lse - (torch.softmax(z, dim=-1) * z).sum(-1)
    return logp, ent


def token_loss(logp, old, adv, p, bug):
    """verl compute_policy_loss_vanilla, per token: clamped log-ratio, Clip-Higher, dual clip."""
    lo, hi = 1 - p["eps_low"], 1 + p["eps_high"]
    if bug == "clip-swapped":
        lo, hi = 1 - p["eps_high"], 1 + p["eps_low"]
    d = torch.clamp(logp - old, -20.0, 20.0)
    ratio = torch.exp(d)
    l1 = -adv * ratio
    l2 = -adv * torch.clamp(ratio, lo, hi)
    lc = torch.maximum(l1, l2)
    l3 = -adv * CLIP_C
    loss = torch.where(adv < 0, torch.min(l3, lc), lc)
    clipped = torch.gt(l2, l1).float()
    lower = torch.gt(lc, l3).float() * (adv < 0).float()
    return loss, d, clipped, lower


def low_var_kl(logp, ref):
    """verl kl_penalty(..., 'low_var_kl'): k3 with the inner +-20 and outer +-10 clamps."""
    x = torch.clamp(ref - logp, -20, 20)
    return torch.clamp(torch.exp(x) - x - 1, -10, 10)


def agg(x, m, p, bug):
    """per-micro-batch aggregation: token-mean (S: sum/(sum m + 1e-8); V: sum/sum m)."""
    if bug == "mask-ignored":
        m = torch.ones_like(m)
    if bug == "seq-mean":
        return ((x * m).sum(-1) / m.sum(-1)).mean()
    return (x * m).sum() / (m.sum() + p["tok_eps"])


def masked_mean(x, m):
    return (x * m).sum() / (m.sum() + 1e-8)


def batch_scalars(tok, mask, micro, p, bug):
    """Sum of the scaled micro-batch losses, and means over micro-batches of the metrics."""
    B = mask.shape[0]
    out = dict(loss=0.0, pg_loss=0.0, pg_clipfrac=0.0, pg_clipfrac_lower=0.0, ppo_kl=0.0,
               kl_loss=0.0, entropy_loss=0.0)
    for rows in micro:
        m = mask[rows]
        scale = len(rows) / B if p["scope"] == "rows" else 1.0 / len(micro)
        pg = agg(tok["loss"][rows], m, p, bug)
        out["loss"] += float(pg * scale)
        out["pg_loss"] += float(pg * scale)
        out["pg_clipfrac"] += float(masked_mean(tok["clipped"][rows], m)) / len(micro)
        out["pg_clipfrac_lower"] += float(masked_mean(tok["lower"][rows], m)) / len(micro)
        out["ppo_kl"] += float(masked_mean(-tok["d"][rows], m)) / len(micro)
        out["kl_loss"] += float(agg(tok["kl"][rows], m, p, bug)) / len(micro)
        out["entropy_loss"] += float(agg(tok["entropy"][rows], m, p, bug)) / len(micro)
    return out


def f32(t):
    return [float("%.9g" % v) for v in t.reshape(-1).tolist()]


def build(preset, bug, seed=7):
    p = PRESETS[preset]
    uids, scores, mask, logits, tokens, noise_old, noise_ref = make_inputs(seed)
    logp, ent = logp_entropy(logits, tokens, bug)
    old = (logp + noise_old).float()
    ref = (logp + noise_ref).float()
    adv = grpo_advantages(uids, scores, mask, bug)
    loss, d, clipped, lower = token_loss(logp, old, adv, p, bug)
    kl = low_var_kl(logp, ref)
    micro = [list(range(0, 12, 2)), list(range(1, 12, 2))]
    tok = dict(loss=loss, d=d, clipped=clipped, lower=lower, kl=kl, entropy=ent)
    lines = [dict(header=True, preset=preset, temperature=TEMPERATURE, micro_batches=micro,
                  generator="docs/python/grpo_dump_example.py", x_bug=bug)]
    for i in range(len(uids)):
        lines.append(dict(uid=uids[i], reward=float(scores[i]), mask=[int(v) for v in mask[i]],
                          logp=f32(logp[i]), old_logp=f32(old[i]), ref_logp=f32(ref[i]),
                          logits=[f32(logits[i, t]) for t in range(logits.shape[1])],
                          tokens=tokens[i].tolist(), advantages=f32(adv[i]), token_loss=f32(loss[i]),
                          entropy=f32(ent[i]), kl=f32(kl[i])))
    scal = batch_scalars(tok, mask, micro, p, bug)
    lines.append(dict(batch=True, **{k: float("%.9g" % v) for k, v in scal.items()}))
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", choices=sorted(PRESETS), default="verl-svs")
    ap.add_argument("--bug", choices=BUGS, default="none")
    ap.add_argument("--out", default="grpo_batch.jsonl")
    ap.add_argument("--svs", default=os.environ.get("SVS", "bin/svs"))
    ap.add_argument("--no-check", action="store_true", help="only write the JSONL")
    a = ap.parse_args()
    with open(a.out, "w") as f:
        for obj in build(a.preset, a.bug):
            f.write(json.dumps(obj, separators=(",", ":")) + "\n")
    print("wrote %s (preset %s, bug %s, torch %s)" % (a.out, a.preset, a.bug, torch.__version__))
    if a.no_check:
        return 0
    cmd = [a.svs, "grpo", "--check", a.out]
    print("$ " + " ".join(cmd), flush=True)
    return subprocess.run(cmd).returncode


if __name__ == "__main__":
    sys.exit(main())
