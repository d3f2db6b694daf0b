/* tinymath_solve.c — recognizes a tiny-math question by its template and computes its exact
 * answer from the numbers of the text (tinymath_solve.h states the rules).
 *
 * How it works: each family has a solver that tries that family's question templates with a
 * small pattern matcher (`fit`), then reads the captured pieces (an expression, an equation, a
 * list of numbers, a name, an item) and computes the answer with exact rationals whose every
 * operation is overflow-checked. The first family that recognizes the text wins; templates of
 * different families never match the same text. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "tinymath_int.h"
#include "tinymath_solve.h"

#define MAX_CAPS 4
#define MAX_LIST 16  /* numbers in an average or a sequence */
#define MAX_DEPTH 16 /* parentheses nesting in an expression */

/* The generator's names and items (tinymath_families.c); the test checks every generated word
 * problem is recognized, which keeps these lists in step with the generator's. */
static const char *const NAMES[] = {"Tom", "Ann", "Sam", "Mia", "Ben", "Amy"};
static const char *const ITEMS[] = {"apples", "coins", "books", "pens", "cards", "eggs"};
static const char *const PRICE_ITEMS[] = {"book", "pen", "bag", "box"};

/* ------------------------------------------------------------------ checked rationals */

/* An exact rational p/q in lowest terms, q > 0; ok = 0 once anything overflowed. */
typedef struct {
    long long p, q;
    int ok;
} rat;

static rat rat_int(long long v) {
    rat r = {v, 1, 1};
    return r;
}

static rat rat_bad(void) {
    rat r = {0, 1, 0};
    return r;
}

#define SAFE_MAX (TM_SOLVE_NUM_MAX * TM_SOLVE_NUM_MAX) /* 1e18, below LLONG_MAX ~ 9.2e18 */

static int in_range(long long v) { return v >= -SAFE_MAX && v <= SAFE_MAX; }

/* p/q reduced; bad when q == 0 or the numbers left the safe range (|v| <= NUM_MAX^2 = 1e18). */
static rat rat_make(long long p, long long q) {
    if (q == 0 || !in_range(p) || !in_range(q)) return rat_bad();
    tm_frac f = tm_frac_make(p, q);
    rat r = {f.p, f.q, 1};
    return r;
}

static int mul_ok(long long a, long long b, long long *out) { return !__builtin_mul_overflow(a, b, out); }

static rat rat_add(rat a, rat b) {
    long long x, y, q, s;
    if (!a.ok || !b.ok || !mul_ok(a.p, b.q, &x) || !mul_ok(b.p, a.q, &y) || !mul_ok(a.q, b.q, &q) ||
        __builtin_add_overflow(x, y, &s))
        return rat_bad();
    return rat_make(s, q);
}

static rat rat_neg(rat a) {
    a.p = -a.p;
    return a;
}

static rat rat_mul(rat a, rat b) {
    long long p, q;
    if (!a.ok || !b.ok || !mul_ok(a.p, b.p, &p) || !mul_ok(a.q, b.q, &q)) return rat_bad();
    return rat_make(p, q);
}

static rat rat_div(rat a, rat b) {
    if (!b.ok || b.p == 0) return rat_bad();
    rat inv = {b.p < 0 ? -b.q : b.q, b.p < 0 ? -b.p : b.p, 1};
    return rat_mul(a, inv);
}

/* ------------------------------------------------------------------ reading numbers */

/* Reads an optional '-' and digits at *s into *v, advancing *s; 0 when there is no number or
 * it is larger than TM_SOLVE_NUM_MAX. */
static int read_int(const char **s, long long *v) {
    const char *c = *s;
    int neg = *c == '-';
    if (neg) c++;
    if (!isdigit((unsigned char)*c)) return 0;
    long long x = 0;
    for (; isdigit((unsigned char)*c); c++) {
        x = 10 * x + (*c - '0');
        if (x > TM_SOLVE_NUM_MAX) return 0;
    }
    *v = neg ? -x : x;
    *s = c;
    return 1;
}

