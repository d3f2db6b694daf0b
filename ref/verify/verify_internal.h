/* verify_internal.h — contracts between the verifier's parts (not installed, not exported).
 *
 *   verify_extract.c  [A] extraction of one answer string from a text      (spec/verifier.md §5)
 *   verify_norm.c     [B] string normalization rules 1-17                   (§6.1)
 *   verify_parse.c    [C] recursive-descent parser to a typed tree (vnode)  (§6.2)
 *   verify_num.c          big integers / big rationals with work counters   (§6.4 rule 1, §6.5)
 *   verify_dd.c           double-double, wide exponent, complex; functions  (§6.4 rules 2-3)
 *   verify_eval.c         value comparison: exact, numeric, identity tests  (§6.4)
 *   verify_cmp.c      [D] structural dispatch on node types                 (§6.3)
 *   verify.c              the top-level pipeline, policies, result          (§4, §6.6, §6.7)
 *
 * Memory: every vnode and every string hanging off it is allocated from the arena of the
 * verify_ctx that parsed it and freed at once with the context. Work limits (§6.5) live in the
 * context; a part that hits one sets ctx->limit (a static string) and degrades as the spec says.
 */
#ifndef SVS_VERIFY_INTERNAL_H
#define SVS_VERIFY_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "../common.h"
#include "../verify.h"

/* ---------------------------------------------------------------------------------------- */
/* Limits (spec §6.5)                                                                        */

#define VLIM_INPUT_BYTES (1u << 20)     /* model text per call */
#define VLIM_ANSWER_BYTES 4096          /* extracted answer: else string fast path only */
#define VLIM_TOKENS 1024                /* tokens per answer */
#define VLIM_DEPTH 64                   /* nesting depth */
#define VLIM_ELEMS 256                  /* elements of a list / set / tuple */
#define VLIM_PAIRWISE 65536             /* pairwise element comparisons */
#define VLIM_MATRIX 16                  /* rows, columns */
#define VLIM_PM_SIGNS 4                 /* +- expansion */
#define VLIM_BIG_DIGITS 20000           /* decimal digits per big value */
#define VLIM_POW_EXP 10000              /* |n| of an exact integer power */
#define VLIM_FACT 5000                  /* n of an exact n! */
#define VLIM_BINOM 10000                /* n of an exact binomial */
#define VLIM_LIMB_OPS 50000000LL        /* big-integer limb operations per call */
#define VLIM_NODE_EVALS 1000000LL       /* tree-node evaluations per call (all points) */

/* ---------------------------------------------------------------------------------------- */
/* Context: arena + counters + policy                                                        */

typedef struct varena_block varena_block;

typedef struct verify_ctx {
    const verify_policy *pol;
    varena_block *arena;        /* bump allocator; freed by vctx_free */
    long long limb_ops;         /* big-integer limb operations so far */
    long long node_evals;       /* tree-node evaluations so far */
    const char *limit;          /* first limit hit (static string), NULL if none */
    uint64_t seed;              /* hash of the two normalized strings (identity-test points) */
    int oom;                    /* an allocation failed: treat as UNDECIDED */
} verify_ctx;

void vctx_init(verify_ctx *ctx, const verify_policy *pol);
void vctx_free(verify_ctx *ctx);
void *vctx_alloc(verify_ctx *ctx, size_t n);           /* zeroed; NULL + ctx->oom on failure */
char *vctx_strndup(verify_ctx *ctx, const char *s, size_t n);
void vctx_hit(verify_ctx *ctx, const char *limit);     /* records the first limit hit */

/* ---------------------------------------------------------------------------------------- */
/* [A] Extraction (verify_extract.c)                                                         */

/* Step 0 on an answer string: currency `\$` kept as a currency mark, every `$`, `\(`, `\)`,
 * `\[`, `\]` removed, whitespace and a final '.' trimmed, a \boxed/\fbox reduced by the box
 * rule. Returns a malloc'd string (caller frees) or NULL on out of memory. */
char *vextract_answer_step0(const char *s, size_t n);

/* Steps 1-6 on a whole text. gold_letter: 0, or the single capital letter A-Z the gold is
 * (enables step 6). On success returns 0 with *out = a malloc'd answer string (caller frees),
 * or *out = NULL when nothing was found; returns -1 on out of memory. *step receives the step
 * number that produced the answer (1-6), 0 if none. The answer still gets step 0 afterwards
 * (done by the caller, verify.c). */
int vextract_response(const char *s, size_t n, char gold_letter, const verify_policy *pol,
                      char **out, int *step);

