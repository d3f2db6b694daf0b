#!/usr/bin/env python3
"""Golden corpus for the math answer verifier (svs.c `verify_`), with Math-Verify 0.8.0 verdicts.

Writes golden/verifier_corpus.jsonl: line 1 is a header object ({"header": true, ...} with the
generator, library versions, seed, calling convention and case count); every other line is one case

  {"id": str, "family": str, "kind": "answer"|"response", "gold": str,
   "pred": str  (kind "answer")  |  "response": str  (kind "response"),
   "expected": bool, "mv": bool, "mv_error": str, ["note": str]}

"expected" is the verdict svs.c's `default` profile should give (spec/verifier.md), decided by how
the case was built: equivalent rewrites are true, near misses false, real solutions true.
"mv" is Math-Verify 0.8.0's verdict. It is a reference point, not the label.

Sources (../shared/data, read from $SVS_SHARED/data, default ../shared relative to the repo root):
  math500_test.jsonl   last \\boxed{} of each solution vs `answer`; the whole solution as a response;
                       equivalent rewrites and near misses of `answer`
  math_aime_eval.jsonl the 83 pre-normalized MATH-500 golds vs the original answers (both directions,
                       questions matched on the text without the trailing "."); the 60 AIME golds
  gsm8k_test.jsonl     worked solutions, rewritten to end in a boxed answer / "#### N" / "answer is N"
  dapo_math_17k.jsonl  integer ground truths with synthetic responses
plus a few hand-written hard cases of spec/verifier.md section 7 (family "spec-hard").

Math-Verify calling convention (also used by bench/peers/mathverify_bench.py):
  gold_parsed = parse("\\boxed{" + gold + "}")                    # default extraction configs
  kind answer:   pred_parsed = parse(pred) if pred has a math delimiter ($, \\(, \\[, \\boxed, \\fbox)
                               else parse("$" + pred + "$")
  kind response: pred_parsed = parse(response)
  mv = verify(gold_parsed, pred_parsed)                           # defaults: float_rounding=6,
                                                                  # strict=True, timeout_seconds=5
  parse() keeps its default parsing_timeout=5 (signal.alarm). Math-Verify swallows its own errors
  and timeouts (logging them); they are captured from the `math_verify` logger into mv_error.
  Because some inputs hang inside C code where signal.alarm cannot interrupt (power towers,
  Math-Verify issue #65), every case runs in a persistent worker process that is killed and
  restarted after HARD_TIMEOUT_S seconds: mv=false, mv_error="hard timeout ...".

Deterministic: case construction uses random.Random(SEED) only, in a fixed order, and no library.
The mv verdicts depend on the pinned versions (golden/requirements.txt) and, for the rare cases
that hit Math-Verify's 5 s timeouts, on machine speed.

Usage:  python3 golden/gen_verifier_corpus.py [--out PATH] [--shared DIR] [--no-mv] [--report]
        --report prints the composition / agreement tables (markdown) of an existing corpus.
"""

import argparse
import json
import logging
import os
import platform
import random
import re
import sys
import time
from fractions import Fraction
from decimal import Decimal, getcontext

SEED = 20250611
HARD_TIMEOUT_S = 30
GOLD_WRAPPING = 'parse("\\\\boxed{" + gold + "}")'
PRED_WRAPPING = ('answer: parse(pred) if pred has a delimiter ($, \\(, \\[, \\boxed, \\fbox) '
                 'else parse("$" + pred + "$"); response: parse(response)')

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


# ----------------------------------------------------------------------------------------------
# Math-Verify call (shared with bench/peers/mathverify_bench.py)
# ----------------------------------------------------------------------------------------------

_DELIM_RE = re.compile(r'(?<!\\)\$|\\\(|\\\[|\\boxed|\\fbox')


def mv_inputs(case):
    """Strings handed to parse(): (gold_text, pred_text)."""
    gold_text = "\\boxed{" + case["gold"] + "}"
    if case["kind"] == "answer":
        p = case["pred"]
        pred_text = p if _DELIM_RE.search(p) else "$" + p + "$"
    else:
        pred_text = case["response"]
    return gold_text, pred_text


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.stage = ""
        self.items = []

    def emit(self, record):
        msg = record.getMessage()
        if msg.startswith("Timeout is disabled"):
            return
        if msg.startswith("Error parsing:"):
            msg = "parse error"
        elif msg.startswith("Timeout during parsing"):
            msg = "parse timeout"
        if record.exc_info and record.exc_info[1] is not None:
            e = record.exc_info[1]
            msg += " (%s: %s)" % (type(e).__name__, str(e)[:80])
        self.items.append("%s: %s" % (self.stage, msg))


_CAPTURE = None


def install_capture():
    global _CAPTURE
    if _CAPTURE is None:
        _CAPTURE = _Capture()
        lg = logging.getLogger("math_verify")
        lg.addHandler(_CAPTURE)
        lg.setLevel(logging.DEBUG)
        lg.propagate = False
    return _CAPTURE


def mv_verdict_inprocess(case):
    """Math-Verify 0.8.0 verdict for one case, in this process. Returns (bool, error_string)."""
    from math_verify import parse, verify
    cap = install_capture()
    cap.items = []
    gold_text, pred_text = mv_inputs(case)
    verdict = False
    err = ""
    try:
        cap.stage = "gold"
        g = parse(gold_text)
        cap.stage = "pred"
        p = parse(pred_text)
        cap.stage = "verify"
        verdict = bool(verify(g, p))
    except Exception as e:  # noqa: BLE001 - anything Math-Verify lets through
        verdict = False
        err = "%s raised %s: %s" % (cap.stage, type(e).__name__, str(e)[:120])
    except BaseException as e:  # TimeoutException derives from BaseException
        if isinstance(e, KeyboardInterrupt):
            raise
        verdict = False
        err = "%s raised %s" % (cap.stage, type(e).__name__)
    items = cap.items + ([err] if err else [])
    # keep it short and deterministic
    seen = []
    for it in items:
        if it not in seen:
            seen.append(it)
    return verdict, "; ".join(seen)[:300]


def _worker_main(conn):
    import math_verify  # noqa: F401  (import once per worker)
    install_capture()
    while True:
        case = conn.recv()
        if case is None:
            break
        conn.send(mv_verdict_inprocess(case))