/* The whole of s[0..n) is one integer. */
static int int_of(const char *s, size_t n, long long *v) {
    char buf[32];
    if (n == 0 || n >= sizeof buf) return 0;
    memcpy(buf, s, n);
    buf[n] = '\0';
    const char *c = buf;
    return read_int(&c, v) && *c == '\0';
}

/* ------------------------------------------------------------------ the template matcher */

/* A captured piece of the text. */
typedef struct {
    const char *s;
    size_t n;
} cap;

/* Matches text t against pattern p. In a pattern, '@' captures one or more characters (the
 * shortest that lets the rest match), '#' captures an integer ("-12", "7"), '$' a word of
 * letters; any other character must appear as is. Captures go to c[*nc]. */
static int fit(const char *t, const char *p, cap *c, int nc) {
    if (*p == '\0') return *t == '\0';
    if (nc >= MAX_CAPS && (*p == '@' || *p == '#' || *p == '$')) return 0;
    if (*p == '@') {
        const char *end = t + strlen(t);
        for (const char *e = t + 1; e <= end; e++) {
            c[nc].s = t, c[nc].n = (size_t)(e - t);
            if (fit(e, p + 1, c, nc + 1)) return 1;
        }
        return 0;
    }
    if (*p == '#' || *p == '$') {
        const char *e = t;
        if (*p == '#') {
            long long v;
            if (!read_int(&e, &v)) return 0;
        } else {
            while (isalpha((unsigned char)*e)) e++;
            if (e == t) return 0;
        }
        c[nc].s = t, c[nc].n = (size_t)(e - t);
        return fit(e, p + 1, c, nc + 1);
    }
    return *t == *p && fit(t + 1, p + 1, c, nc);
}

/* Tries each pattern of a NULL-terminated list; returns 1 at the first that fits. */
static int fit_any(const char *t, const char *const *pats, cap *c) {
    for (int i = 0; pats[i]; i++)
        if (fit(t, pats[i], c, 0)) return 1;
    return 0;
}

static long long cap_int(cap c) {
    long long v = 0;
    int_of(c.s, c.n, &v); /* '#' captures are valid integers by construction */
    return v;
}

/* The index of the capture in a word list, or -1. */
static int cap_word(cap c, const char *const *words, int n) {
    for (int i = 0; i < n; i++)
        if (strlen(words[i]) == c.n && !strncmp(words[i], c.s, c.n)) return i;
    return -1;
}

#define NWORDS(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ------------------------------------------------------------------ expressions (arith, fraction) */

/* Recursive descent over integers, + - * / and parentheses, with exact rationals:
 *   sum := prod (('+' | '-') prod)*    prod := unary (('*' | '/') unary)*
 *   unary := '-' unary | '(' sum ')' | integer */
typedef struct {
    const char *s; /* the cursor */
    const char *end;
    int depth, ops; /* parenthesis depth, binary operators seen */
} expr;

static rat ex_sum(expr *e);

static void ex_space(expr *e) {
    while (e->s < e->end && *e->s == ' ') e->s++;
}

static rat ex_unary(expr *e) {
    ex_space(e);
    if (e->s >= e->end) return rat_bad();
    if (*e->s == '-') {
        e->s++;
        return rat_neg(ex_unary(e));
    }
    if (*e->s == '(') {
        if (++e->depth > MAX_DEPTH) return rat_bad();
        e->s++;
        rat v = ex_sum(e);
        ex_space(e);
        if (e->s >= e->end || *e->s != ')') return rat_bad();
        e->s++;
        e->depth--;
        return v;
    }
    long long v = 0;
    const char *c = e->s;
    while (c < e->end && isdigit((unsigned char)*c)) c++;
    if (!int_of(e->s, (size_t)(c - e->s), &v)) return rat_bad();
    e->s = c;
    return rat_int(v);
}

