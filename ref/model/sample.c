/* sample.c — the project PRNG (xoshiro256** seeded by splitmix64), token sampling from a
 * probability row (greedy, top-k, top-p with a caller-given coin) and batched KV-cache
 * generation (model_generate). Contracts in sample.h; the algorithms are spelled out in
 * docs/model.md so golden/prng_mirror.py can reproduce every draw. */
#include "sample.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

/* ---- PRNG ------------------------------------------------------------------------------ */

/* splitmix64 (Steele, Lea, Flood 2014; Vigna's reference code): x += γ, then mix. */
static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void svs_rng_seed(svs_rng *r, uint64_t seed) {
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
}

/* xoshiro256** 1.0, verbatim from the reference implementation */
uint64_t svs_rng_u64(svs_rng *r) {
    uint64_t *s = r->s;
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

float svs_rng_uniform(svs_rng *r) {
    return (float)(svs_rng_u64(r) >> 40) * (1.0f / 16777216.0f); /* exact: 24 bits × 2^-24 */
}

double svs_rng_uniform_double(svs_rng *r) {
    return (double)(svs_rng_u64(r) >> 11) * (1.0 / 9007199254740992.0); /* 2^-53 */
}

double svs_rng_normal(svs_rng *r) {
    const double two_pi = 6.283185307179586;
    double u1 = 1.0 - svs_rng_uniform_double(r); /* (0, 1]: log(u1) is finite */
    double u2 = svs_rng_uniform_double(r);
    return sqrt(-2.0 * log(u1)) * cos(two_pi * u2);
}

/* ---- sampling from one row --------------------------------------------------------------- */

int32_t sample_argmax(const float *x, int V) {
    int32_t best = 0;
    float best_x = x[0]; /* kept in a register: no reload of x[best] per element */
    for (int i = 1; i < V; i++) {
        if (isnan(x[i])) continue;
        if (isnan(best_x) || x[i] > best_x) best = i, best_x = x[i]; /* strict >: lowest index on ties */
    }
    return best;
}

/* the sort order of step 1: probability descending, then id ascending (a total order, so
 * the result is unique whatever the sorting algorithm) */
static int cmp_desc(const void *a, const void *b, const float *p) {
    int32_t i = *(const int32_t *)a, j = *(const int32_t *)b;
    if (p[i] > p[j]) return -1;
    if (p[i] < p[j]) return 1;
    return (i > j) - (i < j);
}

/* C11 qsort has no context argument, so the ids are sorted with a small heap sort (the
 * order is unique, see cmp_desc; Python: sorted(range(V), key=lambda i: (-p[i], i))). */
static void sift_down(int32_t *a, int n, int root, const float *p) {
    for (;;) {
        int child = 2 * root + 1;
        if (child >= n) return;
        /* a max-heap under "comes later in the final order" */
        if (child + 1 < n && cmp_desc(&a[child + 1], &a[child], p) > 0) child++;
        if (cmp_desc(&a[child], &a[root], p) <= 0) return;
        int32_t t = a[root];
        a[root] = a[child];
        a[child] = t;
        root = child;
    }
}

static void sort_by_prob_desc(int32_t *order, int V, const float *p) {
    for (int i = 0; i < V; i++) order[i] = i;
    for (int i = V / 2 - 1; i >= 0; i--) sift_down(order, V, i, p);
    for (int end = V - 1; end > 0; end--) {
        int32_t t = order[0];
        order[0] = order[end];
        order[end] = t;
        sift_down(order, end, 0, p);
    }
}

/* ascending id order of the first n entries of order (so step 4 walks ids in order) */
static int cmp_id(const void *a, const void *b) {
    int32_t i = *(const int32_t *)a, j = *(const int32_t *)b;
    return (i > j) - (i < j);
}

int32_t sample_from_probs(const float *probs, int V, const sample_params *sp, float coin,
                          int32_t *order) {
    int top_k = sp->top_k;
    int use_k = top_k > 0 && top_k < V;
    int use_p = sp->top_p < 1.0f;
    if (!use_k && !use_p) { /* plain multinomial over all V ids */
        double mass = 0.0;
        for (int i = 0; i < V; i++) mass += probs[i];
        double cdf = 0.0;
        for (int i = 0; i < V; i++) {
            cdf += probs[i] / mass;
            if ((double)coin < cdf) return i;
        }
        return V - 1;
    }
    sort_by_prob_desc(order, V, probs);
    int kept = use_k ? top_k : V;
    double mass = 0.0;
    for (int r = 0; r < kept; r++) mass += probs[order[r]];
    if (use_p) { /* smallest prefix with renormalized cumulative >= top_p */
        double cum = 0.0;
        int r = 0;
        while (r < kept) {
            cum += probs[order[r]] / mass;
            r++;
            if (cum >= (double)sp->top_p) break;
        }
        kept = r;
        mass = 0.0;
        for (r = 0; r < kept; r++) mass += probs[order[r]];
    }
    qsort(order, (size_t)kept, sizeof *order, cmp_id);
    double cdf = 0.0;
    for (int r = 0; r < kept; r++) {
        cdf += probs[order[r]] / mass;
        if ((double)coin < cdf) return order[r];
    }
    return order[kept - 1];
}

/* ---- batched generation ---------------------------------------------------------------- */

typedef struct gen_state {
    model_kv kv;
    svs_rng *rngs;   /* [B] one generator per sequence */
    float *logits;   /* [B, V] last-position logits of the sequences in the step */
    float *probs;    /* [V] */
    int32_t *order;  /* [V] sample_from_probs scratch */
    int *seq, *ntok; /* [B] the sequences of the next step and their new-token counts */
    int32_t *tokens; /* [max(B, Σ lens)] the packed new tokens of the next step */
} gen_state;

static void gen_state_free(gen_state *g) {
    model_kv_free(&g->kv);
    free(g->rngs);
    free(g->logits);
    free(g->probs);
    free(g->order);
    free(g->seq);
    free(g->ntok);
    free(g->tokens);
}

void model_gen_out_free(model_gen_out *out, int B) {
    if (!out) return;
    for (int b = 0; b < B; b++) {
        free(out[b].ids);
        out[b].ids = NULL;
        out[b].n = 0;
    }
}

static int gen_check(const model_batch *pr, const model_gen_params *gp,
                     size_t *total_len, svs_err *err) {
    if (pr->B < 1) return svs_errf(err, "model_generate: no prompts");
    if (gp->max_new_tokens < 0) return svs_errf(err, "model_generate: max_new_tokens < 0");
    if (!(gp->sampling.temperature >= 0))
        return svs_errf(err, "model_generate: temperature must be >= 0");
    *total_len = 0;
    for (int b = 0; b < pr->B; b++) {
        if (pr->lens[b] < 1 || pr->lens[b] > pr->T)
            return svs_errf(err, "model_generate: prompt %d: length %d not in [1, %d]", b,
                            pr->lens[b], pr->T);
        if (pr->lens[b] > INT32_MAX - gp->max_new_tokens)
            return svs_errf(err, "model_generate: prompt %d too long", b);
        *total_len += (size_t)pr->lens[b];
    }
    if (*total_len > INT32_MAX) return svs_errf(err, "model_generate: prompts too long");
    return 0;
}

/* Allocates the state, seeds the per-sequence generators and builds the prefill request. */
static int gen_setup(model *m, const model_batch *pr, const model_gen_params *gp, svs_rng *rng,
                     size_t total_len, gen_state *g, svs_err *err) {
    int B = pr->B;
    size_t V = (size_t)m->V, max_rows = total_len > (size_t)B ? total_len : (size_t)B;
    g->rngs = svs_malloc((size_t)B * sizeof *g->rngs, err);
    g->logits = svs_malloc((size_t)B * V * sizeof(float), err);
    g->probs = svs_malloc(V * sizeof(float), err);
    g->order = svs_malloc(V * sizeof(int32_t), err);
    g->seq = svs_malloc((size_t)B * sizeof(int), err);
    g->ntok = svs_malloc((size_t)B * sizeof(int), err);
    g->tokens = svs_malloc(max_rows * sizeof(int32_t), err);
    if (!g->rngs || !g->logits || !g->probs || !g->order || !g->seq || !g->ntok || !g->tokens)
        return -1;
    size_t r = 0;
    for (int b = 0; b < B; b++) {
        svs_rng_seed(&g->rngs[b], svs_rng_u64(rng));
        g->seq[b] = b;
        g->ntok[b] = pr->lens[b] + gp->max_new_tokens; /* the cache capacity, for kv init */
        for (int t = 0; t < pr->lens[b]; t++) g->tokens[r++] = pr->ids[(size_t)b * pr->T + t];
    }
    if (model_kv_init(&g->kv, m, B, g->ntok, (int)max_rows, err)) return -1;
    for (int b = 0; b < B; b++) g->ntok[b] = pr->lens[b];
    return 0;
}

/* one id from a logits row (see model_generate in sample.h) */
static int32_t gen_pick(const model *m, gen_state *g, const float *logits, svs_rng *rng,
                        const sample_params *sp) {
    if (sp->temperature == 0.0f) return sample_argmax(logits, m->V);
    m->ops->softmax_forward(g->probs, logits, 1, m->V, sp->temperature);
    return sample_from_probs(g->probs, m->V, sp, svs_rng_uniform(rng), g->order);
}

static int gen_finished(const model_gen_params *gp, model_gen_out *o, int b) {
    int32_t id = o->ids[o->n - 1];
    for (int j = 0; j < gp->n_stop_ids; j++)
        if (id == gp->stop_ids[j]) {
            o->finish = MODEL_FINISH_EOS;
            return 1;
        }
    if (gp->stop_fn && gp->stop_fn(gp->stop_ctx, b, o->ids, o->n)) {
        o->finish = MODEL_FINISH_STOP;
        return 1;
    }
    if (o->n >= gp->max_new_tokens) {
        o->finish = MODEL_FINISH_LENGTH;
        return 1;
    }
    return 0;
}

int model_generate(model *m, const model_batch *pr, const model_gen_params *gp, svs_rng *rng,
                   model_gen_out *out, svs_err *err) {
    size_t total_len = 0;
    if (gen_check(pr, gp, &total_len, err)) return -1;
    int B = pr->B;
    size_t V = (size_t)m->V;
    for (int b = 0; b < B; b++) {
        out[b].n = 0;
        out[b].finish = MODEL_FINISH_LENGTH;
        out[b].ids = svs_malloc((size_t)(gp->max_new_tokens > 0 ? gp->max_new_tokens : 1) *
                                    sizeof(int32_t), err);
        if (!out[b].ids) {
            model_gen_out_free(out, b);
            return svs_err_prefix(err, "model_generate");
        }
    }
    if (gp->max_new_tokens == 0) return 0;
    gen_state g;
    memset(&g, 0, sizeof g);
    int n = B; /* sequences in the next step: g.seq[0..n) */
    if (gen_setup(m, pr, gp, rng, total_len, &g, err) ||
        model_kv_step(m, &g.kv, n, g.seq, g.ntok, g.tokens, g.logits, err))
        goto fail;
    while (n > 0) {
        int next = 0; /* compact the unfinished sequences in place: next <= i */
        for (int i = 0; i < n; i++) {
            int b = g.seq[i];
            model_gen_out *o = &out[b];
            o->ids[o->n++] = gen_pick(m, &g, g.logits + (size_t)i * V, &g.rngs[b], &gp->sampling);
            if (gen_finished(gp, o, b)) continue;
            g.seq[next] = b;
            g.ntok[next] = 1;
            g.tokens[next] = o->ids[o->n - 1];
            next++;
        }
        n = next;
        if (n > 0 && model_kv_step(m, &g.kv, n, g.seq, g.ntok, g.tokens, g.logits, err))
            goto fail;
    }
    gen_state_free(&g);
    return 0;
fail:
    svs_err_prefix(err, "model_generate");
    gen_state_free(&g);
    model_gen_out_free(out, B);
    return -1;
}
