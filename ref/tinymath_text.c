/* tinymath_text.c — bounded text building for the tiny-math world: appending formatted text
 * and slot templates into fixed buffers, exact fractions and the answer format that problems and
 * \boxed{} carry ("14", "-3", "\frac{5}{6}", "-\frac{1}{6}"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tinymath_int.h"

void tm_text_init(tm_text *t, char *buf, size_t cap) {
    t->buf = buf;
    t->cap = cap;
    t->len = 0;
    t->overflow = 0;
    if (cap) buf[0] = '\0';
}

void tm_text_add(tm_text *t, const char *fmt, ...) {
    if (t->overflow) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= t->cap - t->len) {
        t->overflow = 1;
        t->buf[t->len] = '\0';
        return;
    }
    t->len += (size_t)n;
}

void tm_text_fill(tm_text *t, const char *tmpl, const tm_slots *v) {
    for (const char *c = tmpl; *c && !t->overflow; c++) {
        if (c[0] == '{' && c[1] && c[2] == '}') {
            switch (c[1]) {
            case 'N': tm_text_add(t, "%s", v->N); c += 2; continue;
            case 'M': tm_text_add(t, "%s", v->M); c += 2; continue;
            case 'I': tm_text_add(t, "%s", v->I); c += 2; continue;
            case 'a': tm_text_add(t, "%lld", v->a); c += 2; continue;
            case 'b': tm_text_add(t, "%lld", v->b); c += 2; continue;
            default: break;
            }
        }
        tm_text_add(t, "%c", *c);
    }
}

int tm_text_ok(const tm_text *t) { return !t->overflow; }

const char *tm_paren(long long x, char *buf, size_t cap) {
    snprintf(buf, cap, x < 0 ? "(%lld)" : "%lld", x);
    return buf;
}

long long tm_gcd(long long a, long long b) {
    if (a < 0) a = -a;
    if (b < 0) b = -b;
    while (b) {
        long long r = a % b;
        a = b;
        b = r;
    }
    return a;
}

tm_frac tm_frac_make(long long p, long long q) {
    if (q < 0) {
        p = -p;
        q = -q;
    }
    long long g = tm_gcd(p, q);
    if (g > 1) {
        p /= g;
        q /= g;
    }
    tm_frac v = {p, q};
    return v;
}

int tm_frac_is_int(tm_frac v) { return v.q == 1; }

int tm_frac_format(tm_frac v, char *buf, size_t cap) {
    int n;
    if (v.q == 1) n = snprintf(buf, cap, "%lld", v.p);
    else n = snprintf(buf, cap, "%s\\frac{%lld}{%lld}", v.p < 0 ? "-" : "", llabs(v.p), v.q);
    return (n < 0 || (size_t)n >= cap) ? -1 : 0;
}

int tm_finish(tm_problem *out, tm_text *sol, tm_text *q, tm_frac v, svs_err *err) {
    out->value = v;
    if (tm_frac_format(v, out->answer, sizeof out->answer))
        return svs_errf(err, "tinymath: answer %lld/%lld too long", v.p, v.q);
    tm_text_add(sol, "The answer is \\boxed{%s}", out->answer);
    if (!tm_text_ok(sol) || !tm_text_ok(q))
        return svs_errf(err, "tinymath: %s problem text overflowed its buffer",
                        tm_family_name(out->family));
    return 0;
}

int tm_count_words(const char *s) {
    int n = 0, in = 0;
    for (; *s; s++) {
        int sp = (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r');
        if (!sp && !in) n++;
        in = !sp;
    }
    return n;
}