static rat ex_prod(expr *e) {
    rat v = ex_unary(e);
    for (;;) {
        ex_space(e);
        if (e->s >= e->end || (*e->s != '*' && *e->s != '/')) return v;
        char op = *e->s++;
        e->ops++;
        rat w = ex_unary(e);
        v = op == '*' ? rat_mul(v, w) : rat_div(v, w);
    }
}

static rat ex_sum(expr *e) {
    rat v = ex_prod(e);
    for (;;) {
        ex_space(e);
        if (e->s >= e->end || (*e->s != '+' && *e->s != '-')) return v;
        char op = *e->s++;
        e->ops++;
        rat w = ex_prod(e);
        v = op == '+' ? rat_add(v, w) : rat_add(v, rat_neg(w));
    }
}

/* The value of the whole capture as an expression with at least one operator. */
static rat eval_expr(cap c) {
    expr e = {c.s, c.s + c.n, 0, 0};
    rat v = ex_sum(&e);
    ex_space(&e);
    if (e.s != e.end || e.ops == 0) return rat_bad();
    return v;
}

/* arith and fraction share the expression templates; a '/' in it makes it a fraction. */
static rat solve_expr(const char *t, tm_family *fam) {
    static const char *const PATS[] = {"What is @ in lowest terms?", "Find @. Give the answer in lowest terms.",
                                       "Find the value of @.", "What is @?", "Compute @.", "Evaluate @.", NULL};
    cap c[MAX_CAPS];
    if (!fit_any(t, PATS, c)) return rat_bad();
    *fam = memchr(c[0].s, '/', c[0].n) ? TM_FRACTION : TM_ARITH;
    return eval_expr(c[0]);
}

/* ------------------------------------------------------------------ linear equations */

/* One side of an equation: a sum of terms "x", "3x", "7", each after '+' or '-' (the first may
 * carry a '-'), as coef * x + konst. */
static int linear_side(const char *s, size_t n, rat *coef, rat *konst) {
    const char *c = s, *end = s + n;
    *coef = rat_int(0), *konst = rat_int(0);
    int first = 1;
    while (c < end) {
        int neg = 0;
        if (!first) {
            if (end - c < 3 || c[0] != ' ' || (c[1] != '+' && c[1] != '-') || c[2] != ' ') return 0;
            neg = c[1] == '-';
            c += 3;
        } else if (*c == '-') {
            neg = 1, c++;
        }
        first = 0;
        long long v = 1;
        const char *d = c;
        while (d < end && isdigit((unsigned char)*d)) d++;
        if (d > c && !int_of(c, (size_t)(d - c), &v)) return 0;
        int is_x = d < end && *d == 'x';
        if (d == c && !is_x) return 0; /* neither a number nor x */
        rat term = rat_int(neg ? -v : v);
        if (is_x) *coef = rat_add(*coef, term), d++;
        else *konst = rat_add(*konst, term);
        c = d;
    }
    return !first && coef->ok && konst->ok;
}

static rat solve_linear(const char *t) {
    static const char *const PATS[] = {"Solve for x: @ = @.", "Find x if @ = @.", "What is x if @ = @?",
                                       "If @ = @, what is x?", NULL};
    cap c[MAX_CAPS];
    rat a1, b1, a2, b2;
    if (!fit_any(t, PATS, c) || !linear_side(c[0].s, c[0].n, &a1, &b1) || !linear_side(c[1].s, c[1].n, &a2, &b2))
        return rat_bad();
    /* a1 x + b1 = a2 x + b2  ->  x = (b2 - b1) / (a1 - a2); no x left means no equation in x */
    return rat_div(rat_add(b2, rat_neg(b1)), rat_add(a1, rat_neg(a2)));
}

/* ------------------------------------------------------------------ remainder, gcd, lcm */