class MVWorker:
    """One worker process; killed and restarted when a case exceeds HARD_TIMEOUT_S."""

    def __init__(self, hard_timeout=HARD_TIMEOUT_S):
        import multiprocessing as mp
        self.ctx = mp.get_context("fork")
        self.hard_timeout = hard_timeout
        self.proc = None
        self.conn = None
        self.restarts = 0

    def _start(self):
        parent, child = self.ctx.Pipe()
        self.proc = self.ctx.Process(target=_worker_main, args=(child,), daemon=True)
        self.proc.start()
        child.close()
        self.conn = parent

    def run(self, case):
        if self.proc is None:
            self._start()
        self.conn.send(case)
        if self.conn.poll(self.hard_timeout):
            try:
                return self.conn.recv()
            except EOFError:
                pass
            self._kill()
            return False, "worker died"
        self._kill()
        return False, "hard timeout after %d s (worker process killed)" % self.hard_timeout

    def _kill(self):
        self.restarts += 1
        if self.proc is not None:
            self.proc.kill()
            self.proc.join()
        self.proc = None
        self.conn = None

    def close(self):
        if self.proc is not None:
            try:
                self.conn.send(None)
            except (BrokenPipeError, OSError):
                pass
            self.proc.join(5)
            if self.proc.is_alive():
                self.proc.kill()
                self.proc.join()
            self.proc = None


# ----------------------------------------------------------------------------------------------
# Text helpers
# ----------------------------------------------------------------------------------------------

def last_boxed(s):
    """Content of the last \\boxed{...} / \\fbox{...} (brace-matched), or None."""
    i = max(s.rfind("\\boxed"), s.rfind("\\fbox"))
    if i < 0:
        return None
    j = i + (6 if s.startswith("\\boxed", i) else 5)
    while j < len(s) and s[j] == " ":
        j += 1
    if j < len(s) and s[j] == "{":
        d = 0
        for k in range(j, len(s)):
            if s[k] == "{":
                d += 1
            elif s[k] == "}":
                d -= 1
                if d == 0:
                    return s[j + 1:k]
        return s[j + 1:]
    k = j
    while k < len(s) and s[k] not in "$\n":
        k += 1
    return s[j:k].strip()


OPEN, CLOSE = "{([", "})]"


def split_top(s, sep=","):
    """Split at depth-0 occurrences of the character sep."""
    out, d, cur = [], 0, []
    for ch in s:
        if ch in OPEN:
            d += 1
        elif ch in CLOSE:
            d -= 1
        if ch == sep and d == 0:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur))
    return out


def signed_terms(s):
    """Split a sum at depth-0 binary + / -. Returns [(sign, text)] or None if unsafe."""
    s = s.strip()
    if not s:
        return None
    terms, d, cur, sign = [], 0, [], "+"
    i = 0
    if s[0] in "+-":
        sign = s[0]
        i = 1
    while i < len(s):
        ch = s[i]
        if ch in OPEN:
            d += 1
        elif ch in CLOSE:
            d -= 1
        if d == 0 and ch in "+-":
            prev = "".join(cur).rstrip()
            if not prev or prev[-1] in "^_({[,=" or prev.endswith("\\cdot") or \
                    prev.endswith("\\times") or prev.endswith("\\div"):
                return None
            terms.append((sign, prev.strip()))
            sign = ch
            cur = []
        else:
            cur.append(ch)
        i += 1
    last = "".join(cur).strip()
    if not last:
        return None
    terms.append((sign, last))
    for _, t in terms:
        if not t or t[0] in "+-":
            return None
    return terms


def render_terms(terms, spaced):
    out = []
    for k, (sg, t) in enumerate(terms):
        if k == 0:
            out.append(("-" if sg == "-" else "") + t)
        else:
            out.append((" %s " % sg) if spaced else sg)
            out.append(t)
    return "".join(out)


INT_RE = re.compile(r"^-?\d+$")
DEC_RE = re.compile(r"^-?\d*\.\d+$")
FRAC_RE = re.compile(r"^(-?)\\[dt]?frac\{(\d+)\}\{(\d+)\}$")
FRAC_LOOSE_RE = re.compile(r"^(-?)\\[dt]?frac\s*(?:\{(\d+)\}|(\d))\s*(?:\{(\d+)\}|(\d))$")
SQRT_RE = re.compile(r"^(-?)(\d*)\s*\\sqrt\{(\d+)\}$")
PI_RE = re.compile(r"^(-?)(\d+)\s*\\pi$")


def as_fraction(a):
    """Exact value of a plain rational answer, else None."""
    a = a.strip()
    if INT_RE.match(a):
        return Fraction(int(a))
    if DEC_RE.match(a):
        return Fraction(Decimal(a))
    m = FRAC_LOOSE_RE.match(a)
    if m:
        num = int(m.group(2) or m.group(3))
        den = int(m.group(4) or m.group(5))
        if den == 0:
            return None
        v = Fraction(num, den)
        return -v if m.group(1) else v
    return None


def is_numeric_answer(a):
    return as_fraction(a) is not None or SQRT_RE.match(a) or PI_RE.match(a)


def terminating(fr):
    d = fr.denominator
    for p in (2, 5):
        while d % p == 0:
            d //= p
    return d == 1


def frac_to_decimal(fr):
    assert terminating(fr)
    getcontext().prec = 60
    v = Decimal(fr.numerator) / Decimal(fr.denominator)
    s = format(v.normalize(), "f")
    return s


def frac_latex(fr, cmd="\\frac"):
    if fr.denominator == 1:
        return str(fr.numerator)
    sgn = "-" if fr < 0 else ""
    return "%s%s{%d}{%d}" % (sgn, cmd, abs(fr.numerator), fr.denominator)


def round_sig(x, sig):
    """x: Decimal or mpf-string; correctly rounded to sig significant digits, as a string."""
    getcontext().prec = 80
    d = Decimal(str(x))
    if d == 0:
        return "0"
    e = d.adjusted()
    q = Decimal(1).scaleb(e - sig + 1)
    r = d.quantize(q)
    s = format(r, "f")
    return s


def exact_decimal_value(a):
    """High-precision value (Decimal) of simple numeric answers (fraction, a\\sqrt{b}, a\\pi)."""
    getcontext().prec = 60
    fr = as_fraction(a)
    if fr is not None:
        return Decimal(fr.numerator) / Decimal(fr.denominator)
    m = SQRT_RE.match(a)
    if m:
        c = int(m.group(2)) if m.group(2) else 1
        v = Decimal(c) * Decimal(int(m.group(3))).sqrt()
        return -v if m.group(1) else v
    m = PI_RE.match(a)
    if m:
        pi = Decimal("3.14159265358979323846264338327950288419716939937510582097494")
        v = Decimal(int(m.group(2))) * pi
        return -v if m.group(1) else v
    return None


# spans where digits must not be touched by near misses: \text{..}, \mbox{..}, \begin{..}, \end{..}
PROTECT_RE = re.compile(r"\\(?:text|mbox|textbf|mathrm|begin|end|operatorname)\{[^{}]*\}")


def protected_mask(s):
    mask = [False] * len(s)
    for m in PROTECT_RE.finditer(s):
        for k in range(m.start(), m.end()):
            mask[k] = True
    # subscripts (based numbers, log bases) are left alone
    for m in re.finditer(r"_(\{[^{}]*\}|\d)", s):
        for k in range(m.start(), m.end()):
            mask[k] = True
    return mask


