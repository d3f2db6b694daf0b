/* tinymath_families.c — the ten problem families of the tiny-math world, one generator each.
 *
 * A generator writes the question, a short worked solution ending in "\boxed{ANSWER}", the exact
 * answer and a `form` tag. With target == NULL it draws freely at difficulty d (1..4); with a
 * target it builds a problem whose answer is exactly *target (used by synthesis), or returns 1
 * when it cannot. The forms, and the order in which the question text shows its numbers:
 *
 *   arith     the expression itself ("a*b+c-e"); the question shows it verbatim
 *   linear    "x+b=c" "x-b=c" "ax+b=c" "ax-b=c" "ax+b=cx+d" "ax+b=cx-d"   numbers in that order
 *   fraction  "+" or "-"            a/b OP c/d            remainder "a%b"   a, b
 *   gcd, lcm  "gcd" / "lcm"         a, b                  percent  "x%y" (x, y); "y+x%" "y-x%" (y, x)
 *   word      one letter per step after the start s: '+' n, '-' n, 'm' k n (k bags of n), '/' k
 *   average   "avg"                 the numbers           sequence "next" (terms), "nth" (n, terms)
 *
 * Difficulty knobs (number ranges and steps) are the per-family tables below. Answers are
 * non-negative integers except: linear d >= 3 and sequence d = 4 (negative integers), fraction
 * (fractions, negative at d = 4). Vocabulary is kept small on purpose: a few templates each. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tinymath_int.h"

#define TM_TRIES 200

static long long pick(tm_rng *r, long long lo, long long hi) { return tm_rng_range(r, lo, hi); }

static void set_form(tm_problem *p, const char *form) { snprintf(p->form, sizeof p->form, "%s", form); }

/* Integer target within [lo, hi]: 1 and *v set, else 0. */
static int int_target(const tm_frac *t, long long lo, long long hi, long long *v) {
    if (t->q != 1 || t->p < lo || t->p > hi) return 0;
    *v = t->p;
    return 1;
}

static void begin(tm_problem *p, tm_family f, int d, tm_text *q, tm_text *s) {
    p->family = f;
    p->difficulty = d;
    p->form[0] = '\0';
    tm_text_init(q, p->question, sizeof p->question);
    tm_text_init(s, p->solution, sizeof p->solution);
}

/* ------------------------------------------------------------------ arith */

/* Writes the expression before the last "+ e" / "- e" and its evaluation steps; returns its
 * value. d1: a +- b (<= 20); d2: a * b (2..9); d3: a * b + c, (a + b) * c; d4: a * b + c * d,
 * (a + b) * (c - d). */
static long long arith_prefix(tm_rng *r, int d, tm_text *e, tm_text *s, char *form) {
    long long a, b, c, x, y;
    int v = (int)pick(r, 0, 1);
    if (d == 1) {
        a = pick(r, 2, 20), b = pick(r, 1, 20);
        if (v && a > b) {
            tm_text_add(e, "%lld - %lld", a, b), tm_text_add(s, "%lld - %lld = %lld. ", a, b, a - b);
            strcpy(form, "a-b");
            return a - b;
        }
        tm_text_add(e, "%lld + %lld", a, b), tm_text_add(s, "%lld + %lld = %lld. ", a, b, a + b);
        strcpy(form, "a+b");
        return a + b;
    }
    if (d == 2) {
        a = pick(r, 2, 9), b = pick(r, 2, 9);
        tm_text_add(e, "%lld * %lld", a, b), tm_text_add(s, "%lld * %lld = %lld. ", a, b, a * b);
        strcpy(form, "a*b");
        return a * b;
    }
    if (d == 3) {
        if (v) {
            a = pick(r, 2, 12), b = pick(r, 2, 12), c = pick(r, 1, 30), x = a * b;
            tm_text_add(e, "%lld * %lld + %lld", a, b, c);
            tm_text_add(s, "%lld * %lld = %lld. %lld + %lld = %lld. ", a, b, x, x, c, x + c);
            strcpy(form, "a*b+c");
            return x + c;
        }
        a = pick(r, 1, 12), b = pick(r, 1, 12), c = pick(r, 2, 9), x = a + b;
        tm_text_add(e, "(%lld + %lld) * %lld", a, b, c);
        tm_text_add(s, "%lld + %lld = %lld. %lld * %lld = %lld. ", a, b, x, x, c, x * c);
        strcpy(form, "(a+b)*c");
        return x * c;
    }
    a = pick(r, 2, 12), b = pick(r, 2, 12), c = pick(r, 2, 12);
    if (v) {
        long long dd = pick(r, 2, 12);
        x = a * b, y = c * dd;
        tm_text_add(e, "%lld * %lld + %lld * %lld", a, b, c, dd);
        tm_text_add(s, "%lld * %lld = %lld. %lld * %lld = %lld. %lld + %lld = %lld. ", a, b, x, c, dd,
                    y, x, y, x + y);
        strcpy(form, "a*b+c*d");
        return x + y;
    }
    c = pick(r, 5, 20);
    long long dd = pick(r, 1, c - 1);
    x = a + b, y = c - dd;
    tm_text_add(e, "(%lld + %lld) * (%lld - %lld)", a, b, c, dd);
    tm_text_add(s, "%lld + %lld = %lld. %lld - %lld = %lld. %lld * %lld = %lld. ", a, b, x, c, dd, y,
                x, y, x * y);
    strcpy(form, "(a+b)*(c-d)");
    return x * y;
}