static rat solve_remainder(const char *t) {
    static const char *const PATS[] = {"What is the remainder when # is divided by #?", "Find # mod #.",
                                       "What is # mod #?", "What is left over when # is divided by #?", NULL};
    cap c[MAX_CAPS];
    if (!fit_any(t, PATS, c)) return rat_bad();
    long long a = cap_int(c[0]), b = cap_int(c[1]);
    if (a < 0 || b <= 0) return rat_bad();
    return rat_int(a % b);
}

static rat solve_gcd(const char *t) {
    static const char *const PATS[] = {"What is the greatest common divisor of # and #?", "Find the GCD of # and #.",
                                       "What is the largest number that divides both # and #?", NULL};
    cap c[MAX_CAPS];
    if (!fit_any(t, PATS, c)) return rat_bad();
    long long a = cap_int(c[0]), b = cap_int(c[1]);
    if (a <= 0 || b <= 0) return rat_bad();
    return rat_int(tm_gcd(a, b));
}

static rat solve_lcm(const char *t) {
    static const char *const PATS[] = {"What is the least common multiple of # and #?", "Find the LCM of # and #.",
                                       "What is the smallest number that is a multiple of both # and #?", NULL};
    cap c[MAX_CAPS];
    if (!fit_any(t, PATS, c)) return rat_bad();
    long long a = cap_int(c[0]), b = cap_int(c[1]);
    if (a <= 0 || b <= 0) return rat_bad();
    return rat_mul(rat_int(a / tm_gcd(a, b)), rat_int(b));
}

/* ------------------------------------------------------------------ percent */

static rat solve_percent(const char *t) {
    static const char *const OF[] = {"What is #% of #?", "Find #% of #.", "How much is #% of #?", NULL};
    static const char *const PRICE[] = {"A $ costs # coins. Its price goes $ by #%. What is the new price?", NULL};
    cap c[MAX_CAPS];
    if (fit_any(t, OF, c)) {
        long long x = cap_int(c[0]), y = cap_int(c[1]);
        if (x < 0 || y < 0) return rat_bad();
        return rat_make(x * y, 100);
    }
    if (!fit_any(t, PRICE, c) || cap_word(c[0], PRICE_ITEMS, NWORDS(PRICE_ITEMS)) < 0) return rat_bad();
    static const char *const DIR[] = {"up", "down"};
    long long y = cap_int(c[1]), x = cap_int(c[3]);
    int down = cap_word(c[2], DIR, 2);
    if (down < 0 || x < 0 || y < 0 || (down && x > 100)) return rat_bad();
    return rat_make(y * (down ? 100 - x : 100 + x), 100);
}

/* ------------------------------------------------------------------ word problems */

/* The story so far: who, what, how many; helper names must differ from the person. */
typedef struct {
    cap name, item;
    long long count;
    int shared; /* a "shares ... equally" step happened (it must be the last step) */
} story;

static int same(cap a, cap b) { return a.n == b.n && !strncmp(a.s, b.s, a.n); }

/* The step templates: captures person, number, item[, helper]; sign +1 adds, -1 takes away. */
static const struct {
    const char *pat;
    int sign, helper;
} STEPS[] = {
    {"$ buys # more $.", 1, 0},  {"$ finds # more $.", 1, 0}, {"$ gets # $ from $.", 1, 1},
    {"$ gives # $ to $.", -1, 1}, {"$ loses # $.", -1, 0},     {"$ sells # $.", -1, 0},
};

/* One step sentence (with its final '.'): updates the story; 0 when it is no step or it is
 * inconsistent with the story. */
