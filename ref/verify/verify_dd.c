/* verify_dd.c — double-double arithmetic (~106-bit mantissa) with a 64-bit binary exponent, and
 * complex numbers over it, for the numeric steps of the value comparison (spec/verifier.md §6.4
 * rules 2 and 3). See verify_dd.h for the three layers (vdd, vwd, vcx).
 *
 * Sources of the algorithms:
 *   two_sum            Knuth, TAOCP vol. 2, §4.2.2 (error-free sum, any magnitudes)
 *   quick_two_sum      Dekker 1971 (error-free sum when |a| >= |b|)
 *   two_prod           exact product error via fma (IEEE 754-2008 fused multiply-add)
 *   dd add/mul/div/sqrt  Hida, Li, Bailey, "QD library" (2001), the "accurate" variants
 *   exp                argument reduction x = k ln2 + r, r/1024, Taylor, 10 doublings of expm1
 *   log                one Newton step y += x e^-y - 1 from the double log (QD)
 *   sin/cos            reduction modulo pi/2 in double-double, Taylor series on |r| <= pi/4
 *   atan2              one Newton-like correction theta += (y cos t - x sin t)/(x cos t + y sin t)
 *                      from the double atan2 (doubles the number of correct bits)
 * The file is compiled with -ffp-contract=off: the compiler must not fuse a*b+c on its own, or
 * the error-free transformations stop being exact. fma() is called explicitly where intended. */
#include "verify_dd.h"

#include <math.h>

/* Constants rounded to double-double (hi = double nearest, lo = double nearest the rest),
 * computed with mpmath at 300 bits. */
const vdd DD_PI = {3.141592653589793, 1.2246467991473532e-16};
const vdd DD_PI_2 = {1.5707963267948966, 6.123233995736766e-17};
const vdd DD_E = {2.718281828459045, 1.4456468917292502e-16};
const vdd DD_LN2 = {0.6931471805599453, 2.3190468138462996e-17};

/* ---------------------------------------------------------------------------------------- */
/* error-free transformations                                                                */

/* Knuth two_sum: s + e == a + b exactly. */
static vdd two_sum(double a, double b) {
    double s = a + b;
    double bb = s - a;
    double e = (a - (s - bb)) + (b - bb);
    return (vdd){s, e};
}

/* Dekker quick_two_sum: requires |a| >= |b| (or a == 0). */
static vdd quick_two_sum(double a, double b) {
    double s = a + b;
    return (vdd){s, b - (s - a)};
}

/* p + e == a * b exactly (fma computes a*b - p with one rounding, which is exact here). */
static vdd two_prod(double a, double b) {
    double p = a * b;
    return (vdd){p, fma(a, b, -p)};
}

/* ---------------------------------------------------------------------------------------- */
/* double-double arithmetic                                                                  */

vdd dd_from(double a) { return (vdd){a, 0.0}; }
vdd dd_neg(vdd a) { return (vdd){-a.hi, -a.lo}; }
vdd dd_ldexp(vdd a, int k) { return (vdd){ldexp(a.hi, k), ldexp(a.lo, k)}; }

/* QD "ieee_add": both halves summed with two_sum, then renormalized. */
vdd dd_add(vdd a, vdd b) {
    vdd s = two_sum(a.hi, b.hi);
    vdd t = two_sum(a.lo, b.lo);
    s.lo += t.hi;
    s = quick_two_sum(s.hi, s.lo);
    s.lo += t.lo;
    return quick_two_sum(s.hi, s.lo);
}

vdd dd_sub(vdd a, vdd b) { return dd_add(a, dd_neg(b)); }

/* (ah + al)(bh + bl) = ah*bh (exact via two_prod) + ah*bl + al*bh (al*bl is below precision). */
vdd dd_mul(vdd a, vdd b) {
    vdd p = two_prod(a.hi, b.hi);
    p.lo += a.hi * b.lo + a.lo * b.hi;
    return quick_two_sum(p.hi, p.lo);
}

vdd dd_mul_d(vdd a, double b) {
    vdd p = two_prod(a.hi, b);
    p.lo += a.lo * b;
    return quick_two_sum(p.hi, p.lo);
}

