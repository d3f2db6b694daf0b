/* verify_eval.c — value comparison of two expression trees (spec/verifier.md §6.4), in order:
 *
 *   rule 1  exact big-rational evaluation of constant trees built from integers, decimals,
 *           + - * /, integer powers, n!, binomials, based numbers and percent (x/100), with
 *           the decimal policy of §6.6 when exactly one side is a decimal literal;
 *   rule 2  high-precision numeric evaluation of the other constants (sqrt, pi, e, trig, logs)
 *           in wide-exponent double-double, checked against a plain-double evaluation;
 *   rule 3  randomized identity testing (Schwartz-Zippel style) for trees with free variables.
 *
 * and, on the same machinery, the ratio test of equations / relations (§6.3) and the order of
 * two constants. Work is bounded by the counters of §6.5 (limb operations in verify_num.c,
 * node evaluations here); a hit sets ctx->limit and the answer degrades as the spec says.
 * The verdict is a pure function of the trees, the policy and ctx->seed: the sample points come
 * from a splitmix64 generator seeded per call, uninterpreted functions are fixed functions of
 * their name.
 *
 * Deviation from the letter of §6.4: the absolute floor for results that cancel to ~0 is not
 * 1e-3 x the largest intermediate magnitude (that floor equates pi/2006! and pi/2004!, whose
 * intermediates are ~2006!) but a first-order noise scale sigma carried through the evaluation
 * (ev_node, close_vals); the "double" evaluation is the same evaluator with every node rounded
 * to a 53-bit mantissa, keeping the wide exponent (verify_dd.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "verify_dd.h"
#include "verify_internal.h"
#include "verify_num.h"

/* Tolerances (§6.4). */
#define TOL_NUMERIC 1e-12   /* rule 2: two constants */
#define TOL_IDENTITY 1e-9   /* rule 3: each sample point; also the ratio test */
#define TOL_PRECISION 1e-6  /* double vs double-double: precision not lost to cancellation */
#define PREC_FLOOR 1e-10    /* noise of the double pass: 2^-53 sigma for up to ~1e6 roundings */
#define DD_FLOOR 1e-24      /* noise of the double-double pass: 2^-104 sigma, same margin */
#define N_POINTS 8          /* sample points, and 8 more on the negative side when needed */
#define MIN_VALID 5         /* valid points needed for a verdict */

/* ---------------------------------------------------------------------------------------- */
/* tree inspection                                                                           */

static int is_value_kind(vnode_kind k) {
    switch (k) {
    case VN_NUM: case VN_SYM: case VN_CONST: case VN_ADD: case VN_SUB: case VN_MUL: case VN_DIV:
    case VN_POW: case VN_NEG: case VN_FACT: case VN_PERCENT: case VN_SQRT: case VN_FUNC:
    case VN_BINOM: case VN_APPLY: case VN_SUM: case VN_PROD: case VN_BASED:
        return 1;
    default:
        return 0;
    }
}

/* Every node is a value (numbers, operators, functions): no text, sets, relations, +-. */
static int tree_is_value(const vnode *v) {
    if (!v || !is_value_kind(v->kind)) return 0;
    for (int i = 0; i < v->nkids; i++)
        if (!tree_is_value(v->a[i])) return 0;
    return 1;
}

static int text_is(const vnode *v, const char *s) { return v->text && strcmp(v->text, s) == 0; }

/* +1 / -1 for the literals inf and -inf, else 0. */
static int inf_sign(const vnode *v) {
    if (v->kind == VN_CONST && text_is(v, "inf")) return 1;
    if (v->kind == VN_NEG && v->nkids == 1) return -inf_sign(v->a[0]);
    return 0;
}

typedef struct bound_link {
    const char *name;
    const struct bound_link *up;
} bound_link;

static int is_bound(const char *name, const bound_link *b) {
    for (; b; b = b->up)
        if (name && b->name && strcmp(name, b->name) == 0) return 1;
    return 0;
}

/* No free symbol (a summation index is bound inside its sum) and no uninterpreted function. */
static int const_rec(const vnode *v, const bound_link *b) {
    if (!v || !is_value_kind(v->kind) || v->kind == VN_APPLY) return 0;
    if (v->kind == VN_SYM) return is_bound(v->text, b);
    bound_link in = {v->text, b};
    for (int i = 0; i < v->nkids; i++) {
        int inner = (v->kind == VN_SUM || v->kind == VN_PROD) && i == 2;
        if (!const_rec(v->a[i], inner ? &in : b)) return 0;
    }
    return 1;
}

int veval_is_constant(const vnode *v) { return const_rec(v, NULL); }

/* A decimal literal (§6.6): a VN_NUM written with a point, possibly under a minus sign and a
 * percent mark. frac = digits after the point (+2 for a percent: x% = x/100), sig =
 * significant digits (leading zeros dropped, trailing zeros kept: "16386.20" has 7). */
typedef struct declit {
    const vnode *num;
    int neg, pct, frac, sig;
} declit;

static int find_declit(const vnode *v, declit *d) {
    memset(d, 0, sizeof *d);
    for (int i = 0; i < 2 && (v->kind == VN_NEG || v->kind == VN_PERCENT) && v->nkids == 1; i++) {
        if (v->kind == VN_NEG) d->neg ^= 1;
        else if (d->pct) return 0;
        else d->pct = 1;
        v = v->a[0];
    }
    if (v->kind != VN_NUM || !v->text) return 0;
    const char *dot = strchr(v->text, '.');
    if (!(v->flags & VF_DECIMAL) && !dot) return 0;
    d->num = v;
    int lead = 1;
    for (const char *c = v->text; *c; c++) {
        if (*c < '0' || *c > '9') continue;
        if (dot && c > dot) d->frac++;
        if (*c != '0') lead = 0;
        if (!lead) d->sig++;
    }
    if (d->pct) d->frac += 2;
    return 1;
}

/* ---------------------------------------------------------------------------------------- */
/* node-evaluation budget                                                                    */