/* If `s` (after unwrapping \text{}, {}, (..)) is a single letter A-Z (case-insensitive for
 * the check, returned upper-case), return it; else 0. Used on the gold. */
char vextract_single_letter(const char *s, size_t n);

/* ---------------------------------------------------------------------------------------- */
/* [B] Normalization (verify_norm.c)                                                         */

/* Applies rules 1-17 of §6.1 in order. Returns a malloc'd string (caller frees) or NULL on
 * out of memory. Percent marks become the suffix `\%` on the number they belong to; the
 * ellipsis becomes `\ldots`; the empty set becomes `\emptyset`; whole-answer text becomes
 * `\text{...}`. */
char *vnorm_normalize(const char *s, size_t n, const verify_policy *pol);

/* The Hendrycks / Qwen `strip_string`-style forms used by the svs profile's extra string fast
 * path (§6.1 last paragraph, §3.5). Malloc'd, NULL on OOM. */
char *vnorm_strip_string_hendrycks(const char *s, size_t n);

/* Further spellings of vnorm_normalize's output the parser can rely on (appended by [B]):
 * - spaces survive only between two numbers (`3 1\frac{1}{2}`, `7 3/4`), after a command name
 *   before a letter (`\cot x`, `\pi r`), and as single spaces inside \text{...};
 * - `{a,b}` around the whole answer is KEPT when it has a top-level comma (a set literal);
 *   other whole-answer braces are removed (`{Evelyn}` -> `Evelyn`);
 * - a lone letter in \text{}, {}, () is unwrapped (`\text{(C)}` -> `C`);
 * - `\lt`/`\gt` -> `<`/`>`; `\operatorname{sin}` -> `\sin`; `\mathrm{e}` -> `e`;
 * - a decimal comma is converted only for a whole-answer number and never for two single
 *   digits (`6,8`, `-2,1` stay lists; `0,5` -> `0.5`); merged boxes arrive joined by ",". */

/* ---------------------------------------------------------------------------------------- */
/* [C] Typed tree (verify_parse.c)                                                           */

typedef enum {
    /* values */
    VN_NUM,        /* number literal: text = digits with optional '.', e.g. "0.0000672", "12" */
    VN_SYM,        /* symbol: text = name ("x", "a_{1}" normalized as "a_1", "\alpha") */
    VN_CONST,      /* text = "pi" | "e" | "i" | "inf" */
    VN_TEXT,       /* text atom: text = lower-cased, whitespace-collapsed content */
    VN_ADD,        /* a[0] + a[1] */
    VN_SUB,        /* a[0] - a[1] */
    VN_MUL,        /* a[0] * a[1] (explicit or implicit) */
    VN_DIV,        /* a[0] / a[1] (also \frac, \div) */
    VN_POW,        /* a[0] ^ a[1] */
    VN_NEG,        /* -a[0] */
    VN_FACT,       /* a[0]! */
    VN_PERCENT,    /* a[0] with a percent mark */
    VN_PM,         /* a[0] \pm a[1] (kid count 2) or \pm a[0] (kid count 1); op = +1 for \pm, -1 \mp */
    VN_SQRT,       /* sqrt(a[0]); nkids 2: a[1] is the root index (\sqrt[n]{}) */
    VN_FUNC,       /* known function: text = "sin","cos","tan","cot","sec","csc","sinh",
                      "cosh","tanh","coth","arcsin","arccos","arctan","arccot","ln","log","exp",
                      "abs","floor","ceil","sign","min","max","gcd","lcm"; a[] = args; for
                      "log" with a base, a[0] = argument, a[1] = base */
    VN_BINOM,      /* binom(a[0], a[1]) */
    VN_APPLY,      /* uninterpreted function: text = name, a[] = args (f(x), F_{n-k-1}) */
    VN_SUM,        /* \sum: text = index variable, a[0] = lower, a[1] = upper, a[2] = body */
    VN_PROD,       /* \prod: same layout */
    VN_BASED,      /* based number: text = digit string, base = 2..36 */
    /* containers */
    VN_LIST,       /* top-level comma / semicolon list; may contain VN_ELLIPSIS items */
    VN_TUPLE,      /* ordered ( ... ) with 2+ items; flag VF_PAIR when written (a,b) */
    VN_INTERVAL,   /* a[0], a[1]; flags VF_LOPEN / VF_ROPEN */
    VN_SET,        /* { ... } or \{ ... \} */
    VN_EMPTYSET,
    VN_SETCONST,   /* text = "R", "Z", "N", "Q", "C" (\mathbb{R} ...) */
    VN_UNION, VN_INTERSECT, VN_SETMINUS,   /* binary set operations */
    VN_MATRIX,     /* rows x cols, a[] row-major */
    VN_ELLIPSIS,   /* \ldots in a list */
    /* relations */
    VN_REL,        /* chain a[0] op[0] a[1] op[1] a[2] ...; nkids = nops + 1 */
    VN_RATIO,      /* a[0] : a[1] : ... ; flag VF_TIME when it reads as h:mm */
} vnode_kind;