/* QD accurate division: three quotient digits q1 + q2 + q3, each from the running remainder. */
vdd dd_div(vdd a, vdd b) {
    double q1 = a.hi / b.hi;
    vdd r = dd_sub(a, dd_mul_d(b, q1));
    double q2 = r.hi / b.hi;
    r = dd_sub(r, dd_mul_d(b, q2));
    double q3 = r.hi / b.hi;
    return dd_add(quick_two_sum(q1, q2), dd_from(q3));
}

/* Karp's trick (QD): x = 1/sqrt(a.hi), sqrt(a) ~ a*x + (a - (a*x)^2) * x / 2. */
vdd dd_sqrt(vdd a) {
    if (a.hi <= 0.0) return dd_from(0.0);
    double x = 1.0 / sqrt(a.hi);
    vdd ax = dd_from(a.hi * x);
    vdd diff = dd_sub(a, dd_mul(ax, ax));
    return dd_add(ax, dd_from(diff.hi * x * 0.5));
}

vdd dd_floor(vdd a) {
    double hi = floor(a.hi), lo = 0.0;
    if (hi == a.hi) lo = floor(a.lo); /* hi already integral: the fraction is in lo */
    return quick_two_sum(hi, lo);
}

/* e^r - 1 for |r| <= ~0.35: r/1024, Taylor series of expm1, then 10 doublings
 * expm1(2s) = 2 expm1(s) + expm1(s)^2, which keep the relative precision of the small value. */
static vdd dd_expm1_reduced(vdd r) {
    vdd s = dd_ldexp(r, -10);
    vdd sum = s, term = s;
    for (int k = 2; k < 30; k++) {
        term = dd_div(dd_mul(term, s), dd_from((double)k));
        sum = dd_add(sum, term);
        if (fabs(term.hi) <= 1e-36 * fabs(sum.hi)) break;
    }
    for (int i = 0; i < 10; i++) sum = dd_add(dd_ldexp(sum, 1), dd_mul(sum, sum));
    return sum;
}

/* Splits x = k*ln2 + r with |r| <= ln2/2; returns k (as a double) and r. */
static double exp_reduce(vdd x, vdd *r) {
    double k = nearbyint(x.hi / DD_LN2.hi);
    *r = dd_sub(x, dd_mul_d(DD_LN2, k));
    return k;
}

vdd dd_exp(vdd a) {
    vdd r;
    double k = exp_reduce(a, &r);
    vdd m = dd_add(dd_from(1.0), dd_expm1_reduced(r));
    return dd_ldexp(m, (int)k);
}

/* Newton for y = log(a): y1 = y0 + a*exp(-y0) - 1 (QD), from the double logarithm. */
vdd dd_log(vdd a) {
    vdd y = dd_from(log(a.hi));
    vdd t = dd_mul(a, dd_exp(dd_neg(y)));
    return dd_sub(dd_add(y, t), dd_from(1.0));
}

/* Taylor series of sin and cos for |r| <= pi/4 (terms fall below 1e-36 relative by k ~ 14). */
static void sincos_taylor(vdd r, vdd *s, vdd *c) {
    vdd r2 = dd_mul(r, r);
    vdd ts = r, ss = r, tc = dd_from(1.0), sc = dd_from(1.0);
    for (int k = 1; k < 40; k++) {
        double d2k = 2.0 * k;
        ts = dd_div(dd_mul(ts, dd_neg(r2)), dd_from(d2k * (d2k + 1.0)));
        tc = dd_div(dd_mul(tc, dd_neg(r2)), dd_from((d2k - 1.0) * d2k));
        ss = dd_add(ss, ts);
        sc = dd_add(sc, tc);
        if (fabs(ts.hi) <= 1e-36 && fabs(tc.hi) <= 1e-36) break;
    }
    *s = ss;
    *c = sc;
}

