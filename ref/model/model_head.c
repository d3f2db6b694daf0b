/* model_head.c — the LM head (lnf = model.norm(x[L]); logits = lnf · lm_headᵀ, HF
 * Qwen2ForCausalLM / LlamaForCausalLM) and the read-outs on its logits: per-token log-probs and
 * entropy at a temperature (verl, spec/grpo-conventions.md §3), the mean cross-entropy (torch
 * F.cross_entropy), and the two backward front ends (model_loss_backward, model_token_backward).
 *
 * Two modes, chosen by model_forward for each batch (model.h, logits_keep_max):
 *   kept     B·T·V <= logits_keep_max: the forward stores the logits [B, T, V] (padded layout,
 *            zero rows at padding) in a.logits; the read-outs read them; the backward fills
 *            a.dlogits [B, T, V] and runs model_backward. Tests and samplers read a.logits.
 *   chunked  otherwise: the forward stops at lnf. Each read-out walks the rows that have a
 *            target (targets >= 0) in chunks of R = max(1, logits_chunk_max / V) rows:
 *              x_c = lnf[rows of the chunk]               [R, C]   (gathered)
 *              z_c = x_c · lm_headᵀ                       [R, V]   (ops matmul_forward)
 *              logp_c, H_c = logprob_forward(z_c, T)               (ops)
 *            and the backward recomputes z_c, then
 *              dz_c  = logprob_backward(dlogp_c, dH_c, z_c, T)     [R, V]
 *              dx_c  = dz_c · lm_head,  dlm_head += dz_cᵀ · x_c    (ops matmul_backward)
 *              dlnf[rows of the chunk] = dx_c
 *            so that at most 2·R·V floats of logits and their gradient exist at once (the
 *            head's matmul runs twice: once for the loss, once in the backward).
 *            The cross-entropy is the row-weighted mean of the chunks' crossentropy_forward;
 *            its gradient (p − δ_y)·dloss/count is logprob_backward at T = 1 with
 *            dlogp = −dloss/count (logp = z_y − lse(z) is minus torch's per-row loss
 *            lse(z) − z_y; grpo-conventions §3.3).
 * Rows without a target contribute nothing to any read-out, so they are skipped: their
 * logits are never computed in the chunked mode, and their d lnf is 0 in both modes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"

static void zero(float *x, size_t n) { memset(x, 0, n * sizeof(float)); }

/* Grows m->head_mem to at least `bytes`. */
static int head_reserve(model *m, size_t bytes, svs_err *err) {
    if (bytes <= m->head_bytes) return 0;
    free(m->head_mem);
    m->head_bytes = 0;
    m->head_mem = svs_malloc(bytes, err);
    if (!m->head_mem) return -1;
    m->head_bytes = bytes;
    return 0;
}

/* ---- forward -------------------------------------------------------------------------------- */

/* lnf = model.norm(x[L]); kept mode: logits[b, t] = lm_head(lnf[row_off[b] + t]) for t <
 * lens[b], zero rows elsewhere (model_internal.h) */
int model_head_forward(model *m, svs_err *err) {
    const ops_table *K = m->ops;
    size_t C = (size_t)m->C, V = (size_t)m->V, BTV = (size_t)m->B * m->T * V;
    const float *x_last = m->a.x + (size_t)m->L * m->cap_N * C;
    K->rmsnorm_forward(m->a.lnf, m->a.lnf_rstd, x_last, m->p.norm, m->N, m->C,
                       (float)m->cfg.rms_norm_eps);
    m->a.logits = m->a.dlogits = NULL;
    if (BTV > m->logits_keep_max) return 0; /* chunked mode */
    if (head_reserve(m, 2 * BTV * sizeof(float), err)) return -1;
    m->a.logits = m->head_mem;
    m->a.dlogits = m->a.logits + BTV;
    if (model_batch_unpadded(m)) { /* packed rows = padded rows: one matmul for the batch */
        K->matmul_forward(m->a.logits, m->a.lnf, m->p.lm_head, NULL, m->N, m->C, m->V);
        return 0;
    }
    zero(m->a.logits, BTV);
    for (int b = 0; b < m->B; b++)
        K->matmul_forward(m->a.logits + (size_t)b * m->T * V, m->a.lnf + m->row_off[b] * C,
                          m->p.lm_head, NULL, m->lens[b], m->C, m->V);
    return 0;
}