typedef enum { VR_EQ, VR_LT, VR_GT, VR_LE, VR_GE, VR_NE, VR_APPROX, VR_IN } vrel_op;

#define VF_LOPEN   0x01
#define VF_ROPEN   0x02
#define VF_PAIR    0x04   /* (a,b): tuple or open interval, decided when compared */
#define VF_DECIMAL 0x08   /* VN_NUM written with a decimal point */
#define VF_TIME    0x10   /* VN_RATIO that reads as a time h:mm */
#define VF_INEXACT 0x20   /* an exact-arithmetic limit was hit inside this subtree */

typedef struct vnode vnode;
struct vnode {
    vnode_kind kind;
    int flags;
    int nkids;
    vnode **a;          /* children (arena) */
    const char *text;   /* see kinds (arena, NUL-terminated) */
    int base;           /* VN_BASED */
    int rows, cols;     /* VN_MATRIX */
    int op;             /* VN_PM sign */
    vrel_op *ops;       /* VN_REL: nkids - 1 operators */
    int frac_digits;    /* VN_NUM: digits after the point (VF_DECIMAL) */
    int sig_digits;     /* VN_NUM: significant digits */
};

/* Parses a normalized answer. Returns NULL when the text does not parse or a structural limit
 * (tokens, depth, elements, matrix size, +- signs) is hit (then ctx->limit is set). */
vnode *vparse(verify_ctx *ctx, const char *s, size_t n);

/* Debug rendering of a tree (S-expression), malloc'd. */
char *vnode_dump(const vnode *v);

/* Tree constructors used by the parser and by the comparison (arena-allocated). */
vnode *vnode_new(verify_ctx *ctx, vnode_kind kind, int nkids);
vnode *vnode_bin(verify_ctx *ctx, vnode_kind kind, vnode *l, vnode *r);

/* ---------------------------------------------------------------------------------------- */
/* Value comparison (verify_eval.c, using verify_num.c and verify_dd.c)                      */

typedef enum { VCMP_NOT_EQUAL = 0, VCMP_EQUAL = 1, VCMP_UNDECIDED = 2 } vcmp;

/* §6.4: compares two value trees (numbers and expressions, possibly with free variables,
 * percent marks, based numbers). Applies, in order: exact big-rational arithmetic (with the
 * decimal policy when exactly one side is a decimal literal), high-precision numeric
 * evaluation of constants, randomized identity testing for free variables. *reason receives
 * "exact", "decimal", "numeric" or "identity". Percent nodes evaluate as x/100 here (the
 * percent policy itself is applied by the dispatcher in verify_cmp.c). */
vcmp veval_equal(verify_ctx *ctx, const vnode *g, const vnode *p, const char **reason);

/* Equations / relations (§6.3): is g/p one nonzero constant at every sample point?
 * want_positive = 1 additionally requires the constant to be > 0 (inequalities).
 * g and p are value trees (typically L - R built with vnode_bin(VN_SUB, ...)). */
vcmp veval_ratio_constant(verify_ctx *ctx, const vnode *g, const vnode *p, int want_positive);

/* Orders two constant values numerically (for sorting interval endpoints / set elements):
 * returns -1, 0, +1, or 2 when they are not comparable real constants. */
int veval_order(verify_ctx *ctx, const vnode *a, const vnode *b);

/* True when the tree is a constant (no free variables). */
int veval_is_constant(const vnode *v);

/* ---------------------------------------------------------------------------------------- */
/* [D] Structural comparison (verify_cmp.c)                                                  */

/* §6.3: gold node type drives the dispatch (asymmetric where the spec says so).
 * *reason receives the deciding rule ("interval", "set", "tuple", "list", "matrix",
 * "equation", "relation", "text", "letter", "based", "ratio", or the value reason). */
vcmp vcmp_trees(verify_ctx *ctx, const vnode *gold, const vnode *pred, const char **reason);

#endif