# ----------------------------------------------------------------------------------------------
# Case construction
# ----------------------------------------------------------------------------------------------

class Corpus:
    def __init__(self):
        self.cases = []
        self.ids = set()

    def add(self, cid, family, kind, gold, text, expected, note=None):
        assert cid not in self.ids, cid
        assert kind in ("answer", "response")
        self.ids.add(cid)
        c = {"id": cid, "family": family, "kind": kind, "gold": gold}
        c["pred" if kind == "answer" else "response"] = text
        c["expected"] = bool(expected)
        if note:
            c["note"] = note
        self.cases.append(c)


RESPONSE_WRAPS = [
    "We simplify step by step and check the result against the conditions of the problem.\n\n"
    "Therefore, the final answer is $\\boxed{%s}$.",
    "Putting everything together, the answer is $\\boxed{%s}$.",
    "Combining the two cases above gives the result.\n\n**Final Answer**\n\\[\n\\boxed{%s}\n\\]",
    "After substituting back and simplifying, we conclude that the answer is $%s$.",
    "Collecting the results from each step:\n\nAnswer: $%s$",
]


def wrap_response(rng, pred):
    return rng.choice(RESPONSE_WRAPS) % pred


def load_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(l) for l in f if l.strip()]


def qkey(q):
    q = q.strip()
    return q[:-1] if q.endswith(".") else q


def fake_body(rng, answer_int):
    """A short model-like reasoning text with consistent arithmetic (numbers other than the answer)."""
    a, b = rng.randint(3, 40), rng.randint(2, 25)
    c = rng.randint(2, 9)
    templates = [
        "Let's set up the problem. Let $a = %d$ and $b = %d$. Then $a + b = %d$ and $ab = %d$.\n\n"
        "Each configuration can be chosen in $%d$ ways, so the number of arrangements is "
        "$%d \\cdot %d = %d$.\n\nChecking the remaining conditions carefully, we find the quantity "
        "asked for." % (a, b, a + b, a * b, c, a * b, c, a * b * c),
        "First, note that $%d^2 = %d$ and $%d^2 = %d$, so the difference of squares is $%d$.\n\n"
        "We now split into cases depending on the parity of $n$. In the first case there are "
        "$%d$ possibilities; in the second there are $%d$.\n\nAdding the contributions and "
        "simplifying gives the final value." % (a, a * a, b, b * b, abs(a * a - b * b), c, a + c),
        "We use the substitution $x = %d t$. The equation becomes $%d t^2 - %d t + %d = 0$, whose "
        "discriminant is $%d$.\n\nSince the roots must be positive integers, only a few values "
        "remain, and testing them one by one we obtain the answer." %
        (c, a, b, c, b * b - 4 * a * c),
    ]
    return rng.choice(templates)


def end_phrase(rng, style, ans):
    if style == "boxed":
        return rng.choice(["\n\nTherefore, the answer is $\\boxed{%s}$." % ans,
                           "\n\n**Final Answer**\n\\[\n\\boxed{%s}\n\\]" % ans,
                           "\n\nThus the final answer is $\\boxed{%s}$." % ans])
    if style == "answer-is":
        return rng.choice(["\n\nThe answer is %s." % ans, "\n\nSo the answer is %s." % ans,
                           "\n\nHence the answer is $%s$." % ans])
    if style == "answer-colon":
        return rng.choice(["\n\nAnswer: %s" % ans, "\n\n**Answer:** %s" % ans,
                           "\n\nAnswer: $%s$" % ans])
    raise ValueError(style)


def wrong_int(rng, s):
    """A different integer written like s (off by one, a changed digit, or a swapped pair)."""
    n = int(s)
    choice = rng.randrange(3)
    if choice == 0 or len(s.lstrip("-")) < 2:
        w = n + rng.choice([-1, 1])
        if w < 0 <= n:
            w = n + 1
        return str(w)
    digits = list(s)
    idx = [k for k, ch in enumerate(digits) if ch.isdigit()]
    if choice == 1:
        k = rng.choice(idx)
        old = digits[k]
        new = rng.choice([d for d in "0123456789" if d != old and not (d == "0" and k == idx[0])])
        digits[k] = new
        return "".join(digits)
    # swap two different adjacent digits, else off by one
    for k in range(len(idx) - 1):
        i, j = idx[k], idx[k + 1]
        if digits[i] != digits[j] and not (i == idx[0] and digits[j] == "0"):
            digits[i], digits[j] = digits[j], digits[i]
            return "".join(digits)
    return str(n + 1)