/* ---- chunks (chunked mode) ----------------------------------------------------------------- */

/* The buffers of one chunk of R rows, carved from head_mem. */
typedef struct head_chunk {
    int R;             /* capacity in rows */
    int n;             /* rows in the current chunk */
    size_t next;       /* padded index b·T + t where the next chunk starts its search */
    float *x;          /* [R, C] lnf rows of the chunk */
    float *dx;         /* [R, C] their gradient */
    float *z;          /* [R, V] logits */
    float *dz;         /* [R, V] d objective / d logits */
    float *a, *b;      /* [R] per row: logp and entropy (forward), dlogp and dentropy (backward) */
    size_t *pad;       /* [R] padded index of each row */
    int *row;          /* [R] packed row of each row */
    int32_t *tg;       /* [R] its target */
} head_chunk;

static int chunk_init(model *m, head_chunk *c, svs_err *err) {
    size_t V = (size_t)m->V, C = (size_t)m->C;
    size_t R = m->logits_chunk_max / V;
    if (R < 1) R = 1;
    if (R > (size_t)m->N) R = (size_t)m->N;
    /* floats first (aligned like the allocation), then the index arrays */
    size_t floats = 2 * R * C + 2 * R * V + 2 * R;
    size_t bytes = floats * sizeof(float) + R * (sizeof(size_t) + sizeof(int) + sizeof(int32_t));
    if (head_reserve(m, bytes + sizeof(size_t), err)) return -1;
    m->a.logits = m->a.dlogits = NULL; /* head_mem no longer holds kept logits */
    float *f = m->head_mem;
    c->R = (int)R;
    c->n = 0;
    c->next = 0;
    c->x = f;
    c->dx = c->x + R * C;
    c->z = c->dx + R * C;
    c->dz = c->z + R * V;
    c->a = c->dz + R * V;
    c->b = c->a + R;
    /* size_t array at the next multiple of sizeof(size_t) bytes */
    size_t off = (floats * sizeof(float) + sizeof(size_t) - 1) / sizeof(size_t) * sizeof(size_t);
    c->pad = (size_t *)((char *)m->head_mem + off);
    c->row = (int *)(c->pad + R);
    c->tg = (int32_t *)(c->row + R);
    return 0;
}

/* The next chunk: up to R rows (b, t) with targets[b·T + t] >= 0, in padded order. Returns the
 * number of rows (0 at the end). */
static int chunk_next(const model *m, const int32_t *targets, head_chunk *c) {
    size_t BT = (size_t)m->B * m->T;
    c->n = 0;
    while (c->next < BT && c->n < c->R) {
        size_t i = c->next++;
        if (targets[i] < 0) continue;
        int b = (int)(i / (size_t)m->T), t = (int)(i % (size_t)m->T);
        c->pad[c->n] = i;
        c->row[c->n] = m->row_off[b] + t;
        c->tg[c->n] = targets[i];
        c->n++;
    }
    return c->n;
}

/* z_c = lnf[rows] · lm_headᵀ */
static void chunk_logits(const model *m, head_chunk *c) {
    size_t C = (size_t)m->C;
    for (int r = 0; r < c->n; r++)
        memcpy(c->x + (size_t)r * C, m->a.lnf + (size_t)c->row[r] * C, C * sizeof(float));
    m->ops->matmul_forward(c->z, c->x, m->p.lm_head, NULL, c->n, m->C, m->V);
}

/* logp and entropy of every row with a target, chunk by chunk, into the padded [B, T] arrays
 * (either may be NULL; untouched elsewhere) */
