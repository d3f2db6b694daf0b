/* verify_extract.c — [A] answer extraction: one answer string out of a gold or a model text.
 *
 * Implements spec/verifier.md §5: step 0 on an answer (math delimiters removed, a final '.'
 * trimmed, the box rule), and steps 1-6 on a whole response: `<answer>` tags (1), the last
 * \boxed/\fbox with box merging (2), answer phrases (3), the last math environment or the last
 * number / simple expression (4-5) and letter answers (6). The whole text is scanned; every
 * scan is left-to-right or right-to-left once, with failure caches where a naive regex would
 * rescan, so a 1 MiB text costs linear time. Nothing here allocates except the returned
 * strings and one markdown-stripped copy of the text; nothing prints and there is no state.
 *
 * Reading of the spec where it leaves room (each is marked "own" at its function):
 *  - steps 4 and 5 compete by position: the candidate that ENDS last wins (Math-Verify sorts
 *    its equal-priority matches the same way), so a final "... increases by 100%." beats an
 *    earlier display formula;
 *  - a step-3 phrase whose sentence is prose ("Answer: The volume of $V$ is 120.") yields the
 *    rightmost math environment / number of that sentence; a phrase that yields nothing is
 *    skipped and the next phrase to the left is tried;
 *  - merged boxes are joined with "," (normalization then sees a top-level list). */
#include <stdlib.h>
#include <string.h>

#include "verify_internal.h"

#define VX_MAX_BOXES 256       /* boxes merged into one list (VLIM_ELEMS) */
#define VX_MAX_PHRASES 64      /* answer-phrase occurrences tried, rightmost first */
#define VX_PHRASE_WINDOW 50    /* a math environment must start this close to the phrase */
#define VX_SENTENCE_MAX 2048   /* a step-3 sentence is cut here */
#define VX_LOCAL_ENV_MAX 65536 /* a math environment read at one position (step 3) */
#define VX_GROUP_MAX 512       /* a brace group inside a step-5 expression */
#define VX_NONE ((size_t)-1)

typedef struct {
    size_t a, b; /* [a, b) */
} vspan;

/* ---------------------------------------------------------------------------------------- */
/* Character helpers (ASCII only: the verifier's syntax is ASCII; UTF-8 bytes are "other")   */