static int fam_arith(tm_rng *r, int d, const tm_frac *target, tm_problem *p, svs_err *err) {
    static const char *const Q[] = {"What is %s?", "Compute %s.", "Find the value of %s.",
                                    "Evaluate %s."};
    static const long long EMAX[] = {20, 30, 50, 99};
    long long t = 0;
    if (target && !int_target(target, -5000, 20000, &t)) return 1;
    for (int tries = 0; tries < TM_TRIES; tries++) {
        tm_text q, s, e;
        char expr[128], form[12]; /* the longest prefix form is "(a+b)*(c-d)" */
        begin(p, TM_ARITH, d, &q, &s);
        tm_text_init(&e, expr, sizeof expr);
        long long x = arith_prefix(r, d, &e, &s, form), last;
        if (target) {
            last = t - x;
            /* a large target may need a large last term */
            if (last == 0 || llabs(last) > 2 * EMAX[d - 1] + llabs(t)) continue;
        } else {
            last = pick(r, 1, EMAX[d - 1]);
            if (pick(r, 0, 1) && last <= x) last = -last;
        }
        long long v = x + last;
        tm_text_add(&e, " %c %lld", last < 0 ? '-' : '+', llabs(last));
        tm_text_add(&s, "%lld %c %lld = %lld. ", x, last < 0 ? '-' : '+', llabs(last), v);
        snprintf(p->form, sizeof p->form, "%s%s", form, last < 0 ? "-e" : "+e");
        tm_text_add(&q, TM_PICK(r, Q), expr);
        return tm_finish(p, &s, &q, tm_frac_make(v, 1), err);
    }
    return 1;
}

/* ------------------------------------------------------------------ linear */

static void linear_text(tm_rng *r, tm_text *q, const char *eq) {
    static const char *const Q[] = {"Solve for x: %s.", "Find x if %s.", "What is x if %s?",
                                    "If %s, what is x?"};
    tm_text_add(q, TM_PICK(r, Q), eq);
}

/* x + b = c, x - b = c (d1) and ax + b = c, ax - b = c (d2, d3). */
static int linear_simple(tm_rng *r, int d, long long x, tm_problem *p, svs_err *err) {
    static const long long AMAX[] = {1, 9, 12}, BMAX[] = {20, 30, 50};
    tm_text q, s;
    char eq[96], ax[32];
    begin(p, TM_LINEAR, d, &q, &s);
    long long a = d == 1 ? 1 : pick(r, 2, AMAX[d - 1]), b = pick(r, 1, BMAX[d - 1]);
    int minus = (int)pick(r, 0, 1);
    if (minus && d < 3 && a * x - b < 0) minus = 0;
    long long c = minus ? a * x - b : a * x + b;
    if (a == 1) snprintf(ax, sizeof ax, "x");
    else snprintf(ax, sizeof ax, "%lldx", a);
    snprintf(eq, sizeof eq, "%s %c %lld = %lld", ax, minus ? '-' : '+', b, c);
    snprintf(p->form, sizeof p->form, "%sx%cb=c", a == 1 ? "" : "a", minus ? '-' : '+');
    linear_text(r, &q, eq);
    long long rhs = minus ? c + b : c - b;
    if (minus) tm_text_add(&s, "Add %lld to both sides: %s = %lld + %lld = %lld. ", b, ax, c, b, rhs);
    else tm_text_add(&s, "Subtract %lld from both sides: %s = %lld - %lld = %lld. ", b, ax, c, b, rhs);
    if (a != 1)
        tm_text_add(&s, "Divide both sides by %lld: x = %lld / %lld = %lld. ", a, rhs, a, x);
    return tm_finish(p, &s, &q, tm_frac_make(x, 1), err);
}

