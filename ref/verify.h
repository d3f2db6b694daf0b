/* verify.h — the math answer verifier: public API (also exported with a C ABI by libsvs).
 *
 * Pipeline (spec/verifier.md §4): extract -> normalize -> string fast path -> parse -> compare.
 * Input: a reference answer ("gold") and either an extracted answer ("pred") or a whole model
 * response. Output: EQUAL / NOT_EQUAL (UNDECIDED maps to NOT_EQUAL), the extracted strings, the
 * rule that decided and the work limit that was hit, if any. The verdict is a pure function of
 * (gold, model text, policy): no clocks, no signals, no threads, no global state. Work is
 * bounded by counters (spec §6.5), so any input returns quickly.
 *
 * Policies and profiles: spec §6.6 / §6.7; every decision is documented in docs/verifier.md. */
#ifndef SVS_VERIFY_H
#define SVS_VERIFY_H

#include <stddef.h>

#include "common.h"

/* decimal vs exact (spec §6.6) */
typedef enum { VERIFY_DEC_SIG, VERIFY_DEC_EXACT, VERIFY_DEC_ROUND, VERIFY_DEC_REL } verify_decimal_mode;
/* percent marks */
typedef enum { VERIFY_PCT_DEFAULT, VERIFY_PCT_MV, VERIFY_PCT_STRIP, VERIFY_PCT_QWEN, VERIFY_PCT_EITHER } verify_percent_mode;
/* unit removal */
typedef enum { VERIFY_UNITS_END, VERIFY_UNITS_NONE, VERIFY_UNITS_ANYWHERE } verify_units_mode;
/* letter answers */
typedef enum { VERIFY_LETTERS_ON, VERIFY_LETTERS_BOXED } verify_letters_mode;

typedef struct verify_policy {
    int profile_svs;                  /* 1 = the `svs` profile (spec §6.7) */
    verify_decimal_mode decimal;      /* default VERIFY_DEC_SIG */
    int decimal_sig;                  /* S for sig:S (default 6) */
    int decimal_round;                /* N for round:N (default 6) */
    double decimal_rel;               /* T for rel:T (default 1e-4) */
    verify_percent_mode percent;      /* default VERIFY_PCT_DEFAULT */
    int lists_ordered;                /* 0 = order-insensitive comma lists (default) */
    int relations_symmetric;          /* 0 = inequality<->interval only from the gold side */
    int bases_value;                  /* 0 = d_b vs plain d compares digit strings */
    verify_units_mode units;          /* default VERIFY_UNITS_END */
    int vectors_strict;               /* 0 = n x 1 matrix equals an n-tuple */
    verify_letters_mode letters;      /* default VERIFY_LETTERS_ON */
    int assign_gold_only;             /* 0 = unwrap assignments on both sides */
    int vars_positional;              /* 0 = strict variable names */
    int decimal_comma;                /* 1 = `1,22` is 1.22 (default) */
} verify_policy;

/* Fills the `default` profile. */
void verify_policy_default(verify_policy *p);
/* Fills the `svs` profile (spec §6.7). */
void verify_policy_svs(verify_policy *p);
/* Applies one switch written `name=value` (e.g. "decimal=round:6", "percent=mv",
 * "lists=ordered", "relations=symmetric", "bases=value", "units=none", "vectors=strict",
 * "letters=boxed", "assign=gold", "vars=positional", "decimal_comma=off") or a profile
 * "profile=default|svs". Returns 0, or -1 with a message naming the switch. */
int verify_policy_set(verify_policy *p, const char *name_eq_value, svs_err *err);

typedef enum { VERIFY_NOT_EQUAL = 0, VERIFY_EQUAL = 1 } verify_verdict;

typedef struct verify_result {
    int correct;            /* 1 = EQUAL */
    char *extracted;        /* pred side answer after extraction (owned; "" when none) */
    char *gold_extracted;   /* gold side answer after extraction (owned) */
    const char *reason;     /* static string: the rule that decided: "string", "exact", "decimal",
                               "numeric", "identity", "interval", "set", "list", "tuple", "matrix",
                               "equation", "relation", "letter", "text", "based", "ratio",
                               "no_answer", "parse_failure", "mismatch", "undecided", ... */
    const char *limit;      /* static string naming the work limit that was hit, or NULL */
} verify_result;

/* Compares gold with a model output. `model_is_response` = 1 for a whole response (extraction
 * steps 1-6), 0 for an already extracted answer (step 0 first, then 1-6 if it does not parse).
 * `policy` may be NULL (default profile). Returns 0 and fills *out (free with
 * verify_result_free), or -1 on an invalid call (NULL strings, out of memory) with err set.
 * A model text over 1 MiB is not an error: the verdict is NOT_EQUAL with limit "input". */
int verify_compare(const char *gold, size_t gold_len, const char *model, size_t model_len,
                   int model_is_response, const verify_policy *policy, verify_result *out,
                   svs_err *err);

void verify_result_free(verify_result *r);

/* Convenience: 1 if equal, 0 if not, -1 on error (NUL-terminated strings, default policy). */
int verify_simple(const char *gold, const char *model, int model_is_response);

#endif