static int is_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_space(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
static int to_lower(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }
static int to_upper(int c) { return (c >= 'a' && c <= 'z') ? c - 32 : c; }
static int at(const char *s, size_t n, size_t i) { return i < n ? (unsigned char)s[i] : -1; }

/* Case-insensitive: does `lit` occur at s[i..]? */
static int ci_at(const char *s, size_t n, size_t i, const char *lit) {
    size_t k = 0;
    for (; lit[k]; k++)
        if (i + k >= n || to_lower((unsigned char)s[i + k]) != lit[k]) return 0;
    return 1;
}

/* Exact match of `lit` at s[i..]. */
static int lit_at(const char *s, size_t n, size_t i, const char *lit) {
    size_t k = strlen(lit);
    return i <= n && n - i >= k && memcmp(s + i, lit, k) == 0;
}

/* A word (ASCII letters) `w` at i, not glued to other letters on either side. */
static int word_at(const char *s, size_t n, size_t i, const char *w) {
    size_t k = strlen(w);
    if (!ci_at(s, n, i, w)) return 0;
    if (i > 0 && is_alpha((unsigned char)s[i - 1])) return 0;
    return !is_alpha(at(s, n, i + k));
}

static char *dup_span(const char *s, vspan sp) {
    char *d = malloc(sp.b - sp.a + 1);
    if (!d) return NULL;
    memcpy(d, s + sp.a, sp.b - sp.a);
    d[sp.b - sp.a] = 0;
    return d;
}

/* Trims whitespace (and, with `dot`, final '.' characters) from both ends of a span. */
static vspan trim_span(const char *s, vspan sp, int dot) {
    while (sp.a < sp.b && is_space((unsigned char)s[sp.a])) sp.a++;
    for (;;) {
        while (sp.b > sp.a && is_space((unsigned char)s[sp.b - 1])) sp.b--;
        if (dot && sp.b > sp.a && s[sp.b - 1] == '.' && !(sp.b >= 2 && s[sp.b - 2] == '\\')) {
            sp.b--;
            continue;
        }
        return sp;
    }
}

/* Index of the '}' matching the '{' at `open`, or VX_NONE when it does not close before
 * `limit`. A backslash escapes the next character (`\{`, `\}`, `\\`). Iterative: any depth. */
static size_t brace_close(const char *s, size_t limit, size_t open) {
    size_t depth = 0;
    for (size_t i = open; i < limit; i++) {
        char c = s[i];
        if (c == '\\') {
            i++;
            continue;
        }
        if (c == '{') depth++;
        else if (c == '}' && --depth == 0) return i;
    }
    return VX_NONE;
}

/* ---------------------------------------------------------------------------------------- */
/* Boxes (§5 step 2; also the box rule of step 0)                                            */

typedef struct {
    size_t start, end; /* "\boxed" .. one past the closing brace (or the content end) */
    vspan content;
} vbox;

/* Length of a box command name at i ("\boxed" 6, "\fbox" 5), 0 if none. */
static size_t box_name_len(const char *s, size_t n, size_t i) {
    size_t k = lit_at(s, n, i, "\\boxed") ? 6 : lit_at(s, n, i, "\\fbox") ? 5 : 0;
    if (k && is_alpha(at(s, n, i + k))) return 0; /* \boxedx is another command */
    return k;
}

/* Reads the box whose command starts at i. The box must end before `limit`; an unclosed
 * brace takes the rest of the text up to `limit` (only wanted for the last box: *closed = 0).
 * `\boxed X` without braces runs to the next '$', newline or limit. Returns 1 on a box. */
static int box_parse(const char *s, size_t n, size_t i, size_t limit, vbox *b, int *closed) {
    size_t k = box_name_len(s, n, i);
    if (!k) return 0;
    size_t j = i + k;
    while (j < limit && is_space((unsigned char)s[j])) j++;
    b->start = i;
    *closed = 1;
    if (j < limit && s[j] == '{') {
        size_t c = brace_close(s, limit, j);
        if (c == VX_NONE) {
            *closed = 0;
            b->content = (vspan){j + 1, limit};
            b->end = limit;
        } else {
            b->content = (vspan){j + 1, c};
            b->end = c + 1;
        }
        return 1;
    }
    size_t e = j;
    while (e < limit && s[e] != '$' && s[e] != '\n') e++;
    if (e == j) return 0;
    b->content = (vspan){j, e};
    b->end = e;
    return 1;
}

/* Start of the rightmost box command that starts before `before`, or VX_NONE. */
static size_t prev_box(const char *s, size_t n, size_t before) {
    for (size_t i = before; i-- > 0;)
        if (s[i] == '\\' && box_name_len(s, n, i)) return i;
    return VX_NONE;
}

/* The gap between two boxes separates list items: ',' or ';' or the word and/or. */
static int gap_has_separator(const char *s, size_t n, size_t a, size_t b) {
    for (size_t i = a; i < b; i++) {
        if (s[i] == ',' || s[i] == ';') return 1;
        if (i + 3 <= b && word_at(s, n, i, "and")) return 1;
        if (i + 2 <= b && word_at(s, n, i, "or")) return 1;
    }
    return 0;
}

static int span_eq(const char *s, vspan x, vspan y) {
    return x.b - x.a == y.b - y.a && memcmp(s + x.a, s + y.a, x.b - x.a) == 0;
}

/* Step 2 box rule (H, MV, own). Finds the last box of s[0..n) and merges earlier boxes:
 * walking left, the previous box is taken when the text between them is < 10 characters,
 * or < 70 characters and holds ',', ';', "and" or "or"; a content identical to its right
 * neighbour's is kept once. The contents are written to *out in text order joined by ",".
 * Returns 1 if a box was found, 0 if none, -1 on out of memory. Linear: the walk only moves
 * left and each box is brace-matched within the gap to its right neighbour. */
static int box_rule(const char *s, size_t n, svs_buf *out) {
    size_t p = prev_box(s, n, n);
    vbox last;
    int closed;
    while (p != VX_NONE && !box_parse(s, n, p, n, &last, &closed)) p = prev_box(s, n, p);
    if (p == VX_NONE) return 0;

    vspan parts[VX_MAX_BOXES];
    size_t np = 0;
    parts[VX_MAX_BOXES - 1 - np++] = trim_span(s, last.content, 0);
    vbox cur = last;
    while (np < VX_MAX_BOXES) {
        size_t q = prev_box(s, n, cur.start);
        if (q == VX_NONE) break;
        vbox b;
        if (!box_parse(s, n, q, cur.start, &b, &closed) || !closed) break;
        size_t gap = cur.start - b.end;
        if (!(gap < 10 || (gap < 70 && gap_has_separator(s, n, b.end, cur.start)))) break;
        vspan c = trim_span(s, b.content, 0);
        if (!span_eq(s, c, trim_span(s, cur.content, 0))) parts[VX_MAX_BOXES - 1 - np++] = c;
        cur = b;
    }
    for (size_t k = 0; k < np; k++) {
        vspan c = parts[VX_MAX_BOXES - np + k];
        if (k && svs_buf_putc(out, ',', NULL)) return -1;
        if (svs_buf_append(out, s + c.a, c.b - c.a, NULL)) return -1;
    }
    if (!out->data && svs_buf_reserve(out, 0, NULL)) return -1;
    return 1;
}

/* ---------------------------------------------------------------------------------------- */
/* Step 0 (answers)                                                                          */

char *vextract_answer_step0(const char *s, size_t n) {
    svs_buf b = {0};
    if (svs_buf_reserve(&b, n, NULL)) return NULL;
    /* `\$` is kept as the currency mark (rule 7 removes it later); every other `$`, `\(`,
     * `\)`, `\[`, `\]` goes. A `\\` pair is copied whole so `\\[2pt]` or `\\(` stay rows. */
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\\' && i + 1 < n) {
            char d = s[i + 1];
            if (d == '(' || d == ')' || d == '[' || d == ']') {
                i++;
                continue;
            }
            b.data[b.len++] = c;
            b.data[b.len++] = d;
            i++;
            continue;
        }
        if (c == '$') continue;
        b.data[b.len++] = c;
    }
    b.data[b.len] = 0;
    vspan t = trim_span(b.data, (vspan){0, b.len}, 1);
    svs_buf boxed = {0};
    int r = box_rule(b.data + t.a, t.b - t.a, &boxed);
    char *res = NULL;
    if (r > 0) {
        vspan u = trim_span(boxed.data, (vspan){0, boxed.len}, 1);
        res = dup_span(boxed.data, u);
    } else if (r == 0) {
        res = dup_span(b.data, t);
    }
    svs_buf_free(&boxed);
    svs_buf_free(&b);
    return res;
}

/* ---------------------------------------------------------------------------------------- */
/* Step 1: <answer>...</answer>                                                              */