/* ax + b = cx +- e (d4), with a - c >= 2. */
static int linear_both(tm_rng *r, long long x, tm_problem *p, svs_err *err) {
    tm_text q, s;
    char eq[96];
    begin(p, TM_LINEAR, 4, &q, &s);
    long long a = pick(r, 4, 12), c = pick(r, 2, a - 2), b = pick(r, 1, 40), k = a - c;
    long long e = k * x + b;
    snprintf(eq, sizeof eq, "%lldx + %lld = %lldx %c %lld", a, b, c, e < 0 ? '-' : '+', llabs(e));
    set_form(p, e < 0 ? "ax+b=cx-d" : "ax+b=cx+d");
    linear_text(r, &q, eq);
    tm_text_add(&s, "Subtract %lldx from both sides: %lldx + %lld = %lld. ", c, k, b, e);
    tm_text_add(&s, "Subtract %lld from both sides: %lldx = %lld - %lld = %lld. ", b, k, e, b, e - b);
    tm_text_add(&s, "Divide both sides by %lld: x = %lld / %lld = %lld. ", k, e - b, k, x);
    return tm_finish(p, &s, &q, tm_frac_make(x, 1), err);
}

static int fam_linear(tm_rng *r, int d, const tm_frac *target, tm_problem *p, svs_err *err) {
    static const long long XLO[] = {1, 1, -12, -15}, XHI[] = {20, 12, 12, 15};
    long long x;
    if (target) {
        if (!int_target(target, -60, 60, &x)) return 1;
    } else {
        do x = pick(r, XLO[d - 1], XHI[d - 1]);
        while (x == 0);
    }
    return d == 4 ? linear_both(r, x, p, err) : linear_simple(r, d, x, p, err);
}

/* ------------------------------------------------------------------ fraction */

static void frac_str(tm_frac v, char *buf, size_t cap) {
    if (v.q == 1) snprintf(buf, cap, "%lld", v.p);
    else snprintf(buf, cap, "%lld/%lld", v.p, v.q);
}

/* The worked solution of a/b OP c/d (b, d > 0). */
static tm_frac frac_solve(long long a, long long b, long long c, long long d, int minus, tm_text *s) {
    long long l = b / tm_gcd(b, d) * d, n1 = a * (l / b), n2 = c * (l / d);
    long long n = minus ? n1 - n2 : n1 + n2;
    char op = minus ? '-' : '+';
    if (b != d) {
        tm_text_add(s, "The common denominator is %lld. ", l);
        if (b != l && d != l)
            tm_text_add(s, "%lld/%lld = %lld/%lld and %lld/%lld = %lld/%lld. ", a, b, n1, l, c, d, n2, l);
        else if (b != l) tm_text_add(s, "%lld/%lld = %lld/%lld. ", a, b, n1, l);
        else tm_text_add(s, "%lld/%lld = %lld/%lld. ", c, d, n2, l);
    }
    tm_text_add(s, "%lld/%lld %c %lld/%lld = %lld/%lld. ", n1, l, op, n2, l, n, l);
    tm_frac v = tm_frac_make(n, l);
    char buf[48];
    frac_str(v, buf, sizeof buf);
    if (v.q == 1) tm_text_add(s, "%lld/%lld = %s. ", n, l, buf);
    else if (v.q != l) tm_text_add(s, "%lld/%lld = %s in lowest terms. ", n, l, buf);
    return v;
}

static int frac_write(tm_rng *r, int d, long long a, long long b, long long c, long long dd, int minus,
                      tm_problem *p, svs_err *err) {
    static const char *const Q[] = {"What is %s?", "Compute %s.",
                                    "Find %s. Give the answer in lowest terms.",
                                    "What is %s in lowest terms?"};
    tm_text q, s;
    char expr[96];
    begin(p, TM_FRACTION, d, &q, &s);
    snprintf(expr, sizeof expr, "%lld/%lld %c %lld/%lld", a, b, minus ? '-' : '+', c, dd);
    set_form(p, minus ? "-" : "+");
    tm_text_add(&q, TM_PICK(r, Q), expr);
    tm_frac v = frac_solve(a, b, c, dd, minus, &s);
    return tm_finish(p, &s, &q, v, err);
}

