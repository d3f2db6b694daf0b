#!/usr/bin/env python3
"""prng_mirror.py — Python mirror of the svs.c PRNG and sampler (ref/model/sample.c), so that
sampled token ids can be reproduced outside C. Plain Python, no dependencies.

PRNG: xoshiro256** 1.0 (https://prng.di.unimi.it/xoshiro256starstar.c); the 256-bit state is
four successive splitmix64 outputs (https://prng.di.unimi.it/splitmix64.c) started at the seed.
  uniform()        = (u64 >> 40) * 2**-24        (exact float32, in [0, 1))
  uniform_double() = (u64 >> 11) * 2**-53
  normal()         = sqrt(-2 log(1 - uniform_double())) * cos(2 pi uniform_double())
                     (exactly two u64 draws, no spare kept)
Generation (model_generate): sequence b's generator is seeded with the b-th u64 of the
caller's generator; each sampled id (T > 0) consumes exactly one uniform().

Run as a script to rewrite golden/prng_vectors.txt (seed 42: 20 u64, 20 uniform floats).
"""
import math
import os
import sys

MASK = (1 << 64) - 1


def splitmix64(x):
    """returns (new state, output)"""
    x = (x + 0x9E3779B97F4A7C15) & MASK
    z = x
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return x, z ^ (z >> 31)


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & MASK


class SvsRng:
    def __init__(self, seed):
        x = seed & MASK
        self.s = []
        for _ in range(4):
            x, out = splitmix64(x)
            self.s.append(out)

    def u64(self):
        s = self.s
        result = (rotl((s[1] * 5) & MASK, 7) * 9) & MASK
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def uniform(self):
        return (self.u64() >> 40) * (1.0 / 16777216.0)

    def uniform_double(self):
        return (self.u64() >> 11) * (1.0 / 9007199254740992.0)

    def normal(self):
        u1 = 1.0 - self.uniform_double()
        u2 = self.uniform_double()
        return math.sqrt(-2.0 * math.log(u1)) * math.cos(6.283185307179586 * u2)


def sample_argmax(x):
    """lowest index among the maxima (NaN never chosen unless all are NaN)"""
    best = 0
    for i, v in enumerate(x):
        if v != v:
            continue
        if x[best] != x[best] or v > x[best]:
            best = i
    return best


def sample_from_probs(probs, top_k, top_p, coin):
    """ref/model/sample.c sample_from_probs: probs = softmax(logits/T) as float32 values."""
    V = len(probs)
    use_k = 0 < top_k < V
    use_p = top_p < 1.0
    if not use_k and not use_p:
        mass = 0.0
        for p in probs:
            mass += p
        cdf = 0.0
        for i, p in enumerate(probs):
            cdf += p / mass
            if coin < cdf:
                return i
        return V - 1
    order = sorted(range(V), key=lambda i: (-probs[i], i))
    kept = top_k if use_k else V
    mass = 0.0
    for r in range(kept):
        mass += probs[order[r]]
    if use_p:
        cum, r = 0.0, 0
        while r < kept:
            cum += probs[order[r]] / mass
            r += 1
            if cum >= top_p:
                break
        kept = r
        mass = 0.0
        for r in range(kept):
            mass += probs[order[r]]
    ids = sorted(order[:kept])
    cdf = 0.0
    for i in ids:
        cdf += probs[i] / mass
        if coin < cdf:
            return i
    return ids[-1]


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "prng_vectors.txt")
    r = SvsRng(42)
    lines = ["# svs.c PRNG vectors (golden/prng_mirror.py): xoshiro256** seeded by splitmix64",
             "# seed 42: 20 u64 (decimal), then 20 uniform floats from a fresh generator",
             "# (u64 >> 40) * 2^-24, written with repr (exact)",
             "seed 42"]
    for _ in range(20):
        lines.append("u64 %d" % r.u64())
    r = SvsRng(42)
    for _ in range(20):
        lines.append("uniform %r" % r.uniform())
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("wrote", out, file=sys.stderr)


if __name__ == "__main__":
    main()
