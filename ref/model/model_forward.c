/* model_forward.c — the training forward of the Qwen2 / Llama decoder over a padded batch,
 * keeping every activation the backward needs (the LM head and the per-token read-outs on its
 * logits — log-probs, entropy, cross-entropy — are in model_head.c). Architecture:
 * spec/formats.md §9.1–9.3; HF modeling_qwen2.py / modeling_llama.py (Qwen2DecoderLayer.forward,
 * Qwen2Attention.forward, Qwen2MLP.forward, Qwen2Model.forward). Inputs: a model_batch.
 * Outputs: m->a (model.h), logits [B, T, V] when kept.
 *
 * The valid tokens of the batch are packed into N rows (row_off[b] + t), so every linear layer
 * is one matmul over N rows; attention runs on each sequence's rows alone (ops attention is
 * causal over one unpadded sequence), which is what HF computes with right padding and an
 * attention mask at the valid positions. Memory: attention keeps 2 floats per head and row
 * (att_stats) instead of the probabilities, and the LM head (model_head.c) keeps the logits
 * only for small batches. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"

/* ---- RoPE tables ---------------------------------------------------------------------- */

int model_ensure_rope(model *m, int P, svs_err *err) {
    if (P <= m->rope_P) return 0;
    size_t n = (size_t)P * (size_t)(m->hd / 2);
    float *c = svs_realloc(m->rope_cos, n * sizeof(float), err);
    if (!c) return -1;
    m->rope_cos = c;
    float *s = svs_realloc(m->rope_sin, n * sizeof(float), err);
    if (!s) return -1;
    m->rope_sin = s;
    if (ops_rope_tables(m->rope_cos, m->rope_sin, m->inv_freq, P, m->hd, err)) return -1;
    m->rope_P = P;
    return 0;
}

/* ---- the activation slab ---------------------------------------------------------------- */

enum { NUM_ACTS = 28 }; /* fields of model_acts, in order (logits, dlogits: model_head.c) */

static size_t max_sz(size_t a, size_t b) { return a > b ? a : b; }

/* sizes of the model_acts fields (llm.c fill_in_activation_sizes) for the capacities in m */
static void act_sizes(const model *m, size_t s[NUM_ACTS]) {
    size_t L = (size_t)m->L, N = m->cap_N, C = (size_t)m->C, F = (size_t)m->F;
    size_t QD = (size_t)m->QD, KVD = (size_t)m->KVD, T = (size_t)m->cap_T, H = (size_t)m->H;
    size_t n_rep = (size_t)(m->H / m->KVH);
    size_t v[NUM_ACTS] = {
        (L + 1) * N * C,           /* x */
        L * N * C, L * N,          /* ln1, ln1_rstd */
        L * N * QD, L * N * KVD, L * N * KVD, /* q, k, v */
        L * N * H * 2,             /* att_stats */
        L * N * QD,                /* att */
        L * N * C,                 /* h */
        L * N * C, L * N,          /* ln2, ln2_rstd */
        L * N * F, L * N * F, L * N * F, /* gate, up, act */
        N * C, N,                  /* lnf, lnf_rstd */
        N * C, N * C,              /* dres, dln */
        N * QD, N * QD, N * KVD, N * KVD, N * KVD, N * QD, /* dq, dqpre, dk, dkpre, dv, datt */
        N * F, N * F, N * F,       /* dgate, dup, dact */
        max_sz(H, 2 * n_rep) * T * T, /* att_scratch: forward probs, backward scratch */
    };
    memcpy(s, v, sizeof v);
}

static void carve_acts(model *m) {
    model_acts *a = &m->a;
    float **f[NUM_ACTS] = {
        &a->x,      &a->ln1,   &a->ln1_rstd, &a->q,    &a->k,     &a->v,     &a->att_stats,
        &a->att,    &a->h,     &a->ln2,      &a->ln2_rstd, &a->gate, &a->up,   &a->act,
        &a->lnf,    &a->lnf_rstd, &a->dres,  &a->dln,  &a->dq,
        &a->dqpre,  &a->dk,    &a->dkpre,    &a->dv,   &a->datt,  &a->dgate, &a->dup,
        &a->dact,   &a->att_scratch};
    size_t s[NUM_ACTS];
    act_sizes(m, s);
    float *at = m->acts_mem;
    for (int i = 0; i < NUM_ACTS; i++) {
        *f[i] = at;
        at += s[i];
    }
}

/* Grows the activation slab and the batch index arrays to fit N rows, B sequences and T
 * positions. */
