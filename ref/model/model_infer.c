/* model_infer.c — the forward for decoding: a KV cache per sequence per layer and one
 * function, model_kv_step, that runs a chunk of new tokens for some sequences against their
 * cached keys and values (HF DynamicCache semantics; the ops attention's Tq < Tk form).
 * Prefill is a step with the whole prompt, decoding a step with one token per unfinished
 * sequence; the rows of all sequences in a step are packed, so each linear layer is one
 * matmul. Only the last new row of each sequence goes through the LM head. Nothing is kept
 * for a backward. The arithmetic is the training forward's (model_forward.c) row by row, in
 * the same operand order, so the logits are bit-identical (tests/test_model.c checks it). */
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"

enum { KV_SCRATCH = 13 }; /* float fields of the step scratch, in the order of model_kv */

int model_kv_init(model_kv *kv, model *m, int B, const int *cap, int max_rows, svs_err *err) {
    memset(kv, 0, sizeof *kv);
    if (B < 1 || max_rows < 1) return svs_errf(err, "model_kv_init: empty batch");
    kv->B = B;
    kv->max_rows = max_rows;
    kv->cap = svs_malloc((size_t)B * sizeof(int), err);
    kv->len = svs_calloc((size_t)B, sizeof(int), err);
    kv->off = svs_malloc((size_t)B * sizeof(size_t), err);
    if (!kv->cap || !kv->len || !kv->off) goto fail;
    int max_cap = 1;
    for (int b = 0; b < B; b++) {
        if (cap[b] < 1) {
            svs_errf(err, "model_kv_init: sequence %d: capacity %d", b, cap[b]);
            goto fail;
        }
        kv->cap[b] = cap[b];
        kv->off[b] = kv->rows;
        kv->rows += (size_t)cap[b];
        if (cap[b] > max_cap) max_cap = cap[b];
    }
    size_t cache = (size_t)m->L * kv->rows * (size_t)m->KVD;
    kv->k = svs_malloc(cache * sizeof(float), err);
    kv->v = svs_malloc(cache * sizeof(float), err);
    size_t R = (size_t)max_rows, C = (size_t)m->C, F = (size_t)m->F;
    size_t QD = (size_t)m->QD, KVD = (size_t)m->KVD;
    size_t sizes[KV_SCRATCH] = {R * C, R * C, R * C, R * C, R * QD, R * QD, R * KVD, R * KVD,
                                R * F, R * F, R * F, R > (size_t)B ? R : (size_t)B, (size_t)B * C * 2};
    float **fields[KV_SCRATCH] = {&kv->x, &kv->ln, &kv->h, &kv->tmp, &kv->q, &kv->att, &kv->kn,
                                  &kv->vn, &kv->gate, &kv->up, &kv->act, &kv->rstd, &kv->last};
    size_t total = 0;
    for (int i = 0; i < KV_SCRATCH; i++) total += sizes[i];
    kv->mem = svs_malloc(total * sizeof(float), err);
    kv->tok = svs_malloc(R * sizeof(int32_t), err);
    kv->pos = svs_malloc(R * sizeof(int32_t), err);
    if (!kv->k || !kv->v || !kv->mem || !kv->tok || !kv->pos) goto fail;
    float *at = kv->mem;
    for (int i = 0; i < KV_SCRATCH; i++) {
        *fields[i] = at;
        at += sizes[i];
    }
    kv->lastn = kv->last + (size_t)B * C;
    if (model_ensure_rope(m, max_cap, err)) goto fail;
    return 0;
fail:
    svs_err_prefix(err, "model_kv_init");
    model_kv_free(kv);
    return -1;
}

void model_kv_free(model_kv *kv) {
    free(kv->cap);
    free(kv->len);
    free(kv->off);
    free(kv->k);
    free(kv->v);
    free(kv->mem);
    free(kv->probs);
    free(kv->tok);
    free(kv->pos);
    memset(kv, 0, sizeof *kv);
}

/* Sequences with at most this many new tokens in a step run their attention in one batched
 * attention_decode call (every decode round, short prefills); longer chunks call
 * attention_forward per sequence, whose GEMMs pay off over many query rows. */
#define KV_DECODE_ROWS 16

static int kv_batched(const model *m, int ntok) {
    return m->ops->attention_decode && ntok <= KV_DECODE_ROWS;
}

/* The attention scratch kv->probs: the index arrays of the batched call, off [max_rows]
 * (size_t) and len [max_rows] (int), in the first idx_floats() floats, then the
 * probabilities. */
