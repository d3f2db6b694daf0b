/* model_backward.c — gradients of every parameter through the last model_forward: from
 * d objective / d lnf (a.dln, filled by the LM head's backward, model_head.c) back to the
 * embedding, ACCUMULATING into the gradient slab (llm.c habit: zeroing is model_zero_grad).
 * The front ends (the mean cross-entropy, model_loss_backward, and a per-token objective given
 * dJ/dlogp and dJ/dentropy, model_token_backward, the entry the GRPO loss uses;
 * spec/grpo-conventions.md §3.3–3.4) are in model_head.c; model_backward here starts from kept
 * dlogits. Each step quotes the forward line (model_forward.c) it differentiates. The
 * residual-stream gradient lives in a.dres and is updated in place from layer L−1 down to
 * layer 0. Attention recomputes its probabilities from q, k and att_stats (ops.h). */
#include <string.h>

#include "model_internal.h"

static void zero(float *x, size_t n) { memset(x, 0, n * sizeof(float)); }

/* forward (kept logits): logits[b] = lnf[rows of b] · lm_headᵀ
 * so: dlnf = dlogits · lm_head, dlm_head += dlogitsᵀ · lnf (tied: into dembed) */
static void head_backward(model *m) {
    const ops_table *K = m->ops;
    model_acts *a = &m->a;
    size_t C = (size_t)m->C, V = (size_t)m->V, N = (size_t)m->N;
    zero(a->dln, N * C);
    if (model_batch_unpadded(m)) { /* packed rows = padded rows: one matmul for the batch */
        K->matmul_backward(a->dln, m->g.lm_head, NULL, a->dlogits, a->lnf, m->p.lm_head, m->N,
                           m->C, m->V);
        return;
    }
    for (int b = 0; b < m->B; b++)
        K->matmul_backward(a->dln + m->row_off[b] * C, m->g.lm_head, NULL,
                           a->dlogits + (size_t)b * m->T * V, a->lnf + m->row_off[b] * C,
                           m->p.lm_head, m->lens[b], m->C, m->V);
}

/* forward: lnf = model.norm(x[L]), so dres = d x[L] = rmsnorm_backward(dlnf) */
static void norm_backward(model *m) {
    const ops_table *K = m->ops;
    model_acts *a = &m->a;
    size_t C = (size_t)m->C, N = (size_t)m->N;
    zero(a->dres, N * C);
    const float *x_last = a->x + (size_t)m->L * m->cap_N * C;
    K->rmsnorm_backward(a->dres, m->g.norm, a->dln, x_last, m->p.norm, a->lnf_rstd, m->N, m->C);
}

/* forward (mlp_block):
 *   ln2 = rmsnorm(h);  gate = ln2·Wgᵀ;  up = ln2·Wuᵀ;  act = silu(gate)·up
 *   x_out = h + act·Wdᵀ
 * on entry dres = d x_out; on exit dres = d h (the residual passes d x_out through unchanged
 * and the norm adds its part). */
static void mlp_backward(model *m, const model_params *w, const model_params *g,
                         const layer_acts *s) {
    const ops_table *K = m->ops;
    model_acts *a = &m->a;
    int N = m->N, C = m->C, F = m->F;
    size_t NF = (size_t)N * F;
    zero(a->dact, NF);
    K->matmul_backward(a->dact, g->wdown, g->bdown, a->dres, s->act, w->wdown, N, F, C);
    zero(a->dgate, NF);
    zero(a->dup, NF);
    K->swiglu_backward(a->dgate, a->dup, a->dact, s->gate, s->up, NF);
    zero(a->dln, (size_t)N * C);
    K->matmul_backward(a->dln, g->wgate, g->bgate, a->dgate, s->ln2, w->wgate, N, C, F);
    K->matmul_backward(a->dln, g->wup, g->bup, a->dup, s->ln2, w->wup, N, C, F);
    K->rmsnorm_backward(a->dres, g->ln2, a->dln, s->h, w->ln2, s->ln2_rstd, N, C);
}

/* forward (attention_block):
 *   ln1 = rmsnorm(x_in); q = rope(ln1·Wqᵀ + bq); k = rope(ln1·Wkᵀ + bk); v = ln1·Wvᵀ + bv
 *   att = attention(q, k, v) per sequence;  h = x_in + att·Woᵀ (+ bo)
 * on entry dres = d h; on exit dres = d x_in. */
static void attention_backward(model *m, const model_params *w, const model_params *g,
                               const layer_acts *s) {
    const ops_table *K = m->ops;
    model_acts *a = &m->a;
    int N = m->N, C = m->C, QD = m->QD, KVD = m->KVD;
    zero(a->datt, (size_t)N * QD);
    K->matmul_backward(a->datt, g->wo, g->bo, a->dres, s->att, w->wo, N, QD, C);
    zero(a->dq, (size_t)N * QD);
    zero(a->dk, (size_t)N * KVD);
    zero(a->dv, (size_t)N * KVD);
    for (int b = 0; b < m->B; b++) {
        size_t r = (size_t)m->row_off[b];
        int len = m->lens[b];
        K->attention_backward(a->dq + r * QD, a->dk + r * KVD, a->dv + r * KVD, a->att_scratch,
                              a->datt + r * QD, s->att_stats + r * m->H * 2, s->q + r * QD,
                              s->k + r * KVD, s->v + r * KVD, len, len, m->H, m->KVH, m->hd);
    }
    /* q = rope(q_pre): dq_pre = R(−θ)·dq; the same for k */
    zero(a->dqpre, (size_t)N * QD);
    zero(a->dkpre, (size_t)N * KVD);
    K->rope_backward(a->dqpre, a->dq, m->rope_cos, m->rope_sin, m->pos, N, m->H, m->hd);
    K->rope_backward(a->dkpre, a->dk, m->rope_cos, m->rope_sin, m->pos, N, m->KVH, m->hd);
    zero(a->dln, (size_t)N * C);
    K->matmul_backward(a->dln, g->wq, g->bq, a->dqpre, s->ln1, w->wq, N, C, QD);
    K->matmul_backward(a->dln, g->wk, g->bk, a->dkpre, s->ln1, w->wk, N, C, KVD);
    K->matmul_backward(a->dln, g->wv, g->bv, a->dv, s->ln1, w->wv, N, C, KVD);
    K->rmsnorm_backward(a->dres, g->ln1, a->dln, s->x_in, w->ln1, s->ln1_rstd, N, C);
}

void model_backward_body(model *m) {
    norm_backward(m);
    for (int l = m->L - 1; l >= 0; l--) {
        model_params w = model_layer_params(m, &m->p, l);
        model_params g = model_layer_params(m, &m->g, l);
        layer_acts s = model_layer_acts(m, l);
        mlp_backward(m, &w, &g, &s);
        attention_backward(m, &w, &g, &s);
    }
    /* forward: x[0] = embed[tok] */
    m->ops->embedding_backward(m->g.embed, m->a.dres, m->tok, m->N, m->C);
}

int model_backward(model *m, svs_err *err) {
    if (!m->have_forward) return svs_errf(err, "model_backward: no forward to differentiate");
    if (!m->a.dlogits)
        return svs_errf(err, "model_backward: the forward did not keep its logits (B·T·V > "
                             "logits_keep_max): use model_loss_backward or model_token_backward");
    head_backward(m);
    model_backward_body(m);
    return 0;
}

void model_zero_grad(model *m) { zero(m->grads_mem, m->num_params); }
