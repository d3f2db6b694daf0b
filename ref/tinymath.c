/* tinymath.c — the tiny-math world's random numbers, family and split names, the generator
 * object that streams one split's problems, and synthesis pairs (tinymath.h).
 *
 * Determinism: xoshiro256** (Blackman & Vigna 2018) seeded by splitmix64; all state is in the
 * caller's tm_rng / tm_gen. Splits: a question belongs to the split chosen by FNV-1a 64 of its
 * text (80 / 10 / 10), and each split draws from its own stream seed, so train, RL and eval
 * never share a question text. Synthesis targets follow spec/svs-algorithm.md §9: the new
 * problem inside one FENCE_TEXT block, which extraction rule 1 (§2.4) reads back. */
#include <stdio.h>
#include <string.h>

#include "tinymath_int.h"

#define TM_GEN_TRIES 100000

/* ------------------------------------------------------------------ random numbers */

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void tm_rng_seed(tm_rng *r, uint64_t seed) {
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t tm_rng_next(tm_rng *r) {
    uint64_t *s = r->s, out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

long long tm_rng_range(tm_rng *r, long long lo, long long hi) {
    if (hi <= lo) return lo;                             /* defensive: an empty or single range */
    uint64_t n = (uint64_t)(hi - lo) + 1, x;
    if (n == 0) return (long long)tm_rng_next(r);      /* the whole 64-bit range */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;        /* reject the biased tail */
    do x = tm_rng_next(r);
    while (x >= limit);
    return lo + (long long)(x % n);
}

/* ------------------------------------------------------------------ names */

static const char *const FAMILY_NAMES[TM_NFAMILIES] = {
    "arith", "linear", "fraction", "remainder", "gcd", "lcm", "percent", "word", "average", "sequence",
};
static const char *const SPLIT_NAMES[TM_NSPLITS] = {"train", "rl", "eval"};

const char *tm_family_name(tm_family f) { return (unsigned)f < TM_NFAMILIES ? FAMILY_NAMES[f] : "?"; }

int tm_family_from_name(const char *name) {
    for (int i = 0; i < TM_NFAMILIES; i++)
        if (strcmp(name, FAMILY_NAMES[i]) == 0) return i;
    return -1;
}

int tm_families_parse(const char *list, unsigned *mask, svs_err *err) {
    *mask = 0;
    if (strcmp(list, "all") == 0) {
        *mask = (1u << TM_NFAMILIES) - 1;
        return 0;
    }
    const char *p = list;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        char name[32];
        if (n == 0 || n >= sizeof name) return svs_errf(err, "families: empty or too long name in \"%s\"", list);
        memcpy(name, p, n);
        name[n] = '\0';
        int f = tm_family_from_name(name);
        if (f < 0)
            return svs_errf(err, "families: unknown family \"%s\" (arith, linear, fraction, remainder, "
                                 "gcd, lcm, percent, word, average, sequence)", name);
        *mask |= 1u << f;
        p += n + (e != NULL);
    }
    if (!*mask) return svs_errf(err, "families: empty list");
    return 0;
}

const char *tm_split_name(tm_split s) { return (unsigned)s < TM_NSPLITS ? SPLIT_NAMES[s] : "?"; }

int tm_split_from_name(const char *name) {
    for (int i = 0; i < TM_NSPLITS; i++)
        if (strcmp(name, SPLIT_NAMES[i]) == 0) return i;
    return -1;
}

/* ------------------------------------------------------------------ splits */

tm_split tm_split_of(const char *question) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (const unsigned char *c = (const unsigned char *)question; *c; c++) h = (h ^ *c) * 0x100000001b3ull;
    unsigned b = (unsigned)(h % 100);
    return b < 80 ? TM_SPLIT_TRAIN : b < 90 ? TM_SPLIT_RL : TM_SPLIT_EVAL;
}

uint64_t tm_split_seed(uint64_t seed, tm_split split) {
    uint64_t x = seed ^ (0x5157A11D00000000ull + (uint64_t)split * 0x1000193ull);
    return splitmix64(&x);
}

/* ------------------------------------------------------------------ generation */

int tm_generate(tm_rng *r, tm_family f, int difficulty, const tm_frac *target, tm_problem *out,
                svs_err *err) {
    if ((unsigned)f >= TM_NFAMILIES) return svs_errf(err, "tinymath: unknown family %d", (int)f);
    if (difficulty < TM_DIFFICULTY_MIN || difficulty > TM_DIFFICULTY_MAX)
        return svs_errf(err, "tinymath: difficulty %d outside [%d, %d]", difficulty, TM_DIFFICULTY_MIN,
                        TM_DIFFICULTY_MAX);
    if (target && target->q <= 0) return svs_errf(err, "tinymath: target denominator must be positive");
    return tm_family_fns[f](r, difficulty, target, out, err);
}