def build(shared):
    rng = random.Random(SEED)
    C = Corpus()
    data = os.path.join(shared, "data")
    m500 = load_jsonl(os.path.join(data, "math500_test.jsonl"))
    ev = load_jsonl(os.path.join(data, "math_aime_eval.jsonl"))
    gsm = load_jsonl(os.path.join(data, "gsm8k_test.jsonl"))
    dapo = load_jsonl(os.path.join(data, "dapo_math_17k.jsonl"))

    # (a) MATH-500 boxed content vs answer; whole solution as a response ------------------------
    for i, r in enumerate(m500):
        box = last_boxed(r["solution"])
        C.add("math500-boxed/%03d" % i, "math500-boxed", "answer", r["answer"], box, True)
    for i, r in enumerate(m500):
        C.add("math500-solution/%03d" % i, "math500-solution", "response", r["answer"],
              r["solution"], True)

    # (b) pre-normalized eval golds vs original answers, both directions ------------------------
    evmap = {}
    for r in ev:
        if r["data_source"] == "MATH-500":
            evmap.setdefault(qkey(r["question"]), r["ref_answer"])
    corrupted = {"864^2", "15^2"}
    for i, r in enumerate(m500):
        g = evmap.get(qkey(r["problem"]))
        if g is None or g == r["answer"]:
            continue
        exp = g not in corrupted
        note = None if exp else ("pre-normalized gold is corrupted: the unit exponent of "
                                 "'%s' became a power (spec 3.5)" % r["answer"])
        C.add("math500-evalgold-vs-original/%03d" % i, "math500-evalgold-vs-original", "answer",
              g, r["answer"], exp, note)
        C.add("math500-original-vs-evalgold/%03d" % i, "math500-original-vs-evalgold", "answer",
              r["answer"], g, exp, note)

    # (c) AIME golds with responses -----------------------------------------------------------
    aime = [r for r in ev if r["data_source"].startswith("AIME")]
    for i, r in enumerate(aime):
        gold = r["ref_answer"]
        num = re.match(r"\d+", gold).group(0)
        for style in ("boxed", "answer-is", "answer-colon"):
            shown = num if rng.random() < 0.7 else str(int(num))
            resp = fake_body(rng, int(num)) + end_phrase(rng, style, shown)
            C.add("aime-%s/%02d" % (style, i), "aime-" + style, "response", gold, resp, True)
        w = wrong_int(rng, str(int(num)))
        style = rng.choice(["boxed", "answer-is", "answer-colon"])
        body = fake_body(rng, int(num))
        if rng.random() < 0.3:  # the right number appears earlier, the final answer is wrong
            body += "\n\nA first attempt suggests $%s$, but this double counts one case." % num
        C.add("aime-wrong/%02d" % i, "aime-wrong", "response", gold,
              body + end_phrase(rng, style, w), False)

    # (d) GSM8K worked solutions --------------------------------------------------------------
    idx = sorted(rng.sample(range(len(gsm)), 200))
    for n, k in enumerate(idx):
        sol = gsm[k]["answer"]
        gold = sol.split("####")[-1].strip()
        body = re.sub(r"<<[^>]*>>", "", sol.split("####")[0]).rstrip()
        if n < 160:
            style = ("boxed", "hash", "answer-is")[n % 3]
            if style == "hash":
                resp = body + "\n#### " + gold
            elif style == "boxed":
                resp = body + "\nThe answer is $\\boxed{%s}$." % gold
            else:
                resp = body + "\nSo the answer is %s." % gold
            C.add("gsm8k-%s/%04d" % (style, k), "gsm8k-" + style, "response", gold, resp, True)
        else:
            w = wrong_int(rng, gold.replace(",", ""))
            style = rng.choice(["boxed", "hash"])
            resp = body + ("\n#### " + w if style == "hash"
                           else "\nThe answer is $\\boxed{%s}$." % w)
            C.add("gsm8k-wrong/%04d" % k, "gsm8k-wrong", "response", gold, resp, False)
    # thousands separators on GSM8K golds (answer kind)
    tgold = [k for k in range(len(gsm)) if "," in gsm[k]["answer"].split("####")[-1]]
    for k in tgold:
        gold = gsm[k]["answer"].split("####")[-1].strip()
        C.add("rewrite:thousands/gsm8k-%04d" % k, "rewrite:thousands", "answer", gold,
              gold.replace(",", ""), True)

    # DAPO integer golds ----------------------------------------------------------------------
    didx = sorted(rng.sample(range(len(dapo)), 90))
    for n, k in enumerate(didx):
        gold = dapo[k]["reward_model"]["ground_truth"]
        style = ("boxed", "answer-is", "answer-colon")[n % 3]
        if n < 60:
            resp = fake_body(rng, 0) + end_phrase(rng, style, gold)
            C.add("dapo/%05d" % k, "dapo", "response", gold, resp, True)
        else:
            resp = fake_body(rng, 0) + end_phrase(rng, style, wrong_int(rng, gold))
            C.add("dapo-wrong/%05d" % k, "dapo-wrong", "response", gold, resp, False)

    # (e) rewrites and (f) near misses of MATH-500 answers --------------------------------------
    rewrites_and_nearmisses(C, rng, m500)

    # spec section 7 hard cases ---------------------------------------------------------------
    spec_hard(C)
    return C


def _angle_q(q):
    """Questions about angles (not about the degree of a polynomial)."""
    return bool(re.search(r"[Hh]ow many degrees|in degrees|degree measure|number of degrees|"
                          r"measure of (the |each )?(interior |exterior )?angle|"
                          r"measure of \$\\angle", q))


THOUSANDS_RE = re.compile(r"\d,(\\!)?\s*\d{3}(?!\d)")


def outer_matched(a):
    """True if a starts with an opening bracket (optionally \\left) whose partner is the last char."""
    b = a[5:] if a.startswith("\\left") else a
    if not b or b[0] not in "([":
        return False
    d = 0
    for k, ch in enumerate(b):
        if ch in OPEN:
            d += 1
        elif ch in CLOSE:
            d -= 1
            if d == 0:
                return k == len(b) - 1
    return False


UNITS = [" cm", " inches", " meters", " feet", " units", " square units", "\\text{ cm}",
         "\\text{ inches}", "\\text{ units}", "\\text{ square feet}", "\\mbox{ cm}^2",
         "\\text{ cm}^2", " dollars", "\\text{ meters}", " miles", " hours"]


