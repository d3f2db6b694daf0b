#!/usr/bin/env python3
"""pass@k goldens (spec/grpo-conventions.md section 10), exact arithmetic rounded once to float64.

pass@k(n, c, k) = 1 - C(n-c, k) / C(n, k)   (Chen et al. 2021, human-eval evaluation.py)

The value is computed exactly with fractions.Fraction and rounded once (float() of a Fraction is
correctly rounded), so each line holds the float64 nearest to the true value. Printed with
'%.17g' (17 significant digits: float() of the text gives back that double exactly; it is the same
double as repr(float(v))).

Writes golden/passk_golden.txt:
  # header comment lines (generator, python version, format)
  n c k value
Rows: the HV-F vectors of ../shared/vectors/grpo_hand_vectors.txt section F first, then a sweep
n in {1,2,3,5,8,16,32,64,100,128,256,500,512,1000,1024}, c in {0,1,2,n/4,n/2,n-1,n} (integer
division, duplicates removed, 0 <= c <= n), k in {1,2,4,...,1024} with k <= n. k > n is never
written (svs.c rejects it by default). Deterministic; no third-party libraries.

Usage: python3 golden/gen_passk.py [--out PATH]
"""

import argparse
import os
import platform
from fractions import Fraction
from math import comb

HERE = os.path.dirname(os.path.abspath(__file__))

HV_F = [(8, 2, 1), (8, 2, 4), (8, 2, 8), (8, 0, 4), (8, 8, 1), (1024, 3, 32), (1024, 3, 1),
        (100, 1, 10)]
NS = [1, 2, 3, 5, 8, 16, 32, 64, 100, 128, 256, 500, 512, 1000, 1024]
KS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]


def passk_exact(n, c, k):
    if not (0 <= c <= n and 1 <= k <= n):
        raise ValueError("need 0 <= c <= n and 1 <= k <= n")
    return 1 - Fraction(comb(n - c, k), comb(n, k))


def rows():
    seen = set()
    out = []
    for t in HV_F:
        if t not in seen:
            seen.add(t)
            out.append(t)
    for n in NS:
        cs = []
        for c in (0, 1, 2, n // 4, n // 2, n - 1, n):
            if 0 <= c <= n and c not in cs:
                cs.append(c)
        for c in cs:
            for k in KS:
                if k <= n and (n, c, k) not in seen:
                    seen.add((n, c, k))
                    out.append((n, c, k))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(HERE, "passk_golden.txt"))
    args = ap.parse_args()
    rs = rows()
    lines = ["# generator: golden/gen_passk.py; python %s; exact Fraction(comb(n-c,k), comb(n,k)), "
             "value = float(1 - that) printed '%%.17g'" % platform.python_version(),
             "# columns: n c k value; %d rows; first %d rows are the HV-F vectors of "
             "grpo_hand_vectors.txt section F" % (len(rs), len(HV_F))]
    for n, c, k in rs:
        v = float(passk_exact(n, c, k))
        assert float("%.17g" % v) == v == float(repr(v))
        lines.append("%d %d %d %.17g" % (n, c, k, v))
    # HV-F spot checks (spec values)
    assert passk_exact(8, 2, 4) == Fraction(11, 14)
    assert passk_exact(1024, 3, 32) == Fraction(1487, 16352)
    assert passk_exact(100, 1, 10) == Fraction(1, 10)
    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, args.out)
    print("wrote %s: %d rows" % (args.out, len(rs)))


if __name__ == "__main__":
    main()