static int word_step(story *w, const char *sent) {
    cap c[MAX_CAPS];
    if (w->shared) return 0; /* sharing is the last step */
    for (int i = 0; i < NWORDS(STEPS); i++) {
        if (!fit(sent, STEPS[i].pat, c, 0)) continue;
        if (!same(c[0], w->name) || !same(c[2], w->item)) return 0;
        if (STEPS[i].helper && (cap_word(c[3], NAMES, NWORDS(NAMES)) < 0 || same(c[3], w->name))) return 0;
        long long n = cap_int(c[1]);
        if (n < 0 || (STEPS[i].sign < 0 && n > w->count)) return 0; /* cannot give what one lacks */
        w->count += STEPS[i].sign * n;
        return 1;
    }
    if (fit(sent, "$ buys # bags with # $ in each bag.", c, 0)) {
        long long k = cap_int(c[1]), n = cap_int(c[2]);
        if (!same(c[0], w->name) || !same(c[3], w->item) || k < 0 || n < 0) return 0;
        w->count += k * n; /* k, n <= 1e9; the caller bounds count */
        return 1;
    }
    if (fit(sent, "$ shares the $ equally among # friends.", c, 0)) {
        long long k = cap_int(c[2]);
        if (!same(c[0], w->name) || !same(c[1], w->item) || k <= 0 || w->count % k) return 0;
        w->count /= k;
        w->shared = 1;
        return 1;
    }
    return 0;
}

/* Copies the sentence starting at *t (through its '.' or '?') into buf and moves *t past it and
 * the following space; 0 at the end of the text or when a sentence does not fit. */
static int next_sentence(const char **t, char *buf, size_t cap) {
    const char *e = strpbrk(*t, ".?");
    if (!**t || !e || (size_t)(e - *t) + 2 > cap) return 0;
    memcpy(buf, *t, (size_t)(e - *t) + 1);
    buf[e - *t + 1] = '\0';
    *t = e[1] == ' ' ? e + 2 : e + 1;
    return 1;
}

static rat solve_word(const char *t) {
    static const char *const START[] = {"$ has # $.", NULL};
    static const char *const NOW[] = {"How many $ does $ have now?", NULL};
    static const char *const EACH[] = {"How many $ does each friend get?", NULL};
    char sent[TM_SOLVE_TEXT_MAX + 1];
    cap c[MAX_CAPS];
    story w;
    if (!next_sentence(&t, sent, sizeof sent) || !fit_any(sent, START, c)) return rat_bad();
    if (cap_word(c[0], NAMES, NWORDS(NAMES)) < 0 || cap_word(c[2], ITEMS, NWORDS(ITEMS)) < 0) return rat_bad();
    w.name = c[0], w.item = c[2], w.count = cap_int(c[1]), w.shared = 0;
    /* the name and item captures point into `sent`, which the next sentences overwrite: keep
     * them in their own buffers */
    char name[16], item[16];
    snprintf(name, sizeof name, "%.*s", (int)w.name.n, w.name.s);
    snprintf(item, sizeof item, "%.*s", (int)w.item.n, w.item.s);
    w.name.s = name, w.item.s = item;
    if (w.count < 0) return rat_bad();
    int steps = 0;
    while (next_sentence(&t, sent, sizeof sent)) {
        if (sent[strlen(sent) - 1] == '?') {
            if (*t) return rat_bad(); /* the question must end the text */
            int each = fit_any(sent, EACH, c), now = !each && fit_any(sent, NOW, c);
            if (!steps || !same(c[0], w.item) || (!each && !now) || each != w.shared) return rat_bad();
            if (now && !same(c[1], w.name)) return rat_bad();
            return rat_int(w.count);
        }
        if (!word_step(&w, sent) || w.count > SAFE_MAX / 4) return rat_bad();
        steps++;
    }
    return rat_bad();
}

/* ------------------------------------------------------------------ average, sequence */

/* Reads "a, b, c" (and_last = 0) or "a, b and c" / "a and b" (and_last = 1) into x; returns
 * the count (>= 2), or 0 when the capture is not such a list. */
static int read_list(cap c, int and_last, long long *x) {
    char buf[TM_SOLVE_TEXT_MAX + 1];
    snprintf(buf, sizeof buf, "%.*s", (int)c.n, c.s);
    const char *s = buf;
    int n = 0;
    for (;;) {
        if (n == MAX_LIST || !read_int(&s, &x[n])) return 0;
        n++;
        if (*s == '\0') return !and_last && n >= 2 ? n : 0;
        if (and_last && !strncmp(s, " and ", 5)) { /* the last number */
            s += 5;
            if (n == MAX_LIST || !read_int(&s, &x[n])) return 0;
            return *s == '\0' ? n + 1 : 0;
        }
        if (strncmp(s, ", ", 2)) return 0;
        s += 2;
    }
}