def rewrites_and_nearmisses(C, rng, m500):
    fam = {}  # family -> list of (src_index, gold, pred, expected, note)

    def put(f, i, gold, pred, exp=None, note=None):
        if pred is None or pred == gold:
            return
        if exp is None:
            exp = f.startswith("rewrite:")
        fam.setdefault(f, []).append((i, gold, pred, exp, note))

    for i, r in enumerate(m500):
        a, q = r["answer"], r["problem"]
        fr = as_fraction(a)
        letters = re.sub(r"\\[a-zA-Z]+", "", a)
        has_letters = bool(re.search(r"[a-zA-Z]", letters))
        simple = not re.search(r"[,=<>]|\\pm|\\mp|\\cup|\\in|\\begin|\\text|\\mbox|\\le|\\ge|:|"
                               r"\\infty|\\\$|\\circ|\\%|\\{", a)

        # rewrite:x=
        if fr is not None or SQRT_RE.match(a) or PI_RE.match(a):
            var = "x"
            for v in ("x", "n", "k", "a", "r", "t", "y"):
                if "$%s$" % v in q or "$%s " % v in q:
                    var = v
                    break
            put("rewrite:x=", i, a, rng.choice(["%s = %s", "%s=%s"]) % (var, a))

        # rewrite:frac-decimal
        if fr is not None and fr.denominator != 1 and terminating(fr) and not DEC_RE.match(a):
            put("rewrite:frac-decimal", i, a, frac_to_decimal(fr))
        elif fr is not None and DEC_RE.match(a):
            put("rewrite:frac-decimal", i, a, frac_latex(fr))
        m = re.match(r"^(\d+)\s*\\frac\{(\d+)\}\{(\d+)\}$", a)
        if m:  # mixed numbers
            v = int(m.group(1)) + Fraction(int(m.group(2)), int(m.group(3)))
            put("rewrite:mixed-number", i, a, frac_latex(v))
            if terminating(v):
                put("rewrite:mixed-number", i, a, frac_to_decimal(v))
        if fr is not None and fr.denominator == 1 and rng.random() < 0.15:
            put("rewrite:decimal-zeros", i, a, a + rng.choice([".0", ".00"]))
        elif fr is not None and DEC_RE.match(a):
            put("rewrite:decimal-zeros", i, a, a + "0")

        # rewrite:dfrac
        if "\\frac" in a:
            put("rewrite:dfrac", i, a, a.replace("\\frac", rng.choice(["\\dfrac", "\\tfrac"])))
        elif "\\dfrac" in a or "\\tfrac" in a:
            put("rewrite:dfrac", i, a, re.sub(r"\\[dt]frac", r"\\frac", a))

        # rewrite:malformed-ops (brace-less \frac ab, \sqrt2) and back
        m = re.match(r"^(-?)\\frac\{(\d)\}\{(\d)\}$", a)
        if m:
            put("rewrite:malformed-ops", i, a,
                "%s\\frac%s%s" % (m.group(1), m.group(2), m.group(3)) if rng.random() < 0.5
                else "%s\\frac %s%s" % (m.group(1), m.group(2), m.group(3)))
        elif FRAC_LOOSE_RE.match(a) and not FRAC_RE.match(a):
            put("rewrite:malformed-ops", i, a, frac_latex(as_fraction(a)))
        if re.search(r"\\sqrt\{\d\}", a):
            put("rewrite:malformed-ops", i, a, re.sub(r"\\sqrt\{(\d)\}", r"\\sqrt\1", a))
        elif re.search(r"\\sqrt\d", a):
            put("rewrite:malformed-ops", i, a, re.sub(r"\\sqrt(\d)", r"\\sqrt{\1}", a))

        # rewrite:reorder-sum
        if simple:
            t = signed_terms(a)
            if t and len(t) >= 2:
                spaced = " + " in a or " - " in a
                new = list(reversed(t)) if rng.random() < 0.6 else t[1:] + t[:1]
                put("rewrite:reorder-sum", i, a, render_terms(new, spaced))

        # rewrite:thousands
        if INT_RE.match(a) and abs(int(a)) >= 1000:
            n = int(a)
            style = rng.choice(["{:,}", "{:,}", "{,}", ",\\!"])
            s = "{:,}".format(abs(n))
            if style == "{,}":
                s = s.replace(",", "{,}")
            elif style == ",\\!":
                s = s.replace(",", ",\\!")
            put("rewrite:thousands", i, a, ("-" if n < 0 else "") + s)
        if ",\\!" in a or "{,}" in a:
            put("rewrite:thousands", i, a, a.replace(",\\!", "").replace("{,}", "").replace(" ", ""))

        # rewrite:units (numeric answers only)
        if (fr is not None or SQRT_RE.match(a)) and not _angle_q(q):
            unit = rng.choice(UNITS)
            if unit == " dollars" and "dollar" not in q:
                unit = " cm"
            put("rewrite:units", i, a, a + unit)

        # rewrite:percent
        if re.search(r"[Bb]y what percent|as a percentage|what percent", q) and fr is not None \
                and fr.denominator == 1:
            put("rewrite:percent", i, a, a + rng.choice(["\\%", "%", " \\%"]))
        elif fr is not None and 0 < fr < 1 and terminating(fr * 100) and \
                (fr * 100).denominator in (1, 2, 4, 5, 10) and rng.random() < 0.5:
            put("rewrite:percent", i, a, frac_to_decimal(fr * 100) + "\\%",
                note="x% = x/100")

        # rewrite:latex-spacing
        if " " in a and rng.random() < 0.5:
            put("rewrite:latex-spacing", i, a, drop_spaces(a))
        elif " " not in a and re.search(r"[+\-,=]", a[1:]) and rng.random() < 0.6:
            s = re.sub(r"(?<=[^\s^_{(\[,=])([+\-=])", r" \1 ", a)
            if not THOUSANDS_RE.search(a) and ",\\!" not in a and "{,}" not in a:
                s = re.sub(r",(?=\S)", ", ", s)
            put("rewrite:latex-spacing", i, a, s)
        elif rng.random() < 0.08:
            put("rewrite:latex-spacing", i, a, "  " + a + " ")

        # rewrite:left-right
        if "\\left" in a:
            put("rewrite:left-right", i, a,
                re.sub(r"\\(left|right)(?![a-zA-Z])\s*", "", a))
        elif outer_matched(a) and "\\cup" not in a:
            put("rewrite:left-right", i, a, "\\left" + a[0] + " " + a[1:-1] + " \\right" + a[-1])

        # rewrite:dollar
        if a.startswith("\\$"):
            put("rewrite:dollar", i, a, a[2:])
        elif "\\$" in q and fr is not None:
            put("rewrite:dollar", i, a, "\\$" + a if rng.random() < 0.7 else "\\$ " + a)

        # rewrite:degrees
        m = re.match(r"^(\d+)\^\\circ$", a)
        if m:
            put("rewrite:degrees", i, a, rng.choice([m.group(1), m.group(1) + "^{\\circ}",
                                                     m.group(1) + " degrees",
                                                     m.group(1) + "\\text{ degrees}"]))
        elif _angle_q(q) and INT_RE.match(a):
            put("rewrite:degrees", i, a, a + rng.choice(["^\\circ", "^{\\circ}", " degrees"]))

        # rewrite:list-order (top-level comma lists; ordered tuples are never permuted)
        if not re.match(r"^(\\left)?[\(\[]", a) and "=" not in a and "\\text" not in a \
                and not THOUSANDS_RE.search(a):
            parts = [p.strip() for p in split_top(a)]
            if len(parts) >= 2 and len(set(parts)) == len(parts):
                perm = parts[:]
                while perm == parts:
                    rng.shuffle(perm)
                if len(perm) >= 3 and rng.random() < 0.3:
                    s = ", ".join(perm[:-1]) + ", and " + perm[-1]
                else:
                    s = ", ".join(perm)
                put("rewrite:list-order", i, a, s)

        # rewrite:text
        m = re.match(r"^\\text\{\s*([^{}]*?)\s*\}$", a)
        if m:
            inner = m.group(1)
            put("rewrite:text", i, a, rng.choice([inner, "\\textbf{%s}" % inner,
                                                  "\\text{%s}" % inner.lower(),
                                                  "\\mathrm{%s}" % inner]))

        # rewrite:explicit-mult
        if re.search(r"\d\s*\\(pi|sqrt)", a) and rng.random() < 0.6:
            put("rewrite:explicit-mult", i, a,
                re.sub(r"(\d)\s*\\(pi|sqrt)", lambda mm: mm.group(1) +
                       rng.choice([" \\cdot \\", "\\cdot\\", " \\times \\"]) + mm.group(2), a, count=1))

        # rewrite:delimiters and trailing period
        if rng.random() < 0.08:
            put("rewrite:delimiters", i, a, rng.choice(["$%s$", "\\(%s\\)", "\\boxed{%s}",
                                                        "$\\boxed{%s}$", "\\[%s\\]"]) % a)
        if rng.random() < 0.05:
            put("rewrite:trailing-period", i, a, a + ".")

        # rewrite:decimal-approx (>= 6 significant digits, correctly rounded) and its near miss
        v = exact_decimal_value(a)
        if v is not None and v != 0 and not (fr is not None and terminating(fr)):
            put("rewrite:decimal-approx", i, a, round_sig(v, rng.choice([6, 7, 8, 10])),
                note="decimal policy sig:6")
            put("nearmiss:decimal-approx", i, a, round_sig(v, rng.choice([2, 3, 4])),
                exp=False, note="decimal policy sig:6 (too few significant digits)")

        # ---- near misses ----
        # nearmiss:off-by-one
        m = re.match(r"^(\\\$)?(-?\d+)(\^\\circ)?$", a)
        if m:
            n = int(m.group(2)) + rng.choice([-1, 1])
            put("nearmiss:off-by-one", i, a, (m.group(1) or "") + str(n) + (m.group(3) or ""),
                exp=False)

        # nearmiss:digit
        mask = protected_mask(a)
        pos = [k for k, ch in enumerate(a) if ch.isdigit() and not mask[k]]
        # never touch an exponent of the base 1, nor a lone zero numerator
        pos = [k for k in pos if not (a[max(0, k - 2):k] in ("1^",) or a[max(0, k - 3):k] == "1^{")]
        if pos:
            k = rng.choice(pos)
            j0 = k
            while j0 > 0 and a[j0 - 1].isdigit():
                j0 -= 1
            j1 = k
            while j1 + 1 < len(a) and a[j1 + 1].isdigit():
                j1 += 1
            lead = (k == j0 and j1 > j0)
            new = rng.choice([d for d in "0123456789" if d != a[k] and not (lead and d == "0")])
            put("nearmiss:digit", i, a, a[:k] + new + a[k + 1:], exp=False)

        # nearmiss:sign
        s = nearmiss_sign(rng, a)
        put("nearmiss:sign", i, a, s, exp=False)

        # nearmiss:bracket (finite endpoints of intervals)
        if "interval" in q or "\\infty" in a or "\\cup" in a:
            s = nearmiss_bracket(rng, a)
            put("nearmiss:bracket", i, a, s, exp=False)

        # nearmiss:dropped-term
        if simple:
            t = signed_terms(a)
            if t and len(t) >= 2:
                cand = [k for k, (_, tt) in enumerate(t) if not re.fullmatch(r"0+(\.0*)?", tt)]
                k = rng.choice(cand)
                rest = t[:k] + t[k + 1:]
                put("nearmiss:dropped-term", i, a, render_terms(rest, " + " in a or " - " in a),
                    exp=False)
        if not re.match(r"^(\\left)?[\(\[]", a) and "=" not in a and "\\text" not in a \
                and "\\{" not in a and not THOUSANDS_RE.search(a):
            parts = [p.strip() for p in split_top(a)]
            if len(parts) >= 2 and len(set(parts)) == len(parts):
                k = rng.randrange(len(parts))
                put("nearmiss:dropped-element", i, a, ", ".join(parts[:k] + parts[k + 1:]),
                    exp=False)

        # nearmiss:swap-tuple (ordered pairs / points, and column vectors)
        if outer_matched(a) and a.rstrip().endswith(")") and "interval" not in q and "\\infty" not in a \
                and "\\cup" not in a:
            inner = re.sub(r"^(\\left)?\(|(\\right)?\)$", "", a)
            parts = split_top(inner)
            if len(parts) >= 2:
                for x in range(len(parts) - 1):
                    if parts[x].strip() != parts[x + 1].strip():
                        p2 = parts[:]
                        p2[x], p2[x + 1] = p2[x + 1].strip(), p2[x].strip()
                        if x > 0:
                            p2[x] = " " + p2[x] if parts[x].startswith(" ") else p2[x]
                        put("nearmiss:swap-tuple", i, a, "(" + ",".join(p2) + ")", exp=False)
                        break
        m = re.match(r"^\\begin\{pmatrix\}(.*)\\end\{pmatrix\}$", a)
        if m and "&" not in a:
            rows = [x.strip() for x in m.group(1).split("\\\\")]
            for x in range(len(rows) - 1):
                if rows[x] != rows[x + 1]:
                    r2 = rows[:]
                    r2[x], r2[x + 1] = r2[x + 1], r2[x]
                    put("nearmiss:swap-tuple", i, a,
                        "\\begin{pmatrix} " + " \\\\ ".join(r2) + " \\end{pmatrix}", exp=False)
                    break

        # nearmiss:frac-flip
        m = re.search(r"\\([dt]?)frac\{([^{}]+)\}\{([^{}]+)\}", a)
        if m and m.group(2).strip().lstrip("-") != m.group(3).strip().lstrip("-") \
                and m.group(2).strip() not in ("0",):
            s = a[:m.start()] + "\\%sfrac{%s}{%s}" % (m.group(1), m.group(3), m.group(2)) + a[m.end():]
            put("nearmiss:frac-flip", i, a, s, exp=False)

        # nearmiss:pm (a +- answer reduced to one of its values)
        if "\\pm" in a:
            put("nearmiss:pm", i, a, a.replace("\\pm", rng.choice(["+", "-"]), 1), exp=False)

        # nearmiss:dropped-factor (drop \pi or a \sqrt factor: 288\pi -> 288)
        m = re.match(r"^(-?\d+)\s*\\pi$", a)
        if m:
            put("nearmiss:dropped-factor", i, a, m.group(1), exp=False)
        m = re.match(r"^(-?\d+)\s*\\sqrt\{(\d+)\}$", a)
        if m:
            put("nearmiss:dropped-factor", i, a, rng.choice([m.group(1), "\\sqrt{%s}" % m.group(2)]),
                exp=False)

    caps = {"rewrite:x=": 70, "rewrite:units": 90, "rewrite:thousands": 40,
            "rewrite:latex-spacing": 80, "rewrite:dfrac": 60, "rewrite:reorder-sum": 60,
            "rewrite:decimal-zeros": 40, "rewrite:explicit-mult": 40, "rewrite:decimal-approx": 40,
            "nearmiss:off-by-one": 80, "nearmiss:digit": 110, "nearmiss:sign": 90,
            "nearmiss:frac-flip": 50, "nearmiss:decimal-approx": 40, "nearmiss:dropped-term": 60,
            "rewrite:percent": 30, "rewrite:degrees": 40, "rewrite:left-right": 40}
    for f in sorted(fam):
        items = fam[f]
        cap = caps.get(f, 60)
        if len(items) > cap:
            pick = sorted(rng.sample(range(len(items)), cap))
            items = [items[k] for k in pick]
        seen = {}
        for (i, gold, pred, exp, note) in items:
            n = seen.get(i, 0)
            seen[i] = n + 1
            C.add("%s/m500-%03d/%d" % (f, i, n), f, "answer", gold, pred, exp, note)
            if rng.random() < 0.15 and f != "rewrite:delimiters":
                C.add("%s/m500-%03d/%d-resp" % (f, i, n), f, "response", gold,
                      wrap_response(rng, pred), exp, note)


