/* tinymath_int.h — internals shared by the files of the tiny-math world (tinymath.c: random
 * numbers, splits, the generator object and synthesis; tinymath_families.c: one generator per
 * family; tinymath_text.c: bounded text building and answer formatting). Not a public API. */
#ifndef SVS_TINYMATH_INT_H
#define SVS_TINYMATH_INT_H

#include <stdarg.h>

#include "tinymath.h"

/* A bounded text being written into a caller's fixed buffer. Overflow is sticky and reported
 * once at the end (tm_text_ok), so generators can append without checking every call. */
typedef struct tm_text {
    char *buf;
    size_t cap, len;
    int overflow;
} tm_text;

void tm_text_init(tm_text *t, char *buf, size_t cap);
void tm_text_add(tm_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends a template with named slots: {N} name, {M} other name, {I} items, {a} {b} numbers. */
typedef struct tm_slots {
    const char *N, *M, *I;
    long long a, b;
} tm_slots;
void tm_text_fill(tm_text *t, const char *tmpl, const tm_slots *v);
int tm_text_ok(const tm_text *t);

/* Writes "x" or "(x)" when x < 0, for use after a minus sign. */
const char *tm_paren(long long x, char *buf, size_t cap);

/* Reduced fraction p/q (q != 0). */
tm_frac tm_frac_make(long long p, long long q);
int tm_frac_is_int(tm_frac v);

/* Sets out->value and out->answer from v and ends the solution with "The answer is \boxed{..}".
 * Returns 0, or -1 with err when a buffer overflowed. */
int tm_finish(tm_problem *out, tm_text *sol, tm_text *q, tm_frac v, svs_err *err);

/* One generator per family: target == NULL draws freely; otherwise returns 1 when the family
 * cannot reach that answer at that difficulty. */
typedef int (*tm_family_fn)(tm_rng *r, int d, const tm_frac *target, tm_problem *out,
                            svs_err *err);
extern const tm_family_fn tm_family_fns[TM_NFAMILIES];

#define TM_PICK(r, arr) ((arr)[tm_rng_range((r), 0, (long long)(sizeof(arr) / sizeof((arr)[0])) - 1)])

#endif