int tm_gen_init(tm_gen *g, tm_split split, uint64_t seed, int difficulty, unsigned families,
                svs_err *err) {
    if ((unsigned)split >= TM_NSPLITS) return svs_errf(err, "tinymath: unknown split %d", (int)split);
    if (difficulty != 0 && (difficulty < TM_DIFFICULTY_MIN || difficulty > TM_DIFFICULTY_MAX))
        return svs_errf(err, "tinymath: difficulty %d outside [%d, %d] (0 = mixed)", difficulty,
                        TM_DIFFICULTY_MIN, TM_DIFFICULTY_MAX);
    families &= (1u << TM_NFAMILIES) - 1;
    g->families = families ? families : (1u << TM_NFAMILIES) - 1;
    g->split = split;
    g->difficulty = difficulty;
    tm_rng_seed(&g->rng, tm_split_seed(seed, split));
    return 0;
}

/* The k-th family (0-based) of the mask. */
static tm_family nth_family(unsigned mask, int k) {
    for (int f = 0; f < TM_NFAMILIES; f++)
        if ((mask >> f & 1) && k-- == 0) return (tm_family)f;
    return TM_ARITH;
}

static int popcount(unsigned m) {
    int n = 0;
    for (; m; m &= m - 1) n++;
    return n;
}

int tm_gen_next(tm_gen *g, tm_problem *out, svs_err *err) {
    int nf = popcount(g->families);
    for (int tries = 0; tries < TM_GEN_TRIES; tries++) {
        tm_family f = nth_family(g->families, (int)tm_rng_range(&g->rng, 0, nf - 1));
        int d = g->difficulty ? g->difficulty : (int)tm_rng_range(&g->rng, TM_DIFFICULTY_MIN, TM_DIFFICULTY_MAX);
        int rc = tm_generate(&g->rng, f, d, NULL, out, err);
        if (rc < 0) return -1;
        if (rc == 0 && tm_split_of(out->question) == g->split) return 0;
    }
    return svs_errf(err, "tinymath: no %s problem after %d draws", tm_split_name(g->split), TM_GEN_TRIES);
}

/* ------------------------------------------------------------------ synthesis */

/* The generator's families in a random order, the source family last: synthesis prefers another
 * structure and falls back to the same family with other numbers and wording. Returns the count. */
static int synth_order(tm_rng *r, unsigned mask, tm_family src, tm_family *order) {
    int n = 0;
    for (int f = 0; f < TM_NFAMILIES; f++)
        if (f != (int)src && (mask >> f & 1)) order[n++] = (tm_family)f;
    for (int i = n - 1; i > 0; i--) {
        int j = (int)tm_rng_range(r, 0, i);
        tm_family t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    order[n] = src;
    return n + 1;
}

static int synth_target(const tm_problem *dst, char *target, size_t cap, svs_err *err) {
    int n = snprintf(target, cap, "The answer is %s. A new problem with the same answer:\n\n```text\n%s\n```",
                     dst->answer, dst->question);
    if (n < 0 || (size_t)n >= cap) return svs_errf(err, "tinymath: synthesis target longer than %zu bytes", cap);
    return 0;
}

/* Tries the families of mask for a number of rounds; 0 on success, 1 when none worked. */
static int synth_try(tm_gen *g, unsigned mask, const tm_problem *src, tm_problem *dst, svs_err *err) {
    tm_family order[TM_NFAMILIES];
    for (int round = 0; round < 200; round++) {
        int n = synth_order(&g->rng, mask, src->family, order);
        for (int i = 0; i < n; i++) {
            int rc = tm_generate(&g->rng, order[i], src->difficulty, &src->value, dst, err);
            if (rc < 0) return -1;
            if (rc == 0 && strcmp(dst->question, src->question) != 0 && tm_split_of(dst->question) == g->split)
                return 0;
        }
    }
    return 1;
}

int tm_gen_synthesize(tm_gen *g, const tm_problem *src, tm_problem *dst, char *target, size_t cap,
                      svs_err *err) {
    int rc = synth_try(g, g->families, src, dst, err);
    if (rc == 1) rc = synth_try(g, (1u << TM_NFAMILIES) - 1, src, dst, err); /* any family */
    if (rc < 0) return -1;
    if (rc == 1)
        return svs_errf(err, "tinymath: no synthesis for answer %s (%s)", src->answer, tm_family_name(src->family));
    return synth_target(dst, target, cap, err);
}