static size_t idx_floats(const model_kv *kv) {
    size_t bytes = (size_t)kv->max_rows * (sizeof(size_t) + sizeof(int));
    return (bytes + 63) / 64 * (64 / sizeof(float));
}

/* Checks a step's request and packs its tokens and positions into kv->tok / kv->pos;
 * returns the number of rows, or -1. Also grows the probability scratch. */
static int pack_step(const model *m, model_kv *kv, int n, const int *seq, const int *ntok,
                     const int32_t *tokens, svs_err *err) {
    if (n < 1 || n > kv->B) return svs_errf(err, "model_kv_step: %d sequences", n);
    size_t rows = 0, probs = 0, brows = 0, btmax = 0;
    for (int i = 0; i < n; i++) {
        int s = seq[i];
        if (s < 0 || s >= kv->B) return svs_errf(err, "model_kv_step: no sequence %d", s);
        for (int j = 0; j < i; j++)
            if (seq[j] == s) return svs_errf(err, "model_kv_step: sequence %d twice", s);
        if (ntok[i] < 1 || ntok[i] > kv->cap[s] - kv->len[s])
            return svs_errf(err, "model_kv_step: sequence %d: %d new tokens after %d of %d", s,
                            ntok[i], kv->len[s], kv->cap[s]);
        if ((size_t)ntok[i] > (size_t)kv->max_rows - rows)
            return svs_errf(err, "model_kv_step: more than %d rows", kv->max_rows);
        for (int t = 0; t < ntok[i]; t++, rows++) {
            if (tokens[rows] < 0 || tokens[rows] >= m->V)
                return svs_errf(err, "model_kv_step: sequence %d: token id %d not in [0, %d)",
                                s, (int)tokens[rows], m->V);
            kv->tok[rows] = tokens[rows];
            kv->pos[rows] = kv->len[s] + t;
        }
        size_t tk = (size_t)(kv->len[s] + ntok[i]);
        if (kv_batched(m, ntok[i])) {
            brows += (size_t)ntok[i];
            if (tk > btmax) btmax = tk;
        } else {
            size_t need = (size_t)m->H * (size_t)ntok[i] * tk;
            if (need > probs) probs = need;
        }
    }
    if (brows * (size_t)m->H * btmax > probs) probs = brows * (size_t)m->H * btmax;
    probs += idx_floats(kv);
    if (probs > kv->probs_cap) {
        float *p = svs_realloc(kv->probs, probs * sizeof(float), err);
        if (!p) return svs_err_prefix(err, "model_kv_step");
        kv->probs = p;
        kv->probs_cap = probs;
    }
    return (int)rows;
}

/* attention_block of model_forward.c against the cache:
 *   ln = input_layernorm(x); q = rope(q_proj(ln)); k_new = rope(k_proj(ln)); v_new = v_proj(ln)
 *   cache[len .. len+ntok) = k_new, v_new;  att = attention(q, cache[0 .. len+ntok))
 * (attention_decode over the rows of sequences with few new tokens, attention_forward for
 * each other sequence: the same rows either way), then
 *   h = x + o_proj(att) */