/* a = j*pi/2 + r, then rotate (sin r, cos r) by the quadrant j mod 4. */
void dd_sincos(vdd a, vdd *s, vdd *c) {
    double j = nearbyint(a.hi / DD_PI_2.hi);
    vdd r = dd_sub(a, dd_mul_d(DD_PI_2, j));
    vdd sr, cr;
    sincos_taylor(r, &sr, &cr);
    long q = (long)fmod(j, 4.0);
    if (q < 0) q += 4;
    switch (q) {
    case 0: *s = sr; *c = cr; break;
    case 1: *s = cr; *c = dd_neg(sr); break;
    case 2: *s = dd_neg(sr); *c = dd_neg(cr); break;
    default: *s = dd_neg(cr); *c = sr; break;
    }
}

/* t0 = atan2 in double; with (s, c) = (sin t0, cos t0), tan(theta - t0) =
 * (y c - x s) / (x c + y s), and atan(d) = d + O(d^3) with d ~ 1e-16, so one step suffices. */
vdd dd_atan2(vdd y, vdd x) {
    if (y.hi == 0.0 && x.hi == 0.0) return dd_from(0.0);
    double t0 = atan2(y.hi, x.hi);
    vdd s, c;
    dd_sincos(dd_from(t0), &s, &c);
    vdd num = dd_sub(dd_mul(y, c), dd_mul(x, s));
    vdd den = dd_add(dd_mul(x, c), dd_mul(y, s));
    return dd_add(dd_from(t0), dd_div(num, den));
}

/* ---------------------------------------------------------------------------------------- */
/* wide exponent                                                                             */

vwd vwd_zero(void) { return (vwd){{0.0, 0.0}, 0, VWD_OK}; }
vwd vwd_bad(int cls) { return (vwd){{NAN, 0.0}, 0, cls}; }
int vwd_ok(vwd a) { return a.cls == VWD_OK; }
int vwd_is_zero(vwd a) { return a.cls == VWD_OK && a.m.hi == 0.0; }

/* m * 2^e with |m.hi| moved into [0.5, 1) by frexp (exact: scaling by a power of two). */
vwd vwd_make(vdd m, int64_t e) {
    if (!isfinite(m.hi) || !isfinite(m.lo)) return vwd_bad(VWD_NAN);
    if (m.hi == 0.0) return vwd_zero();
    int k;
    frexp(m.hi, &k);
    vwd r = {dd_ldexp(m, -k), e + k, VWD_OK};
    if (r.e > VWD_EMAX) return vwd_bad(VWD_OVER);
    if (r.e < -VWD_EMAX) return vwd_bad(VWD_UNDER);
    return r;
}

vwd vwd_from_dd(vdd a) { return vwd_make(a, 0); }
vwd vwd_from_double(double a) { return vwd_make(dd_from(a), 0); }

/* int64 values above 2^53 need both halves: hi = nearest double, lo = the exact rest. */
vwd vwd_from_i64(int64_t a) {
    double hi = (double)a;
    double lo = (double)(a - (int64_t)hi); /* |a - hi| <= 2^10: exact */
    if (hi >= 9.2e18 || hi <= -9.2e18) lo = 0.0; /* (int64_t)hi would overflow near 2^63 */
    return vwd_make(quick_two_sum(hi, lo), 0);
}

int vwd_sign(vwd a) {
    if (a.cls != VWD_OK) return 0;
    return (a.m.hi > 0) - (a.m.hi < 0);
}

vwd vwd_neg(vwd a) {
    a.m = dd_neg(a.m);
    return a;
}

vwd vwd_abs(vwd a) { return (a.cls == VWD_OK && a.m.hi < 0) ? vwd_neg(a) : a; }

static int bad_of(vwd a, vwd b) { return a.cls != VWD_OK ? a.cls : b.cls; }

/* Aligns the smaller operand to the larger exponent. A difference of more than 120 binary
 * places puts the smaller one entirely below the 106-bit mantissa. */
vwd vwd_add(vwd a, vwd b) {
    if (a.cls != VWD_OK || b.cls != VWD_OK) return vwd_bad(bad_of(a, b));
    if (a.m.hi == 0.0) return b;
    if (b.m.hi == 0.0) return a;
    int64_t d = a.e - b.e;
    if (d > 120) return a;
    if (d < -120) return b;
    if (d >= 0) return vwd_make(dd_add(a.m, dd_ldexp(b.m, (int)-d)), a.e);
    return vwd_make(dd_add(dd_ldexp(a.m, (int)d), b.m), b.e);
}