/* Last `</answer>` and the last `<answer>` before it (both required; case-insensitive). */
static int step1_tags(const char *s, size_t n, vspan *out) {
    size_t close = VX_NONE;
    for (size_t i = n; i-- > 0;)
        if (s[i] == '<' && ci_at(s, n, i, "</answer>")) {
            close = i;
            break;
        }
    if (close == VX_NONE) return 0;
    for (size_t i = close; i-- > 0;)
        if (s[i] == '<' && ci_at(s, n, i, "<answer>")) {
            *out = (vspan){i + 8, close};
            return 1;
        }
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Math environments (step 4; also step 3)                                                   */

typedef struct {
    size_t start, end; /* opening delimiter .. one past the closing delimiter */
    vspan body;
} venv;

static int escaped(const char *s, size_t i) { return i > 0 && s[i - 1] == '\\'; }

/* Finds the closing `$$` / `\]` of a display environment opened at i (body from `from`),
 * searching up to `hi`. Returns the closer index or VX_NONE. */
static size_t display_close(const char *s, size_t from, size_t hi, int dollar) {
    for (size_t j = from; j + 1 < hi; j++) {
        if (dollar && s[j] == '$' && s[j + 1] == '$' && !escaped(s, j)) return j;
        if (!dollar && s[j] == '\\' && s[j + 1] == ']' && !escaped(s, j)) return j;
    }
    return VX_NONE;
}

/* Closer of an inline environment on the same line: `$` (not escaped) or `\)`. */
static size_t inline_close(const char *s, size_t from, size_t hi, int dollar, size_t *line_end) {
    for (size_t j = from; j < hi; j++) {
        if (s[j] == '\n') {
            *line_end = j;
            return VX_NONE;
        }
        if (dollar && s[j] == '$' && !escaped(s, j)) return j;
        if (!dollar && s[j] == '\\' && j + 1 < hi && s[j + 1] == ')' && !escaped(s, j)) return j;
    }
    *line_end = hi;
    return VX_NONE;
}

/* Failure caches of one left-to-right scan: a display opener with no closer means no later
 * opener of that kind can close either; an inline opener fails for its whole line. */
typedef struct {
    int dd_dead, br_dead;
    size_t dollar_dead_until, paren_dead_until;
} venv_cache;

/* Tries to open an environment at i (MV's order: $$, \[, $, \(), searching closers below hi.
 * With cache == NULL the search is local (step 3) and bounded by VX_LOCAL_ENV_MAX. */
static int env_at(const char *s, size_t i, size_t hi, venv *e, venv_cache *cache) {
    size_t lim = hi;
    if (!cache && hi - i > VX_LOCAL_ENV_MAX) lim = i + VX_LOCAL_ENV_MAX;
    size_t le = 0; /* set by inline_close whenever it returns VX_NONE */
    if (s[i] == '$' && !escaped(s, i)) {
        if (i + 1 < hi && s[i + 1] == '$' && !(cache && cache->dd_dead)) {
            size_t c = display_close(s, i + 2, lim, 1);
            if (c != VX_NONE && c > i + 2) {
                *e = (venv){i, c + 2, {i + 2, c}};
                return 1;
            }
            if (c == VX_NONE && cache) cache->dd_dead = 1;
        }
        if (cache && i < cache->dollar_dead_until) return 0;
        if (i > 0 && is_digit((unsigned char)s[i - 1])) return 0; /* "2,74 $" is money */
        size_t c = inline_close(s, i + 1, lim, 1, &le);
        if (c != VX_NONE && c > i + 1) {
            *e = (venv){i, c + 1, {i + 1, c}};
            return 1;
        }
        if (c == VX_NONE && cache) cache->dollar_dead_until = le;
        return 0;
    }
    if (s[i] == '\\' && i + 1 < hi && !escaped(s, i)) {
        if (s[i + 1] == '[' && !(cache && cache->br_dead)) {
            size_t c = display_close(s, i + 2, lim, 0);
            if (c != VX_NONE) {
                *e = (venv){i, c + 2, {i + 2, c}};
                return 1;
            }
            if (cache) cache->br_dead = 1;
        } else if (s[i + 1] == '(' && !(cache && i < cache->paren_dead_until)) {
            size_t c = inline_close(s, i + 2, lim, 0, &le);
            if (c != VX_NONE) {
                *e = (venv){i, c + 2, {i + 2, c}};
                return 1;
            }
            if (cache) cache->paren_dead_until = le;
        }
    }
    return 0;
}

/* Step 4: the last math environment in s[lo..hi) (non-overlapping, left to right, as regex
 * finditer would pair them). Returns 1 and *out. Linear thanks to the failure caches. */
static int last_env(const char *s, size_t lo, size_t hi, venv *out) {
    venv_cache cache = {0, 0, 0, 0};
    int found = 0;
    for (size_t i = lo; i < hi;) {
        venv e;
        if ((s[i] == '$' || s[i] == '\\') && env_at(s, i, hi, &e, &cache)) {
            *out = e;
            found = 1;
            i = e.end;
            continue;
        }
        if (s[i] == '\\') i++; /* skip the escaped character */
        i++;
    }
    return found;
}

/* ---------------------------------------------------------------------------------------- */
/* Step 5: the last number or simple expression                                              */

/* A UTF-8 currency sign (€ £ ¥ ₹) or '$' ends at i-1? Returns its length or 0. */
static size_t currency_before(const char *s, size_t i) {
    const unsigned char *u = (const unsigned char *)s;
    if (i >= 1 && u[i - 1] == '$') return 1;
    if (i >= 2 && u[i - 2] == 0xC2 && (u[i - 1] == 0xA3 || u[i - 1] == 0xA5)) return 2;
    if (i >= 3 && u[i - 3] == 0xE2 && u[i - 2] == 0x82 && (u[i - 1] == 0xAC || u[i - 1] == 0xB9)) return 3;
    return 0;
}

/* Left anchor (MV): start of text, whitespace, '=', '(' or a currency sign before i. */
static int left_anchor(const char *s, size_t lo, size_t i) {
    if (i == lo) return 1;
    char p = s[i - 1];
    return is_space((unsigned char)p) || p == '=' || p == '(' || currency_before(s, i);
}

/* Reads one unsigned number at i: thousands groups `[1-9]\d{0,2}(,\d{3})+`, or digits; then
 * a decimal part `.\d+`, or (policy) a decimal comma `,\d+` whose digit run is not exactly
 * 3 long and is not followed by another `,digit` (a list); or `.\d+` alone. Returns the end
 * (== i when there is no number). */
static size_t number_end(const char *s, size_t hi, size_t i, int decimal_comma) {
    size_t j = i;
    if (j < hi && s[j] == '.' && j + 1 < hi && is_digit((unsigned char)s[j + 1])) {
        j++;
        while (j < hi && is_digit((unsigned char)s[j])) j++;
        return j;
    }
    while (j < hi && is_digit((unsigned char)s[j])) j++;
    if (j == i) return i;
    size_t d = j - i;
    int grouped = 0;
    if (d <= 3 && s[i] != '0') {
        while (j + 3 < hi && s[j] == ',' && is_digit((unsigned char)s[j + 1]) && is_digit((unsigned char)s[j + 2]) &&
               is_digit((unsigned char)s[j + 3]) && !is_digit(at(s, hi, j + 4))) {
            j += 4;
            grouped = 1;
        }
    }
    if (j + 1 < hi && s[j] == '.' && is_digit((unsigned char)s[j + 1])) {
        j++;
        while (j < hi && is_digit((unsigned char)s[j])) j++;
    } else if (!grouped && decimal_comma && j + 1 < hi && s[j] == ',' && is_digit((unsigned char)s[j + 1])) {
        size_t k = j + 1;
        while (k < hi && is_digit((unsigned char)s[k])) k++;
        int list_follows = k + 1 < hi && s[k] == ',' && is_digit((unsigned char)s[k + 1]);
        if (k - (j + 1) != 3 && !list_follows) j = k;
    }
    return j;
}

/* Optional percent suffix after a number: \s*(\%|%|percent|percentage|pct). Returns the new end. */
static size_t percent_end(const char *s, size_t hi, size_t j) {
    size_t k = j;
    while (k < hi && (s[k] == ' ' || s[k] == '\t')) k++;
    if (k < hi && s[k] == '%') return k + 1;
    if (k + 1 < hi && s[k] == '\\' && s[k + 1] == '%') return k + 2;
    static const char *const words[] = {"percentage", "percent", "pct"};
    for (size_t w = 0; w < 3; w++) {
        size_t L = strlen(words[w]);
        if (ci_at(s, hi, k, words[w]) && !is_alpha(at(s, hi, k + L))) return k + L;
    }
    return j;
}

/* LaTeX commands a step-5 simple expression may contain: operands (with brace groups) and
 * operators. Returns the name length after the backslash, 0 if not allowed; *is_op set. */
static size_t expr_command(const char *s, size_t hi, size_t i, int *is_op) {
    static const char *const operands[] = {"sqrt", "frac", "dfrac", "tfrac", "pi"};
    static const char *const ops[] = {"cdot", "times", "div", "pm"};
    if (i >= hi || s[i] != '\\') return 0;
    size_t k = i + 1;
    while (k < hi && is_alpha((unsigned char)s[k])) k++;
    size_t L = k - i - 1;
    for (size_t w = 0; w < 5; w++)
        if (strlen(operands[w]) == L && memcmp(s + i + 1, operands[w], L) == 0) {
            *is_op = 0;
            return L;
        }
    for (size_t w = 0; w < 4; w++)
        if (strlen(ops[w]) == L && memcmp(s + i + 1, ops[w], L) == 0) {
            *is_op = 1;
            return L;
        }
    return 0;
}

/* A brace group at i, bounded by VX_GROUP_MAX; returns its end or i. */
static size_t group_end(const char *s, size_t hi, size_t i) {
    if (i >= hi || s[i] != '{') return i;
    size_t lim = hi - i > VX_GROUP_MAX ? i + VX_GROUP_MAX : hi;
    size_t c = brace_close(s, lim, i);
    return c == VX_NONE ? i : c + 1;
}

/* One operand of a simple expression at i: a number, a command operand with its groups
 * (`\sqrt{2}`, `\sqrt2`, `\frac{1}{2}`, `\pi`), optionally followed by '!' or `^` with a
 * digit run or a group. Returns the end or i. */
static size_t operand_end(const char *s, size_t hi, size_t i, int dc) {
    size_t j = number_end(s, hi, i, dc);
    if (j == i) {
        int op;
        size_t L = expr_command(s, hi, i, &op);
        if (!L || op) return i;
        j = i + 1 + L;
        if (L == 4 && memcmp(s + i + 1, "sqrt", 4) == 0) {
            size_t g = group_end(s, hi, j);
            if (g == j && j < hi && is_digit((unsigned char)s[j])) g = j + 1;
            if (g == j) return i;
            j = g;
        } else if (L != 2) { /* the fractions: two groups (or single digits) */
            for (int a = 0; a < 2; a++) {
                size_t g = group_end(s, hi, j);
                if (g == j && j < hi && is_digit((unsigned char)s[j])) g = j + 1;
                if (g == j) return i;
                j = g;
            }
        }
    }
    if (j < hi && s[j] == '!') j++;
    if (j + 1 < hi && s[j] == '^') {
        size_t g = group_end(s, hi, j + 1);
        if (g == j + 1)
            while (g < hi && is_digit((unsigned char)s[g])) g++;
        if (g > j + 1) j = g;
    }
    return j;
}

/* Right boundary of an expression (MV): end, whitespace, punctuation, ')' or '$'. */
static int right_boundary(const char *s, size_t hi, size_t j) {
    if (j >= hi) return 1;
    char c = s[j];
    return is_space((unsigned char)c) || c == '.' || c == ',' || c == ';' || c == ':' || c == '!' || c == '?' ||
           c == ')' || c == '$' || c == ']' || c == '}';
}

/* A binary operator at j (spaces around it allowed): + - * / ^ × ÷ \cdot \times \div \pm.
 * Returns the position after it and its trailing spaces, or j. */
static size_t operator_end(const char *s, size_t hi, size_t j) {
    size_t k = j;
    while (k < hi && s[k] == ' ') k++;
    const unsigned char *u = (const unsigned char *)s;
    size_t e = k;
    if (k < hi && (s[k] == '+' || s[k] == '-' || s[k] == '*' || s[k] == '/' || s[k] == '^')) e = k + 1;
    else if (k + 1 < hi && u[k] == 0xC3 && (u[k + 1] == 0x97 || u[k + 1] == 0xB7)) e = k + 2;
    else {
        int op;
        size_t L = expr_command(s, hi, k, &op);
        if (L && op) e = k + 1 + L;
    }
    if (e == k) return j;
    while (e < hi && s[e] == ' ') e++;
    return e;
}

/* Simple expression at i (own, after MV's expression regex plus LaTeX operands so that
 * `1-\sqrt{2}` is taken whole): [-] [(] operand ( op operand | implicit operand | ( | ) )*,
 * balanced parentheses, at least one operator, ending on a right boundary. Returns the end,
 * or i when there is no such expression; *scanned receives how far the attempt looked. */
static size_t expr_end(const char *s, size_t hi, size_t i, int dc, size_t *scanned) {
    size_t j = i, depth = 0, ops = 0, good = i;
    if (j < hi && s[j] == '-') j++;
    while (j < hi && s[j] == '(') {
        depth++;
        j++;
    }
    if (j < hi && s[j] == '-') j++;
    if (!(j < hi && (is_digit((unsigned char)s[j]) || (s[j] == '.' && is_digit(at(s, hi, j + 1)))))) {
        *scanned = j;
        return i;
    }
    for (;;) {
        size_t e = operand_end(s, hi, j, dc);
        if (e == j) break;
        j = e;
        for (;;) { /* implicit products and parentheses after an operand */
            if (j < hi && s[j] == ')' && depth > 0) {
                depth--;
                j++;
            } else if (j < hi && (s[j] == '(' || s[j] == '\\') && operand_end(s, hi, j + (s[j] == '('), dc) > j + (s[j] == '(')) {
                if (s[j] == '(') {
                    depth++;
                    j++;
                }
                j = operand_end(s, hi, j, dc);
                ops++;
            } else {
                break;
            }
        }
        if (depth == 0 && ops > 0 && right_boundary(s, hi, j)) good = j;
        size_t o = operator_end(s, hi, j);
        if (o == j) break;
        size_t k = o;
        while (k < hi && s[k] == '(') {
            depth++;
            k++;
        }
        if (k < hi && s[k] == '-' && o < k) k++;
        if (operand_end(s, hi, k, dc) == k) break;
        ops++;
        j = k;
    }
    *scanned = j;
    return good;
}

/* Step 5 (MV, own): the last number / simple expression in s[lo..hi) with a left anchor;
 * an expression needs a right boundary, a plain number does not (`1,000.99m²`, `10€`).
 * A percent suffix is included. Non-overlapping left-to-right scan; an expression attempt
 * that failed is not retried from inside the region it scanned, so the scan is linear. */
static int last_number(const char *s, size_t lo, size_t hi, int dc, vspan *out) {
    int found = 0;
    size_t expr_dead_until = lo;
    for (size_t i = lo; i < hi;) {
        char c = s[i];
        if ((is_digit((unsigned char)c) || c == '-' || c == '.' || c == '(') && left_anchor(s, lo, i)) {
            if (i >= expr_dead_until) {
                size_t scanned;
                size_t e = expr_end(s, hi, i, dc, &scanned);
                if (e > i) {
                    *out = (vspan){i, percent_end(s, hi, e)};
                    found = 1;
                    i = e;
                    continue;
                }
                expr_dead_until = scanned;
            }
            size_t k = i + (c == '-');
            size_t e = number_end(s, hi, k, dc);
            if (e > k) {
                *out = (vspan){i, percent_end(s, hi, e)};
                found = 1;
                i = e;
                continue;
            }
        }
        i++;
    }
    return found;
}

/* Steps 4+5 (own ordering, see the file comment): the candidate that ends last. Returns 0
 * when there is none, else the step that produced *out (4 or 5). */
static int last_env_or_number(const char *s, size_t lo, size_t hi, int dc, vspan *out, int *pct) {
    venv e = {0, 0, {0, 0}};
    vspan num = {0, 0};
    int he = last_env(s, lo, hi, &e), hn = last_number(s, lo, hi, dc, &num);
    *pct = 0;
    if (he && (!hn || e.end >= num.b)) {
        *out = e.body;
        *pct = percent_end(s, hi, e.end) > e.end; /* `$28$ percent` (MV's percent group) */
        return 4;
    }
    if (hn) *out = num;
    return hn ? 5 : 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Step 3: answer phrases                                                                    */

/* Words an answer may contain besides mathematics: connectives, unit and percent words. */
static int answer_word(const char *w, size_t L) {
    static const char *const ok[] = {
        "and", "or", "percent", "percentage", "pct", "square", "sq", "cubic", "cu", "mm", "cm", "dm", "km",
        "inch", "inches", "in", "foot", "feet", "ft", "yard", "yards", "yd", "mile", "miles", "mi", "meter",
        "meters", "metre", "metres", "centimeters", "kilometers", "gm", "gram", "grams", "kg", "lb", "lbs",
        "pound", "pounds", "ounce", "ounces", "oz", "ton", "tons", "sec", "second", "seconds", "min", "minute",
        "minutes", "hr", "hrs", "hour", "hours", "day", "days", "week", "weeks", "month", "months", "year",
        "years", "mph", "dollar", "dollars", "cent", "cents", "degree", "degrees", "deg", "units", "unit",
        "ways", "points", "digits", "students", "people", "liters", "ml", "yuan", "euros", "rupees"};
    for (size_t k = 0; k < sizeof ok / sizeof *ok; k++)
        if (strlen(ok[k]) == L) {
            size_t m = 0;
            while (m < L && to_lower((unsigned char)w[m]) == ok[k][m]) m++;
            if (m == L) return 1;
        }
    return 0;
}

/* Does s[a..b) read as an answer rather than prose? Prose = a word of 2+ letters that is not
 * a command name, not inside a math environment or a \text-like group, and not an answer
 * word. (own) */
static int answer_like(const char *s, size_t a, size_t b) {
    for (size_t i = a; i < b;) {
        venv e;
        if ((s[i] == '$' || (s[i] == '\\' && (at(s, b, i + 1) == '(' || at(s, b, i + 1) == '['))) &&
            env_at(s, i, b, &e, NULL)) {
            i = e.end;
            continue;
        }
        if (s[i] == '\\') { /* a command: skip its name; skip the group of \text-like ones */
            size_t k = i + 1;
            while (k < b && is_alpha((unsigned char)s[k])) k++;
            if (k - i - 1 >= 4 && (lit_at(s, b, i, "\\text") || lit_at(s, b, i, "\\mbox") || lit_at(s, b, i, "\\math"))) {
                size_t c = k < b && s[k] == '{' ? brace_close(s, b, k) : VX_NONE;
                if (c != VX_NONE) k = c + 1;
            }
            i = k > i + 1 ? k : i + 2;
            continue;
        }
        if (is_alpha((unsigned char)s[i])) {
            size_t k = i;
            while (k < b && is_alpha((unsigned char)s[k])) k++;
            if (k - i >= 2 && !answer_word(s + i, k - i)) return 0;
            i = k;
            continue;
        }
        i++;
    }
    return 1;
}

/* End of the sentence that starts at q: a newline, or '.', '!', '?' followed by whitespace or
 * the end; math environments and brace groups are skipped whole. Bounded by VX_SENTENCE_MAX. */
static size_t sentence_end(const char *s, size_t n, size_t q) {
    size_t lim = n - q > VX_SENTENCE_MAX ? q + VX_SENTENCE_MAX : n;
    for (size_t i = q; i < lim;) {
        venv e;
        char c = s[i];
        if ((c == '$' || c == '\\') && env_at(s, i, lim, &e, NULL)) {
            i = e.end;
            continue;
        }
        if (c == '\\' && box_name_len(s, n, i)) {
            vbox bx;
            int closed;
            if (box_parse(s, n, i, lim, &bx, &closed) && closed) {
                i = bx.end;
                continue;
            }
        }
        if (c == '\n') return i;
        if ((c == '.' || c == '!' || c == '?') && (i + 1 >= n || is_space((unsigned char)s[i + 1]))) return i;
        i += (c == '\\') ? 2 : 1;
    }
    return lim;
}

/* Start of the sentence that ends at e (after the previous newline or ". "). */
static size_t sentence_start(const char *s, size_t e) {
    size_t lim = e > VX_SENTENCE_MAX ? e - VX_SENTENCE_MAX : 0;
    for (size_t i = e; i > lim; i--) {
        char c = s[i - 1];
        if (c == '\n') return i;
        if ((c == ' ' || c == '\t') && i >= 2 && (s[i - 2] == '.' || s[i - 2] == '!' || s[i - 2] == '?')) return i;
    }
    return lim;
}

/* A step-3 candidate X from the sentence s[a..b): the whole sentence when it reads as an
 * answer, else its rightmost math environment / number (own). */
static int sentence_candidate(const char *s, size_t a, size_t b, int dc, vspan *out) {
    vspan t = trim_span(s, (vspan){a, b}, 1);
    if (t.a >= t.b) return 0;
    if (answer_like(s, t.a, t.b)) {
        *out = t;
        return 1;
    }
    int pct;
    return last_env_or_number(s, t.a, t.b, dc, out, &pct) > 0;
}

/* The math environments (or boxes) starting at q, joined by "and"/"or"/"," as Math-Verify's
 * "first ... next1..5" groups: written to *out joined by ",". Returns 1 if one starts at q. */
static int envs_at(const char *s, size_t n, size_t q, svs_buf *out, int *err) {
    int count = 0;
    for (size_t i = q; count < 6;) {
        venv e;
        vbox bx;
        int closed = 0;
        vspan body;
        size_t end;
        if (i < n && (s[i] == '$' || s[i] == '\\') && env_at(s, i, n, &e, NULL)) {
            body = e.body;
            end = e.end;
        } else if (i < n && s[i] == '\\' && box_parse(s, n, i, n, &bx, &closed)) {
            body = bx.content;
            end = bx.end;
        } else {
            break;
        }
        body = trim_span(s, body, 0);
        if ((count && svs_buf_putc(out, ',', NULL)) || svs_buf_append(out, s + body.a, body.b - body.a, NULL)) {
            *err = 1;
            return 0;
        }
        count++;
        /* a following ", and $..$" / " or \(..\)" joins the list */
        size_t k = end;
        while (k < n && is_space((unsigned char)s[k])) k++;
        if (k < n && s[k] == ',') k++;
        while (k < n && is_space((unsigned char)s[k])) k++;
        if (word_at(s, n, k, "and")) k += 3;
        else if (word_at(s, n, k, "or")) k += 2;
        else if (k == end || s[k - 1] != ',') break;
        while (k < n && is_space((unsigned char)s[k])) k++;
        i = k;
    }
    if (count && !out->data && svs_buf_reserve(out, 0, NULL)) *err = 1;
    return count > 0;
}

/* Step 3 (Q, MV, own): phrases built on the word "answer", rightmost first, case-insensitive:
 * `answer is` (also "final answer is"), `answers are`, `answer:` (markdown already removed),
 * and the reversed `X is the answer`, `X are the answers`. After a forward phrase, X is the
 * math environment starting within VX_PHRASE_WINDOW characters of the phrase if only
 * spaces/markup precede it, else the sentence up to its end; before a reversed phrase, X is
 * the sentence that ends there. Returns 1 and *out (malloc'd), 0 if nothing, -1 on OOM. */
static int step3_phrases(const char *s, size_t n, int dc, char **out) {
    int tried = 0;
    for (size_t i = n; i-- > 0 && tried < VX_MAX_PHRASES;) {
        if (to_lower((unsigned char)s[i]) != 'a' || !ci_at(s, n, i, "answer")) continue;
        if (i > 0 && is_alpha((unsigned char)s[i - 1])) continue;
        tried++;
        size_t j = i + 6;
        int plural = at(s, n, j) == 's' || at(s, n, j) == 'S';
        if (plural) j++;
        if (is_alpha(at(s, n, j))) continue;
        size_t k = j;
        while (k < n && (s[k] == ' ' || s[k] == '\t')) k++;
        int forward = 0;
        if (k < n && s[k] == ':') forward = 1, k++;
        else if (word_at(s, n, k, plural ? "are" : "is")) forward = 1, k += plural ? 3 : 2;
        if (forward) {
            while (k < n && (is_space((unsigned char)s[k]) || s[k] == ':')) k++;
            svs_buf b = {0};
            int err = 0;
            if (k < n && k - j <= VX_PHRASE_WINDOW && envs_at(s, n, k, &b, &err)) {
                *out = b.data;
                return 1;
            }
            svs_buf_free(&b);
            if (err) return -1;
            vspan c;
            if (sentence_candidate(s, k, sentence_end(s, n, k), dc, &c)) {
                *out = dup_span(s, c);
                return *out ? 1 : -1;
            }
            continue;
        }
        /* reversed: "X is the answer", "X are the answers" */
        size_t p = i;
        while (p > 0 && s[p - 1] == ' ') p--;
        if (p < 3 || !ci_at(s, n, p - 3, "the") || (p >= 4 && is_alpha((unsigned char)s[p - 4]))) continue;
        p -= 3;
        while (p > 0 && s[p - 1] == ' ') p--;
        const char *verb = plural ? "are" : "is";
        size_t vl = strlen(verb);
        if (p < vl || !word_at(s, n, p - vl, verb)) continue;
        size_t e = p - vl;
        vspan c;
        if (sentence_candidate(s, sentence_start(s, e), e, dc, &c)) {
            *out = dup_span(s, c);
            return *out ? 1 : -1;
        }
    }
    return 0;
}

/* The Minerva form `final answer is $X$. I hope` (MV priority 0, above boxes): the rightmost
 * occurrence whose X is a math environment right after the phrase (optional ':'), followed by
 * an optional '.' and "I hope". Returns 1 and *out, 0 if none, -1 on OOM. */
static int minerva_final_answer(const char *s, size_t n, char **out) {
    int tried = 0;
    for (size_t i = n; i-- > 0 && tried < VX_MAX_PHRASES;) {
        if (to_lower((unsigned char)s[i]) != 'f' || !ci_at(s, n, i, "final answer is")) continue;
        tried++;
        size_t k = i + 15;
        if (k < n && s[k] == ':') k++;
        while (k < n && is_space((unsigned char)s[k])) k++;
        venv e;
        if (k >= n || !(s[k] == '$' || s[k] == '\\') || !env_at(s, k, n, &e, NULL)) continue;
        size_t j = e.end;
        if (j < n && s[j] == '.') j++;
        if (j < n && is_space((unsigned char)s[j])) j++;
        if (!ci_at(s, n, j, "i hope")) continue;
        *out = dup_span(s, trim_span(s, e.body, 0));
        return *out ? 1 : -1;
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Step 6: letters                                                                           */

/* Leading standalone letter of a candidate: `(B) 12` → B, `\text{(C)}` → C. Returns it or 0. */
static char leading_letter(const char *s, size_t n) {
    size_t i = 0;
    for (;;) {
        while (i < n && (is_space((unsigned char)s[i]) || s[i] == '(' || s[i] == '{' || s[i] == '*')) i++;
        if (i < n && s[i] == '\\') {
            size_t k = i + 1;
            while (k < n && is_alpha((unsigned char)s[k])) k++;
            if (k < n && s[k] == '{') {
                i = k + 1;
                continue;
            }
        }
        break;
    }
    if (i < n && is_alpha((unsigned char)s[i]) && !is_alpha(at(s, n, i + 1)) && !is_digit(at(s, n, i + 1)))
        return (char)s[i];
    return 0;
}

/* Step 6 (Q, MV, own) on a text without a boxed / phrase answer: `X.`, `X)` or `(X)` at the
 * very start, else the last standalone capital letter (not the pronoun `I` before a
 * lower-case word, not a command's letter). */
static char step6_letter(const char *s, size_t n) {
    size_t i = 0;
    while (i < n && is_space((unsigned char)s[i])) i++;
    int paren = i < n && s[i] == '(';
    if (paren) i++;
    if (i < n && s[i] >= 'A' && s[i] <= 'Z') {
        int nx = at(s, n, i + 1);
        if ((paren && nx == ')') || (!paren && (nx == '.' || nx == ')'))) return s[i];
    }
    for (size_t k = n; k-- > 0;) {
        char c = s[k];
        if (c < 'A' || c > 'Z') continue;
        if (k > 0 && (is_alpha((unsigned char)s[k - 1]) || s[k - 1] == '\\' || is_digit((unsigned char)s[k - 1]))) continue;
        if (is_alpha(at(s, n, k + 1)) || is_digit(at(s, n, k + 1))) continue;
        if (c == 'I' && at(s, n, k + 1) == ' ' && at(s, n, k + 2) >= 'a' && at(s, n, k + 2) <= 'z') continue;
        return c;
    }
    return 0;
}

char vextract_single_letter(const char *s, size_t n) {
    vspan t = trim_span(s, (vspan){0, n}, 1);
    /* unwrap $..$, \text{..} (and its renamed kin), {..}, (..) repeatedly */
    for (int guard = 0; guard < 16 && t.b > t.a; guard++) {
        t = trim_span(s, t, 1);
        size_t L = t.b - t.a;
        const char *p = s + t.a;
        if (L >= 2 && ((p[0] == '{' && p[L - 1] == '}') || (p[0] == '(' && p[L - 1] == ')') || (p[0] == '$' && p[L - 1] == '$'))) {
            t.a++, t.b--;
            continue;
        }
        if (p[0] == '\\' && p[L - 1] == '}') {
            size_t k = 1;
            while (k < L && is_alpha((unsigned char)p[k])) k++;
            if (k < L && p[k] == '{' && brace_close(p, L, k) == L - 1) {
                t.a += k + 1, t.b--;
                continue;
            }
        }
        break;
    }
    if (t.b - t.a == 1 && is_alpha((unsigned char)s[t.a])) return (char)to_upper((unsigned char)s[t.a]);
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* The driver: steps 1-6                                                                     */

/* Markdown emphasis `**` and `__` removed (step 5 says "first"; step 3's `**Answer:**`). */
static char *strip_markdown(const char *s, size_t n, size_t *len) {
    char *d = malloc(n + 1);
    if (!d) return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (i + 1 < n && ((s[i] == '*' && s[i + 1] == '*') || (s[i] == '_' && s[i + 1] == '_'))) {
            i++;
            continue;
        }
        d[k++] = s[i];
    }
    d[k] = 0;
    *len = k;
    return d;
}

int vextract_response(const char *s, size_t n, char gold_letter, const verify_policy *pol, char **out, int *step) {
    *out = NULL;
    *step = 0;
    int dc = pol ? pol->decimal_comma : 1;
    int letters_boxed = pol && pol->letters == VERIFY_LETTERS_BOXED;
    vspan sp;
    if (step1_tags(s, n, &sp)) {
        *out = dup_span(s, sp);
        *step = 1;
        return *out ? 0 : -1;
    }
    int r = minerva_final_answer(s, n, out);
    if (r) {
        *step = r > 0 ? 3 : 0;
        return r > 0 ? 0 : -1;
    }
    svs_buf b = {0};
    r = box_rule(s, n, &b);
    if (r < 0) return -1;
    if (r > 0) {
        *out = b.data;
        *step = 2;
        return 0;
    }
    if (gold_letter && letters_boxed) return 0;

    size_t tn;
    char *t = strip_markdown(s, n, &tn);
    if (!t) return -1;
    int rc = 0, pct = 0;
    char *cand = NULL;
    r = step3_phrases(t, tn, dc, &cand);
    if (r < 0) {
        rc = -1;
    } else if (r > 0) {
        *step = 3;
        char L = gold_letter ? leading_letter(cand, strlen(cand)) : 0;
        if (L) {
            cand[0] = L;
            cand[1] = 0;
        }
        *out = cand;
    } else if (gold_letter) {
        char L = step6_letter(t, tn);
        if (L) {
            *out = malloc(2);
            if (!*out) rc = -1;
            else {
                (*out)[0] = L;
                (*out)[1] = 0;
                *step = 6;
            }
        }
    } else if ((r = last_env_or_number(t, 0, tn, dc, &sp, &pct)) > 0) {
        *step = r;
        svs_buf o = {0};
        if (svs_buf_append(&o, t + sp.a, sp.b - sp.a, NULL) || (pct && svs_buf_puts(&o, "\\%", NULL))) {
            svs_buf_free(&o);
            rc = -1;
        }
        *out = o.data;
    }
    free(t);
    if (rc) {
        free(*out);
        *out = NULL;
        *step = 0;
    }
    return rc;
}