static int ensure_acts(model *m, size_t N, int B, int T, svs_err *err) {
    if (m->acts_mem && N <= m->cap_N && B <= m->cap_B && T <= m->cap_T) return 0;
    m->cap_N = max_sz(m->cap_N, N);
    m->cap_B = B > m->cap_B ? B : m->cap_B;
    m->cap_T = T > m->cap_T ? T : m->cap_T;
    size_t s[NUM_ACTS], total = 0;
    act_sizes(m, s);
    for (int i = 0; i < NUM_ACTS; i++) total += s[i];
    free(m->acts_mem);
    free(m->tok);
    free(m->pos);
    free(m->lens);
    free(m->row_off);
    m->tok = m->pos = NULL;
    m->lens = m->row_off = NULL;
    m->acts_floats = total;
    m->acts_mem = svs_calloc(total, sizeof(float), err);
    m->tok = svs_malloc(m->cap_N * sizeof(int32_t), err);
    m->pos = svs_malloc(m->cap_N * sizeof(int32_t), err);
    m->lens = svs_malloc((size_t)m->cap_B * sizeof(int), err);
    m->row_off = svs_malloc((size_t)m->cap_B * sizeof(int), err);
    if (!m->acts_mem || !m->tok || !m->pos || !m->lens || !m->row_off) {
        free(m->acts_mem);
        m->acts_mem = NULL; /* the next forward retries; the other arrays are freed with it */
        return -1;
    }
    carve_acts(m);
    return 0;
}

/* Checks the batch, sizes the slab, and packs token ids and positions into rows. */
static int setup_batch(model *m, const model_batch *bt, svs_err *err) {
    if (bt->B < 1 || bt->T < 1) return svs_errf(err, "model_forward: empty batch");
    size_t N = 0;
    for (int b = 0; b < bt->B; b++) {
        int len = bt->lens[b];
        if (len < 1 || len > bt->T)
            return svs_errf(err, "model_forward: sequence %d: length %d not in [1, %d]", b, len,
                            bt->T);
        for (int t = 0; t < len; t++) {
            int32_t id = bt->ids[(size_t)b * bt->T + t];
            if (id < 0 || id >= m->V)
                return svs_errf(err, "model_forward: sequence %d position %d: token id %d not "
                                     "in [0, %d)", b, t, (int)id, m->V);
        }
        N += (size_t)len;
    }
    if (ensure_acts(m, N, bt->B, bt->T, err) || model_ensure_rope(m, bt->T, err))
        return svs_err_prefix(err, "model_forward");
    m->B = bt->B;
    m->T = bt->T;
    m->N = (int)N;
    size_t row = 0;
    for (int b = 0; b < bt->B; b++) {
        int len = bt->lens[b];
        m->lens[b] = len;
        m->row_off[b] = (int)row;
        for (int t = 0; t < len; t++, row++) {
            m->tok[row] = bt->ids[(size_t)b * bt->T + t];
            m->pos[row] = t; /* HF position_ids 0..len−1 */
        }
    }
    return 0;
}

/* ---- the blocks ---------------------------------------------------------------------------- */

layer_acts model_layer_acts(const model *m, int l) {
    size_t N = m->cap_N, C = (size_t)m->C, F = (size_t)m->F;
    const model_acts *a = &m->a;
    layer_acts s = {
        model_layer(a->x, l, N * C),       model_layer(a->ln1, l, N * C),
        model_layer(a->ln1_rstd, l, N),    model_layer(a->q, l, N * m->QD),
        model_layer(a->k, l, N * m->KVD),  model_layer(a->v, l, N * m->KVD),
        model_layer(a->att_stats, l, N * (size_t)m->H * 2), model_layer(a->att, l, N * m->QD),
        model_layer(a->h, l, N * C),       model_layer(a->ln2, l, N * C),
        model_layer(a->ln2_rstd, l, N),    model_layer(a->gate, l, N * F),
        model_layer(a->up, l, N * F),      model_layer(a->act, l, N * F),
        model_layer(a->x, l + 1, N * C)};
    return s;
}