def drop_spaces(a):
    """Remove spaces, keeping one where it separates a command from a letter or two digits."""
    out = []
    k = 0
    while k < len(a):
        if a[k] == " ":
            j = k
            while j < len(a) and a[j] == " ":
                j += 1
            prev = "".join(out)
            nxt = a[j] if j < len(a) else ""
            if (re.search(r"\\[a-zA-Z]+$", prev) and nxt.isalpha()) or \
                    (prev[-1:].isdigit() and nxt.isdigit()):
                out.append(" ")
            k = j
        else:
            out.append(a[k])
            k += 1
    return "".join(out)


def nearmiss_sign(rng, a):
    if re.search(r"\\pm|\\mp|\\text|\\mbox|\\begin|\\infty|\\cup|\\in\b|[<>]|\\le|\\ge|\\\$|\|", a):
        return None
    lhs = ""
    body = a
    if a.count("=") == 1:
        l, r_ = a.split("=")
        if re.fullmatch(r"\s*[a-zA-Z]\s*", l):
            lhs, body = l + "=", r_
        else:
            return None
    wrapped = re.match(r"^(\\left)?([\(\[\{])(.*?)(\\right)?([\)\]\}])$", body.strip())
    if wrapped and "," in body:
        pre = body.strip()[:wrapped.start(3)]
        post = body.strip()[wrapped.end(3):]
        parts = split_top(wrapped.group(3))
        cand = [k for k, p in enumerate(parts) if not re.fullmatch(r"\s*-?0+(\.0*)?\s*", p)]
        if not cand:
            return None
        k = rng.choice(cand)
        p = parts[k]
        ps = p.lstrip()
        lead = p[:len(p) - len(ps)]
        parts[k] = lead + (ps[1:] if ps.startswith("-") else "-" + ps)
        return lhs + pre + ",".join(parts) + post
    if "," in body:
        parts = split_top(body)
        cand = [k for k, p in enumerate(parts) if not re.fullmatch(r"\s*-?0+(\.0*)?\s*", p)]
        if not cand:
            return None
        k = rng.choice(cand)
        p = parts[k]
        ps = p.lstrip()
        lead = p[:len(p) - len(ps)]
        parts[k] = lead + (ps[1:] if ps.startswith("-") else "-" + ps)
        new = ",".join(parts)
        # a symmetric set such as "2, -2" would be unchanged as a set: reject
        if sorted(x.strip() for x in split_top(new)) == sorted(x.strip() for x in split_top(body)):
            return None
        return lhs + new
    t = signed_terms(body)
    if not t:
        return None
    cand = [k for k, (_, tt) in enumerate(t) if not re.fullmatch(r"0+(\.0*)?", tt)]
    if not cand:
        return None
    k = rng.choice(cand)
    sg, tt = t[k]
    t[k] = ("-" if sg == "+" else "+", tt)
    spaced = " + " in body or " - " in body
    lead_sp = " " if lhs and body.startswith(" ") else ""
    return lhs + lead_sp + render_terms(t, spaced)