vwd vwd_sub(vwd a, vwd b) { return vwd_add(a, vwd_neg(b)); }

vwd vwd_mul(vwd a, vwd b) {
    if (a.cls != VWD_OK || b.cls != VWD_OK) return vwd_bad(bad_of(a, b));
    return vwd_make(dd_mul(a.m, b.m), a.e + b.e);
}

vwd vwd_div(vwd a, vwd b) {
    if (a.cls != VWD_OK || b.cls != VWD_OK) return vwd_bad(bad_of(a, b));
    if (b.m.hi == 0.0) return vwd_bad(VWD_NAN);
    return vwd_make(dd_div(a.m, b.m), a.e - b.e);
}

vwd vwd_ldexp(vwd a, int64_t k) {
    if (a.cls != VWD_OK || a.m.hi == 0.0) return a;
    return vwd_make(a.m, a.e + k);
}

vwd vwd_mul_d(vwd a, double b) { return vwd_mul(a, vwd_from_double(b)); }

int vwd_cmp(vwd a, vwd b) { return vwd_sign(vwd_sub(a, b)); }
int vwd_cmp_abs(vwd a, vwd b) { return vwd_cmp(vwd_abs(a), vwd_abs(b)); }

vwd vwd_max_abs(vwd a, vwd b) {
    a = vwd_abs(a);
    b = vwd_abs(b);
    return vwd_cmp(a, b) >= 0 ? a : b;
}

double vwd_to_double(vwd a) {
    if (a.cls == VWD_OVER) return a.m.hi < 0 ? -INFINITY : INFINITY;
    if (a.cls == VWD_UNDER) return 0.0;
    if (a.cls != VWD_OK) return NAN;
    int64_t e = a.e > 4000 ? 4000 : a.e < -4000 ? -4000 : a.e;
    return ldexp(a.m.hi + a.m.lo, (int)e);
}

int vwd_to_dd(vwd a, vdd *out) {
    if (a.cls != VWD_OK) return 0;
    if (a.m.hi == 0.0) {
        *out = dd_from(0.0);
        return 1;
    }
    if (a.e > 900 || a.e < -900) return 0;
    *out = dd_ldexp(a.m, (int)a.e);
    return 1;
}

int vwd_is_int(vwd a, int64_t *n) {
    if (a.cls != VWD_OK) return 0;
    if (a.m.hi == 0.0) {
        *n = 0;
        return 1;
    }
    if (a.e <= 0 || a.e > 62) return 0; /* |a| < 1 (nonzero), or too large */
    vdd d = dd_ldexp(a.m, (int)a.e);
    if (floor(d.hi) != d.hi || floor(d.lo) != d.lo) return 0;
    *n = (int64_t)d.hi + (int64_t)d.lo;
    return 1;
}

vwd vwd_round53(vwd a) {
    if (a.cls != VWD_OK) return a;
    return vwd_make(dd_from(a.m.hi + a.m.lo), a.e);
}

vwd vwd_floor(vwd a) {
    if (a.cls != VWD_OK || a.m.hi == 0.0 || a.e > 110) return a; /* e > 110: already integral */
    if (a.e <= 0) return vwd_from_double(a.m.hi < 0 ? -1.0 : 0.0);
    return vwd_make(dd_floor(dd_ldexp(a.m, (int)a.e)), 0);
}

/* sqrt(m 2^e) = sqrt(m') 2^(e'/2) with e' even. */
vwd vwd_sqrt(vwd a) {
    if (a.cls != VWD_OK) return a;
    if (a.m.hi == 0.0) return a;
    if (a.m.hi < 0) return vwd_bad(VWD_NAN);
    vdd m = a.m;
    int64_t e = a.e;
    if (e & 1) {
        m = dd_ldexp(m, 1);
        e -= 1;
    }
    return vwd_make(dd_sqrt(m), e / 2);
}