/* A proper reduced fraction n/den with den in [dlo, dhi]. */
static void proper(tm_rng *r, long long dlo, long long dhi, long long *n, long long *den) {
    do {
        *den = pick(r, dlo, dhi);
        *n = pick(r, 1, *den - 1);
    } while (tm_gcd(*n, *den) != 1);
}

/* d1: same denominator (2..9); d2: denominators in 2..6, add; d3: 2..10, add or subtract
 * (non-negative); d4: 2..12, add or subtract (may be negative). */
static int frac_free(tm_rng *r, int d, tm_problem *p, svs_err *err) {
    static const long long DHI[] = {9, 6, 10, 12};
    long long a, b, c, dd;
    int minus = d >= 3 ? (int)pick(r, 0, 1) : 0;
    for (;;) {
        if (d == 1) {
            b = dd = pick(r, 3, DHI[0]);
            a = pick(r, 1, b - 1), c = pick(r, 1, b - 1);
            minus = a > c ? (int)pick(r, 0, 1) : 0;
        } else {
            proper(r, 2, DHI[d - 1], &a, &b);
            proper(r, 2, DHI[d - 1], &c, &dd);
            if (b == dd) continue;
        }
        if (minus && d < 4 && a * dd <= c * b) continue;
        if (minus && a * dd == c * b) continue;
        return frac_write(r, d, a, b, c, dd, minus, p, err);
    }
}

/* target = f + c/dd, f - c/dd or c/dd - f, with c/dd a proper fraction and f positive and not an
 * integer; one of the valid shapes is drawn at random. */
static int frac_target(tm_rng *r, int d, tm_frac t, tm_problem *p, svs_err *err) {
    static const long long DHI[] = {6, 8, 10, 12};
    if (t.q > 150 || llabs(t.p) > 300) return 1;
    for (int tries = 0; tries < TM_TRIES; tries++) {
        long long c, dd;
        proper(r, 2, tries < TM_TRIES / 2 ? DHI[d - 1] : 12, &c, &dd);
        tm_frac f[3] = {tm_frac_make(t.p * dd - c * t.q, t.q * dd), tm_frac_make(t.p * dd + c * t.q, t.q * dd),
                        tm_frac_make(c * t.q - t.p * dd, t.q * dd)};
        int shape = (int)pick(r, 0, 2);
        if (f[shape].p <= 0 || f[shape].q == 1 || f[shape].q > 150) continue;
        if (shape == 2) return frac_write(r, d, c, dd, f[2].p, f[2].q, 1, p, err);
        return frac_write(r, d, f[shape].p, f[shape].q, c, dd, shape == 1, p, err);
    }
    return 1;
}

static int fam_fraction(tm_rng *r, int d, const tm_frac *target, tm_problem *p, svs_err *err) {
    return target ? frac_target(r, d, *target, p, err) : frac_free(r, d, p, err);
}

/* ------------------------------------------------------------------ remainder */

static int fam_remainder(tm_rng *r, int d, const tm_frac *target, tm_problem *p, svs_err *err) {
    static const char *const Q[] = {"What is the remainder when %lld is divided by %lld?",
                                    "Find %lld mod %lld.", "What is %lld mod %lld?",
                                    "What is left over when %lld is divided by %lld?"};
    static const long long ALO[] = {10, 20, 100, 1000}, AHI[] = {50, 200, 999, 9999};
    static const long long BLO[] = {2, 3, 6, 11}, BHI[] = {9, 12, 25, 50};
    long long a, b, t;
    if (target) {
        if (!int_target(target, 0, 2 * BHI[d - 1], &t)) return 1;
        b = pick(r, t + 1 > BLO[d - 1] ? t + 1 : BLO[d - 1], t + 1 > BHI[d - 1] ? t + 1 : BHI[d - 1]);
        long long qlo = ALO[d - 1] / b, qhi = AHI[d - 1] / b;
        a = b * pick(r, qlo < 1 ? 1 : qlo, qhi < 1 ? 1 : qhi) + t;
    } else {
        b = pick(r, BLO[d - 1], BHI[d - 1]);
        a = pick(r, ALO[d - 1] > b + 1 ? ALO[d - 1] : b + 1, AHI[d - 1]);
    }
    tm_text q, s;
    begin(p, TM_REMAINDER, d, &q, &s);
    set_form(p, "a%b");
    tm_text_add(&q, TM_PICK(r, Q), a, b);
    long long k = a / b, m = b * k;
    tm_text_add(&s, "%lld * %lld = %lld and %lld - %lld = %lld, which is less than %lld. ", b, k, m, a,
                m, a - m, b);
    return tm_finish(p, &s, &q, tm_frac_make(a % b, 1), err);
}

