/* verify_cmp.c — [D] structural comparison of a gold tree with a pred tree.
 *
 * Implements spec/verifier.md §6.3 (the dispatch table: the gold's node type drives, asymmetric
 * where the table says so) and the structural policies of §6.6 (percent marks, list order,
 * inequality vs interval, base subscripts, matrices vs tuples, assignments, variable names).
 * Values end in veval_equal (§6.4, verify_eval.c); equations and relations in
 * veval_ratio_constant; interval endpoints and set elements are ordered with veval_order.
 * The pairwise element comparisons of sets and lists are bounded by VLIM_PAIRWISE (§6.5).
 *
 * Everything built here (differences L - R, +- expansions, interval sets) lives in the arena of
 * the verify_ctx; nothing is printed, nothing is global. */
#include <stdlib.h>
#include <string.h>

#include "verify_internal.h"

typedef struct {
    verify_ctx *ctx;
    const verify_policy *pol;
    long long pairs;        /* pairwise element comparisons so far (§6.5) */
    const char *reason;     /* the rule that decided */
} vst;

static vcmp cmp_any(vst *st, const vnode *g, const vnode *p);

static vcmp decide(vst *st, vcmp r, const char *reason) {
    if (reason) st->reason = reason;
    return r;
}

/* Combines alternatives: EQUAL if any is, else UNDECIDED if any is, else NOT_EQUAL. */
static vcmp either(vcmp a, vcmp b) {
    if (a == VCMP_EQUAL || b == VCMP_EQUAL) return VCMP_EQUAL;
    return a == VCMP_UNDECIDED || b == VCMP_UNDECIDED ? VCMP_UNDECIDED : VCMP_NOT_EQUAL;
}

/* One element comparison of a set/list matching, counted against VLIM_PAIRWISE. */
static vcmp cmp_elem(vst *st, const vnode *g, const vnode *p) {
    if (++st->pairs > VLIM_PAIRWISE) {
        vctx_hit(st->ctx, "pairwise");
        return VCMP_UNDECIDED;
    }
    return cmp_any(st, g, p);
}

/* ---------------------------------------------------------------------------------------- */
/* Tree helpers                                                                              */

static vnode *bin(vst *st, vnode_kind k, const vnode *l, const vnode *r) {
    return l && r ? vnode_bin(st->ctx, k, (vnode *)l, (vnode *)r) : NULL;
}
static vnode *un(vst *st, vnode_kind k, const vnode *x) {
    if (!x) return NULL;
    vnode *v = vnode_new(st->ctx, k, 1);
    if (v) v->a[0] = (vnode *)x;
    return v;
}
static vnode *num(vst *st, const char *digits) {
    vnode *v = vnode_new(st->ctx, VN_NUM, 0);
    if (!v) return NULL;
    v->text = digits;
    v->sig_digits = (int)strlen(digits);
    return v;
}

/* Structural identity (same kinds, texts, flags and children). */
static int tree_same(const vnode *a, const vnode *b) {
    if (a == b) return 1;
    if (!a || !b || a->kind != b->kind || a->nkids != b->nkids || a->base != b->base) return 0;
    if ((a->flags & ~VF_PAIR) != (b->flags & ~VF_PAIR) || a->op != b->op) return 0;
    if ((a->text || b->text) && (!a->text || !b->text || strcmp(a->text, b->text))) return 0;
    for (int k = 0; k < a->nkids; k++)
        if (!tree_same(a->a[k], b->a[k])) return 0;
    if (a->kind == VN_REL)
        for (int k = 0; k + 1 < a->nkids; k++)
            if (a->ops[k] != b->ops[k]) return 0;
    return 1;
}

/* +inf / -inf (through any number of negations), else 0. */
static int inf_sign(const vnode *v) {
    int s = 1;
    while (v && v->kind == VN_NEG) {
        s = -s;
        v = v->a[0];
    }
    return v && v->kind == VN_CONST && !strcmp(v->text, "inf") ? s : 0;
}

/* Numeric order with infinities: -1, 0, +1, or 2 when not comparable. */
static int order(vst *st, const vnode *a, const vnode *b) {
    int sa = inf_sign(a), sb = inf_sign(b);
    if (sa || sb) return sa == sb ? 0 : sa < sb ? -1 : 1;
    return veval_order(st->ctx, a, b);
}

static int contains_kind(const vnode *v, vnode_kind k) {
    if (!v) return 0;
    if (v->kind == k) return 1;
    for (int i = 0; i < v->nkids; i++)
        if (contains_kind(v->a[i], k)) return 1;
    return 0;
}

static void collect_syms(const vnode *v, const char **names, int *n, int cap) {
    if (!v) return;
    if (v->kind == VN_SYM) {
        for (int k = 0; k < *n; k++)
            if (!strcmp(names[k], v->text)) return;
        if (*n < cap) names[(*n)++] = v->text;
        return;
    }
    for (int k = 0; k < v->nkids; k++) collect_syms(v->a[k], names, n, cap);
}

/* Copy of v with every symbol `name` replaced by the tree `by`. */
static const vnode *subst_sym(vst *st, const vnode *v, const char *name, const vnode *by) {
    if (!v) return NULL;
    if (v->kind == VN_SYM) return strcmp(v->text, name) ? v : by;
    if (!v->nkids) return v;
    vnode *c = vnode_new(st->ctx, v->kind, v->nkids);
    if (!c) return NULL;
    vnode **kids = c->a;
    *c = *v;
    c->a = kids;
    for (int k = 0; k < v->nkids; k++)
        if (!(c->a[k] = (vnode *)subst_sym(st, v->a[k], name, by))) return NULL;
    return c;
}