/* exp(x) = exp(r) 2^k with x = k ln2 + r: the wide exponent absorbs k, so e^-50000 is fine. */
vwd vwd_exp(vwd a) {
    if (a.cls != VWD_OK) return a;
    if (a.m.hi == 0.0) return vwd_from_double(1.0);
    if (a.e > 62) return vwd_bad(a.m.hi > 0 ? VWD_OVER : VWD_UNDER);
    if (a.e < -900) return vwd_add(vwd_from_double(1.0), a); /* e^x = 1 + x to 2^-1800 */
    vdd x = dd_ldexp(a.m, (int)a.e);
    vdd r;
    double k = exp_reduce(x, &r);
    if (fabs(k) > (double)VWD_EMAX) return vwd_bad(k > 0 ? VWD_OVER : VWD_UNDER);
    return vwd_make(dd_add(dd_from(1.0), dd_expm1_reduced(r)), (int64_t)k);
}

/* log(m 2^e) = log(m) + e log 2, m in [0.5, 1). */
vwd vwd_log(vwd a) {
    if (a.cls != VWD_OK) return a;
    if (a.m.hi <= 0.0) return vwd_bad(VWD_NAN);
    vdd l = dd_add(dd_log(a.m), dd_mul_d(DD_LN2, (double)a.e));
    return vwd_from_dd(l);
}

vwd vwd_powi(vwd a, int64_t n) {
    vwd r = vwd_from_double(1.0), b = a;
    uint64_t u = n < 0 ? (uint64_t)0 - (uint64_t)n : (uint64_t)n;
    while (u && r.cls == VWD_OK) {
        if (u & 1) r = vwd_mul(r, b);
        u >>= 1;
        if (u) b = vwd_mul(b, b);
    }
    return n < 0 ? vwd_div(vwd_from_double(1.0), r) : r;
}

/* |x| > 2^40: reduction modulo pi/2 would keep fewer than ~60 correct bits: refuse (NAN). */
vwd vwd_sin(vwd a) {
    if (a.cls != VWD_OK || a.m.hi == 0.0) return a;
    if (a.e > 40) return vwd_bad(VWD_NAN);
    if (a.e < -300) return a; /* sin x = x (1 - x^2/6 ...), x^2 < 2^-600 */
    vdd s, c;
    dd_sincos(dd_ldexp(a.m, (int)a.e), &s, &c);
    return vwd_from_dd(s);
}

vwd vwd_cos(vwd a) {
    if (a.cls != VWD_OK) return a;
    if (a.m.hi == 0.0 || a.e < -300) return vwd_from_double(1.0);
    if (a.e > 40) return vwd_bad(VWD_NAN);
    vdd s, c;
    dd_sincos(dd_ldexp(a.m, (int)a.e), &s, &c);
    return vwd_from_dd(c);
}

/* Both arguments scaled by the same power of two (atan2 is invariant); a part that is 900
 * binary places below the other counts as 0. */
vwd vwd_atan2(vwd y, vwd x) {
    if (y.cls != VWD_OK || x.cls != VWD_OK) return vwd_bad(bad_of(y, x));
    if (y.m.hi == 0.0 && x.m.hi == 0.0) return vwd_zero();
    int64_t k = y.m.hi == 0.0 ? x.e : x.m.hi == 0.0 ? y.e : (y.e > x.e ? y.e : x.e);
    vdd yd = dd_from(0.0), xd = dd_from(0.0);
    if (y.m.hi != 0.0 && y.e - k > -900) yd = dd_ldexp(y.m, (int)(y.e - k));
    if (x.m.hi != 0.0 && x.e - k > -900) xd = dd_ldexp(x.m, (int)(x.e - k));
    if (yd.hi == 0.0 && xd.hi == 0.0) return vwd_zero();
    if (yd.hi == 0.0) return xd.hi > 0 ? vwd_zero() : vwd_from_dd(DD_PI);
    return vwd_from_dd(dd_atan2(yd, xd));
}

vwd vwd_pi(void) { return vwd_from_dd(DD_PI); }

