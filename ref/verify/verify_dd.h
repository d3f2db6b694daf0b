/* verify_dd.h — double-double numbers with a wide binary exponent, and complex numbers over
 * them: the numeric engine of the verifier's value comparison (spec/verifier.md §6.4 rules 2-3).
 *
 * Three layers:
 *   vdd  a double-double: hi + lo with |lo| <= ulp(hi)/2, about 106 bits of mantissa. Built on
 *        the error-free transformations two_sum (Knuth) and two_prod (via fma). Kernels
 *        (exp, log, sin/cos, atan2, sqrt) work for arguments in the ordinary double range.
 *   vwd  a "wide" number m * 2^e with m a vdd normalized so that |m.hi| is in [0.5, 1) and e an
 *        int64. It cannot overflow or underflow for anything the verifier meets (1/2006! is
 *        about 2^-19000); results beyond 2^(+-2^60) become the classes OVER / UNDER, and
 *        undefined results (log of 0, sin of 2^100) the class NAN. A value of any class other
 *        than OK is "not finite" and is never EQUAL to anything (§6.4 rule 2).
 *   vcx  a complex number re + i*im of two vwd; functions use principal branches.
 *
 * The "plain double" evaluation that §6.4 compares against is obtained by rounding every
 * intermediate result to a 53-bit mantissa (vwd_round53 / vcx_round53): that is what a double
 * evaluation computes, but with the wide exponent, so that only lost precision (cancellation),
 * not the range of double, makes the two evaluations disagree.
 *
 * Everything is a pure function of its arguments (no global mutable state). */
#ifndef SVS_VERIFY_DD_H
#define SVS_VERIFY_DD_H

#include <stdint.h>

/* ---------------------------------------------------------------------------------------- */
/* double-double                                                                             */

typedef struct vdd {
    double hi, lo;
} vdd;

extern const vdd DD_PI;    /* pi to ~106 bits */
extern const vdd DD_PI_2;  /* pi/2 */
extern const vdd DD_E;     /* Euler's number */
extern const vdd DD_LN2;   /* log(2) */

vdd dd_from(double a);
vdd dd_add(vdd a, vdd b);
vdd dd_sub(vdd a, vdd b);
vdd dd_mul(vdd a, vdd b);
vdd dd_mul_d(vdd a, double b);
vdd dd_div(vdd a, vdd b);
vdd dd_neg(vdd a);
vdd dd_ldexp(vdd a, int k);
vdd dd_sqrt(vdd a);                    /* a >= 0 */
vdd dd_exp(vdd a);                     /* |a| <= ~700 */
vdd dd_log(vdd a);                     /* a > 0 */
void dd_sincos(vdd a, vdd *s, vdd *c); /* |a| <= 2^40 */
vdd dd_atan2(vdd y, vdd x);            /* principal value in (-pi, pi] */
vdd dd_floor(vdd a);

/* ---------------------------------------------------------------------------------------- */
/* wide-exponent double-double                                                               */

enum { VWD_OK = 0, VWD_OVER = 1, VWD_UNDER = 2, VWD_NAN = 3 };

#define VWD_EMAX (1LL << 60) /* |e| beyond this: OVER / UNDER */

typedef struct vwd {
    vdd m;     /* mantissa, |m.hi| in [0.5, 1), or 0 (then e = 0) */
    int64_t e; /* binary exponent: value = m * 2^e */
    int cls;   /* VWD_OK, or why the value is not a finite number */
} vwd;

vwd vwd_zero(void);
vwd vwd_bad(int cls);
vwd vwd_from_double(double a);
vwd vwd_from_dd(vdd a);
vwd vwd_from_i64(int64_t a);
vwd vwd_make(vdd m, int64_t e);       /* normalizes m * 2^e */
int vwd_ok(vwd a);
int vwd_is_zero(vwd a);
int vwd_sign(vwd a);                  /* -1, 0, +1 (0 for a non-finite value) */
vwd vwd_neg(vwd a);
vwd vwd_abs(vwd a);
vwd vwd_add(vwd a, vwd b);
vwd vwd_sub(vwd a, vwd b);
vwd vwd_mul(vwd a, vwd b);
vwd vwd_div(vwd a, vwd b);
vwd vwd_ldexp(vwd a, int64_t k);
vwd vwd_mul_d(vwd a, double b);
int vwd_cmp(vwd a, vwd b);            /* both OK: -1, 0, +1 */
int vwd_cmp_abs(vwd a, vwd b);        /* compares |a| and |b| */
vwd vwd_max_abs(vwd a, vwd b);        /* max(|a|, |b|) */
double vwd_to_double(vwd a);          /* may give +-inf or 0 outside the double range */
int vwd_to_dd(vwd a, vdd *out);       /* 0 when |a| is outside [2^-900, 2^900] (and != 0) */
int vwd_is_int(vwd a, int64_t *n);    /* exact integer with |n| < 2^62 */
vwd vwd_round53(vwd a);               /* rounds the mantissa to one double */
vwd vwd_floor(vwd a);

vwd vwd_sqrt(vwd a);                  /* a >= 0, else NAN */
vwd vwd_exp(vwd a);
vwd vwd_log(vwd a);                   /* a > 0, else NAN */
vwd vwd_powi(vwd a, int64_t n);       /* binary powering */
vwd vwd_sin(vwd a);
vwd vwd_cos(vwd a);
vwd vwd_atan2(vwd y, vwd x);
vwd vwd_pi(void);

/* ---------------------------------------------------------------------------------------- */
/* complex over vwd (principal branches)                                                     */

typedef struct vcx {
    vwd re, im;
} vcx;

vcx vcx_make(vwd re, vwd im);
vcx vcx_real(vwd re);
vcx vcx_from_double(double re);
vcx vcx_bad(int cls);
int vcx_ok(vcx z);
int vcx_is_real(vcx z);               /* im == 0 exactly */
int vcx_is_zero(vcx z);
vwd vcx_norm(vcx z);                  /* max(|re|, |im|): the magnitude used for tolerances */
vwd vcx_abs(vcx z);                   /* sqrt(re^2 + im^2) */
vcx vcx_neg(vcx a);
vcx vcx_add(vcx a, vcx b);
vcx vcx_sub(vcx a, vcx b);
vcx vcx_mul(vcx a, vcx b);
vcx vcx_div(vcx a, vcx b);
vcx vcx_round53(vcx a);
vcx vcx_sqrt(vcx z);
vcx vcx_exp(vcx z);
vcx vcx_log(vcx z);
vcx vcx_powi(vcx z, int64_t n);
vcx vcx_pow(vcx z, vcx w);
vcx vcx_sin(vcx z);
vcx vcx_cos(vcx z);
vcx vcx_tan(vcx z);
vcx vcx_sinh(vcx z);
vcx vcx_cosh(vcx z);
vcx vcx_tanh(vcx z);
vcx vcx_asin(vcx z);
vcx vcx_acos(vcx z);
vcx vcx_atan(vcx z);

/* |a - b| <= tol * max(|a|, |b|, floor) in the vcx_norm magnitude; 0 when either is not OK. */
int vcx_close(vcx a, vcx b, double tol, vwd floor);

#endif