static int is_value_kind(vnode_kind k) {
    switch (k) {
    case VN_LIST: case VN_TUPLE: case VN_INTERVAL: case VN_SET: case VN_EMPTYSET: case VN_SETCONST:
    case VN_UNION: case VN_INTERSECT: case VN_SETMINUS: case VN_MATRIX: case VN_ELLIPSIS: case VN_REL:
    case VN_RATIO: case VN_TEXT: case VN_BASED:
        return 0;
    default: return 1;
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Relations: assignment, membership, equation, inequality (§6.3 rows 2-9)                   */

typedef enum { R_NONE, R_ASSIGN, R_MEMBER, R_EQUATION, R_INEQ, R_OTHER } relkind;

/* A name that an assignment may bind (§6.3 "assignment"): a symbol, subscripted symbol or
 * function application, and (development set lines 200, 203, 245, 246, 196) a product,
 * quotient, ratio, tuple or absolute value built only from names: `AB`, `\frac{NO}{BO}`,
 * `|AB|`, `A:B`, `(p,q)`. Numbers and sums make an equation (`7 = 11a+c`). */
static int is_name(const vnode *v, int in_product) {
    switch (v->kind) {
    case VN_SYM: case VN_APPLY: return 1;
    case VN_CONST: return in_product && (!strcmp(v->text, "e") || !strcmp(v->text, "i"));
    case VN_MUL: case VN_DIV: return is_name(v->a[0], 1) && is_name(v->a[1], 1);
    case VN_FUNC: return !strcmp(v->text, "abs") && v->nkids == 1 && is_name(v->a[0], 1);
    case VN_RATIO: case VN_TUPLE:
        for (int k = 0; k < v->nkids; k++)
            if (!is_name(v->a[k], 0)) return 0;
        return 1;
    default: return 0;
    }
}

typedef struct {
    relkind kind;
    const vnode *lhs;   /* ASSIGN: the bound name; MEMBER: the element */
    const vnode *val;   /* ASSIGN: the value; MEMBER: the set */
} vrel;

/* Classifies a relation. An `=`/`\approx` chain with a name among its non-final members is an
 * assignment whose value is the last member after an `=` (`x = 5+5+1 = 7 = 11` -> 11,
 * `x = 1/3 \approx 0.33` -> 1/3), or the last member when only `\approx` occurs (§6.2
 * "relations": `\approx` keeps the rhs). */
static vrel rel_of(const vnode *v) {
    vrel r = {R_NONE, NULL, NULL};
    if (!v || v->kind != VN_REL) return r;
    int n = v->nkids, eq = 1, ineq = 1;
    if (n == 2 && v->ops[0] == VR_IN) {
        r.kind = R_MEMBER;
        r.lhs = v->a[0];
        r.val = v->a[1];
        return r;
    }
    for (int k = 0; k + 1 < n; k++) {
        vrel_op op = v->ops[k];
        eq &= op == VR_EQ || op == VR_APPROX;
        ineq &= op == VR_LT || op == VR_GT || op == VR_LE || op == VR_GE || op == VR_NE;
    }
    if (eq) {
        for (int k = 0; k + 1 < n && !r.lhs; k++)
            if (is_name(v->a[k], 0)) r.lhs = v->a[k];
        if (r.lhs) {
            r.kind = R_ASSIGN;
            r.val = v->a[n - 1];
            for (int k = n - 1; k >= 1; k--)
                if (v->ops[k - 1] == VR_EQ) {
                    r.val = v->a[k];
                    break;
                }
            return r;
        }
        int all_eq = 1;
        for (int k = 0; k + 1 < n; k++) all_eq &= v->ops[k] == VR_EQ;
        r.kind = all_eq ? R_EQUATION : R_OTHER;
        return r;
    }
    r.kind = ineq ? R_INEQ : R_OTHER;
    return r;
}

/* Equation vs equation (§6.3): (Lg - Rg) / (Lp - Rp) is one nonzero constant. The first and
 * the last member stand for the two sides of a chain. */
static vcmp cmp_equation(vst *st, const vnode *g, const vnode *p) {
    vnode *dg = bin(st, VN_SUB, g->a[0], g->a[g->nkids - 1]);
    vnode *dp = bin(st, VN_SUB, p->a[0], p->a[p->nkids - 1]);
    if (!dg || !dp) return VCMP_UNDECIDED;
    return decide(st, veval_ratio_constant(st->ctx, dg, dp, 0), "equation");
}

/* One relation `a op b` written as D R 0 with R in {<, <=, !=} (§6.3 "relation / chain"). */
typedef struct {
    vnode *d;
    vrel_op r;
} vineq;

static int to_dr(vst *st, const vnode *a, vrel_op op, const vnode *b, vineq *out) {
    int flip = op == VR_GT || op == VR_GE;
    out->r = op == VR_GT ? VR_LT : op == VR_GE ? VR_LE : op;
    out->d = flip ? bin(st, VN_SUB, b, a) : bin(st, VN_SUB, a, b);
    return out->d ? 0 : -1;
}

static vcmp cmp_relation(vst *st, const vnode *g, const vnode *p) {
    int n = g->nkids - 1;
    if (p->nkids - 1 != n || n > 16) return decide(st, VCMP_NOT_EQUAL, "relation");
    vineq gi[16], pi[16];
    for (int k = 0; k < n; k++)
        if (to_dr(st, g->a[k], g->ops[k], g->a[k + 1], &gi[k]) ||
            to_dr(st, p->a[k], p->ops[k], p->a[k + 1], &pi[k]))
            return VCMP_UNDECIDED;
    /* a chain may be written in either direction: a < b < c is c > b > a */
    vcmp best = VCMP_NOT_EQUAL;
    for (int rev = 0; rev < 2; rev++) {
        vcmp all = VCMP_EQUAL;
        for (int k = 0; k < n && all == VCMP_EQUAL; k++) {
            const vineq *a = &gi[k], *b = &pi[rev ? n - 1 - k : k];
            if (a->r != b->r) all = VCMP_NOT_EQUAL;
            else all = veval_ratio_constant(st->ctx, a->d, b->d, a->r != VR_NE);
        }
        best = either(best, all);
        if (best == VCMP_EQUAL) break;
    }
    return decide(st, best, "relation");
}

/* ---------------------------------------------------------------------------------------- */
/* Interval sets (§6.3 "interval", "union"; §6.6 "inequality vs interval", infinite endpoints) */

typedef struct {
    const vnode *lo, *hi;
    int lopen, ropen;
} vivl;

typedef struct {
    vivl v[VLIM_ELEMS];
    int n;
    int sorted;     /* endpoints were comparable and the list is normalized */
} vivset;

static int ivs_push(vst *st, vivset *s, const vnode *lo, int lopen, const vnode *hi, int ropen) {
    if (s->n >= VLIM_ELEMS) {
        vctx_hit(st->ctx, "elements");
        return -1;
    }
    /* an infinite endpoint is always open (§6.6) */
    vivl iv = {lo, hi, lopen || inf_sign(lo) != 0, ropen || inf_sign(hi) != 0};
    s->v[s->n++] = iv;
    return 0;
}

static vnode *mk_inf(vst *st, int sign) {
    vnode *v = vnode_new(st->ctx, VN_CONST, 0);
    if (!v) return NULL;
    v->text = "inf";
    return sign < 0 ? un(st, VN_NEG, v) : v;
}

/* Sorts by lower endpoint and merges overlapping or touching intervals. Leaves the list as
 * written (sorted = 0) when endpoints are not comparable constants. */
static void ivs_normalize(vst *st, vivset *s) {
    s->sorted = 0;
    for (int i = 1; i < s->n; i++)                              /* insertion sort, n <= 256 */
        for (int j = i; j > 0; j--) {
            int o = order(st, s->v[j - 1].lo, s->v[j].lo);
            if (o == 2) return;
            if (o < 0 || (o == 0 && s->v[j - 1].lopen <= s->v[j].lopen)) break;
            vivl t = s->v[j];
            s->v[j] = s->v[j - 1];
            s->v[j - 1] = t;
        }
    int m = 0;
    for (int i = 0; i < s->n; i++) {
        vivl *c = &s->v[i];
        int e = order(st, c->lo, c->hi);
        if (e == 2) return;
        if (e > 0 || (e == 0 && (c->lopen || c->ropen))) continue;   /* empty */
        if (m > 0) {
            vivl *last = &s->v[m - 1];
            int o = order(st, c->lo, last->hi);
            if (o == 2) return;
            if (o < 0 || (o == 0 && !(c->lopen && last->ropen))) {  /* overlap or touch */
                int h = order(st, c->hi, last->hi);
                if (h == 2) return;
                if (h > 0 || (h == 0 && !c->ropen)) {
                    last->hi = c->hi;
                    last->ropen = c->ropen;
                }
                continue;
            }
        }
        s->v[m++] = *c;
    }
    s->n = m;
    s->sorted = 1;
}

static int ivs_intersect(vst *st, const vivset *a, const vivset *b, vivset *out) {
    out->n = 0;
    for (int i = 0; i < a->n; i++)
        for (int j = 0; j < b->n; j++) {
            const vivl *x = &a->v[i], *y = &b->v[j];
            int ol = order(st, x->lo, y->lo), oh = order(st, x->hi, y->hi);
            if (ol == 2 || oh == 2) return -1;
            const vivl *L = ol > 0 ? x : ol < 0 ? y : (x->lopen ? x : y);
            const vivl *H = oh < 0 ? x : oh > 0 ? y : (x->ropen ? x : y);
            if (ivs_push(st, out, L->lo, L->lopen, H->hi, H->ropen)) return -1;
        }
    ivs_normalize(st, out);
    return out->sorted ? 0 : -1;
}

/* Complement within the reals of a normalized set. */
static int ivs_complement(vst *st, const vivset *a, vivset *out) {
    out->n = 0;
    const vnode *lo = mk_inf(st, -1);
    int lopen = 1;
    for (int i = 0; i < a->n; i++) {
        if (inf_sign(a->v[i].lo) >= 0 && ivs_push(st, out, lo, lopen, a->v[i].lo, !a->v[i].lopen)) return -1;
        lo = a->v[i].hi;
        lopen = !a->v[i].ropen;
    }
    if (inf_sign(lo) <= 0 && ivs_push(st, out, lo, lopen, mk_inf(st, 1), 1)) return -1;
    ivs_normalize(st, out);
    return out->sorted ? 0 : -1;
}

static int ineq_to_ivset(vst *st, const vnode *rel, vivset *out);

/* Converts a set-valued tree to an interval set; -1 when it is not one. */
static int to_ivset(vst *st, const vnode *v, vivset *out) {
    out->n = 0;
    out->sorted = 0;
    switch (v->kind) {
    case VN_INTERVAL:
        if (ivs_push(st, out, v->a[0], v->flags & VF_LOPEN, v->a[1], v->flags & VF_ROPEN)) return -1;
        break;
    case VN_TUPLE:                                              /* pair (a,b): open interval */
        if (!(v->flags & VF_PAIR) || ivs_push(st, out, v->a[0], 1, v->a[1], 1)) return -1;
        break;
    case VN_SETCONST:
        if (strcmp(v->text, "R") || ivs_push(st, out, mk_inf(st, -1), 1, mk_inf(st, 1), 1)) return -1;
        break;
    case VN_EMPTYSET: break;
    case VN_SET:                                                /* {a, b}: points [a, a] */
        for (int k = 0; k < v->nkids; k++)
            if (!is_value_kind(v->a[k]->kind) || !veval_is_constant(v->a[k]) ||
                ivs_push(st, out, v->a[k], 0, v->a[k], 0))
                return -1;
        break;
    case VN_UNION: case VN_INTERSECT: case VN_SETMINUS: {
        vivset *a = vctx_alloc(st->ctx, sizeof *a), *b = vctx_alloc(st->ctx, sizeof *b);
        if (!a || !b || to_ivset(st, v->a[0], a) || to_ivset(st, v->a[1], b)) return -1;
        if (v->kind == VN_UNION) {
            if (a->n + b->n > VLIM_ELEMS) return -1;
            *out = *a;
            for (int k = 0; k < b->n; k++) out->v[out->n++] = b->v[k];
            break;
        }
        if (v->kind == VN_SETMINUS) {
            vivset *c = vctx_alloc(st->ctx, sizeof *c);
            if (!c || ivs_complement(st, b, c)) return -1;
            b = c;
        }
        return ivs_intersect(st, a, b, out);
    }
    case VN_REL: return ineq_to_ivset(st, v, out);
    default: return -1;
    }
    ivs_normalize(st, out);
    return 0;
}

static int is_setlike(const vnode *v) {
    switch (v->kind) {
    case VN_INTERVAL: case VN_UNION: case VN_INTERSECT: case VN_SETMINUS: case VN_SETCONST:
    case VN_EMPTYSET:
        return 1;
    case VN_TUPLE: return (v->flags & VF_PAIR) != 0;
    default: return 0;
    }
}

/* Endpoints compare as values; flags must agree. */
static vcmp cmp_ivsets(vst *st, const vivset *g, const vivset *p) {
    if (g->n != p->n) return decide(st, VCMP_NOT_EQUAL, "interval");
    for (int k = 0; k < g->n; k++) {
        const vivl *a = &g->v[k], *b = &p->v[k];
        if (a->lopen != b->lopen || a->ropen != b->ropen) return decide(st, VCMP_NOT_EQUAL, "interval");
        const vnode *ends[2][2] = {{a->lo, b->lo}, {a->hi, b->hi}};
        for (int e = 0; e < 2; e++) {
            int sa = inf_sign(ends[e][0]), sb = inf_sign(ends[e][1]);
            if (sa || sb) {
                if (sa != sb) return decide(st, VCMP_NOT_EQUAL, "interval");
                continue;
            }
            vcmp r = cmp_any(st, ends[e][0], ends[e][1]);
            if (r != VCMP_EQUAL) return decide(st, r, "interval");
        }
    }
    return decide(st, VCMP_EQUAL, "interval");
}

static vcmp cmp_as_intervals(vst *st, const vnode *g, const vnode *p) {
    vivset *a = vctx_alloc(st->ctx, sizeof *a), *b = vctx_alloc(st->ctx, sizeof *b);
    if (!a || !b) return VCMP_UNDECIDED;
    if (to_ivset(st, g, a) || to_ivset(st, p, b)) return decide(st, VCMP_NOT_EQUAL, "interval");
    return cmp_ivsets(st, a, b);
}

/* x OP c as an interval set (x on the left). */
static int bound_to_ivset(vst *st, vrel_op op, const vnode *c, vivset *out) {
    out->n = 0;
    vnode *ninf = mk_inf(st, -1), *pinf = mk_inf(st, 1);
    int rc;
    switch (op) {
    case VR_LT: rc = ivs_push(st, out, ninf, 1, c, 1); break;
    case VR_LE: rc = ivs_push(st, out, ninf, 1, c, 0); break;
    case VR_GT: rc = ivs_push(st, out, c, 1, pinf, 1); break;
    case VR_GE: rc = ivs_push(st, out, c, 0, pinf, 1); break;
    case VR_NE: rc = ivs_push(st, out, ninf, 1, c, 1) || ivs_push(st, out, c, 1, pinf, 1); break;
    default: return -1;
    }
    ivs_normalize(st, out);
    return rc;
}

static vrel_op flip_op(vrel_op op) {
    switch (op) {
    case VR_LT: return VR_GT;
    case VR_GT: return VR_LT;
    case VR_LE: return VR_GE;
    case VR_GE: return VR_LE;
    default: return op;
    }
}

/* |v| in T (T a set of t >= 0) -> v in -T u T. */
static int mirror_abs(vst *st, const vivset *t, vivset *out) {
    vivset *half = vctx_alloc(st->ctx, sizeof *half), *pos = vctx_alloc(st->ctx, sizeof *pos);
    if (!half || !pos) return -1;
    pos->n = 0;
    if (ivs_push(st, pos, num(st, "0"), 0, mk_inf(st, 1), 1)) return -1;
    if (ivs_intersect(st, t, pos, half)) return -1;
    out->n = 0;
    for (int k = 0; k < half->n; k++) {
        const vivl *a = &half->v[k];
        if (ivs_push(st, out, un(st, VN_NEG, a->hi), a->ropen, un(st, VN_NEG, a->lo), a->lopen) ||
            ivs_push(st, out, a->lo, a->lopen, a->hi, a->ropen))
            return -1;
    }
    ivs_normalize(st, out);
    return out->sorted ? 0 : -1;
}

/* A member linear in one symbol: m = alpha * name + beta with a nonzero constant alpha. */
typedef struct {
    const char *name;
    const vnode *alpha, *beta;
    int sign;       /* sign of alpha */
} vlinear;

static int linear_in_one(vst *st, const vnode *m, vlinear *lin) {
    const char *names[2];
    int n = 0;
    collect_syms(m, names, &n, 2);
    if (n != 1 || contains_kind(m, VN_APPLY)) return -1;
    const vnode *m0 = subst_sym(st, m, names[0], num(st, "0"));
    const vnode *m1 = subst_sym(st, m, names[0], num(st, "1"));
    const vnode *m2 = subst_sym(st, m, names[0], num(st, "2"));
    const vnode *alpha = bin(st, VN_SUB, m1, m0);
    const vnode *guess = bin(st, VN_ADD, bin(st, VN_MUL, num(st, "2"), alpha), m0);
    const char *why = NULL;
    if (!m2 || !guess || veval_equal(st->ctx, m2, guess, &why) != VCMP_EQUAL) return -1;
    int s = order(st, alpha, num(st, "0"));
    if (s != 1 && s != -1) return -1;
    lin->name = names[0];
    lin->alpha = alpha;
    lin->beta = m0;
    lin->sign = s;
    return 0;
}

/* Intersects acc with { m : m op c }; m is the unknown itself, or linear (solved for the
 * symbol: alpha*t + beta op c  ->  t op' (c - beta)/alpha, op flipped when alpha < 0). */
static int add_constraint(vst *st, vivset *acc, vrel_op op, const vnode *c, const vlinear *lin) {
    vivset *one = vctx_alloc(st->ctx, sizeof *one), *tmp = vctx_alloc(st->ctx, sizeof *tmp);
    if (!one || !tmp) return -1;
    if (lin) {
        c = bin(st, VN_DIV, bin(st, VN_SUB, c, lin->beta), lin->alpha);
        if (lin->sign < 0) op = flip_op(op);
    }
    if (!c || bound_to_ivset(st, op, c, one) || ivs_intersect(st, acc, one, tmp)) return -1;
    *acc = *tmp;
    return 0;
}

/* An inequality (chain) in one unknown -> interval set (§6.3 "inequality in one variable,
 * linear, or a chain of them"). The unknown is the one non-constant member: a name
 * (`0 < f(x) < 1`), |name| (`1 \le |z| \le 3/2`), or an expression linear in one symbol
 * (`-1 < 2x+1 \le 5`). Constraints between constants are ignored. */
static int ineq_to_ivset(vst *st, const vnode *rel, vivset *out) {
    if (rel_of(rel).kind != R_INEQ) return -1;
    int var = -1;
    for (int k = 0; k < rel->nkids; k++) {
        if (veval_is_constant(rel->a[k])) continue;
        if (var >= 0) return -1;
        var = k;
    }
    if (var < 0) return -1;
    const vnode *x = rel->a[var];
    int is_abs = x->kind == VN_FUNC && !strcmp(x->text, "abs") && x->nkids == 1;
    vlinear lin, *plin = NULL;
    if (!is_name(is_abs ? x->a[0] : x, 0)) {
        if (is_abs || linear_in_one(st, x, &lin)) return -1;
        plin = &lin;
    }
    vivset *acc = vctx_alloc(st->ctx, sizeof *acc);
    if (!acc) return -1;
    acc->n = 0;                                                 /* start from the reals */
    if (ivs_push(st, acc, mk_inf(st, -1), 1, mk_inf(st, 1), 1)) return -1;
    if (var > 0 && add_constraint(st, acc, flip_op(rel->ops[var - 1]), rel->a[var - 1], plin)) return -1;
    if (var + 1 < rel->nkids && add_constraint(st, acc, rel->ops[var], rel->a[var + 1], plin)) return -1;
    if (is_abs) return mirror_abs(st, acc, out);
    *out = *acc;
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* +- expansion (§6.2 "\pm, \mp": a set of at most 16 elements)                              */

static int count_pm(const vnode *v) {
    if (!v) return 0;
    int n = v->kind == VN_PM;
    for (int k = 0; k < v->nkids; k++) n += count_pm(v->a[k]);
    return n;
}

/* Rebuilds v choosing, for the idx-th +- node (pre-order), + when bit idx of mask is 0. */
static const vnode *pm_pick(vst *st, const vnode *v, unsigned mask, int *idx) {
    if (!count_pm(v)) return v;
    if (v->kind == VN_PM) {
        int neg = ((mask >> (*idx)++) & 1u) ^ (v->op < 0);
        if (v->nkids == 1) {
            const vnode *x = pm_pick(st, v->a[0], mask, idx);
            return neg ? un(st, VN_NEG, x) : x;
        }
        const vnode *l = pm_pick(st, v->a[0], mask, idx), *r = pm_pick(st, v->a[1], mask, idx);
        return bin(st, neg ? VN_SUB : VN_ADD, l, r);
    }
    vnode *c = vnode_new(st->ctx, v->kind, v->nkids);
    if (!c) return NULL;
    vnode **kids = c->a;
    *c = *v;
    c->a = kids;
    for (int k = 0; k < v->nkids; k++)
        if (!(c->a[k] = (vnode *)pm_pick(st, v->a[k], mask, idx))) return NULL;
    return c;
}

/* Appends the expansions of v (v itself when it has no +-) to out[]. */
static int pm_expand(vst *st, const vnode *v, const vnode **out, int *n, int cap) {
    int k = count_pm(v);
    if (k > VLIM_PM_SIGNS) return -1;
    for (unsigned mask = 0; mask < (1u << k); mask++) {
        int idx = 0;
        if (*n >= cap) {
            vctx_hit(st->ctx, "elements");
            return -1;
        }
        if (!(out[(*n)++] = pm_pick(st, v, mask, &idx))) return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Sets, lists, tuples (§6.3; §6.6 "list order")                                             */

#define ELEMS_CAP (VLIM_ELEMS * 4)

typedef struct {
    const vnode *v[ELEMS_CAP];
    int n;
} velems;

/* The value of a list item: an assignment gives its value, a membership its set. */
static const vnode *item_value(vst *st, const vnode *v, int pred_side) {
    vrel r = rel_of(v);
    if (r.kind == R_ASSIGN && !(pred_side && st->pol->assign_gold_only)) return r.val;
    return v;
}

/* The elements of a set-like container, assignments unwrapped and +- expanded. */
static int elems_of(vst *st, const vnode *v, int pred_side, velems *out) {
    out->n = 0;
    if (v->kind == VN_EMPTYSET) return 0;
    int n = v->kind == VN_SET || v->kind == VN_LIST || v->kind == VN_TUPLE ? v->nkids : 1;
    for (int k = 0; k < n; k++) {
        const vnode *x = n == 1 && v->kind != VN_SET && v->kind != VN_LIST && v->kind != VN_TUPLE ? v : v->a[k];
        if (pm_expand(st, item_value(st, x, pred_side), out->v, &out->n, ELEMS_CAP)) return -1;
    }
    return 0;
}

/* Order-insensitive: every element of each side equals some element of the other
 * (duplicates collapse), §6.3 "set". */
static vcmp cmp_elems_unordered(vst *st, const velems *g, const velems *p, const char *why) {
    if ((long long)g->n * p->n > VLIM_PAIRWISE) {
        vctx_hit(st->ctx, "pairwise");
        return decide(st, VCMP_UNDECIDED, why);
    }
    if (g->n == 0 || p->n == 0) return decide(st, g->n == p->n ? VCMP_EQUAL : VCMP_NOT_EQUAL, why);
    unsigned char *pm = vctx_alloc(st->ctx, (size_t)p->n);
    if (!pm) return VCMP_UNDECIDED;
    for (int i = 0; i < g->n; i++) {
        int found = 0;
        for (int j = 0; j < p->n; j++) {
            if (found && pm[j]) continue;
            if (cmp_elem(st, g->v[i], p->v[j]) == VCMP_EQUAL) {
                found = 1;
                pm[j] = 1;
            }
            if (st->ctx->limit && st->pairs > VLIM_PAIRWISE) return decide(st, VCMP_UNDECIDED, why);
        }
        if (!found) return decide(st, VCMP_NOT_EQUAL, why);
    }
    for (int j = 0; j < p->n; j++)
        if (!pm[j]) return decide(st, VCMP_NOT_EQUAL, why);
    return decide(st, VCMP_EQUAL, why);
}

static vcmp cmp_elems_ordered(vst *st, const velems *g, const velems *p, const char *why) {
    if (g->n != p->n) return decide(st, VCMP_NOT_EQUAL, why);
    for (int k = 0; k < g->n; k++) {
        const vnode *a = g->v[k], *b = p->v[k];
        vcmp r;
        if (a->kind == VN_ELLIPSIS || b->kind == VN_ELLIPSIS) r = a->kind == b->kind ? VCMP_EQUAL : VCMP_NOT_EQUAL;
        else r = cmp_elem(st, a, b);
        if (r != VCMP_EQUAL) return decide(st, r, why);
    }
    return decide(st, VCMP_EQUAL, why);
}

/* Sorts constant elements ascending and drops duplicates; -1 when not comparable. */
static int sort_elems(vst *st, velems *e) {
    for (int i = 1; i < e->n; i++)
        for (int j = i; j > 0; j--) {
            int o = order(st, e->v[j - 1], e->v[j]);
            if (o == 2) return -1;
            if (o <= 0) break;
            const vnode *t = e->v[j];
            e->v[j] = e->v[j - 1];
            e->v[j - 1] = t;
        }
    int m = 0;
    for (int i = 0; i < e->n; i++)
        if (m == 0 || order(st, e->v[m - 1], e->v[i]) != 0) e->v[m++] = e->v[i];
    e->n = m;
    return 0;
}

/* Tuple vs set (§6.3): the tuple's elements in order equal the set's in ascending order
 * (`(1,3)` = {1,3}, `(3,1)` != {1,3}). */
static vcmp cmp_tuple_set(vst *st, const vnode *tuple, const vnode *set, int tuple_is_gold) {
    velems *t = vctx_alloc(st->ctx, sizeof *t), *s = vctx_alloc(st->ctx, sizeof *s);
    if (!t || !s || elems_of(st, tuple, !tuple_is_gold, t) || elems_of(st, set, tuple_is_gold, s))
        return VCMP_UNDECIDED;
    if (sort_elems(st, s)) return decide(st, VCMP_NOT_EQUAL, "tuple");
    return tuple_is_gold ? cmp_elems_ordered(st, t, s, "tuple") : cmp_elems_ordered(st, s, t, "tuple");
}

static int has_ellipsis(const vnode *v) {
    if (v->kind != VN_LIST && v->kind != VN_RATIO) return 0;
    for (int k = 0; k < v->nkids; k++)
        if (v->a[k]->kind == VN_ELLIPSIS) return 1;
    return 0;
}

static int all_assign(const vnode *v) {
    if (v->kind != VN_LIST) return 0;
    for (int k = 0; k < v->nkids; k++)
        if (rel_of(v->a[k]).kind != R_ASSIGN) return 0;
    return 1;
}

/* Lists of assignments as maps name -> value (§6.3): keys are the lhs (a function lhs keyed by
 * its name, `W(n)` = `W(x)`); a name bound several times compares its values as a set. */
static int same_key(const vnode *a, const vnode *b) {
    if (a->kind == VN_APPLY && b->kind == VN_APPLY) return !strcmp(a->text, b->text);
    return tree_same(a, b);
}

static vcmp cmp_assign_maps(vst *st, const vnode *g, const vnode *p) {
    for (int side = 0; side < 2; side++) {
        const vnode *x = side ? p : g, *y = side ? g : p;
        for (int i = 0; i < x->nkids; i++) {
            vrel a = rel_of(x->a[i]);
            int found = 0;
            for (int j = 0; j < y->nkids && !found; j++) {
                vrel b = rel_of(y->a[j]);
                if (!same_key(a.lhs, b.lhs)) continue;
                found = (side ? cmp_elem(st, b.val, a.val) : cmp_elem(st, a.val, b.val)) == VCMP_EQUAL;
            }
            if (!found) return decide(st, VCMP_NOT_EQUAL, "list");
        }
    }
    return decide(st, VCMP_EQUAL, "list");
}

static vcmp cmp_list(vst *st, const vnode *g, const vnode *p) {
    velems *a = vctx_alloc(st->ctx, sizeof *a), *b = vctx_alloc(st->ctx, sizeof *b);
    if (!a || !b) return VCMP_UNDECIDED;
    int ordered = has_ellipsis(g) || has_ellipsis(p);
    if (all_assign(g) && all_assign(p) && !ordered) return cmp_assign_maps(st, g, p);
    if (p->kind == VN_TUPLE) {
        /* a list of assignments reads in order (`p=5,q=2` vs (5,2)); a plain list is a set */
        if (all_assign(g) || st->pol->lists_ordered) {
            if (elems_of(st, g, 0, a) || elems_of(st, p, 1, b)) return VCMP_UNDECIDED;
            return cmp_elems_ordered(st, a, b, "tuple");
        }
        return cmp_tuple_set(st, p, g, 0);
    }
    if (p->kind != VN_LIST && p->kind != VN_SET && p->kind != VN_EMPTYSET && !count_pm(p))
        return decide(st, VCMP_NOT_EQUAL, "list");
    if (elems_of(st, g, 0, a) || elems_of(st, p, 1, b)) return VCMP_UNDECIDED;
    if (ordered || (st->pol->lists_ordered && p->kind == VN_LIST)) return cmp_elems_ordered(st, a, b, "list");
    return cmp_elems_unordered(st, a, b, "list");
}

static vcmp cmp_set(vst *st, const vnode *g, const vnode *p) {
    if (p->kind == VN_TUPLE) return cmp_tuple_set(st, p, g, 0);
    if (p->kind != VN_SET && p->kind != VN_LIST && p->kind != VN_EMPTYSET && !count_pm(p)) {
        if (is_setlike(p)) return cmp_as_intervals(st, g, p);
        return decide(st, VCMP_NOT_EQUAL, "set");
    }
    velems *a = vctx_alloc(st->ctx, sizeof *a), *b = vctx_alloc(st->ctx, sizeof *b);
    if (!a || !b || elems_of(st, g, 0, a) || elems_of(st, p, 1, b)) return VCMP_UNDECIDED;
    return cmp_elems_unordered(st, a, b, "set");
}

static int is_vector(const vnode *m, int n) {
    return m->kind == VN_MATRIX && (m->rows == 1 || m->cols == 1) && m->rows * m->cols == n;
}

static vcmp cmp_tuple(vst *st, const vnode *g, const vnode *p) {
    if (p->kind == VN_TUPLE) {
        if (g->nkids != p->nkids) return decide(st, VCMP_NOT_EQUAL, "tuple");
        for (int k = 0; k < g->nkids; k++) {
            vcmp r = cmp_elem(st, g->a[k], item_value(st, p->a[k], 1));
            if (r != VCMP_EQUAL) return decide(st, r, "tuple");
        }
        return decide(st, VCMP_EQUAL, "tuple");
    }
    if ((g->flags & VF_PAIR) && is_setlike(p)) return cmp_as_intervals(st, g, p);   /* pair vs interval */
    if (p->kind == VN_SET || p->kind == VN_LIST) {
        if (p->kind == VN_LIST && st->pol->lists_ordered) {
            velems *a = vctx_alloc(st->ctx, sizeof *a), *b = vctx_alloc(st->ctx, sizeof *b);
            if (!a || !b || elems_of(st, g, 0, a) || elems_of(st, p, 1, b)) return VCMP_UNDECIDED;
            return cmp_elems_ordered(st, a, b, "tuple");
        }
        return cmp_tuple_set(st, g, p, 1);
    }
    if (is_vector(p, g->nkids) && !st->pol->vectors_strict) {   /* §6.6 "matrices" */
        for (int k = 0; k < g->nkids; k++) {
            vcmp r = cmp_elem(st, g->a[k], p->a[k]);
            if (r != VCMP_EQUAL) return decide(st, r, "matrix");
        }
        return decide(st, VCMP_EQUAL, "matrix");
    }
    return decide(st, VCMP_NOT_EQUAL, "tuple");
}

/* ---------------------------------------------------------------------------------------- */
/* Matrices (§6.3 "matrix"; §6.6 "matrices")                                                 */

/* Evaluates sums, differences, negations, scalar multiples and products of matrix literals
 * to one matrix of entry trees; NULL when v is not such an expression. */
static vnode *mat_reduce(vst *st, const vnode *v) {
    if (v->kind == VN_MATRIX) return (vnode *)v;
    if (v->kind == VN_NEG) {
        vnode *m = mat_reduce(st, v->a[0]);
        if (!m) return NULL;
        vnode *r = vnode_new(st->ctx, VN_MATRIX, m->nkids);
        if (!r) return NULL;
        r->rows = m->rows;
        r->cols = m->cols;
        for (int k = 0; k < m->nkids; k++)
            if (!(r->a[k] = un(st, VN_NEG, m->a[k]))) return NULL;
        return r;
    }
    if (v->kind != VN_ADD && v->kind != VN_SUB && v->kind != VN_MUL) return NULL;
    vnode *a = contains_kind(v->a[0], VN_MATRIX) ? mat_reduce(st, v->a[0]) : NULL;
    vnode *b = contains_kind(v->a[1], VN_MATRIX) ? mat_reduce(st, v->a[1]) : NULL;
    if (!a && !b) return NULL;
    vnode *r;
    if (a && b && v->kind != VN_MUL) {
        if (a->rows != b->rows || a->cols != b->cols || !(r = vnode_new(st->ctx, VN_MATRIX, a->nkids))) return NULL;
        r->rows = a->rows;
        r->cols = a->cols;
        for (int k = 0; k < a->nkids; k++)
            if (!(r->a[k] = bin(st, v->kind, a->a[k], b->a[k]))) return NULL;
        return r;
    }
    if (v->kind != VN_MUL) return NULL;
    if (a && b) {
        if (a->cols != b->rows || !(r = vnode_new(st->ctx, VN_MATRIX, a->rows * b->cols))) return NULL;
        r->rows = a->rows;
        r->cols = b->cols;
        for (int i = 0; i < a->rows; i++)
            for (int j = 0; j < b->cols; j++) {
                vnode *s = NULL;
                for (int k = 0; k < a->cols; k++) {
                    vnode *t = bin(st, VN_MUL, a->a[i * a->cols + k], b->a[k * b->cols + j]);
                    s = s ? bin(st, VN_ADD, s, t) : t;
                    if (!s) return NULL;
                }
                r->a[i * b->cols + j] = s;
            }
        return r;
    }
    const vnode *scalar = a ? v->a[1] : v->a[0];
    vnode *m = a ? a : b;
    if (!(r = vnode_new(st->ctx, VN_MATRIX, m->nkids))) return NULL;
    r->rows = m->rows;
    r->cols = m->cols;
    for (int k = 0; k < m->nkids; k++)
        if (!(r->a[k] = bin(st, VN_MUL, scalar, m->a[k]))) return NULL;
    return r;
}

static vcmp cmp_matrix(vst *st, const vnode *g, const vnode *p) {
    if (p->kind == VN_TUPLE) {
        if (!is_vector(g, p->nkids) || st->pol->vectors_strict) return decide(st, VCMP_NOT_EQUAL, "matrix");
    } else {
        p = mat_reduce(st, p);
        if (!p || p->rows != g->rows || p->cols != g->cols) return decide(st, VCMP_NOT_EQUAL, "matrix");
    }
    for (int k = 0; k < g->nkids; k++) {
        vcmp r = cmp_elem(st, g->a[k], p->a[k]);
        if (r != VCMP_EQUAL) return decide(st, r, "matrix");
    }
    return decide(st, VCMP_EQUAL, "matrix");
}

/* ---------------------------------------------------------------------------------------- */
/* Ratios, based numbers, text                                                               */

static vcmp cmp_value(vst *st, const vnode *g, const vnode *p);

/* Ratios are proportional term lists (`22:42` = `11:21`); a clock time h:0m, or a ratio with
 * an ellipsis, compares term by term (`12:00` != `1:00`, `1:2:3:\ldots` != `1:4:9:\ldots`). */
static vcmp cmp_ratio(vst *st, const vnode *g, const vnode *p) {
    if (p->kind != VN_RATIO) {
        if (g->nkids == 2 && !(g->flags & VF_TIME) && is_value_kind(p->kind))
            return cmp_value(st, bin(st, VN_DIV, g->a[0], g->a[1]), p);
        return decide(st, VCMP_NOT_EQUAL, "ratio");
    }
    if (g->nkids != p->nkids) return decide(st, VCMP_NOT_EQUAL, "ratio");
    int exact = ((g->flags | p->flags) & VF_TIME) || has_ellipsis(g) || has_ellipsis(p);
    for (int k = 0; k < g->nkids; k++) {
        const vnode *a = g->a[k], *b = p->a[k];
        vcmp r;
        if (a->kind == VN_ELLIPSIS || b->kind == VN_ELLIPSIS) r = a->kind == b->kind ? VCMP_EQUAL : VCMP_NOT_EQUAL;
        else if (exact || k == 0) r = exact ? cmp_elem(st, a, b) : VCMP_EQUAL;
        else r = cmp_value(st, bin(st, VN_MUL, a, p->a[0]), bin(st, VN_MUL, b, g->a[0]));
        if (r != VCMP_EQUAL) return decide(st, r, "ratio");
    }
    return decide(st, VCMP_EQUAL, "ratio");
}

static int digits_equal(const char *a, const char *b) {
    while (*a == '0' && a[1]) a++;                              /* leading zeros ignored */
    while (*b == '0' && b[1]) b++;
    return !strcmp(a, b);
}

/* Based numbers (§6.3; §6.6 "base subscripts"): same base and digits; against a plain integer
 * the digit strings must be equal (the subscript was dropped); bases=value compares values. */
static vcmp cmp_based(vst *st, const vnode *g, const vnode *p) {
    if (st->pol->bases_value && is_value_kind(g->kind == VN_BASED ? VN_NUM : g->kind))
        return decide(st, veval_equal(st->ctx, g, p, &st->reason), NULL);
    const vnode *b = g->kind == VN_BASED ? p : g;
    if (b->kind == VN_BASED)
        return decide(st, g->base == p->base && digits_equal(g->text, p->text) ? VCMP_EQUAL : VCMP_NOT_EQUAL, "based");
    if (b->kind == VN_NUM && !(b->flags & VF_DECIMAL))
        return decide(st, digits_equal(g->text, p->text) ? VCMP_EQUAL : VCMP_NOT_EQUAL, "based");
    return decide(st, VCMP_NOT_EQUAL, "based");
}

/* The letters of a product of single-letter symbols (`odd` = o*d*d, `Even` = E*v*@e*n), in
 * order, lower-cased; 0 when v is not such a product. */
static int product_letters(const vnode *v, char *out, int *n, int cap) {
    if (v->kind == VN_MUL) return product_letters(v->a[0], out, n, cap) && product_letters(v->a[1], out, n, cap);
    if ((v->kind == VN_SYM || v->kind == VN_CONST) && strlen(v->text) == 1 && *n < cap) {
        char c = v->text[0];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) return 0;
        out[(*n)++] = (char)(c | 0x20);
        return 1;
    }
    return 0;
}

static int text_letters_equal(const char *text, const vnode *prod) {
    char buf[512];
    int n = 0;
    if (!product_letters(prod, buf, &n, (int)sizeof buf)) return 0;
    int k = 0;
    for (const char *s = text; *s; s++) {
        if (*s == ' ') continue;
        if (k >= n || (*s | 0x20) != buf[k]) return 0;
        k++;
    }
    return k == n;
}

/* A text atom whose content is mathematics (`\text{13}`) is compared as that mathematics. */
static const vnode *reparse_text(vst *st, const vnode *t) {
    if (t->kind != VN_TEXT || strstr(t->text, "text")) return NULL;
    const char *lim = st->ctx->limit;
    vnode *v = vparse(st->ctx, t->text, strlen(t->text));
    st->ctx->limit = lim;                                       /* a failed reparse is no limit */
    return v && v->kind != VN_TEXT ? v : NULL;
}

/* Text atoms (§6.3 "text atom"; §6.6 "text answers"): case-insensitive, also against a product
 * of single-letter symbols (`\text{odd}` = `odd`). */
static vcmp cmp_text(vst *st, const vnode *g, const vnode *p) {
    if (g->kind == VN_TEXT && p->kind == VN_TEXT && !strcmp(g->text, p->text)) return decide(st, VCMP_EQUAL, "text");
    if (g->kind == VN_TEXT && p->kind != VN_TEXT && text_letters_equal(g->text, p)) return decide(st, VCMP_EQUAL, "text");
    if (p->kind == VN_TEXT && g->kind != VN_TEXT && text_letters_equal(p->text, g)) return decide(st, VCMP_EQUAL, "text");
    const vnode *g2 = g->kind == VN_TEXT ? reparse_text(st, g) : g;
    const vnode *p2 = p->kind == VN_TEXT ? reparse_text(st, p) : p;
    if (g2 && p2 && (g2 != g || p2 != p)) return cmp_any(st, g2, p2);
    return decide(st, VCMP_NOT_EQUAL, "text");
}

/* ---------------------------------------------------------------------------------------- */
/* Values (§6.4 via veval_equal; §6.6 percent, variable names)                               */

/* The number under a top-level percent mark (`28\%`, `-28\%`), else NULL. */
static const vnode *strip_pct(vst *st, const vnode *v) {
    if (v->kind == VN_PERCENT) return v->a[0];
    if (v->kind == VN_NEG && v->a[0]->kind == VN_PERCENT) return un(st, VN_NEG, v->a[0]->a[0]);
    return NULL;
}

static vcmp veq(vst *st, const vnode *g, const vnode *p) {
    if (!g || !p) return VCMP_UNDECIDED;
    const char *why = NULL;
    vcmp r = veval_equal(st->ctx, g, p, &why);
    if (why) st->reason = why;
    return r;
}

/* Non-strict variable names (§6.4 last item, `vars=positional`): the pred's symbols are renamed
 * to the gold's in order of first appearance. */
static const vnode *rename_syms(vst *st, const vnode *v, const char **from, const char **to, int n) {
    if (!v) return NULL;
    if (v->kind == VN_SYM) {
        for (int k = 0; k < n; k++)
            if (!strcmp(from[k], v->text)) {
                vnode *c = vnode_new(st->ctx, VN_SYM, 0);
                if (c) c->text = to[k];
                return c;
            }
        return v;
    }
    if (!v->nkids) return v;
    vnode *c = vnode_new(st->ctx, v->kind, v->nkids);
    if (!c) return NULL;
    vnode **kids = c->a;
    *c = *v;
    c->a = kids;
    for (int k = 0; k < v->nkids; k++)
        if (!(c->a[k] = (vnode *)rename_syms(st, v->a[k], from, to, n))) return NULL;
    return c;
}

static const vnode *positional(vst *st, const vnode *g, const vnode *p) {
    const char *gn[32], *pn[32];
    int ng = 0, np = 0;
    collect_syms(g, gn, &ng, 32);
    collect_syms(p, pn, &np, 32);
    int n = ng < np ? ng : np;
    return n ? rename_syms(st, p, pn, gn, n) : p;
}

/* Percent policy (§6.6): default — a mark on one side: equal with the mark dropped or with
 * x% = x/100; marks on both sides: compare the numbers. mv: x/100 only; strip: drop marks;
 * either: mv or strip; qwen: drop marks, also accept gold x100 and /100. */
static vcmp cmp_percent(vst *st, const vnode *g, const vnode *p) {
    const vnode *gs = strip_pct(st, g), *ps = strip_pct(st, p);
    const vnode *gd = gs ? gs : g, *pd = ps ? ps : p;
    switch (st->pol->percent) {
    case VERIFY_PCT_MV: return veq(st, g, p);
    case VERIFY_PCT_STRIP: return veq(st, gd, pd);
    case VERIFY_PCT_EITHER: return either(veq(st, g, p), veq(st, gd, pd));
    case VERIFY_PCT_QWEN: {
        vcmp r = veq(st, gd, pd);
        if (r != VCMP_EQUAL) r = either(r, veq(st, bin(st, VN_MUL, gd, num(st, "100")), pd));
        if (r != VCMP_EQUAL) r = either(r, veq(st, bin(st, VN_DIV, gd, num(st, "100")), pd));
        return r;
    }
    case VERIFY_PCT_DEFAULT: default:
        if (gs && ps) return veq(st, gs, ps);
        if (gs || ps) return either(veq(st, gd, pd), veq(st, g, p));
        return veq(st, g, p);
    }
}

/* Value vs anything (§6.3 rows "value", "±-set", "based", "text"). */
static vcmp cmp_value(vst *st, const vnode *g, const vnode *p) {
    if (!g || !p) return VCMP_UNDECIDED;
    if (p->kind == VN_BASED) return cmp_based(st, g, p);
    if (p->kind == VN_TEXT) return cmp_text(st, g, p);
    if (p->kind == VN_RATIO && p->nkids == 2 && !(p->flags & VF_TIME))
        return cmp_value(st, g, bin(st, VN_DIV, p->a[0], p->a[1]));
    if (!is_value_kind(p->kind) || contains_kind(p, VN_MATRIX) || contains_kind(g, VN_MATRIX))
        return decide(st, VCMP_NOT_EQUAL, "mismatch");
    int gpm = count_pm(g), ppm = count_pm(p);
    if (gpm || ppm) {                                           /* ±-sets (§6.3) */
        if (!gpm || !ppm) return decide(st, VCMP_NOT_EQUAL, "set");
        velems *a = vctx_alloc(st->ctx, sizeof *a), *b = vctx_alloc(st->ctx, sizeof *b);
        if (!a || !b || elems_of(st, g, 0, a) || elems_of(st, p, 1, b)) return VCMP_UNDECIDED;
        return cmp_elems_unordered(st, a, b, "set");
    }
    if (st->pol->vars_positional) p = positional(st, g, p);
    return cmp_percent(st, g, p);
}

/* ---------------------------------------------------------------------------------------- */
/* Dispatch (§6.3)                                                                           */

static vcmp cmp_gold_rel(vst *st, const vnode *g, vrel gr, const vnode *p, vrel pr) {
    switch (gr.kind) {
    case R_ASSIGN:
        if (pr.kind == R_ASSIGN) {
            if (same_key(gr.lhs, pr.lhs)) return cmp_any(st, gr.val, pr.val);
            return cmp_equation(st, g, p);                      /* `x = 2y` vs `y = x/2` */
        }
        if (pr.kind == R_EQUATION) return cmp_equation(st, g, p);
        if (pr.kind != R_NONE) return decide(st, VCMP_NOT_EQUAL, "relation");
        return cmp_any(st, gr.val, p);
    case R_MEMBER:
        if (pr.kind == R_MEMBER) return cmp_any(st, gr.val, pr.val);
        if (pr.kind == R_INEQ) {                                /* §6.6: gold side only */
            if (!st->pol->relations_symmetric) return decide(st, VCMP_NOT_EQUAL, "relation");
            return cmp_as_intervals(st, gr.val, p);
        }
        if (pr.kind != R_NONE) return decide(st, VCMP_NOT_EQUAL, "relation");
        return cmp_any(st, gr.val, p);
    case R_EQUATION:
        if (pr.kind == R_ASSIGN || pr.kind == R_EQUATION) return cmp_equation(st, g, p);
        return decide(st, VCMP_NOT_EQUAL, "equation");          /* `7 = 11a+c` vs `11a+c` */
    case R_INEQ:
        if (pr.kind == R_INEQ) return cmp_relation(st, g, p);
        if (pr.kind == R_MEMBER) return cmp_as_intervals(st, g, pr.val);
        if (pr.kind == R_NONE && (is_setlike(p) || p->kind == VN_SET)) return cmp_as_intervals(st, g, p);
        return decide(st, VCMP_NOT_EQUAL, "relation");
    default:
        return decide(st, VCMP_NOT_EQUAL, "relation");
    }
}

/* A pred chain of constant equalities is a computation (`\frac12 \$ = \frac{10}{9}`,
 * development set line 36): like an assignment chain it keeps its last member (§6.3 row 2). */
static int all_constant(const vnode *rel) {
    for (int k = 0; k < rel->nkids; k++)
        if (!is_value_kind(rel->a[k]->kind) || !veval_is_constant(rel->a[k])) return 0;
    return 1;
}

static vcmp cmp_any(vst *st, const vnode *g, const vnode *p) {
    if (!g || !p || st->ctx->oom) return VCMP_UNDECIDED;
    vrel gr = rel_of(g), pr = rel_of(p);
    if (gr.kind != R_NONE) return cmp_gold_rel(st, g, gr, p, pr);
    /* the gold is not a relation: unwrap the pred (§6.3 rows 3 and 5) */
    if (pr.kind == R_ASSIGN && !st->pol->assign_gold_only) return cmp_any(st, g, pr.val);
    if (pr.kind == R_MEMBER) return cmp_any(st, g, pr.val);
    if (pr.kind == R_EQUATION && all_constant(p)) return cmp_any(st, g, p->a[p->nkids - 1]);
    if (pr.kind == R_INEQ && is_setlike(g)) {                   /* §6.6: interval gold, inequality pred */
        if (!st->pol->relations_symmetric) return decide(st, VCMP_NOT_EQUAL, "relation");
        return cmp_as_intervals(st, g, p);
    }
    if (pr.kind != R_NONE) return decide(st, VCMP_NOT_EQUAL, "relation");
    switch (g->kind) {
    case VN_LIST: return cmp_list(st, g, p);
    case VN_SET: case VN_EMPTYSET: return cmp_set(st, g, p);
    case VN_TUPLE: return cmp_tuple(st, g, p);
    case VN_INTERVAL: case VN_UNION: case VN_INTERSECT: case VN_SETMINUS: case VN_SETCONST:
        if (p->kind == VN_SET && g->kind == VN_SETCONST) return decide(st, VCMP_NOT_EQUAL, "set");
        return cmp_as_intervals(st, g, p);
    case VN_MATRIX: return cmp_matrix(st, g, p);
    case VN_RATIO: return cmp_ratio(st, g, p);
    case VN_BASED: return cmp_based(st, g, p);
    case VN_TEXT: return cmp_text(st, g, p);
    case VN_ELLIPSIS: return decide(st, VCMP_NOT_EQUAL, "mismatch");
    default: break;
    }
    if (p->kind == VN_LIST || p->kind == VN_SET) {
        /* a ±-set gold is a set (§6.3); a single value is the set {g}, equal to a list whose
         * elements all equal it (duplicates collapse: `\boxed{15\frac{39}{40}}, or
         * \boxed{\frac{639}{40}}` answers 639/40) */
        if (count_pm(g)) return cmp_set(st, p, g);
        if (!is_value_kind(g->kind)) return decide(st, VCMP_NOT_EQUAL, "mismatch");
        velems *a = vctx_alloc(st->ctx, sizeof *a), *b = vctx_alloc(st->ctx, sizeof *b);
        if (!a || !b || elems_of(st, p, 1, b)) return VCMP_UNDECIDED;
        a->v[0] = g;
        a->n = 1;
        return cmp_elems_unordered(st, a, b, p->kind == VN_SET ? "set" : "list");
    }
    return cmp_value(st, g, p);
}

vcmp vcmp_trees(verify_ctx *ctx, const vnode *gold, const vnode *pred, const char **reason) {
    vst st = {ctx, ctx->pol, 0, NULL};
    vcmp r = cmp_any(&st, gold, pred);
    if (ctx->oom) r = VCMP_UNDECIDED;
    if (reason) *reason = st.reason ? st.reason : "mismatch";
    return r;
}