/* ------------------------------------------------------------------ gcd, lcm */

/* Two distinct coprime multipliers in [1, hi]. */
static void coprime_pair(tm_rng *r, long long hi, long long *m, long long *n) {
    do {
        *m = pick(r, 1, hi);
        *n = pick(r, 1, hi);
    } while (*m == *n || tm_gcd(*m, *n) != 1);
}

static int fam_gcd(tm_rng *r, int d, const tm_frac *target, tm_problem *p, svs_err *err) {
    static const char *const Q[] = {"What is the greatest common divisor of %lld and %lld?",
                                    "Find the GCD of %lld and %lld.",
                                    "What is the largest number that divides both %lld and %lld?"};
    static const long long GHI[] = {6, 12, 20, 30}, MHI[] = {6, 9, 15, 25};
    long long g, m, n;
    if (target) {
        if (!int_target(target, 2, 100, &g)) return 1;
    } else {
        g = pick(r, 2, GHI[d - 1]);
    }
    coprime_pair(r, MHI[d - 1], &m, &n);
    tm_text q, s;
    begin(p, TM_GCD, d, &q, &s);
    set_form(p, "gcd");
    tm_text_add(&q, TM_PICK(r, Q), g * m, g * n);
    long long a = g * (m > n ? m : n), b = g * (m > n ? n : m);
    while (b) {
        tm_text_add(&s, "%lld = %lld * %lld + %lld. ", a, a / b, b, a % b);
        long long t = a % b;
        a = b, b = t;
    }
    tm_text_add(&s, "The last nonzero remainder is %lld. ", a);
    return tm_finish(p, &s, &q, tm_frac_make(g, 1), err);
}

/* Factors t = g * m * n with m, n distinct coprime multipliers <= mhi and g <= ghi. */
static int lcm_split(tm_rng *r, long long t, long long mhi, long long ghi, long long *g, long long *m,
                     long long *n) {
    long long opts[256][2];
    int k = 0;
    for (long long i = 1; i <= mhi; i++)
        for (long long j = i + 1; j <= mhi && k < 256; j++)
            if (tm_gcd(i, j) == 1 && t % (i * j) == 0 && t / (i * j) <= ghi) opts[k][0] = i, opts[k++][1] = j;
    if (!k) return 1;
    int c = (int)pick(r, 0, k - 1), sw = (int)pick(r, 0, 1);
    *m = opts[c][sw], *n = opts[c][!sw], *g = t / (*m * *n);
    return 0;
}

static int fam_lcm(tm_rng *r, int d, const tm_frac *target, tm_problem *p, svs_err *err) {
    static const char *const Q[] = {"What is the least common multiple of %lld and %lld?",
                                    "Find the LCM of %lld and %lld.",
                                    "What is the smallest number that is a multiple of both %lld and %lld?"};
    static const long long GHI[] = {5, 8, 12, 20}, MHI[] = {5, 7, 11, 15};
    long long g, m, n, t;
    if (target) {
        if (!int_target(target, 2, 5000, &t) || lcm_split(r, t, MHI[d - 1] + 4, 30, &g, &m, &n)) return 1;
    } else {
        g = pick(r, 1, GHI[d - 1]);
        coprime_pair(r, MHI[d - 1], &m, &n);
    }
    tm_text q, s;
    begin(p, TM_LCM, d, &q, &s);
    set_form(p, "lcm");
    long long a = g * m, b = g * n;
    tm_text_add(&q, TM_PICK(r, Q), a, b);
    tm_text_add(&s, "%lld = %lld * %lld and %lld = %lld * %lld, so the GCD is %lld. ", a, g, m, b, g, n, g);
    tm_text_add(&s, "The LCM is %lld * %lld * %lld = %lld. ", g, m, n, g * m * n);
    return tm_finish(p, &s, &q, tm_frac_make(g * m * n, 1), err);
}

/* ------------------------------------------------------------------ percent */

/* y, a multiple of 100 / gcd(x, 100), in [1, ymax]; 0 when none. */
static long long percent_base(tm_rng *r, long long x, long long ymax) {
    long long unit = 100 / tm_gcd(x, 100);
    return unit > ymax ? 0 : unit * pick(r, 1, ymax / unit);
}