def nearmiss_bracket(rng, a):
    iv = re.compile(r"(\\left)?([\(\[])([^,\(\)\[\]]+),([^,\(\)\[\]]+?)(\\right)?([\)\]])")
    cands = []
    for m in iv.finditer(a):
        if "\\infty" not in m.group(3):
            cands.append(m.start(2))
        if "\\infty" not in m.group(4):
            cands.append(m.start(6))
    if not cands:
        return None
    k = rng.choice(cands)
    flip = {"(": "[", "[": "(", ")": "]", "]": ")"}
    return a[:k] + flip[a[k]] + a[k + 1:]


def spec_hard(C):
    A, R = "answer", "response"
    cases = [
        ("\\frac{1}{2004!}", A, "\\frac{1}{2006!}", False, "MV 6-decimal collapse (#14)"),
        ("\\frac{1}{2^{99}}", A, "\\frac{1}{2^{98}}", False, "MV 6-decimal collapse (#14)"),
        ("\\frac{2^{2005}+1}{3\\cdot2^{2006}}", A, "\\frac{1}{3\\cdot2^{2006}}", False, "#14"),
        ("0.0000672", A, "0.0000673", False, "two decimal literals compare exactly"),
        ("0.35625", A, "0.35626", False, "two decimal literals compare exactly"),
        ("7 = 11a+c", A, "11a+c", False, "an equation never equals a bare expression"),
        ("x = 11", A, "x = 5+5+1 = 7 = 11", True, "assignment chain keeps the last rhs"),
        ("\\dfrac{5^{(5^{(5^{(5^5)})}-4)}-5}{16}", A, "\\dfrac{5^{(5^{(5^{(5^5)})}-4)}-5}{16}",
         True, "power tower (MV #65 hangs); identical strings"),
        ("\\dfrac{5^{(5^{(5^{(5^5)})}-4)}-5}{16}", A, "\\dfrac{5^{(5^{(5^{(5^5)})}-4)}-3}{16}",
         False, "power tower, different value (MV: 5 s comparison timeout)"),
        ("\\sqrt{1/n}", A, "\\frac{1}{\\sqrt{n}}", True, "positive-real identity testing (MV #64)"),
        ("|x|", A, "x", False, "absolute value triggers negative sample points"),
        ("1 - \\frac{1}{\\mathrm{e}}", A, "1 + \\frac{1}{\\mathrm{e}}", False, "MV PR #82"),
        ("4", A, "4\\sqrt(2)", False, "MV #41"),
        ("1,2,\\ldots,n", A, "1,3,5,\\ldots,2n-1", False, "ellipsis sequences are ordered (#14)"),
        ("50\\%", A, "50", True, "percent policy: mark on one side dropped"),
        ("\\frac14", A, "25\\%", True, "percent policy: x% = x/100"),
        ("(2,4)", A, "[2,4)", False, "bracket type matters"),
        ("\\pm 2021", A, "2021", False, "a +- set is not a single value"),
        ("\\pm 2021", A, "\\{-2021, 2021\\}", True, "+- expands to a set"),
        ("12:00", A, "1:00", False, "times compare exactly"),
        ("x^2/4+y^2/3=1", A, "x^2/16+y^2/12=1/4", True, "equation equivalence"),
        ("2x+4y-3=0", A, "y=-\\frac12x+\\frac34", True, "equation equivalence (MV #26)"),
        ("5x - 7y + 11z + 4 = 0", A, "x + y - z + 2 = 0", False, "different planes"),
        ("[-\\infty,0]", A, "(-\\infty,0]", True, "infinite endpoints are open"),
        ("(3,1)", A, "\\{1,3\\}", False, "tuple vs set: order must be ascending"),
        ("(1,3)", A, "\\{1,3\\}", True, "tuple vs set"),
        ("32349", R, "The total is $\\boxed{32, 349}$.", False, "comma-space is a list"),
        ("2", R, "AZYUK2A", False, "no left anchor before 2"),
        ("e^{I\\pi}", A, "-1", False, "upper-case I is a symbol"),
        ("1112112_3", A, "1112122_3", False, "based numbers: digits differ"),
        ("1112112_3", A, "1112112", True, "dropped base subscript"),
        ("1,2", R, "\\boxed{1} no no no no no \\boxed{2}", False, "boxes not merged"),
        ("73", R, "After simplifying, the result is **73**", True, "markdown emphasis (MV #76)"),
        ("840", R, "So we get $\\boxed{840}$. Checking again, the answer is $\\boxed{840}$.", True,
         "identical adjacent boxes kept once (MV #44, #57)"),
        ("-2,1", R, "The roots are $\\boxed{1}$ and $\\boxed{-2}$.", True, "box merging"),
        ("\\dfrac{20000}{\\pi}", A, "\\frac{20000}{\\pi}", True, "dfrac"),
        ("1-\\sqrt{2}", R, "The minimum value is 1-\\sqrt{2}", True,
         "undelimited expression (MV #74 extracts only 1)"),
        ("\\begin{pmatrix}-1/3\\2/3\\5/3\\end{pmatrix}", A,
         "\\begin{pmatrix} -1/3 \\\\ 2/3 \\\\ 5/3 \\end{pmatrix}", True,
         "single-backslash matrix rows (SvS gold)"),
        ("(3,\\frac{\\pi}{2})", A, "\\left( 3, \\frac{\\pi}{2} \\right)", True, "left/right"),
        ("\\left( 3, \\frac{\\pi}{2} \\right)", A, "(3,\\frac{\\pi}{2})", True, "left/right swapped"),
        ("10", A, "10\\%", True, "percent policy (MV: False)"),
        ("1.22", A, "1,22", True, "decimal comma policy"),
    ]
    for k, (g, kind, p, exp, note) in enumerate(cases):
        C.add("spec-hard/%02d" % k, "spec-hard", kind, g, p, exp, note)


