/* sample.h — the project PRNG and token sampling (DESIGN.md "Numbers and determinism";
 * spec/formats.md §5.1: sampling runs over all vocab_size logits, including the rows the
 * tokenizer never produces; docs/model.md "PRNG" and "Sampling").
 *
 * PRNG: xoshiro256** 1.0 (Blackman & Vigna, https://prng.di.unimi.it/xoshiro256starstar.c),
 * 256-bit state seeded from a uint64 by four successive outputs of splitmix64
 * (https://prng.di.unimi.it/splitmix64.c) started at the seed. The state is a value the
 * caller owns and passes by pointer; nothing here is global. golden/prng_mirror.py is the
 * Python mirror (same uint64s, floats, doubles and normals, bit for bit); the first outputs
 * for seed 42 are in golden/prng_vectors.txt.
 *
 * Sampling (llm.c habit): the random coin is an argument, so every rule is testable with a
 * chosen coin. The caller computes probs = softmax(logits / T) (ops softmax_forward), then
 * sample_from_probs applies top-k, then top-p on the renormalized top-k set (the order of HF
 * generate's TopK then TopP warpers and of vLLM's sampler), renormalizes, and inverts the
 * cumulative distribution at the coin. T = 0 means greedy: sample_argmax of the raw logits. */
#ifndef SVS_SAMPLE_H
#define SVS_SAMPLE_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

/* ---- PRNG ---------------------------------------------------------------------------- */

typedef struct svs_rng {
    uint64_t s[4]; /* xoshiro256** state; never all zero (splitmix64 seeding guarantees it) */
} svs_rng;

/* s[0..3] = four successive splitmix64 outputs from state x = seed. */
void svs_rng_seed(svs_rng *r, uint64_t seed);
/* next xoshiro256** output */
uint64_t svs_rng_u64(svs_rng *r);
/* (u64 >> 40) · 2^-24: a float in [0, 1) on a grid of 2^-24 (exact in fp32) */
float svs_rng_uniform(svs_rng *r);
/* (u64 >> 11) · 2^-53: a double in [0, 1) */
double svs_rng_uniform_double(svs_rng *r);
/* Box–Muller from two doubles: u1 = 1 − uniform_double (in (0, 1]), u2 = uniform_double,
 * returns sqrt(−2·log(u1))·cos(2π·u2). Draws exactly two u64s per call, keeps no spare. */
double svs_rng_normal(svs_rng *r);

/* ---- sampling ------------------------------------------------------------------------- */

typedef struct sample_params {
    float temperature; /* 0 = greedy (argmax of the raw logits); > 0 = sample softmax(z/T) */
    int top_k;         /* keep the k most probable tokens; <= 0 or >= V = off */
    float top_p;       /* nucleus; >= 1 = off; (0, 1) keeps the smallest top prefix with
                          cumulative probability >= top_p (at least one token) */
} sample_params;

/* Index of the largest x[i]; the lowest index wins ties; NaN entries are never chosen
 * unless every entry is NaN (then 0). */
int32_t sample_argmax(const float *x, /* [V] */ int V);

/* Draws a token from probs (= softmax(logits/T), summing to ~1) with the top-k / top-p
 * filters of sp (its temperature is not used here), using coin in [0, 1):
 *   1. order = token ids sorted by probability, descending; ties: lower id first.
 *   2. top-k: keep order[0..k−1].
 *   3. top-p: renormalize the kept mass; keep the shortest prefix of `order` whose
 *      renormalized cumulative sum (in double) is >= top_p (always at least one token).
 *   4. walk the kept tokens in ascending id order, cdf += p_i / kept_mass (double), return
 *      the first i with coin < cdf; rounding leftovers return the last kept token.
 * When no filter is active step 1 is skipped (no sort) and step 4 runs over all V ids.
 * order is scratch [V]; probs is read only. */
int32_t sample_from_probs(const float *probs, /* [V] */
                          int V, const sample_params *sp, float coin,
                          int32_t *order /* [V] scratch */);

/* ---- batched generation with a KV cache ------------------------------------------------- */

typedef enum {
    MODEL_FINISH_EOS = 1,    /* sampled a stop id (kept as the last output id) */
    MODEL_FINISH_LENGTH = 2, /* produced max_new_tokens */
    MODEL_FINISH_STOP = 3    /* stop_fn said stop (the last id is kept; trimming text at a stop
                                string is the caller's, who has the tokenizer) */
} model_finish;

/* Called after each new id of sequence b with all its new ids so far; nonzero = stop now. */
typedef int (*model_stop_fn)(void *ctx, int b, const int32_t *ids, int n);

typedef struct model_gen_params {
    int max_new_tokens;        /* >= 0 */
    const int32_t *stop_ids;   /* EOS ids, e.g. {151645, 151643}; may be NULL with n = 0 */
    int n_stop_ids;
    model_stop_fn stop_fn;     /* may be NULL */
    void *stop_ctx;
    sample_params sampling;
} model_gen_params;

typedef struct model_gen_out {
    int32_t *ids;              /* [n] new ids (owned; model_gen_out_free) */
    int n;
    model_finish finish;
} model_gen_out;

/* Generates for B prompts (right-padded, model_batch) at once:
 *   1. sequence b gets its own generator, seeded with the b-th svs_rng_u64 drawn from rng
 *      (so its draws do not depend on when the other sequences finish);
 *   2. prefill: one model_kv_step with every prompt;
 *   3. each round, every unfinished sequence gets one id from the logits of its last
 *      position: T = 0 → sample_argmax (no draw); T > 0 → probs = softmax(logits/T) (ops
 *      softmax_forward), coin = svs_rng_uniform of its generator (exactly one draw per id),
 *      sample_from_probs. Then the finish checks in order: stop id → EOS, stop_fn → STOP,
 *      n == max_new_tokens → LENGTH. The unfinished ones run one decoding step together.
 * out: [B], filled on success (free with model_gen_out_free); on error nothing is left
 * allocated. */
int model_generate(model *m, const model_batch *prompts, const model_gen_params *gp,
                   svs_rng *rng, model_gen_out *out, svs_err *err);
void model_gen_out_free(model_gen_out *out, int B);

#endif