static int chunked_logprobs(model *m, const int32_t *targets, float temperature, float *logp,
                            float *entropy, svs_err *err) {
    head_chunk c;
    if (chunk_init(m, &c, err)) return -1;
    while (chunk_next(m, targets, &c)) {
        chunk_logits(m, &c);
        m->ops->logprob_forward(c.a, entropy ? c.b : NULL, c.z, c.tg, c.n, m->V, temperature);
        for (int r = 0; r < c.n; r++) {
            if (logp) logp[c.pad[r]] = c.a[r];
            if (entropy) entropy[c.pad[r]] = c.b[r];
        }
    }
    return 0;
}

/* dlnf for every row (0 without a target), then model_backward_body. The objective's
 * gradient per row: dlogp[pad] (or the constant dlogp_all when dlogp is NULL and has_all),
 * dentropy[pad] (may be NULL). */
static int chunked_backward(model *m, const int32_t *targets, const float *dlogp, int has_all,
                            float dlogp_all, const float *dentropy, float temperature,
                            svs_err *err) {
    const ops_table *K = m->ops;
    size_t C = (size_t)m->C, V = (size_t)m->V;
    head_chunk c;
    if (chunk_init(m, &c, err)) return -1;
    int use_lp = dlogp || has_all;
    zero(m->a.dln, (size_t)m->N * C);
    while (chunk_next(m, targets, &c)) {
        chunk_logits(m, &c); /* recomputed: the forward did not keep them */
        for (int r = 0; r < c.n; r++) {
            c.a[r] = dlogp ? dlogp[c.pad[r]] : dlogp_all;
            c.b[r] = dentropy ? dentropy[c.pad[r]] : 0.0f;
        }
        /* forward: logp = z_y/T − lse(z/T), H = lse(z/T) − Σ p·z/T (ops logprob_forward) */
        zero(c.dz, (size_t)c.n * V);
        K->logprob_backward(c.dz, use_lp ? c.a : NULL, dentropy ? c.b : NULL, c.z, c.tg, c.n,
                            m->V, temperature);
        /* forward: z = x · lm_headᵀ, so dx = dz · lm_head, dlm_head += dzᵀ · x */
        zero(c.dx, (size_t)c.n * C);
        K->matmul_backward(c.dx, m->g.lm_head, NULL, c.dz, c.x, m->p.lm_head, c.n, m->C, m->V);
        for (int r = 0; r < c.n; r++) /* each packed row appears once */
            memcpy(m->a.dln + (size_t)c.row[r] * C, c.dx + (size_t)r * C, C * sizeof(float));
    }
    model_backward_body(m);
    return 0;
}

/* ---- read-outs -------------------------------------------------------------------------------- */

void model_next_token_targets(int32_t *targets, const model_batch *bt) {
    for (int b = 0; b < bt->B; b++)
        for (int t = 0; t < bt->T; t++) {
            size_t i = (size_t)b * bt->T + t;
            targets[i] = t < bt->lens[b] - 1 ? bt->ids[i + 1] : -1;
        }
}

/* targets must be −1 at padding and in [0, V) or −1 elsewhere */
int model_check_targets(const model *m, const int32_t *targets, const char *who, svs_err *err) {
    if (!m->have_forward) return svs_errf(err, "%s: no forward to read", who);
    for (int b = 0; b < m->B; b++)
        for (int t = 0; t < m->T; t++) {
            int32_t y = targets[(size_t)b * m->T + t];
            if (y < -1 || y >= m->V || (y >= 0 && t >= m->lens[b]))
                return svs_errf(err, "%s: target at sequence %d position %d: %d is not a token "
                                     "of a valid position (or -1)", who, b, t, (int)y);
        }
    return 0;
}

int model_logprobs(model *m, const int32_t *targets, float temperature, float *logp,
                   float *entropy, svs_err *err) {
    if (model_check_targets(m, targets, "model_logprobs", err)) return -1;
    if (!(temperature > 0)) return svs_errf(err, "model_logprobs: temperature must be > 0");
    size_t BT = (size_t)m->B * m->T, V = (size_t)m->V;
    if (!m->a.logits) { /* chunked: 0 at the rows without a target, as below */
        if (logp) zero(logp, BT);
        if (entropy) zero(entropy, BT);
        if (chunked_logprobs(m, targets, temperature, logp, entropy, err))
            return svs_err_prefix(err, "model_logprobs");
        return 0;
    }
    for (size_t i = 0; i < BT; i++) {
        float lp = 0.0f, h = 0.0f;
        if (targets[i] >= 0)
            m->ops->logprob_forward(&lp, &h, m->a.logits + i * V, &targets[i], 1, m->V,
                                    temperature);
        if (logp) logp[i] = lp;
        if (entropy) entropy[i] = h;
    }
    return 0;
}