static long long percent_x(tm_rng *r, int d) {
    static const long long EASY[] = {10, 20, 25, 50}, UP[] = {5, 10, 15, 20, 25, 30, 40, 50, 60, 75};
    if (d == 1) return TM_PICK(r, EASY);
    if (d == 2) return 5 * pick(r, 1, 19);
    if (d == 3) return pick(r, 1, 99);
    return TM_PICK(r, UP);
}

static int percent_write(tm_rng *r, int d, long long x, long long y, int kind, tm_problem *p,
                         svs_err *err) {
    static const char *const OF[] = {"What is %lld%% of %lld?", "Find %lld%% of %lld.",
                                     "How much is %lld%% of %lld?"};
    static const char *const ITEM[] = {"book", "pen", "bag", "box"};
    tm_text q, s;
    begin(p, TM_PERCENT, d, &q, &s);
    long long v = x * y / 100, res = kind == 0 ? v : kind > 0 ? y + v : y - v;
    if (kind == 0) {
        set_form(p, "x%y");
        tm_text_add(&q, TM_PICK(r, OF), x, y);
    } else {
        set_form(p, kind > 0 ? "y+x%" : "y-x%");
        tm_text_add(&q, "A %s costs %lld coins. Its price goes %s by %lld%%. What is the new price?",
                    TM_PICK(r, ITEM), y, kind > 0 ? "up" : "down", x);
    }
    tm_text_add(&s, "%lld%% of %lld = %lld * %lld / 100 = %lld / 100 = %lld. ", x, y, x, y, x * y, v);
    if (kind) tm_text_add(&s, "The new price is %lld %c %lld = %lld. ", y, kind > 0 ? '+' : '-', v, res);
    return tm_finish(p, &s, &q, tm_frac_make(res, 1), err);
}

static int fam_percent(tm_rng *r, int d, const tm_frac *target, tm_problem *p, svs_err *err) {
    static const long long YMAX[] = {200, 400, 600, 400};
    if (target) {
        long long t;
        if (!int_target(target, 1, 1000, &t)) return 1;
        for (int tries = 0; tries < TM_TRIES; tries++) {
            long long x = percent_x(r, d < 4 ? d : 2);
            if ((100 * t) % x == 0 && 100 * t / x <= 2000) return percent_write(r, d, x, 100 * t / x, 0, p, err);
        }
        return 1;
    }
    for (;;) {
        long long x = percent_x(r, d), y = percent_base(r, x, YMAX[d - 1]);
        if (y) return percent_write(r, d, x, y, d == 4 ? (pick(r, 0, 1) ? 1 : -1) : 0, p, err);
    }
}

/* ------------------------------------------------------------------ word */

typedef struct word_step {
    char op;      /* '+', '-', 'm' (k bags of n), '/' (share among k) */
    long long n, k;
} word_step;

static const char *const NAMES[] = {"Tom", "Ann", "Sam", "Mia", "Ben", "Amy"};
static const char *const ITEMS[] = {"apples", "coins", "books", "pens", "cards", "eggs"};

/* Chooses the steps of a difficulty: d1 one of +-, d2 two, d3 two of +-m, d4 three with an
 * optional final share. */
static int word_ops(tm_rng *r, int d, char *ops) {
    static const char PM[] = "+-", PMM[] = "+-m";
    int n = d == 1 ? 1 : d == 4 ? 3 : 2;
    int bags = 0;
    for (int i = 0; i < n; i++) {
        ops[i] = d <= 2 ? PM[pick(r, 0, 1)] : PMM[pick(r, 0, 2)];
        if (ops[i] == 'm' && bags++) ops[i] = '+';   /* at most one bag step: keeps it short */
    }
    if (d == 4 && pick(r, 0, 1)) ops[n - 1] = '/';
    ops[n] = '\0';
    return n;
}

/* Works backward from the final count t; returns the start count, or 0 when it fails. */
static long long word_backward(tm_rng *r, int d, long long t, const char *ops, int n, word_step *st) {
    static const long long NMAX[] = {20, 30, 40, 50};
    long long cur = t;
    for (int i = n - 1; i >= 0; i--) {
        word_step *w = &st[i];
        w->op = ops[i];
        if (w->op == '+') {
            if (cur < 4) return 0;
            w->n = pick(r, 2, cur - 2 < NMAX[d - 1] ? cur - 2 : NMAX[d - 1]);
            cur -= w->n;
        } else if (w->op == '-') {
            w->n = pick(r, 2, NMAX[d - 1]);
            cur += w->n;
        } else if (w->op == 'm') {
            w->k = pick(r, 2, 5), w->n = pick(r, 2, 10);
            if (cur <= w->k * w->n) return 0;
            cur -= w->k * w->n;
        } else {
            w->k = pick(r, 2, 6);
            cur *= w->k;
        }
    }
    return cur;
}

