/* tinymath.h — the tiny-math world: a deterministic generator of small math problems with exact
 * answers and short worked solutions ending in `\boxed{ANSWER}`, difficulty knobs, synthesis
 * training pairs and disjoint train / RL / eval splits (data/tiny/README.md).
 *
 * It is the data of the laptop SvS demo: a tokenizer and a ~1-5M parameter Qwen2 model are later
 * trained on this text, so the vocabulary is deliberately small, questions stay under
 * TM_MAX_QUESTION_WORDS words and solutions under TM_MAX_SOLUTION_WORDS words.
 *
 * Everything is a pure function of (seed, split, difficulty, families): the random state lives
 * in the caller's tm_rng / tm_gen (xoshiro256** seeded through splitmix64), there is no global
 * state and no allocation (problems are fixed-size structs).
 *
 * Synthesis pairs follow spec/svs-algorithm.md §2.3-§2.5 and §9: given a correct solution, the
 * target is a new problem with the SAME answer, written in a FENCE_TEXT block (three backticks +
 * `text`, closed by three backticks) so that extraction rule 1 (§2.4) finds it. */
#ifndef SVS_TINYMATH_H
#define SVS_TINYMATH_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

#define TM_QUESTION_MAX 400
#define TM_SOLUTION_MAX 800
#define TM_ANSWER_MAX 48
#define TM_FORM_MAX 16
#define TM_TARGET_MAX 600
#define TM_DIFFICULTY_MIN 1
#define TM_DIFFICULTY_MAX 4
#define TM_MAX_QUESTION_WORDS 40
#define TM_MAX_SOLUTION_WORDS 80

/* The math instruction MP appended to every problem (spec/svs-algorithm.md §0.2). */
#define TM_MATH_PROMPT " Please reason step by step, and put your final answer within \\boxed{}."

typedef enum {
    TM_ARITH,     /* multi-step arithmetic: a + b - c, a * b + c, (a + b) * c - d, ... */
    TM_LINEAR,    /* linear equations ax + b = c (and ax + b = cx + d) with an integer root */
    TM_FRACTION,  /* a/b +- c/d, answer in lowest terms \frac{p}{q} */
    TM_REMAINDER, /* a mod b */
    TM_GCD,       /* greatest common divisor, by Euclid's algorithm */
    TM_LCM,       /* least common multiple, through the GCD */
    TM_PERCENT,   /* x% of y (integer result); at difficulty 4 a price going up / down by x% */
    TM_WORD,      /* apples / coins / books: buy, give, lose, bags of n, share equally */
    TM_AVERAGE,   /* the mean of 2-5 numbers (integer result) */
    TM_SEQUENCE,  /* arithmetic sequences: next term, or term n */
    TM_NFAMILIES
} tm_family;

typedef enum { TM_SPLIT_TRAIN, TM_SPLIT_RL, TM_SPLIT_EVAL, TM_NSPLITS } tm_split;

/* An exact rational answer, q > 0, gcd(|p|, q) = 1. */
typedef struct tm_frac {
    long long p, q;
} tm_frac;

/* xoshiro256** state (Blackman & Vigna), seeded with splitmix64. */
typedef struct tm_rng {
    uint64_t s[4];
} tm_rng;

typedef struct tm_problem {
    tm_family family;
    int difficulty;              /* TM_DIFFICULTY_MIN..TM_DIFFICULTY_MAX */
    char form[TM_FORM_MAX];      /* the structure of the question (documented per family in
                                    tinymath_families.c); with the numbers of the question text,
                                    in order, it determines the answer */
    tm_frac value;               /* the exact answer */
    char answer[TM_ANSWER_MAX];  /* "14", "-3", "\frac{5}{6}", "-\frac{1}{6}" */
    char question[TM_QUESTION_MAX];
    char solution[TM_SOLUTION_MAX]; /* worked solution; ends with "\boxed{<answer>}" */
} tm_problem;

/* A generator object: one split's stream of problems. */
typedef struct tm_gen {
    tm_rng rng;
    tm_split split;
    int difficulty;     /* 0 = mixed: each problem draws 1..4 uniformly */
    unsigned families;  /* bit mask over tm_family; never 0 */
} tm_gen;

/* ---- random numbers ---- */
void tm_rng_seed(tm_rng *r, uint64_t seed);
uint64_t tm_rng_next(tm_rng *r);
/* Uniform integer in [lo, hi], without modulo bias (lo when hi <= lo). */
long long tm_rng_range(tm_rng *r, long long lo, long long hi);

/* ---- families ---- */
const char *tm_family_name(tm_family f);          /* "arith", "linear", ... */
int tm_family_from_name(const char *name);        /* -1 when unknown */
/* Parses "arith,linear,..." (or "all") into a mask; -1 with err naming the unknown family. */
int tm_families_parse(const char *list, unsigned *mask, svs_err *err);

/* Generates one problem of family f at difficulty d. When target != NULL the answer must equal
 * *target: returns 1 (and leaves *out unspecified) when this family cannot produce that answer
 * at that difficulty. Returns 0 on success, -1 (err set) on invalid arguments or internal error. */
int tm_generate(tm_rng *r, tm_family f, int difficulty, const tm_frac *target, tm_problem *out,
                svs_err *err);

/* Formats an answer the way problems and \boxed{} carry it; returns 0 or -1 (buffer too small). */
int tm_frac_format(tm_frac v, char *buf, size_t cap);

/* ---- splits ---- */
const char *tm_split_name(tm_split s);
int tm_split_from_name(const char *name);          /* -1 when unknown */
/* The split a question text belongs to: FNV-1a 64 of the text, mod 100: 0-79 train, 80-89 rl,
 * 90-99 eval. Splits are thus disjoint by construction, whatever the seeds. */
tm_split tm_split_of(const char *question);
/* The stream seed of a split: splitmix64 of (seed, split), different for each split. */
uint64_t tm_split_seed(uint64_t seed, tm_split split);

/* ---- the generator object ---- */
/* difficulty 0 = mixed, else 1..4; families = mask (0 = all). */
int tm_gen_init(tm_gen *g, tm_split split, uint64_t seed, int difficulty, unsigned families,
                svs_err *err);
/* The next problem of the split's stream. */
int tm_gen_next(tm_gen *g, tm_problem *out, svs_err *err);
/* A synthesis pair for src: *dst is a different problem (another of the generator's families
 * where possible, then the same family with other numbers or wording, then any family) with
 * the same answer, the same difficulty and in the same split; target
 * receives the synthesis response text, which holds dst->question in one FENCE_TEXT block. */
int tm_gen_synthesize(tm_gen *g, const tm_problem *src, tm_problem *dst, char *target,
                      size_t cap, svs_err *err);

/* Helpers shared with the tests. */
long long tm_gcd(long long a, long long b);   /* >= 0; tm_gcd(0, 0) = 0 */
int tm_count_words(const char *s);           /* whitespace-separated words */

#endif