/* rows with a target */
static int64_t count_targets(const model *m, const int32_t *targets) {
    int64_t count = 0;
    for (size_t i = 0; i < (size_t)m->B * m->T; i++) count += targets[i] >= 0;
    return count;
}

/* chunked: each chunk's mean cross-entropy (ops crossentropy_forward: every row of a chunk has
 * a target), weighted by its row count: loss = (1/count)·Σ_c n_c·mean_c, in double, rounded
 * once (one fp32 rounding per chunk more than the kept path) */
static int chunked_loss(model *m, const int32_t *targets, float *loss, svs_err *err) {
    head_chunk c;
    if (chunk_init(m, &c, err)) return -1;
    double sum = 0.0;
    int64_t count = 0;
    while (chunk_next(m, targets, &c)) {
        chunk_logits(m, &c);
        float mean_c;
        m->ops->crossentropy_forward(&mean_c, NULL, c.z, c.tg, c.n, m->V);
        sum += (double)mean_c * (double)c.n;
        count += c.n;
    }
    *loss = count ? (float)(sum / (double)count) : NAN; /* torch: no valid row gives NaN */
    return 0;
}

int model_loss(model *m, const int32_t *targets, float *loss, svs_err *err) {
    if (model_check_targets(m, targets, "model_loss", err)) return -1;
    if (!m->a.logits) {
        if (chunked_loss(m, targets, loss, err)) return svs_err_prefix(err, "model_loss");
        return 0;
    }
    m->ops->crossentropy_forward(loss, NULL, m->a.logits, targets, m->B * m->T, m->V);
    return 0;
}

int model_loss_backward(model *m, const int32_t *targets, float dloss, svs_err *err) {
    if (model_check_targets(m, targets, "model_loss_backward", err)) return -1;
    if (!m->a.logits) {
        /* loss = −(1/count)·Σ logp, so dlogp = −dloss/count at every row with a target */
        int64_t count = count_targets(m, targets);
        float dlp = count ? (float)(-(double)dloss / (double)count) : 0.0f;
        if (chunked_backward(m, targets, NULL, 1, dlp, NULL, 1.0f, err))
            return svs_err_prefix(err, "model_loss_backward");
        return 0;
    }
    size_t BTV = (size_t)m->B * m->T * m->V;
    zero(m->a.dlogits, BTV);
    /* forward: loss = mean over valid rows of lse(logits) − logits[y] */
    m->ops->crossentropy_backward(m->a.dlogits, dloss, m->a.logits, targets, m->B * m->T, m->V);
    return model_backward(m, err);
}

int model_token_backward(model *m, const int32_t *targets, const float *dlogp,
                         const float *dentropy, float temperature, svs_err *err) {
    if (model_check_targets(m, targets, "model_token_backward", err)) return -1;
    if (!(temperature > 0)) return svs_errf(err, "model_token_backward: temperature must be > 0");
    if (!m->a.logits) {
        if (chunked_backward(m, targets, dlogp, 0, 0.0f, dentropy, temperature, err))
            return svs_err_prefix(err, "model_token_backward");
        return 0;
    }
    size_t BT = (size_t)m->B * m->T, V = (size_t)m->V;
    zero(m->a.dlogits, BT * V);
    /* forward (model_logprobs): z = logits/T; logp = z_y − lse(z); H = lse(z) − Σ p·z */
    for (size_t i = 0; i < BT; i++) {
        if (targets[i] < 0) continue;
        m->ops->logprob_backward(m->a.dlogits + i * V, dlogp ? &dlogp[i] : NULL,
                                 dentropy ? &dentropy[i] : NULL, m->a.logits + i * V,
                                 &targets[i], 1, m->V, temperature);
    }
    return model_backward(m, err);
}