static void word_question(tm_rng *r, tm_text *q, const tm_slots *v, long long start, const word_step *st,
                          int n) {
    static const char *const ADD[] = {"{N} buys {a} more {I}.", "{N} gets {a} {I} from {M}.",
                                      "{N} finds {a} more {I}."};
    static const char *const SUB[] = {"{N} gives {a} {I} to {M}.", "{N} loses {a} {I}.",
                                      "{N} sells {a} {I}."};
    tm_slots w = *v;
    w.a = start;
    tm_text_fill(q, "{N} has {a} {I}.", &w);
    for (int i = 0; i < n; i++) {
        const char *tmpl = st[i].op == '+' ? TM_PICK(r, ADD) : st[i].op == '-' ? TM_PICK(r, SUB)
                         : st[i].op == 'm' ? "{N} buys {a} bags with {b} {I} in each bag."
                                           : "{N} shares the {I} equally among {a} friends.";
        w.a = st[i].op == '+' || st[i].op == '-' ? st[i].n : st[i].k;
        w.b = st[i].n;
        tm_text_add(q, " ");
        tm_text_fill(q, tmpl, &w);
    }
    tm_text_fill(q, st[n - 1].op == '/' ? " How many {I} does each friend get?"
                                        : " How many {I} does {N} have now?", &w);
}

static long long word_solution(tm_text *s, const tm_slots *v, long long cur, const word_step *st, int n) {
    tm_text_add(s, "%s starts with %lld. ", v->N, cur);
    for (int i = 0; i < n; i++) {
        const word_step *w = &st[i];
        if (w->op == '+') tm_text_add(s, "%lld + %lld = %lld. ", cur, w->n, cur + w->n), cur += w->n;
        else if (w->op == '-') tm_text_add(s, "%lld - %lld = %lld. ", cur, w->n, cur - w->n), cur -= w->n;
        else if (w->op == 'm') {
            long long b = w->k * w->n;
            tm_text_add(s, "The bags hold %lld * %lld = %lld, so %lld + %lld = %lld. ", w->k, w->n, b, cur, b,
                        cur + b);
            cur += b;
        } else {
            tm_text_add(s, "Each friend gets %lld / %lld = %lld. ", cur, w->k, cur / w->k);
            cur /= w->k;
        }
    }
    return cur;
}

static int fam_word(tm_rng *r, int d, const tm_frac *target, tm_problem *p, svs_err *err) {
    static const long long TMAX[] = {20, 30, 50, 60};
    long long t = 0;
    if (target && !int_target(target, 1, 1000, &t)) return 1;
    for (int tries = 0; tries < TM_TRIES; tries++) {
        char ops[8];
        word_step st[4];
        int n = word_ops(r, d, ops);
        long long want = target ? t : pick(r, 2, ops[n - 1] == '/' ? 15 : TMAX[d - 1]);
        long long start = word_backward(r, d, want, ops, n, st);
        if (start < 2) continue;
        tm_slots v = {TM_PICK(r, NAMES), NULL, TM_PICK(r, ITEMS), 0, 0};
        do v.M = TM_PICK(r, NAMES);
        while (v.M == v.N);
        tm_text q, s;
        begin(p, TM_WORD, d, &q, &s);
        set_form(p, ops);
        word_question(r, &q, &v, start, st, n);
        long long end = word_solution(&s, &v, start, st, n);
        return tm_finish(p, &s, &q, tm_frac_make(end, 1), err);
    }
    return 1;
}

/* ------------------------------------------------------------------ average */

/* "a, b, c" with sep between items and sep_last before the last one. */
static void list_text(tm_text *t, const long long *x, int n, const char *sep, const char *sep_last) {
    for (int i = 0; i < n; i++)
        tm_text_add(t, "%s%lld", i == 0 ? "" : i == n - 1 ? sep_last : sep, x[i]);
}