/* ---------------------------------------------------------------------------------------- */
/* real helpers built on the wide layer                                                      */

static vwd w_one(void) { return vwd_from_double(1.0); }
static vwd w_half(vwd a) { return vwd_ldexp(a, -1); }

/* sinh x = (e^x - e^-x)/2 for |x| >= 1; below, its Taylor series x + x^3/3! + ... (the
 * difference of exponentials would cancel). */
static vwd w_sinh(vwd x) {
    if (x.cls != VWD_OK || x.m.hi == 0.0 || x.e < -300) return x; /* sinh x = x to 2^-600 */
    if (x.e > 0) {
        vwd ex = vwd_exp(x);
        return w_half(vwd_sub(ex, vwd_div(w_one(), ex)));
    }
    vwd x2 = vwd_mul(x, x), term = x, sum = x;
    for (int k = 1; k < 30; k++) {
        term = vwd_div(vwd_mul(term, x2), vwd_from_double((2.0 * k) * (2.0 * k + 1.0)));
        sum = vwd_add(sum, term);
        if (term.e < sum.e - 120) break;
    }
    return sum;
}

static vwd w_cosh(vwd x) {
    vwd ex = vwd_exp(x);
    return w_half(vwd_add(ex, vwd_div(w_one(), ex)));
}

/* ---------------------------------------------------------------------------------------- */
/* complex                                                                                   */

vcx vcx_make(vwd re, vwd im) { return (vcx){re, im}; }
vcx vcx_real(vwd re) { return (vcx){re, vwd_zero()}; }
vcx vcx_from_double(double re) { return vcx_real(vwd_from_double(re)); }
vcx vcx_bad(int cls) { return (vcx){vwd_bad(cls), vwd_zero()}; }
int vcx_ok(vcx z) { return z.re.cls == VWD_OK && z.im.cls == VWD_OK; }
int vcx_is_real(vcx z) { return vcx_ok(z) && z.im.m.hi == 0.0; }
int vcx_is_zero(vcx z) { return vcx_ok(z) && z.re.m.hi == 0.0 && z.im.m.hi == 0.0; }

vwd vcx_norm(vcx z) {
    if (!vcx_ok(z)) return vwd_bad(bad_of(z.re, z.im));
    return vwd_max_abs(z.re, z.im);
}

vwd vcx_abs(vcx z) {
    if (vcx_is_real(z)) return vwd_abs(z.re);
    if (!vcx_ok(z)) return vwd_bad(bad_of(z.re, z.im));
    return vwd_sqrt(vwd_add(vwd_mul(z.re, z.re), vwd_mul(z.im, z.im)));
}

vcx vcx_neg(vcx a) { return (vcx){vwd_neg(a.re), vwd_neg(a.im)}; }
vcx vcx_add(vcx a, vcx b) { return (vcx){vwd_add(a.re, b.re), vwd_add(a.im, b.im)}; }
vcx vcx_sub(vcx a, vcx b) { return (vcx){vwd_sub(a.re, b.re), vwd_sub(a.im, b.im)}; }

vcx vcx_mul(vcx a, vcx b) {
    if (vcx_is_real(a) && vcx_is_real(b)) return vcx_real(vwd_mul(a.re, b.re));
    vwd re = vwd_sub(vwd_mul(a.re, b.re), vwd_mul(a.im, b.im));
    vwd im = vwd_add(vwd_mul(a.re, b.im), vwd_mul(a.im, b.re));
    return (vcx){re, im};
}

/* (a + bi)/(c + di) = ((ac + bd) + (bc - ad) i) / (c^2 + d^2): no overflow with wide exponents. */
vcx vcx_div(vcx a, vcx b) {
    if (!vcx_ok(a) || !vcx_ok(b)) return vcx_bad(VWD_NAN);
    if (vcx_is_zero(b)) return vcx_bad(VWD_NAN);
    if (vcx_is_real(b)) return (vcx){vwd_div(a.re, b.re), vwd_div(a.im, b.re)};
    vwd den = vwd_add(vwd_mul(b.re, b.re), vwd_mul(b.im, b.im));
    vwd re = vwd_add(vwd_mul(a.re, b.re), vwd_mul(a.im, b.im));
    vwd im = vwd_sub(vwd_mul(a.im, b.re), vwd_mul(a.re, b.im));
    return (vcx){vwd_div(re, den), vwd_div(im, den)};
}