/* Charges n node evaluations; 1 when the limit of §6.5 (1e6 per call) is exceeded. */
static int charge_nodes(verify_ctx *ctx, long long n) {
    ctx->node_evals += n;
    if (ctx->node_evals > VLIM_NODE_EVALS) {
        vctx_hit(ctx, "node_evals");
        return 1;
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* rule 1: exact evaluation                                                                  */

static int ex_eval(verify_ctx *ctx, const vnode *v, vrat *out);

/* An exact value that is an integer with |n| < 2^62. */
static int ex_int(const vrat *a, int64_t *n) { return vrat_is_int(a) && vbig_to_i64(&a->num, n); }

static int ex_binary(verify_ctx *ctx, const vnode *v, vrat *out) {
    vrat b;
    vrat_init(&b);
    int st = ex_eval(ctx, v->a[0], out);
    if (st == VNUM_OK) st = ex_eval(ctx, v->a[1], &b);
    if (st == VNUM_OK) {
        switch (v->kind) {
        case VN_ADD: st = vrat_add(ctx, out, out, &b); break;
        case VN_SUB: st = vrat_sub(ctx, out, out, &b); break;
        case VN_MUL: st = vrat_mul(ctx, out, out, &b); break;
        default: st = vrat_div(ctx, out, out, &b); break;
        }
    }
    vrat_free(&b);
    return st;
}

/* a^n for an integer n. A huge exponent is fine for the bases 0 and +-1 (vrat_pow); for any
 * other base it exceeds |n| <= 10,000 (§6.5), so the subtree is inexact. */
static int ex_pow(verify_ctx *ctx, const vnode *v, vrat *out) {
    vrat e;
    vrat_init(&e);
    int st = ex_eval(ctx, v->a[0], out);
    if (st == VNUM_OK) st = ex_eval(ctx, v->a[1], &e);
    if (st == VNUM_OK && !vrat_is_int(&e)) st = VNUM_NOTRAT; /* 2^{1/2}: rule 2 */
    if (st == VNUM_OK) {
        int64_t n;
        if (!vbig_to_i64(&e.num, &n)) { /* |n| >= 2^62: only the parity matters for 0, +-1 */
            n = (e.num.d[0] & 1) ? 3 : 2;
            if (e.num.neg) n = -n;
            int trivial = vrat_is_zero(out) || (vrat_is_int(out) && out->num.n == 1 && out->num.d[0] == 1);
            if (!trivial) {
                vctx_hit(ctx, "power");
                st = VNUM_TOOBIG;
            }
        }
        if (st == VNUM_OK) st = vrat_pow(ctx, out, out, n);
    }
    vrat_free(&e);
    return st;
}

static int ex_fact(verify_ctx *ctx, const vnode *v, vrat *out) {
    int st = ex_eval(ctx, v->a[0], out);
    int64_t n;
    if (st != VNUM_OK) return st;
    if (!vrat_is_int(out) || vrat_sign(out) < 0) return VNUM_DOMAIN; /* (1/2)!, (-1)! */
    if (!ex_int(out, &n)) { /* a positive integer >= 2^62 */
        vctx_hit(ctx, "factorial");
        return VNUM_TOOBIG;
    }
    st = vbig_fact(ctx, &out->num, n);
    return st ? st : vbig_set_i64(ctx, &out->den, 1);
}

static int ex_binom(verify_ctx *ctx, const vnode *v, vrat *out) {
    vrat k;
    vrat_init(&k);
    int64_t nn, kk;
    int st = ex_eval(ctx, v->a[0], out);
    if (st == VNUM_OK) st = ex_eval(ctx, v->a[1], &k);
    if (st == VNUM_OK && (!ex_int(out, &nn) || !ex_int(&k, &kk))) st = VNUM_NOTRAT;
    if (st == VNUM_OK && nn < 0) st = VNUM_NOTRAT; /* generalized binomial: rule 2 */
    if (st == VNUM_OK) st = vbig_binom(ctx, &out->num, nn, kk);
    if (st == VNUM_OK) st = vbig_set_i64(ctx, &out->den, 1);
    vrat_free(&k);
    return st;
}

/* gcd / lcm of integers: lcm(a, b) = |a b| / gcd(a, b). */
static int ex_gcd_lcm(verify_ctx *ctx, vrat *acc, const vrat *b, int lcm) {
    if (!vrat_is_int(acc) || !vrat_is_int(b)) return VNUM_DOMAIN;
    vbig g;
    vbig_init(&g);
    int st = vbig_gcd(ctx, &g, &acc->num, &b->num);
    if (st == VNUM_OK && !lcm) vbig_swap(&acc->num, &g);
    if (st == VNUM_OK && lcm && g.n) {
        st = vbig_mul(ctx, &acc->num, &acc->num, &b->num);
        if (st == VNUM_OK) st = vbig_divmod(ctx, &acc->num, NULL, &acc->num, &g);
        acc->num.neg = 0;
    }
    vbig_free(&g);
    return st;
}

/* The functions that stay rational on rational arguments: abs, floor, ceil, sign, min, max,
 * gcd, lcm. Anything else (sin, log, ...) is for rule 2. */
static int ex_func(verify_ctx *ctx, const vnode *v, vrat *out) {
    static const char *const names[] = {"abs", "floor", "ceil", "sign", "min", "max", "gcd", "lcm"};
    int which = -1;
    for (int i = 0; i < 8; i++)
        if (text_is(v, names[i])) which = i;
    if (which < 0 || v->nkids < 1 || (which < 4 && v->nkids != 1)) return VNUM_NOTRAT;
    int st = ex_eval(ctx, v->a[0], out);
    if (st != VNUM_OK) return st;
    switch (which) {
    case 0: vrat_abs(out); return VNUM_OK;
    case 1: return vrat_floor(ctx, out, out);
    case 2: /* ceil x = -floor(-x) */
        vrat_neg(out);
        st = vrat_floor(ctx, out, out);
        vrat_neg(out);
        return st;
    case 3: return vrat_set_i64(ctx, out, vrat_sign(out));
    default: break;
    }
    vrat b;
    vrat_init(&b);
    for (int i = 1; i < v->nkids && st == VNUM_OK; i++) {
        st = ex_eval(ctx, v->a[i], &b);
        int c = 0;
        if (st == VNUM_OK && which <= 5) st = vrat_cmp(ctx, &b, out, &c);
        if (st == VNUM_OK && ((which == 4 && c < 0) || (which == 5 && c > 0))) st = vrat_copy(ctx, out, &b);
        if (st == VNUM_OK && which >= 6) st = ex_gcd_lcm(ctx, out, &b, which == 7);
    }
    vrat_free(&b);
    return st;
}

static int ex_based(verify_ctx *ctx, const vnode *v, vrat *out) {
    if (!v->text) return VNUM_DOMAIN;
    int st = vbig_from_digits(ctx, &out->num, v->text, strlen(v->text), v->base);
    return st ? st : vbig_set_i64(ctx, &out->den, 1);
}

/* Exact value of a constant tree, or the reason why there is none (VNUM_NOTRAT: it needs
 * rule 2; TOOBIG: a size limit; ABORT: the limb-op / node-eval limit or out of memory). */
static int ex_eval(verify_ctx *ctx, const vnode *v, vrat *out) {
    if (charge_nodes(ctx, 1)) return VNUM_ABORT;
    if (v->flags & VF_INEXACT) return VNUM_TOOBIG;
    switch (v->kind) {
    case VN_NUM: return v->text ? vrat_parse_decimal(ctx, out, v->text) : VNUM_DOMAIN;
    case VN_BASED: return ex_based(ctx, v, out);
    case VN_ADD: case VN_SUB: case VN_MUL: case VN_DIV:
        return v->nkids == 2 ? ex_binary(ctx, v, out) : VNUM_NOTRAT;
    case VN_NEG: {
        int st = v->nkids == 1 ? ex_eval(ctx, v->a[0], out) : VNUM_NOTRAT;
        if (st == VNUM_OK) vrat_neg(out);
        return st;
    }
    case VN_PERCENT: { /* x% = x/100 */
        vrat h;
        vrat_init(&h);
        int st = v->nkids == 1 ? ex_eval(ctx, v->a[0], out) : VNUM_NOTRAT;
        if (st == VNUM_OK) st = vrat_set_i64(ctx, &h, 100);
        if (st == VNUM_OK) st = vrat_div(ctx, out, out, &h);
        vrat_free(&h);
        return st;
    }
    case VN_POW: return v->nkids == 2 ? ex_pow(ctx, v, out) : VNUM_NOTRAT;
    case VN_FACT: return v->nkids == 1 ? ex_fact(ctx, v, out) : VNUM_NOTRAT;
    case VN_BINOM: return v->nkids == 2 ? ex_binom(ctx, v, out) : VNUM_NOTRAT;
    case VN_FUNC: return ex_func(ctx, v, out);
    default: return VNUM_NOTRAT;
    }
}

/* ---------------------------------------------------------------------------------------- */
/* rules 2-3: numeric evaluation                                                             */

typedef struct ev_var {
    const char *name;
    int integer; /* used as a sum/product bound, factorial/binomial argument, or in (-1)^n */
    vcx val;
} ev_var;

typedef struct ev_state {
    verify_ctx *ctx;
    int dbl;      /* 1: every node's value is rounded to 53 bits (the plain-double evaluation) */
    ev_var *vars; /* free variables, then summation indices pushed while they are bound */
    int nvars, cap;
    vwd sig;      /* noise scale of the node evaluated last (see ev_node) */
    int abort;    /* a work limit was hit or memory ran out */
} ev_state;

static vcx ev_node(ev_state *st, const vnode *v);

static vcx cx_bad(void) { return vcx_bad(VWD_NAN); }
static vcx cx_d(double x) { return vcx_from_double(x); }

static vcx ev_num(ev_state *st, const vnode *v, int based) {
    vrat r;
    vrat_init(&r);
    int s;
    if (based) {
        s = v->text ? vbig_from_digits(st->ctx, &r.num, v->text, strlen(v->text), v->base) : VNUM_DOMAIN;
        if (s == VNUM_OK) s = vbig_set_i64(st->ctx, &r.den, 1);
    } else {
        s = v->text ? vrat_parse_decimal(st->ctx, &r, v->text) : VNUM_DOMAIN;
    }
    vcx z = s == VNUM_OK ? vcx_real(vrat_to_wd(&r)) : cx_bad();
    if (s == VNUM_ABORT) st->abort = 1;
    vrat_free(&r);
    return z;
}

static vcx ev_const(const vnode *v) {
    if (text_is(v, "pi")) return vcx_real(vwd_from_dd(DD_PI));
    if (text_is(v, "e")) return vcx_real(vwd_from_dd(DD_E));
    if (text_is(v, "i")) return vcx_make(vwd_zero(), vwd_from_double(1.0));
    if (text_is(v, "inf")) return vcx_bad(VWD_OVER);
    return cx_bad();
}

static vcx ev_sym(ev_state *st, const vnode *v) {
    for (int i = st->nvars; i-- > 0;)
        if (v->text && strcmp(st->vars[i].name, v->text) == 0) return st->vars[i].val;
    return cx_bad();
}

/* A real integer value (|n| < 2^62), as needed for factorials, bounds, gcd. */
static int cx_int(vcx z, int64_t *n) { return vcx_is_real(z) && vwd_is_int(z.re, n); }

/* n! for an integer 0 <= n, one node evaluation per factor. */
static vcx ev_fact(ev_state *st, vcx a) {
    int64_t n;
    if (!cx_int(a, &n) || n < 0) return cx_bad();
    if (charge_nodes(st->ctx, n)) {
        st->abort = 1;
        return cx_bad();
    }
    vwd r = vwd_from_double(1.0);
    for (int64_t i = 2; i <= n && vwd_ok(r); i++) r = vwd_mul(r, vwd_from_i64(i));
    return vcx_real(r);
}

/* C(n, k) = prod_{i=1..k} (n - k + i)/i for an integer k >= 0 (any n); C(n, k) = 0 for k < 0,
 * and for k > n when n is a non-negative integer. */
static vcx ev_binom(ev_state *st, vcx n, vcx k) {
    int64_t kk, nn;
    if (!cx_int(k, &kk)) return cx_bad();
    int nint = cx_int(n, &nn);
    if (kk < 0 || (nint && nn >= 0 && kk > nn)) return cx_d(0.0);
    if (nint && nn >= 0 && kk > nn - kk) kk = nn - kk;
    if (charge_nodes(st->ctx, kk)) {
        st->abort = 1;
        return cx_bad();
    }
    vcx r = cx_d(1.0), base = vcx_sub(n, vcx_real(vwd_from_i64(kk)));
    for (int64_t i = 1; i <= kk && vcx_ok(r); i++) {
        vcx num = vcx_add(base, vcx_real(vwd_from_i64(i)));
        r = vcx_div(vcx_mul(r, num), vcx_real(vwd_from_i64(i)));
    }
    return r;
}

/* \sqrt[n]{x}: an odd integer index of a negative real radicand gives the real root
 * (\sqrt[3]{-8} = -2, as written notation means); otherwise the principal x^(1/n). */
static vcx ev_root(vcx x, vcx idx) {
    int64_t n;
    if (cx_int(idx, &n) && (n & 1) && vcx_is_real(x) && vwd_sign(x.re) < 0) {
        vcx r = vcx_pow(vcx_real(vwd_neg(x.re)), vcx_div(cx_d(1.0), idx));
        return vcx_neg(r);
    }
    return vcx_pow(x, vcx_div(cx_d(1.0), idx));
}

static vcx cx_cot(vcx z) { return vcx_div(vcx_cos(z), vcx_sin(z)); }
static vcx cx_sec(vcx z) { return vcx_div(cx_d(1.0), vcx_cos(z)); }
static vcx cx_csc(vcx z) { return vcx_div(cx_d(1.0), vcx_sin(z)); }
static vcx cx_coth(vcx z) { return vcx_div(vcx_cosh(z), vcx_sinh(z)); }
static vcx cx_abs(vcx z) { return vcx_real(vcx_abs(z)); }

/* arccot x = arctan(1/x) (sympy's acot: range (-pi/2, pi/2]), arccot 0 = pi/2. */
static vcx cx_acot(vcx z) {
    if (vcx_is_zero(z)) return vcx_real(vwd_from_dd(DD_PI_2));
    return vcx_atan(vcx_div(cx_d(1.0), z));
}

static vcx cx_floor(vcx z) { return vcx_is_real(z) ? vcx_real(vwd_floor(z.re)) : cx_bad(); }

static vcx cx_ceil(vcx z) {
    if (!vcx_is_real(z)) return cx_bad();
    return vcx_real(vwd_neg(vwd_floor(vwd_neg(z.re)))); /* ceil x = -floor(-x) */
}

/* sign z = z/|z| (sympy), 0 for 0. */
static vcx cx_sign(vcx z) {
    if (!vcx_ok(z)) return z;
    if (vcx_is_zero(z)) return cx_d(0.0);
    if (vcx_is_real(z)) return cx_d(vwd_sign(z.re));
    return vcx_div(z, vcx_real(vcx_abs(z)));
}

typedef vcx (*cx_fn)(vcx);

static const struct {
    const char *name;
    cx_fn f;
} UNARY[] = {
    {"sin", vcx_sin},       {"cos", vcx_cos},       {"tan", vcx_tan},     {"cot", cx_cot},
    {"sec", cx_sec},        {"csc", cx_csc},        {"sinh", vcx_sinh},   {"cosh", vcx_cosh},
    {"tanh", vcx_tanh},     {"coth", cx_coth},      {"arcsin", vcx_asin}, {"arccos", vcx_acos},
    {"arctan", vcx_atan},   {"arccot", cx_acot},    {"asin", vcx_asin},   {"acos", vcx_acos},
    {"atan", vcx_atan},     {"ln", vcx_log},        {"exp", vcx_exp},     {"abs", cx_abs},
    {"floor", cx_floor},    {"ceil", cx_ceil},      {"sign", cx_sign},
};

static int64_t gcd_i64(int64_t a, int64_t b) {
    a = a < 0 ? -a : a;
    b = b < 0 ? -b : b;
    while (b) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* min, max (real arguments), gcd, lcm (integer arguments, result < 2^62). */
static vcx ev_nary(ev_state *st, const vnode *v, int which, vwd *sig) {
    vcx acc = ev_node(st, v->a[0]);
    *sig = st->sig;
    for (int i = 1; i < v->nkids && vcx_ok(acc); i++) {
        vcx b = ev_node(st, v->a[i]);
        *sig = vwd_max_abs(*sig, st->sig);
        int64_t x, y;
        if (which <= 1) {
            if (!vcx_is_real(acc) || !vcx_is_real(b)) return cx_bad();
            int c = vwd_cmp(b.re, acc.re);
            if ((which == 0 && c < 0) || (which == 1 && c > 0)) acc = b;
        } else {
            if (!cx_int(acc, &x) || !cx_int(b, &y)) return cx_bad();
            int64_t g = gcd_i64(x, y);
            if (which == 2) {
                acc = vcx_real(vwd_from_i64(g));
            } else {
                double l = g ? fabs((double)x / (double)g * (double)y) : 0.0;
                if (l >= 4.6e18) return cx_bad();
                acc = vcx_real(vwd_from_i64(g ? (x < 0 ? -x : x) / g * (y < 0 ? -y : y) : 0));
            }
        }
    }
    if (which >= 2) *sig = vwd_zero(); /* integers: exact */
    return acc;
}

static vwd one_plus(vwd a) { return vwd_add(vwd_from_double(1.0), a); }

/* |f'(a)| (or a bound of it) for the noise scale of f(a); r = f(a). */
static vwd slope(const char *name, vcx a, vcx r) {
    vwd ra = vcx_norm(r), aa = vcx_norm(a);
    if (!strcmp(name, "sin") || !strcmp(name, "cos")) return vwd_max_abs(ra, vwd_from_double(1.0));
    if (!strcmp(name, "sinh") || !strcmp(name, "cosh")) return one_plus(ra);
    if (!strcmp(name, "tan") || !strcmp(name, "cot") || !strcmp(name, "coth")) return one_plus(vwd_mul(ra, ra));
    if (!strcmp(name, "sec") || !strcmp(name, "csc")) return vwd_mul(ra, one_plus(ra));
    if (!strcmp(name, "exp")) return ra;
    if (!strcmp(name, "ln") || !strcmp(name, "log")) return vwd_div(vwd_from_double(1.0), aa);
    if (!strcmp(name, "arcsin") || !strcmp(name, "arccos") || !strcmp(name, "asin") || !strcmp(name, "acos"))
        return vwd_div(vwd_from_double(1.0), vwd_sqrt(vcx_abs(vcx_sub(cx_d(1.0), vcx_mul(a, a)))));
    if (!strcmp(name, "floor") || !strcmp(name, "ceil") || !strcmp(name, "sign")) return vwd_zero();
    return vwd_from_double(1.0); /* tanh, arctan, arccot, abs */
}

static vcx ev_func(ev_state *st, const vnode *v, vwd *sig) {
    static const char *const nary[] = {"min", "max", "gcd", "lcm"};
    if (v->nkids < 1) return cx_bad();
    for (int i = 0; i < 4; i++)
        if (text_is(v, nary[i])) return ev_nary(st, v, i, sig);
    vcx a = ev_node(st, v->a[0]);
    vwd sa = st->sig;
    if (text_is(v, "log") && v->nkids == 2) { /* log_b x = ln x / ln b */
        vcx b = ev_node(st, v->a[1]);
        vwd sb = st->sig;
        vcx lb = vcx_log(b), r = vcx_div(vcx_log(a), lb);
        /* d(ln a / ln b) = (da/a - r db/b) / ln b */
        vwd t = vwd_add(vwd_div(sa, vcx_norm(a)), vwd_mul(vcx_norm(r), vwd_div(sb, vcx_norm(b))));
        *sig = vwd_div(t, vcx_norm(lb));
        return r;
    }
    if (v->nkids != 1) return cx_bad();
    if (text_is(v, "log")) { /* natural logarithm (§6.2) */
        *sig = vwd_div(sa, vcx_norm(a));
        return vcx_log(a);
    }
    for (size_t i = 0; i < sizeof UNARY / sizeof UNARY[0]; i++) {
        if (text_is(v, UNARY[i].name)) {
            vcx r = UNARY[i].f(a);
            *sig = vwd_mul(slope(v->text, a, r), sa);
            return r;
        }
    }
    return cx_bad();
}

/* splitmix64 (Steele, Lea, Flood 2014): the counter-based generator of §6.4 rule 3. */
static uint64_t splitmix64(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static double unit(uint64_t *s) { return (double)(splitmix64(s) >> 11) * 0x1p-53; } /* [0,1) */

static uint64_t fnv1a(const char *s) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; s && *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return h;
}

/* An uninterpreted function f(a_1..a_n) (§6.4 rule 3) is a fixed smooth pseudo-random function
 * of its name: c0 + sum_j c_j cos(w_j a_j + p_j) + c prod_j sin(u_j a_j + q_j), coefficients
 * drawn from splitmix64 seeded with a hash of the name and arity. Smooth rather than a hash of
 * the argument bits, so that f(x+1) and f(1+x) agree although their arguments differ in the
 * last bits; the product term couples the arguments, so f(x, y) differs from f(y, x). */
static vcx ev_apply(ev_state *st, const vnode *v, vwd *sig) {
    uint64_t s = fnv1a(v->text) ^ ((uint64_t)v->nkids * 0xD1B54A32D192ED03ULL);
    vcx sum = cx_d(0.5 + unit(&s)), prod = cx_d(0.5 + unit(&s));
    *sig = vwd_zero();
    for (int j = 0; j < v->nkids; j++) {
        vcx a = ev_node(st, v->a[j]);
        *sig = vwd_add(*sig, vwd_mul_d(st->sig, 4.0)); /* |df/da_j| <= 1.5*1.9 + 1.9 < 4 (about) */
        double c = 0.5 + unit(&s), w = 0.7 + 1.2 * unit(&s), p = 3.0 * unit(&s);
        double u = 0.7 + 1.2 * unit(&s), q = 3.0 * unit(&s);
        vcx cw = vcx_cos(vcx_add(vcx_mul(cx_d(w), a), cx_d(p)));
        sum = vcx_add(sum, vcx_mul(cx_d(c), cw));
        prod = vcx_mul(prod, vcx_sin(vcx_add(vcx_mul(cx_d(u), a), cx_d(q))));
    }
    return vcx_add(sum, prod);
}

/* \sum / \prod over integer bounds by looping, the index bound as a variable. */
static vcx ev_sumprod(ev_state *st, const vnode *v, vwd *sig) {
    int64_t lo, hi;
    if (v->nkids != 3 || !v->text) return cx_bad();
    if (!cx_int(ev_node(st, v->a[0]), &lo) || !cx_int(ev_node(st, v->a[1]), &hi)) return cx_bad();
    int prod = v->kind == VN_PROD;
    vcx acc = cx_d(prod ? 1.0 : 0.0);
    if (hi < lo) return acc;
    if (hi - lo >= VLIM_NODE_EVALS || charge_nodes(st->ctx, hi - lo + 1)) {
        vctx_hit(st->ctx, "node_evals");
        st->abort = 1;
        return cx_bad();
    }
    if (st->nvars >= st->cap) return cx_bad();
    ev_var *iv = &st->vars[st->nvars++];
    iv->name = v->text;
    iv->integer = 1;
    *sig = vwd_zero();
    for (int64_t k = lo; k <= hi && vcx_ok(acc) && !st->abort; k++) {
        iv->val = vcx_real(vwd_from_i64(k));
        vcx b = ev_node(st, v->a[2]);
        vwd sb = st->sig;
        if (prod) /* product rule, as for VN_MUL */
            *sig = vwd_add(vwd_mul(vcx_norm(b), *sig), vwd_mul(vcx_norm(acc), sb));
        else
            *sig = vwd_add(*sig, sb);
        acc = prod ? vcx_mul(acc, b) : vcx_add(acc, b);
    }
    st->nvars--;
    return acc;
}

/* a op b with the first-order noise scale of the result (see ev_node):
 * sig(a +- b) = sig_a + sig_b; sig(a b) = |b| sig_a + |a| sig_b; sig(a/b) = (sig_a + |r| sig_b)/|b|;
 * sig(a^b) = |r| (|b| sig_a/|a| + |ln a| sig_b). */
static vcx ev_binary(ev_state *st, const vnode *v, vwd *sig) {
    vcx a = ev_node(st, v->a[0]);
    vwd sa = st->sig;
    vcx b = ev_node(st, v->a[1]);
    vwd sb = st->sig;
    vwd na = vcx_norm(a), nb = vcx_norm(b);
    vcx r;
    switch (v->kind) {
    case VN_ADD: r = vcx_add(a, b); *sig = vwd_add(sa, sb); break;
    case VN_SUB: r = vcx_sub(a, b); *sig = vwd_add(sa, sb); break;
    case VN_MUL: r = vcx_mul(a, b); *sig = vwd_add(vwd_mul(nb, sa), vwd_mul(na, sb)); break;
    case VN_DIV:
        r = vcx_div(a, b);
        *sig = vwd_div(vwd_add(sa, vwd_mul(vcx_norm(r), sb)), nb);
        break;
    default: /* VN_POW */
        r = vcx_pow(a, b);
        if (vcx_is_zero(a)) break;
        *sig = vwd_mul(vcx_norm(r), vwd_add(vwd_div(vwd_mul(nb, sa), na), vwd_mul(vcx_norm(vcx_log(a)), sb)));
        break;
    }
    return r;
}

/* sqrt: sig = min(sig_a / (2|r|), sqrt(sig_a)) (sqrt(a + d) - sqrt(a) <= sqrt(d)). */
static vcx ev_sqrt(ev_state *st, const vnode *v, vwd *sig) {
    vcx a = ev_node(st, v->a[0]);
    vwd sa = st->sig;
    if (v->nkids == 2) {
        vcx r = ev_root(a, ev_node(st, v->a[1]));
        *sig = vwd_div(vwd_mul(vcx_norm(r), sa), vcx_norm(a));
        return r;
    }
    vcx r = vcx_sqrt(a);
    *sig = vwd_sqrt(sa);
    if (!vcx_is_zero(r)) {
        vwd lin = vwd_div(sa, vwd_ldexp(vcx_norm(r), 1));
        if (vwd_cmp(lin, *sig) < 0) *sig = lin;
    }
    return r;
}

/* The value of one node; *sig receives its noise scale when it differs from |value|. */
static vcx ev_kind(ev_state *st, const vnode *v, vwd *sig) {
    int n = v->nkids;
    switch (v->kind) {
    case VN_NUM: return ev_num(st, v, 0);
    case VN_BASED: return ev_num(st, v, 1);
    case VN_CONST: return ev_const(v);
    case VN_SYM: return ev_sym(st, v);
    case VN_ADD: case VN_SUB: case VN_MUL: case VN_DIV: case VN_POW:
        if (n == 2) return ev_binary(st, v, sig);
        break;
    case VN_NEG:
        if (n == 1) {
            vcx r = vcx_neg(ev_node(st, v->a[0]));
            *sig = st->sig;
            return r;
        }
        break;
    case VN_PERCENT:
        if (n == 1) {
            vcx r = vcx_div(ev_node(st, v->a[0]), cx_d(100.0));
            *sig = vwd_mul_d(st->sig, 0.01);
            return r;
        }
        break;
    case VN_FACT: if (n == 1) return ev_fact(st, ev_node(st, v->a[0])); break;
    case VN_BINOM: if (n == 2) return ev_binom(st, ev_node(st, v->a[0]), ev_node(st, v->a[1])); break;
    case VN_SQRT: if (n == 1 || n == 2) return ev_sqrt(st, v, sig); break;
    case VN_FUNC: return ev_func(st, v, sig);
    case VN_APPLY: return ev_apply(st, v, sig);
    case VN_SUM: case VN_PROD: return ev_sumprod(st, v, sig);
    default: break;
    }
    return cx_bad();
}

/* One node: counted (§6.5), rounded to double in the double pass. st->sig receives the node's
 * noise scale sigma: a first-order bound of how much rounding noise at the inputs can move the
 * value, in units of the unit roundoff (the condition magnitude of running error analysis,
 * Higham, "Accuracy and Stability of Numerical Algorithms", §3.3). A leaf has sigma = |value|;
 * x - x has sigma = 2|x| although its value is 0. Every sigma is at least |value|. */
static vcx ev_node(ev_state *st, const vnode *v) {
    if (st->abort) return cx_bad();
    if (charge_nodes(st->ctx, 1) || st->ctx->oom) {
        st->abort = 1;
        return cx_bad();
    }
    vwd sig = vwd_bad(VWD_NAN); /* "not set": the magnitude of the value */
    vcx r = ev_kind(st, v, &sig);
    if (st->dbl) r = vcx_round53(r);
    vwd mag = vcx_ok(r) ? vcx_norm(r) : vwd_zero();
    st->sig = vwd_ok(sig) ? vwd_max_abs(sig, mag) : mag;
    return r;
}

/* ---------------------------------------------------------------------------------------- */
/* variables and sample points                                                               */

typedef struct varset {
    ev_var *v;
    int n, cap;
    const char **bound; /* summation indices: never free variables */
    int nbound, capb;
    int needs_neg;      /* |x|, floor, ceil, sign, min, max: sample negative points too */
} varset;

static int count_nodes(const vnode *v) {
    int n = 1;
    for (int i = 0; i < v->nkids; i++) n += count_nodes(v->a[i]);
    return n;
}

static void add_var(varset *s, const char *name, int integer) {
    if (!name) return;
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->v[i].name, name) == 0) {
            s->v[i].integer |= integer;
            return;
        }
    if (s->n < s->cap) s->v[s->n++] = (ev_var){name, integer, vcx_from_double(0.0)};
}

/* (-1)^n: the base is the literal -1. */
static int is_minus_one(const vnode *v) {
    return v->kind == VN_NEG && v->nkids == 1 && v->a[0]->kind == VN_NUM && text_is(v->a[0], "1");
}

/* Collects symbols; `ic` = inside an integer context (§6.4 rule 3 "Variables used as
 * summation bounds, factorial or binomial arguments, or in (-1)^n take integers"). */
static void scan_vars(varset *s, const vnode *v, int ic) {
    switch (v->kind) {
    case VN_SYM: add_var(s, v->text, ic); return;
    case VN_SUM: case VN_PROD:
        if (v->text && s->nbound < s->capb) s->bound[s->nbound++] = v->text;
        for (int i = 0; i < v->nkids; i++) scan_vars(s, v->a[i], ic || i < 2);
        return;
    case VN_FACT: case VN_BINOM:
        for (int i = 0; i < v->nkids; i++) scan_vars(s, v->a[i], 1);
        return;
    case VN_POW:
        if (v->nkids == 2) {
            scan_vars(s, v->a[0], ic);
            scan_vars(s, v->a[1], ic || is_minus_one(v->a[0]));
            return;
        }
        break;
    case VN_FUNC:
        if (text_is(v, "abs") || text_is(v, "floor") || text_is(v, "ceil") || text_is(v, "sign") ||
            text_is(v, "min") || text_is(v, "max"))
            s->needs_neg = 1;
        break;
    default: break;
    }
    for (int i = 0; i < v->nkids; i++) scan_vars(s, v->a[i], ic);
}

static void varset_free(varset *s) {
    free(s->v);
    free(s->bound);
    memset(s, 0, sizeof *s);
}

/* Free variables of both trees: their symbols minus the summation indices. s->v has room for
 * VLIM_DEPTH more entries: the indices of nested sums are pushed there while evaluating.
 * (malloc, not the arena: this runs once per comparison, up to 65,536 times per call.) */
static int collect_vars(verify_ctx *ctx, varset *s, const vnode *g, const vnode *p) {
    int cap = count_nodes(g) + (p ? count_nodes(p) : 0);
    memset(s, 0, sizeof *s);
    s->v = malloc((size_t)(cap + VLIM_DEPTH) * sizeof *s->v);
    s->bound = malloc((size_t)cap * sizeof *s->bound);
    if (!s->v || !s->bound) {
        varset_free(s);
        ctx->oom = 1;
        return -1;
    }
    s->cap = cap;
    s->capb = cap;
    scan_vars(s, g, 0);
    if (p) scan_vars(s, p, 0);
    int k = 0;
    for (int i = 0; i < s->n; i++) {
        int b = 0;
        for (int j = 0; j < s->nbound; j++) b |= strcmp(s->v[i].name, s->bound[j]) == 0;
        if (!b) s->v[k++] = s->v[i];
    }
    s->n = k;
    return 0;
}

/* A rational p/q in [0.5, 3.5] (q in 5..32) that is not an integer. */
static vwd random_rational(uint64_t *rng) {
    int64_t q = 5 + (int64_t)(splitmix64(rng) % 28);
    int64_t lo = (q + 1) / 2, hi = (7 * q) / 2;
    int64_t p;
    do p = lo + (int64_t)(splitmix64(rng) % (uint64_t)(hi - lo + 1));
    while (p % q == 0);
    return vwd_div(vwd_from_i64(p), vwd_from_i64(q));
}

static void draw_point(varset *s, uint64_t *rng, int negative) {
    for (int i = 0; i < s->n; i++) {
        if (s->v[i].integer) {
            s->v[i].val = vcx_real(vwd_from_i64(2 + (int64_t)(splitmix64(rng) % 8)));
        } else {
            vwd x = random_rational(rng);
            s->v[i].val = vcx_real(negative ? vwd_neg(x) : x);
        }
    }
}

/* One side at one point, in double-double and in double. */
typedef struct evres {
    vcx dd, d;
    vwd sig; /* noise scale sigma of the result (double-double pass) */
    int ok;  /* both finite */
} evres;

/* Returns -1 when a work limit stopped the evaluation. */
static int eval_side(verify_ctx *ctx, varset *s, const vnode *v, evres *r) {
    ev_state st = {ctx, 0, s->v, s->n, s->n + VLIM_DEPTH, vwd_zero(), 0};
    r->dd = ev_node(&st, v);
    r->sig = st.sig;
    st.dbl = 1;
    st.nvars = s->n;
    r->d = ev_node(&st, v);
    if (st.abort || ctx->oom) return -1;
    r->ok = vcx_ok(r->dd) && vcx_ok(r->d);
    return 0;
}

/* Not lost to cancellation (§6.4 rules 2, 3): the double and double-double values agree
 * within 1e-6 relative, or within the double pass's own noise level PREC_FLOOR sigma (a result
 * that cancels to ~0, such as sin(pi), is "precise" at the scale of its terms). */
static int precise(const evres *r) {
    return vcx_close(r->d, r->dd, TOL_PRECISION, vwd_mul_d(r->sig, PREC_FLOOR / TOL_PRECISION));
}

/* |x| at or below the double-double noise level of its evaluation: "zero". */
static int dd_zero(vcx x, vwd sig) { return vwd_cmp(vcx_norm(x), vwd_mul_d(sig, DD_FLOOR)) <= 0; }

enum { CLOSE_NE = 0, CLOSE_EQ = 1, CLOSE_UNSURE = 2 };

/* Two double-double results: equal within the relative tolerance, or both zero within their
 * noise (sin(pi) vs 0); a difference that is within the noise but not both zero (e.g.
 * (10^40 + pi) - 10^40, which is 0 in double-double, vs pi) cannot be told apart: UNSURE.
 * This replaces the absolute floor s = 1e-3 max|intermediate| of §6.4 rule 3, which does not
 * scale: pi/2006! and pi/2004! have intermediates of size 2006! and would compare equal. */
static int close_vals(const evres *g, const evres *p, double tol) {
    if (vcx_close(g->dd, p->dd, tol, vwd_zero())) return CLOSE_EQ;
    if (dd_zero(g->dd, g->sig) && dd_zero(p->dd, p->sig)) return CLOSE_EQ;
    vwd noise = vwd_mul_d(vwd_add(g->sig, p->sig), DD_FLOOR);
    return vwd_cmp(vcx_norm(vcx_sub(g->dd, p->dd)), noise) <= 0 ? CLOSE_UNSURE : CLOSE_NE;
}

/* ---------------------------------------------------------------------------------------- */
/* decimal policy (§6.6)                                                                     */

static verify_policy default_policy(const verify_ctx *ctx) {
    verify_policy p;
    if (ctx->pol) {
        p = *ctx->pol;
    } else {
        memset(&p, 0, sizeof p);
        p.decimal = VERIFY_DEC_SIG;
    }
    if (p.decimal_sig <= 0) p.decimal_sig = 6;
    if (p.decimal_round <= 0) p.decimal_round = 6;
    if (!(p.decimal_rel > 0)) p.decimal_rel = 1e-4;
    return p;
}

/* rel:T — |D - X| <= T max(|D|, |X|) (Qwen's math.isclose). */
static int rel_close(vwd d, vwd x, double t) {
    vwd diff = vwd_abs(vwd_sub(d, x));
    return vwd_cmp(diff, vwd_mul_d(vwd_max_abs(d, x), t)) <= 0;
}

/* Exact X: sig:S — s >= S and |D - X| <= 1/2 10^-d, i.e. 2 |D - X| 10^d <= 1; exact — never;
 * round:N — round(D, N) == round(X, N) (halves away from zero); rel:T as above. */
static vcmp decimal_exact(verify_ctx *ctx, const declit *dl, const vrat *D, const vrat *X) {
    verify_policy pol = default_policy(ctx);
    vrat t, u;
    vrat_init(&t);
    vrat_init(&u);
    int st = VNUM_OK, ok = 0, c = 0;
    switch (pol.decimal) {
    case VERIFY_DEC_EXACT: break;
    case VERIFY_DEC_SIG:
        if (dl->sig < pol.decimal_sig) break;
        st = vrat_sub(ctx, &t, D, X);
        vrat_abs(&t);
        if (st == VNUM_OK) st = vrat_pow10(ctx, &u, dl->frac);
        if (st == VNUM_OK) st = vrat_mul(ctx, &t, &t, &u);
        if (st == VNUM_OK) st = vrat_add(ctx, &t, &t, &t);
        if (st == VNUM_OK) st = vrat_set_i64(ctx, &u, 1);
        if (st == VNUM_OK) st = vrat_cmp(ctx, &t, &u, &c);
        ok = c <= 0;
        break;
    case VERIFY_DEC_ROUND:
        st = vrat_round(ctx, &t, D, pol.decimal_round);
        if (st == VNUM_OK) st = vrat_round(ctx, &u, X, pol.decimal_round);
        ok = st == VNUM_OK && vrat_equal(&t, &u);
        break;
    case VERIFY_DEC_REL: ok = rel_close(vrat_to_wd(D), vrat_to_wd(X), pol.decimal_rel); break;
    }
    vrat_free(&t);
    vrat_free(&u);
    if (st != VNUM_OK) return VCMP_UNDECIDED;
    return ok ? VCMP_EQUAL : VCMP_NOT_EQUAL;
}

/* round(x, N) in double-double: sign(x) floor(|x| 10^N + 1/2). */
static vwd wd_round(vwd x, int places) {
    vwd s = vwd_powi(vwd_from_double(10.0), places);
    vwd r = vwd_floor(vwd_add(vwd_mul(vwd_abs(x), s), vwd_from_double(0.5)));
    r = vwd_div(r, s);
    return vwd_sign(x) < 0 ? vwd_neg(r) : r;
}

/* The same policy against a numeric (irrational) X (§6.4 rule 2 last sentence). */
static vcmp decimal_numeric(verify_ctx *ctx, const declit *dl, vwd D, vcx X) {
    verify_policy pol = default_policy(ctx);
    vwd xn = vcx_norm(X);
    if (!vcx_ok(X) || vwd_cmp(vwd_abs(X.im), vwd_mul_d(xn, TOL_NUMERIC)) > 0) return VCMP_NOT_EQUAL;
    vwd x = X.re;
    int ok = 0;
    switch (pol.decimal) {
    case VERIFY_DEC_EXACT: break;
    case VERIFY_DEC_SIG: {
        vwd half_ulp = vwd_mul_d(vwd_powi(vwd_from_double(10.0), -(int64_t)dl->frac), 0.5);
        ok = dl->sig >= pol.decimal_sig && vwd_cmp(vwd_abs(vwd_sub(D, x)), half_ulp) <= 0;
        break;
    }
    case VERIFY_DEC_ROUND:
        ok = vwd_cmp(wd_round(D, pol.decimal_round), wd_round(x, pol.decimal_round)) == 0;
        break;
    case VERIFY_DEC_REL: ok = rel_close(D, x, pol.decimal_rel); break;
    }
    return ok ? VCMP_EQUAL : VCMP_NOT_EQUAL;
}

/* ---------------------------------------------------------------------------------------- */
/* the three rules                                                                           */

/* Rule 1. Returns 1 when it decided (*out set), 0 when rule 2 must try. *too_big is set when
 * a side hit a size limit and neither side needs rule 2 for another reason (both are built from
 * rational operations only). */
static int rule_exact(verify_ctx *ctx, const vnode *g, const vnode *p, const char **reason, vcmp *out,
                      int *too_big) {
    vrat a, b;
    vrat_init(&a);
    vrat_init(&b);
    int sa = ex_eval(ctx, g, &a);
    int sb = sa == VNUM_OK || sa == VNUM_TOOBIG ? ex_eval(ctx, p, &b) : VNUM_NOTRAT;
    int decided = 1;
    *too_big = (sa == VNUM_TOOBIG && (sb == VNUM_OK || sb == VNUM_TOOBIG)) || (sa == VNUM_OK && sb == VNUM_TOOBIG);
    declit dg, dp;
    int lg = find_declit(g, &dg), lp = find_declit(p, &dp);
    if (sa == VNUM_ABORT || sb == VNUM_ABORT || ctx->oom) {
        *out = VCMP_UNDECIDED;
    } else if (sa != VNUM_OK || sb != VNUM_OK) {
        decided = 0;
    } else if (vrat_equal(&a, &b)) {
        *out = VCMP_EQUAL;
    } else if (lg != lp) { /* exactly one side is a decimal literal: policy (§6.6) */
        *reason = "decimal";
        *out = lg ? decimal_exact(ctx, &dg, &a, &b) : decimal_exact(ctx, &dp, &b, &a);
    } else {
        *out = VCMP_NOT_EQUAL;
    }
    vrat_free(&a);
    vrat_free(&b);
    return decided;
}

/* Rule 2: both constant, not both exact. */
static vcmp rule_numeric(verify_ctx *ctx, const vnode *g, const vnode *p, const char **reason) {
    varset none; /* no free variables; room for summation indices */
    evres rg, rp;
    *reason = "numeric";
    if (collect_vars(ctx, &none, g, p)) return VCMP_UNDECIDED;
    int stopped = eval_side(ctx, &none, g, &rg) || eval_side(ctx, &none, p, &rp);
    varset_free(&none);
    if (stopped) return VCMP_UNDECIDED;
    if (!rg.ok || !rp.ok) return VCMP_UNDECIDED; /* overflow / underflow / undefined: never EQUAL */
    if (!precise(&rg) || !precise(&rp)) return VCMP_UNDECIDED;
    declit dg, dp;
    int lg = find_declit(g, &dg), lp = find_declit(p, &dp);
    if (lg != lp) {
        *reason = "decimal";
        return lg ? decimal_numeric(ctx, &dg, rg.dd.re, rp.dd) : decimal_numeric(ctx, &dp, rp.dd.re, rg.dd);
    }
    int c = close_vals(&rg, &rp, TOL_NUMERIC);
    return c == CLOSE_EQ ? VCMP_EQUAL : c == CLOSE_NE ? VCMP_NOT_EQUAL : VCMP_UNDECIDED;
}

static uint64_t point_seed(const verify_ctx *ctx) { return ctx->seed ^ 0x5356532D4556414CULL; }

/* Rule 3: 8 points (+8 negative ones), EQUAL iff |g - p| <= 1e-9 max(|g|, |p|) (or both zero
 * within noise, see close_vals) at every valid point, and there are at least 5 valid points.
 * A point is valid when both sides are finite, precise, and not UNSURE. */
static vcmp identity_points(verify_ctx *ctx, varset *s, const vnode *g, const vnode *p) {
    uint64_t rng = point_seed(ctx);
    int npts = N_POINTS * (s->needs_neg ? 2 : 1), valid = 0;
    for (int k = 0; k < npts; k++) {
        draw_point(s, &rng, k >= N_POINTS);
        evres rg, rp;
        if (eval_side(ctx, s, g, &rg) || eval_side(ctx, s, p, &rp)) return VCMP_UNDECIDED;
        if (!rg.ok || !rp.ok || !precise(&rg) || !precise(&rp)) continue;
        int c = close_vals(&rg, &rp, TOL_IDENTITY);
        if (c == CLOSE_NE) return VCMP_NOT_EQUAL;
        valid += c == CLOSE_EQ;
    }
    return valid >= MIN_VALID ? VCMP_EQUAL : VCMP_UNDECIDED;
}

static vcmp rule_identity(verify_ctx *ctx, const vnode *g, const vnode *p) {
    varset s;
    if (collect_vars(ctx, &s, g, p)) return VCMP_UNDECIDED;
    vcmp r = identity_points(ctx, &s, g, p);
    varset_free(&s);
    return r;
}

vcmp veval_equal(verify_ctx *ctx, const vnode *g, const vnode *p, const char **reason) {
    const char *dummy;
    if (!reason) reason = &dummy;
    *reason = "exact";
    if (!tree_is_value(g) || !tree_is_value(p)) return VCMP_UNDECIDED;
    int ig = inf_sign(g), ip = inf_sign(p);
    if (ig || ip) return ig == ip ? VCMP_EQUAL : VCMP_NOT_EQUAL; /* inf only equals inf */
    if (veval_is_constant(g) && veval_is_constant(p)) {
        vcmp r;
        int too_big = 0;
        if (rule_exact(ctx, g, p, reason, &r, &too_big)) return r;
        r = rule_numeric(ctx, g, p, reason);
        /* Rational values too big for exact arithmetic: a relative tolerance cannot tell
         * 10^{10^{10}} from 10^{10^{10}}+1, so rule 2 may reject but never accept them (the
         * §6.5 tower is UNDECIDED unless the normalized strings are identical). */
        if (too_big && r == VCMP_EQUAL) r = VCMP_UNDECIDED;
        return r;
    }
    *reason = "identity";
    return rule_identity(ctx, g, p);
}

/* ---------------------------------------------------------------------------------------- */
/* equations, relations, order                                                               */

/* Ratio test (§6.3): at every valid point either both sides vanish, or neither does and g/p
 * equals the ratio at the first such point (within 1e-9). A side "vanishes" when it is zero
 * within its noise (dd_zero). Mixed vanishing means different solution sets: NOT_EQUAL. */
static vcmp ratio_points(verify_ctx *ctx, varset *s, const vnode *g, const vnode *p, int want_positive) {
    int constant = s->n == 0 && veval_is_constant(g) && veval_is_constant(p);
    uint64_t rng = point_seed(ctx);
    int npts = constant ? 1 : N_POINTS * (s->needs_neg ? 2 : 1), valid = 0, have_r = 0;
    vcx r0 = cx_d(0.0);
    for (int k = 0; k < npts; k++) {
        draw_point(s, &rng, k >= N_POINTS);
        evres rg, rp;
        if (eval_side(ctx, s, g, &rg) || eval_side(ctx, s, p, &rp)) return VCMP_UNDECIDED;
        if (!rg.ok || !rp.ok || !precise(&rg) || !precise(&rp)) continue;
        int zg = dd_zero(rg.dd, rg.sig), zp = dd_zero(rp.dd, rp.sig);
        valid++;
        if (zg && zp) continue;
        if (zg || zp) return VCMP_NOT_EQUAL;
        vcx r = vcx_div(rg.dd, rp.dd);
        if (!have_r) {
            r0 = r;
            have_r = 1;
            vwd rn = vcx_norm(r);
            int real_pos = vwd_cmp(vwd_abs(r.im), vwd_mul_d(rn, TOL_IDENTITY)) <= 0 && vwd_sign(r.re) > 0;
            if (want_positive && !real_pos) return VCMP_NOT_EQUAL;
        } else if (!vcx_close(r, r0, TOL_IDENTITY, vwd_zero())) {
            return VCMP_NOT_EQUAL;
        }
    }
    return valid >= (constant ? 1 : MIN_VALID) ? VCMP_EQUAL : VCMP_UNDECIDED;
}

vcmp veval_ratio_constant(verify_ctx *ctx, const vnode *g, const vnode *p, int want_positive) {
    if (!tree_is_value(g) || !tree_is_value(p)) return VCMP_UNDECIDED;
    varset s;
    if (collect_vars(ctx, &s, g, p)) return VCMP_UNDECIDED;
    vcmp r = ratio_points(ctx, &s, g, p, want_positive);
    varset_free(&s);
    return r;
}

int veval_order(verify_ctx *ctx, const vnode *a, const vnode *b) {
    if (!tree_is_value(a) || !tree_is_value(b)) return 2;
    int ia = inf_sign(a), ib = inf_sign(b);
    if (ia || ib) return ia == ib ? 0 : (ia < ib ? -1 : 1); /* -inf < any finite < +inf */
    if (!veval_is_constant(a) || !veval_is_constant(b)) return 2;
    vrat x, y;
    vrat_init(&x);
    vrat_init(&y);
    int c = 2, sx = ex_eval(ctx, a, &x);
    int sy = sx == VNUM_OK ? ex_eval(ctx, b, &y) : VNUM_NOTRAT;
    if (sx == VNUM_OK && sy == VNUM_OK && vrat_cmp(ctx, &x, &y, &c) != VNUM_OK) c = 2;
    vrat_free(&x);
    vrat_free(&y);
    if (sx == VNUM_OK && sy == VNUM_OK) return c;
    if (sx == VNUM_ABORT || sy == VNUM_ABORT) return 2;
    varset none; /* no free variables; room for summation indices */
    evres ra, rb;
    if (collect_vars(ctx, &none, a, b)) return 2;
    int stopped = eval_side(ctx, &none, a, &ra) || eval_side(ctx, &none, b, &rb);
    varset_free(&none);
    if (stopped) return 2;
    if (!ra.ok || !rb.ok || !vcx_is_real(ra.dd) || !vcx_is_real(rb.dd)) return 2;
    if (!precise(&ra) || !precise(&rb)) return 2;
    int k = close_vals(&ra, &rb, TOL_NUMERIC);
    return k == CLOSE_EQ ? 0 : k == CLOSE_UNSURE ? 2 : vwd_cmp(ra.dd.re, rb.dd.re);
}