static int fam_average(tm_rng *r, int d, const tm_frac *target, tm_problem *p, svs_err *err) {
    static const char *const Q[] = {"What is the average of %s?", "Find the mean of %s.",
                                    "What is the mean of %s?"};
    static const long long MAX[] = {20, 30, 60, 100};
    int n = d + 1;
    long long t = 0, x[5];
    if (target && !int_target(target, 1, 300, &t)) return 1;
    long long hi = target && 2 * t > MAX[d - 1] ? 2 * t : MAX[d - 1];
    for (int tries = 0; tries < TM_TRIES; tries++) {
        long long mean = target ? t : pick(r, 2, hi - 1), sum = 0;
        for (int i = 0; i < n - 1; i++) sum += x[i] = pick(r, 1, hi);
        x[n - 1] = n * mean - sum;
        if (x[n - 1] < 1 || x[n - 1] > hi) continue;
        char list[96], steps[128];
        tm_text l, st, q, s;
        tm_text_init(&l, list, sizeof list);
        tm_text_init(&st, steps, sizeof steps);
        list_text(&l, x, n, ", ", " and ");
        list_text(&st, x, n, " + ", " + ");
        begin(p, TM_AVERAGE, d, &q, &s);
        set_form(p, "avg");
        tm_text_add(&q, TM_PICK(r, Q), list);
        tm_text_add(&s, "The sum is %s = %lld. There are %d numbers, so the average is %lld / %d = %lld. ",
                    steps, n * mean, n, n * mean, n, mean);
        return tm_finish(p, &s, &q, tm_frac_make(mean, 1), err);
    }
    return 1;
}

/* ------------------------------------------------------------------ sequence */

/* Writes "The difference is t1 - t0 = d. " */
static void seq_diff(tm_text *s, long long t0, long long t1) {
    char b[32];
    tm_text_add(s, "The difference is %lld - %s = %lld. ", t1, tm_paren(t0, b, sizeof b), t1 - t0);
}

/* d1: next term, difference 1..5; d2: next term, difference -6..9, terms >= 0; d3: term n
 * (5..10), difference 2..9; d4: term n (10..30), difference -9..12, terms may be negative. */
static int fam_sequence(tm_rng *r, int d, const tm_frac *target, tm_problem *p, svs_err *err) {
    static const char *const NEXT[] = {"What is the next number in the sequence %s?",
                                       "What number comes next: %s?",
                                       "Find the next term of the sequence %s."};
    static const char *const NTH[] = {"What is term %lld of the sequence %s, ...?",
                                      "Find term %lld of the sequence %s, ..."};
    static const long long DLO[] = {1, -6, 2, -9}, DHI[] = {5, 9, 9, 12};
    long long t = 0;
    if (target && !int_target(target, d == 4 ? -300 : 0, 1000, &t)) return 1;
    for (int tries = 0; tries < TM_TRIES; tries++) {
        long long df = pick(r, DLO[d - 1], DHI[d - 1]), n = d <= 2 ? 5 : d == 3 ? pick(r, 5, 10) : pick(r, 10, 30);
        long long a1 = target ? t - (n - 1) * df : d == 4 ? pick(r, -20, 50) : pick(r, 1, d == 1 ? 20 : 30);
        long long last = a1 + (n - 1) * df, x[4];
        int shown = d <= 2 ? 4 : 3;
        if (df == 0 || (d < 4 && (a1 < 0 || last < 0)) || llabs(a1) > 300) continue;
        for (int i = 0; i < shown; i++) x[i] = a1 + i * df;
        char list[96];
        tm_text l, q, s;
        tm_text_init(&l, list, sizeof list);
        list_text(&l, x, shown, ", ", ", ");
        begin(p, TM_SEQUENCE, d, &q, &s);
        seq_diff(&s, x[0], x[1]);
        if (d <= 2) {
            set_form(p, "next");
            tm_text_add(&q, TM_PICK(r, NEXT), list);
            tm_text_add(&s, "The next number is %lld %c %lld = %lld. ", x[3], df < 0 ? '-' : '+', llabs(df), last);
        } else {
            set_form(p, "nth");
            tm_text_add(&q, TM_PICK(r, NTH), n, list);
            tm_text_add(&s, "Term %lld is %lld %c %lld * %lld = %lld %c %lld = %lld. ", n, a1, df < 0 ? '-' : '+',
                        n - 1, llabs(df), a1, df < 0 ? '-' : '+', (n - 1) * llabs(df), last);
        }
        return tm_finish(p, &s, &q, tm_frac_make(last, 1), err);
    }
    return 1;
}

const tm_family_fn tm_family_fns[TM_NFAMILIES] = {
    fam_arith, fam_linear, fam_fraction, fam_remainder, fam_gcd,
    fam_lcm,   fam_percent, fam_word,    fam_average,   fam_sequence,
};