vcx vcx_round53(vcx a) { return (vcx){vwd_round53(a.re), vwd_round53(a.im)}; }

/* Principal square root: t = sqrt((|z| + |re|)/2); re >= 0: t + i im/(2t), else
 * |im|/(2t) + i sign(im) t (Kahan, "Branch cuts for complex elementary functions", 1987). */
vcx vcx_sqrt(vcx z) {
    if (!vcx_ok(z)) return z;
    if (vcx_is_real(z)) {
        if (vwd_sign(z.re) >= 0) return vcx_real(vwd_sqrt(z.re));
        return (vcx){vwd_zero(), vwd_sqrt(vwd_neg(z.re))};
    }
    vwd t = vwd_sqrt(w_half(vwd_add(vcx_abs(z), vwd_abs(z.re))));
    vwd u = vwd_div(z.im, vwd_ldexp(t, 1));
    if (vwd_sign(z.re) >= 0) return (vcx){t, u};
    return (vcx){vwd_abs(u), vwd_sign(z.im) < 0 ? vwd_neg(t) : t};
}

vcx vcx_exp(vcx z) {
    if (!vcx_ok(z)) return z;
    if (vcx_is_real(z)) return vcx_real(vwd_exp(z.re));
    vwd r = vwd_exp(z.re);
    return (vcx){vwd_mul(r, vwd_cos(z.im)), vwd_mul(r, vwd_sin(z.im))};
}

/* Principal logarithm: log|z| + i arg z, arg in (-pi, pi]; log 0 is undefined (NAN). */
vcx vcx_log(vcx z) {
    if (!vcx_ok(z)) return z;
    if (vcx_is_zero(z)) return vcx_bad(VWD_NAN);
    if (vcx_is_real(z)) {
        if (vwd_sign(z.re) > 0) return vcx_real(vwd_log(z.re));
        return (vcx){vwd_log(vwd_neg(z.re)), vwd_pi()};
    }
    return (vcx){vwd_log(vcx_abs(z)), vwd_atan2(z.im, z.re)};
}

vcx vcx_powi(vcx z, int64_t n) {
    vcx r = vcx_from_double(1.0), b = z;
    uint64_t u = n < 0 ? (uint64_t)0 - (uint64_t)n : (uint64_t)n;
    while (u && vcx_ok(r)) {
        if (u & 1) r = vcx_mul(r, b);
        u >>= 1;
        if (u) b = vcx_mul(b, b);
    }
    return n < 0 ? vcx_div(vcx_from_double(1.0), r) : r;
}

/* z^w = exp(w log z) (principal branch); integer w by repeated squaring (exact sign for
 * negative bases); 0^w = 0 for Re w > 0, undefined otherwise. */
vcx vcx_pow(vcx z, vcx w) {
    if (!vcx_ok(z) || !vcx_ok(w)) return vcx_bad(VWD_NAN);
    int64_t n;
    if (vcx_is_real(w) && vwd_is_int(w.re, &n)) return vcx_powi(z, n);
    if (vcx_is_zero(z)) return vwd_sign(w.re) > 0 ? vcx_real(vwd_zero()) : vcx_bad(VWD_NAN);
    if (vcx_is_real(z) && vcx_is_real(w) && vwd_sign(z.re) > 0)
        return vcx_real(vwd_exp(vwd_mul(w.re, vwd_log(z.re))));
    return vcx_exp(vcx_mul(w, vcx_log(z)));
}

/* sin(a + bi) = sin a cosh b + i cos a sinh b; cos(a + bi) = cos a cosh b - i sin a sinh b. */
vcx vcx_sin(vcx z) {
    if (!vcx_ok(z)) return z;
    if (vcx_is_real(z)) return vcx_real(vwd_sin(z.re));
    return (vcx){vwd_mul(vwd_sin(z.re), w_cosh(z.im)), vwd_mul(vwd_cos(z.re), w_sinh(z.im))};
}