# ----------------------------------------------------------------------------------------------
# Driver
# ----------------------------------------------------------------------------------------------

def versions():
    from importlib.metadata import version
    out = {}
    for pkg in ("math-verify", "latex2sympy2_extended", "sympy", "antlr4-python3-runtime"):
        try:
            out[pkg] = version(pkg)
        except Exception:  # noqa: BLE001
            out[pkg] = None
    return out


def report(path):
    rows = [json.loads(l) for l in open(path, encoding="utf-8")]
    hdr, cases = rows[0], rows[1:]
    fams = {}
    for c in cases:
        f = fams.setdefault(c["family"], {"n": 0, "t": 0, "f": 0, "agree": 0, "err": 0,
                                          "resp": 0})
        f["n"] += 1
        f["t" if c["expected"] else "f"] += 1
        f["agree"] += c["mv"] == c["expected"]
        f["err"] += bool(c["mv_error"])
        f["resp"] += c["kind"] == "response"
    print("| family | cases | responses | expected true | expected false | MV agrees | agreement | "
          "mv_error |")
    print("|---|---|---|---|---|---|---|---|")
    tot = {"n": 0, "t": 0, "f": 0, "agree": 0, "err": 0, "resp": 0}
    for name in sorted(fams):
        f = fams[name]
        for k in tot:
            tot[k] += f[k]
        print("| %s | %d | %d | %d | %d | %d | %.1f%% | %d |" % (
            name, f["n"], f["resp"], f["t"], f["f"], f["agree"], 100.0 * f["agree"] / f["n"],
            f["err"]))
    print("| **all** | %d | %d | %d | %d | %d | %.1f%% | %d |" % (
        tot["n"], tot["resp"], tot["t"], tot["f"], tot["agree"], 100.0 * tot["agree"] / tot["n"],
        tot["err"]))
    et = [c for c in cases if c["expected"]]
    ef = [c for c in cases if not c["expected"]]
    print("\nexpected true: %d, MV true on %d; expected false: %d, MV false on %d" % (
        len(et), sum(c["mv"] for c in et), len(ef), sum(not c["mv"] for c in ef)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(HERE, "verifier_corpus.jsonl"))
    ap.add_argument("--shared", default=os.environ.get("SVS_SHARED",
                                                       os.path.join(REPO, "..", "shared")))
    ap.add_argument("--no-mv", action="store_true", help="skip Math-Verify (mv=false)")
    ap.add_argument("--report", action="store_true", help="print tables of an existing corpus")
    ap.add_argument("--hard-timeout", type=float, default=HARD_TIMEOUT_S)
    args = ap.parse_args()
    if args.report:
        report(args.out)
        return
    C = build(args.shared)
    v = versions()
    t0 = time.time()
    worker = None if args.no_mv else MVWorker(args.hard_timeout)
    slow = []
    for n, c in enumerate(C.cases):
        if worker is None:
            c["mv"], c["mv_error"] = False, "not run"
            continue
        t = time.time()
        c["mv"], c["mv_error"] = worker.run(c)
        dt = time.time() - t
        if dt > 2.0:
            slow.append((dt, c["id"]))
        if (n + 1) % 250 == 0:
            print("  %d/%d cases, %.0f s" % (n + 1, len(C.cases), time.time() - t0),
                  file=sys.stderr)
    if worker is not None:
        worker.close()
    header = {"header": True, "generator": "golden/gen_verifier_corpus.py",
              "math_verify": v["math-verify"], "latex2sympy2_extended": v["latex2sympy2_extended"],
              "sympy": v["sympy"], "antlr4_python3_runtime": v["antlr4-python3-runtime"],
              "python": platform.python_version(), "seed": SEED,
              "gold_wrapping": GOLD_WRAPPING, "pred_wrapping": PRED_WRAPPING,
              "mv_call": "verify(gold_parsed, pred_parsed) with defaults (float_rounding=6, "
                         "strict=True, timeout_seconds=5); parse parsing_timeout=5; hard timeout "
                         "%g s per case in a killable worker process" % args.hard_timeout,
              "expected": "svs.c default profile (spec/verifier.md), from how each case was built",
              "count": len(C.cases)}
    order = ["id", "family", "kind", "gold", "pred", "response", "expected", "mv", "mv_error",
             "note"]
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(json.dumps(header, ensure_ascii=False) + "\n")
        for c in C.cases:
            f.write(json.dumps({k: c[k] for k in order if k in c}, ensure_ascii=False) + "\n")
    os.replace(tmp, args.out)
    agree = sum(c["mv"] == c["expected"] for c in C.cases)
    print("wrote %s: %d cases, MV agrees with expected on %d (%.1f%%), %.0f s, %d slow (>2 s): %s"
          % (args.out, len(C.cases), agree, 100.0 * agree / max(1, len(C.cases)),
             time.time() - t0, len(slow), sorted(slow, reverse=True)[:5]), file=sys.stderr)


if __name__ == "__main__":
    main()