/* (model_internal.h) */
model_params model_layer_params(const model *m, const model_params *p, int l) {
    size_t C = (size_t)m->C, F = (size_t)m->F, QD = (size_t)m->QD, KVD = (size_t)m->KVD;
    model_params w = *p;
    w.ln1 = model_layer(p->ln1, l, C);
    w.wq = model_layer(p->wq, l, QD * C);
    w.bq = model_layer(p->bq, l, QD);
    w.wk = model_layer(p->wk, l, KVD * C);
    w.bk = model_layer(p->bk, l, KVD);
    w.wv = model_layer(p->wv, l, KVD * C);
    w.bv = model_layer(p->bv, l, KVD);
    w.wo = model_layer(p->wo, l, C * QD);
    w.bo = model_layer(p->bo, l, C);
    w.ln2 = model_layer(p->ln2, l, C);
    w.wgate = model_layer(p->wgate, l, F * C);
    w.bgate = model_layer(p->bgate, l, F);
    w.wup = model_layer(p->wup, l, F * C);
    w.bup = model_layer(p->bup, l, F);
    w.wdown = model_layer(p->wdown, l, C * F);
    w.bdown = model_layer(p->bdown, l, C);
    return w;
}

/* Qwen2Attention.forward (with the residual add of the decoder layer):
 *   ln1 = input_layernorm(x)
 *   q = rope(q_proj(ln1)), k = rope(k_proj(ln1)), v = v_proj(ln1)
 *   att = softmax(q·kᵀ/sqrt(hd) + causal) · v        per sequence, GQA via repeat_kv
 *   h = x + o_proj(att) */
static void attention_block(const model *m, const model_params *w, const layer_acts *s) {
    const ops_table *K = m->ops;
    int N = m->N, C = m->C, QD = m->QD, KVD = m->KVD;
    float eps = (float)m->cfg.rms_norm_eps;
    K->rmsnorm_forward(s->ln1, s->ln1_rstd, s->x_in, w->ln1, N, C, eps);
    K->matmul_forward(s->q, s->ln1, w->wq, w->bq, N, C, QD);
    K->matmul_forward(s->k, s->ln1, w->wk, w->bk, N, C, KVD);
    K->matmul_forward(s->v, s->ln1, w->wv, w->bv, N, C, KVD);
    K->rope_forward(s->q, s->q, m->rope_cos, m->rope_sin, m->pos, N, m->H, m->hd);
    K->rope_forward(s->k, s->k, m->rope_cos, m->rope_sin, m->pos, N, m->KVH, m->hd);
    for (int b = 0; b < m->B; b++) {
        size_t r = (size_t)m->row_off[b];
        int len = m->lens[b];
        /* the probabilities go to scratch; (max, denominator) per head and row are kept */
        K->attention_forward(s->att + r * QD, m->a.att_scratch, s->att_stats + r * m->H * 2,
                             s->q + r * QD, s->k + r * KVD, s->v + r * KVD, len, len, m->H,
                             m->KVH, m->hd);
    }
    K->matmul_forward(s->h, s->att, w->wo, w->bo, N, QD, C);
    K->add(s->h, s->x_in, s->h, (size_t)N * C); /* residual + attn_out */
}

/* Qwen2MLP.forward with the residual add:
 *   ln2 = post_attention_layernorm(h)
 *   x_out = h + down_proj(silu(gate_proj(ln2)) · up_proj(ln2)) */
static void mlp_block(const model *m, const model_params *w, const layer_acts *s) {
    const ops_table *K = m->ops;
    int N = m->N, C = m->C, F = m->F;
    K->rmsnorm_forward(s->ln2, s->ln2_rstd, s->h, w->ln2, N, C, (float)m->cfg.rms_norm_eps);
    K->matmul_forward(s->gate, s->ln2, w->wgate, w->bgate, N, C, F);
    K->matmul_forward(s->up, s->ln2, w->wup, w->bup, N, C, F);
    K->swiglu_forward(s->act, s->gate, s->up, (size_t)N * F);
    K->matmul_forward(s->x_out, s->act, w->wdown, w->bdown, N, F, C);
    K->add(s->x_out, s->h, s->x_out, (size_t)N * C); /* residual + mlp_out */
}

int model_forward(model *m, const model_batch *batch, svs_err *err) {
    m->have_forward = 0;
    if (setup_batch(m, batch, err)) return -1;
    m->ops->embedding_forward(m->a.x, m->p.embed, m->tok, m->N, m->C);
    for (int l = 0; l < m->L; l++) {
        model_params w = model_layer_params(m, &m->p, l);
        layer_acts s = model_layer_acts(m, l);
        attention_block(m, &w, &s);
        mlp_block(m, &w, &s);
    }
    if (model_head_forward(m, err)) return svs_err_prefix(err, "model_forward");
    m->have_forward = 1;
    return 0;
}