vcx vcx_cos(vcx z) {
    if (!vcx_ok(z)) return z;
    if (vcx_is_real(z)) return vcx_real(vwd_cos(z.re));
    return (vcx){vwd_mul(vwd_cos(z.re), w_cosh(z.im)),
                 vwd_neg(vwd_mul(vwd_sin(z.re), w_sinh(z.im)))};
}

vcx vcx_tan(vcx z) { return vcx_div(vcx_sin(z), vcx_cos(z)); }

/* sinh(a + bi) = sinh a cos b + i cosh a sin b; cosh(a + bi) = cosh a cos b + i sinh a sin b. */
vcx vcx_sinh(vcx z) {
    if (!vcx_ok(z)) return z;
    if (vcx_is_real(z)) return vcx_real(w_sinh(z.re));
    return (vcx){vwd_mul(w_sinh(z.re), vwd_cos(z.im)), vwd_mul(w_cosh(z.re), vwd_sin(z.im))};
}

vcx vcx_cosh(vcx z) {
    if (!vcx_ok(z)) return z;
    if (vcx_is_real(z)) return vcx_real(w_cosh(z.re));
    return (vcx){vwd_mul(w_cosh(z.re), vwd_cos(z.im)), vwd_mul(w_sinh(z.re), vwd_sin(z.im))};
}

vcx vcx_tanh(vcx z) { return vcx_div(vcx_sinh(z), vcx_cosh(z)); }

static vcx cx_i(void) { return (vcx){vwd_zero(), w_one()}; }

/* (1 - x)(1 + x) keeps the precision of 1 - x^2 near |x| = 1. */
static vwd one_minus_sq(vwd x) { return vwd_mul(vwd_sub(w_one(), x), vwd_add(w_one(), x)); }

/* Real |x| <= 1: atan2(x, sqrt(1 - x^2)); otherwise asin z = -i log(iz + sqrt(1 - z^2)). */
vcx vcx_asin(vcx z) {
    if (!vcx_ok(z)) return z;
    if (vcx_is_real(z) && vwd_cmp_abs(z.re, w_one()) <= 0)
        return vcx_real(vwd_atan2(z.re, vwd_sqrt(one_minus_sq(z.re))));
    vcx s = vcx_sqrt(vcx_sub(vcx_from_double(1.0), vcx_mul(z, z)));
    vcx l = vcx_log(vcx_add(vcx_mul(cx_i(), z), s));
    return vcx_mul(vcx_neg(cx_i()), l);
}

/* acos z = pi/2 - asin z (real |x| <= 1: atan2(sqrt(1 - x^2), x)). */
vcx vcx_acos(vcx z) {
    if (!vcx_ok(z)) return z;
    if (vcx_is_real(z) && vwd_cmp_abs(z.re, w_one()) <= 0)
        return vcx_real(vwd_atan2(vwd_sqrt(one_minus_sq(z.re)), z.re));
    return vcx_sub(vcx_real(vwd_from_dd(DD_PI_2)), vcx_asin(z));
}

/* Real: atan2(x, 1); complex: atan z = (i/2) log((i + z)/(i - z)). */
vcx vcx_atan(vcx z) {
    if (!vcx_ok(z)) return z;
    if (vcx_is_real(z)) return vcx_real(vwd_atan2(z.re, w_one()));
    vcx q = vcx_div(vcx_add(cx_i(), z), vcx_sub(cx_i(), z));
    vcx l = vcx_log(q);
    return vcx_mul((vcx){vwd_zero(), vwd_from_double(0.5)}, l);
}

int vcx_close(vcx a, vcx b, double tol, vwd floor) {
    if (!vcx_ok(a) || !vcx_ok(b)) return 0;
    vwd d = vcx_norm(vcx_sub(a, b));
    vwd m = vwd_max_abs(vwd_max_abs(vcx_norm(a), vcx_norm(b)), floor);
    return vwd_cmp(d, vwd_mul_d(m, tol)) <= 0;
}