static void kv_attention(const model *m, model_kv *kv, const model_params *w, int l, int n,
                         const int *seq, const int *ntok, int N) {
    const ops_table *K = m->ops;
    int C = m->C, QD = m->QD, KVD = m->KVD;
    K->rmsnorm_forward(kv->ln, kv->rstd, kv->x, w->ln1, N, C, (float)m->cfg.rms_norm_eps);
    K->matmul_forward(kv->q, kv->ln, w->wq, w->bq, N, C, QD);
    K->matmul_forward(kv->kn, kv->ln, w->wk, w->bk, N, C, KVD);
    K->matmul_forward(kv->vn, kv->ln, w->wv, w->bv, N, C, KVD);
    K->rope_forward(kv->q, kv->q, m->rope_cos, m->rope_sin, kv->pos, N, m->H, m->hd);
    K->rope_forward(kv->kn, kv->kn, m->rope_cos, m->rope_sin, kv->pos, N, m->KVH, m->hd);
    size_t *boff = (size_t *)kv->probs;
    int *blen = (int *)(boff + kv->max_rows);
    float *probs = kv->probs + idx_floats(kv);
    size_t layer = (size_t)l * kv->rows * (size_t)KVD, r = 0;
    for (int i = 0; i < n; i++) { /* the new keys and values into the caches */
        int s = seq[i];
        float *kc = kv->k + layer + kv->off[s] * KVD, *vc = kv->v + layer + kv->off[s] * KVD;
        size_t at = (size_t)kv->len[s] * KVD, cnt = (size_t)ntok[i] * KVD;
        memcpy(kc + at, kv->kn + r * KVD, cnt * sizeof(float));
        memcpy(vc + at, kv->vn + r * KVD, cnt * sizeof(float));
        r += (size_t)ntok[i];
    }
    /* a run of consecutive sequences with few new tokens: one attention_decode call (a decode
     * round is one run); any other sequence: attention_forward over its new rows */
    r = 0;
    int rb = 0;
    for (int i = 0; i < n;) {
        if (!kv_batched(m, ntok[i])) {
            int s = seq[i];
            size_t base = layer + kv->off[s] * KVD;
            K->attention_forward(kv->att + r * QD, probs, NULL, kv->q + r * QD, kv->k + base,
                                 kv->v + base, ntok[i], kv->len[s] + ntok[i], m->H, m->KVH,
                                 m->hd); /* no backward: no stats */
            r += (size_t)ntok[i];
            i++;
            continue;
        }
        size_t r0 = r;
        int b0 = rb, tmax = 0;
        for (; i < n && kv_batched(m, ntok[i]); i++) {
            int s = seq[i];
            for (int t = 0; t < ntok[i]; t++, rb++) { /* new row t sees keys 0 .. len + t */
                boff[rb] = kv->off[s];
                blen[rb] = kv->len[s] + t + 1;
                if (blen[rb] > tmax) tmax = blen[rb];
            }
            r += (size_t)ntok[i];
        }
        K->attention_decode(kv->att + r0 * QD, probs, kv->q + r0 * QD, kv->k + layer,
                            kv->v + layer, boff + b0, blen + b0, rb - b0, tmax, m->H, m->KVH,
                            m->hd);
    }
    K->matmul_forward(kv->tmp, kv->att, w->wo, w->bo, N, QD, C);
    K->add(kv->h, kv->x, kv->tmp, (size_t)N * C); /* residual + attn_out */
}

/* mlp_block of model_forward.c: x = h + down_proj(silu(gate_proj(ln)) · up_proj(ln)),
 * ln = post_attention_layernorm(h) */
static void kv_mlp(const model *m, model_kv *kv, const model_params *w, int N) {
    const ops_table *K = m->ops;
    int C = m->C, F = m->F;
    K->rmsnorm_forward(kv->ln, kv->rstd, kv->h, w->ln2, N, C, (float)m->cfg.rms_norm_eps);
    K->matmul_forward(kv->gate, kv->ln, w->wgate, w->bgate, N, C, F);
    K->matmul_forward(kv->up, kv->ln, w->wup, w->bup, N, C, F);
    K->swiglu_forward(kv->act, kv->gate, kv->up, (size_t)N * F);
    K->matmul_forward(kv->tmp, kv->act, w->wdown, w->bdown, N, F, C);
    K->add(kv->x, kv->h, kv->tmp, (size_t)N * C); /* residual + mlp_out */
}

int model_kv_step(model *m, model_kv *kv, int n, const int *seq, const int *ntok,
                  const int32_t *tokens, float *logits, svs_err *err) {
    int N = pack_step(m, kv, n, seq, ntok, tokens, err);
    if (N < 0) return -1;
    const ops_table *K = m->ops;
    size_t C = (size_t)m->C;
    K->embedding_forward(kv->x, m->p.embed, kv->tok, N, m->C);
    for (int l = 0; l < m->L; l++) {
        model_params w = model_layer_params(m, &m->p, l);
        kv_attention(m, kv, &w, l, n, seq, ntok, N);
        kv_mlp(m, kv, &w, N);
    }
    /* model.norm and lm_head on the last new row of each sequence */
    size_t r = 0;
    for (int i = 0; i < n; i++) {
        r += (size_t)ntok[i];
        memcpy(kv->last + (size_t)i * C, kv->x + (r - 1) * C, C * sizeof(float));
        kv->len[seq[i]] += ntok[i];
    }
    K->rmsnorm_forward(kv->lastn, kv->rstd, kv->last, m->p.norm, n, m->C,
                       (float)m->cfg.rms_norm_eps);
    K->matmul_forward(logits, kv->lastn, m->p.lm_head, NULL, n, m->C, m->V);
    return 0;
}