static rat solve_average(const char *t) {
    static const char *const PATS[] = {"What is the average of @?", "Find the mean of @.", "What is the mean of @?",
                                       NULL};
    cap c[MAX_CAPS];
    long long x[MAX_LIST];
    int n;
    if (!fit_any(t, PATS, c) || !(n = read_list(c[0], 1, x))) return rat_bad();
    long long sum = 0;
    for (int i = 0; i < n; i++) sum += x[i]; /* <= 16 numbers of <= 1e9: no overflow */
    return rat_make(sum, n);
}

/* The common difference of x[0..n), n >= 3; 0 when the terms are not arithmetic. */
static int arithmetic(const long long *x, int n, long long *d) {
    if (n < 3) return 0;
    *d = x[1] - x[0];
    for (int i = 2; i < n; i++)
        if (x[i] - x[i - 1] != *d) return 0;
    return 1;
}

static rat solve_sequence(const char *t) {
    static const char *const NEXT[] = {"What is the next number in the sequence @?", "What number comes next: @?",
                                       "Find the next term of the sequence @.", NULL};
    static const char *const NTH[] = {"What is term # of the sequence @, ...?", "Find term # of the sequence @, ...",
                                      NULL};
    cap c[MAX_CAPS];
    long long x[MAX_LIST], d;
    int n;
    if (fit_any(t, NEXT, c)) {
        if (!(n = read_list(c[0], 0, x)) || !arithmetic(x, n, &d)) return rat_bad();
        return rat_int(x[n - 1] + d);
    }
    if (!fit_any(t, NTH, c) || !(n = read_list(c[1], 0, x)) || !arithmetic(x, n, &d)) return rat_bad();
    long long k = cap_int(c[0]);
    if (k < 1) return rat_bad();
    /* term k = x[0] + (k - 1) * d */
    return rat_add(rat_int(x[0]), rat_mul(rat_int(k - 1), rat_int(d)));
}

/* ------------------------------------------------------------------ entry point */

int tm_solve(const char *question, char *answer, size_t cap, tm_family *family) {
    if (!question || !answer || cap == 0) return -1;
    answer[0] = '\0';
    /* trim surrounding whitespace into a bounded copy */
    while (isspace((unsigned char)*question)) question++;
    size_t n = strlen(question);
    while (n && isspace((unsigned char)question[n - 1])) n--;
    if (n == 0 || n > TM_SOLVE_TEXT_MAX) return 0;
    char t[TM_SOLVE_TEXT_MAX + 1];
    memcpy(t, question, n);
    t[n] = '\0';

    tm_family fam = TM_ARITH;
    rat v = solve_expr(t, &fam);
    /* the families whose templates do not overlap the expression ones */
    static const struct {
        tm_family f;
        rat (*solve)(const char *);
    } OTHERS[] = {{TM_LINEAR, solve_linear},   {TM_REMAINDER, solve_remainder}, {TM_GCD, solve_gcd},
                  {TM_LCM, solve_lcm},         {TM_PERCENT, solve_percent},     {TM_WORD, solve_word},
                  {TM_AVERAGE, solve_average}, {TM_SEQUENCE, solve_sequence}};
    for (int i = 0; !v.ok && i < NWORDS(OTHERS); i++) {
        fam = OTHERS[i].f;
        v = OTHERS[i].solve(t);
    }
    if (!v.ok) return 0;
    tm_frac f = {v.p, v.q};
    if (tm_frac_format(f, answer, cap)) {
        answer[0] = '\0';
        return -1;
    }
    if (family) *family = fam;
    return 1;
}
