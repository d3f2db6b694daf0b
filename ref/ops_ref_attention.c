/* ops_ref_attention.c — reference causal grouped-query attention for one sequence (ref/ops.h;
 * spec/formats.md §9.1), HF eager_attention_forward (modeling_qwen2.py / modeling_llama.py):
 *
 *   key_states = repeat_kv(key, n_rep); value_states = repeat_kv(value, n_rep)
 *   attn_weights = torch.matmul(query, key_states.transpose(2, 3)) * scaling   (scaling = hd**-0.5)
 *   attn_weights = attn_weights + causal_mask
 *   attn_weights = softmax(attn_weights, dim=-1, dtype=torch.float32)
 *   attn_output = torch.matmul(attn_weights, value_states)
 *
 * Query row t is at absolute position Tk − Tq + t and sees keys 0 .. Tk − Tq + t: Tq == Tk is
 * plain causal attention, Tq < Tk attends to a KV cache holding the earlier rows. Each row's
 * result depends only on its own query and the keys it sees, summed in ascending key order,
 * so the cache form gives bit-for-bit the rows of the full form (tests/test_ops.c checks it).
 * Dot products and softmax denominators accumulate in double; scores and probabilities are
 * stored as fp32.
 *
 * Memory (ops contract since issue 5): the probabilities are NOT kept for the backward. The
 * forward writes them to `probs`, a scratch the caller may reuse at once, and keeps two fp32
 * numbers per query row, stats[h,t] = (m, l): the row max m of the scores (one of the fp32
 * scores, so exact) and the softmax denominator l = Σ_j exp(s_j − m) rounded to fp32. Every
 * probability is then a function of q, k and (m, l) alone:
 *     p_j = exp(s_j − m) / l,    s_j = fp32(q·k_j)·scale
 * and the backward recomputes each p_j bit for bit (same fp32 score, same double exp, same fp32
 * l). This is flash attention's saved "logsumexp" (FlashAttention-2, Dao 2023, Alg. 1–2: it
 * keeps L = m + log l per row), stored as its two parts: an fp32 L would carry an absolute
 * error of ulp(L)/2, i.e. a relative error of up to |L|·6e-8 on every recomputed p. */
#include <math.h>
#include <stddef.h>

#include "ops_ref.h"

/* scaling = head_dim ** -0.5 (a Python double, applied as an fp32 scalar) */
static float attn_scale(int hd) { return (float)pow((double)hd, -0.5); }

/* Offsets into the row-major tensors: q/out [T, H, hd], k/v [T, KVH, hd], probs [H, Tq, Tk]. */
static size_t at3(int a, int b, int B, int C) {
    return ((size_t)a * (size_t)B + (size_t)b) * (size_t)C;
}

/* s = fp32(q·k)·scaling: the dot product in double, rounded once, times the fp32 scale (the
 * forward and the backward's recomputation share this expression, hence the same bits) */
static float score(const float *q_t, const float *k_j, int hd, float scale) {
    double dot = 0.0;
    for (int d = 0; d < hd; d++) dot += (double)q_t[d] * (double)k_j[d];
    return (float)dot * scale;
}

/* p = exp(s − m) / l in double, rounded to fp32 (m: row max, l: fp32 denominator) */
static float prob(float s, float mx, float l) {
    return (float)(exp((double)(s - mx)) / (double)l);
}

void ops_ref_attention_forward(float *out,     /* [Tq, H, hd] */
                               float *probs,   /* [H, Tq, Tk] scratch: the probabilities */
                               float *stats,   /* [H, Tq, 2] (max, denominator), may be NULL */
                               const float *q, /* [Tq, H, hd] */
                               const float *k, /* [Tk, KVH, hd] */
                               const float *v, /* [Tk, KVH, hd] */
                               int Tq, int Tk, int H, int KVH, int hd) {
    int n_rep = H / KVH; /* repeat_kv: query head h reads KV head h / n_rep */
    float scale = attn_scale(hd);
    for (int h = 0; h < H; h++) {
        int kvh = h / n_rep;
        for (int t = 0; t < Tq; t++) {
            int last = Tk - Tq + t; /* the causal mask: keys 0..last */
            const float *q_t = q + at3(t, h, H, hd);
            float *p = probs + at3(h, t, Tq, Tk);
            /* scores s_j = (q·k_j)·scaling, kept in p; the row max for a stable softmax */
            float mx = -INFINITY;
            for (int j = 0; j <= last; j++) {
                p[j] = score(q_t, k + at3(j, kvh, KVH, hd), hd, scale);
                if (p[j] > mx) mx = p[j];
            }
            /* softmax, fp32 storage: p_j = exp(s_j − max) / l, l = Σ exp(s − max) summed in
             * double and rounded to fp32 once, so that the backward can recompute p_j exactly
             * from the stored (max, l) */
            double sum = 0.0;
            for (int j = 0; j <= last; j++) sum += exp((double)(p[j] - mx));
            float l = (float)sum;
            for (int j = 0; j <= last; j++) p[j] = prob(p[j], mx, l);
            for (int j = last + 1; j < Tk; j++) p[j] = 0.0f; /* masked: exactly zero */
            if (stats) {
                stats[at3(h, t, Tq, 2)] = mx;
                stats[at3(h, t, Tq, 2) + 1] = l;
            }
            /* out[t,h,:] = Σ_j p_j · v[j,kvh,:] */
            float *out_t = out + at3(t, h, H, hd);
            for (int d = 0; d < hd; d++) {
                double acc = 0.0;
                for (int j = 0; j <= last; j++)
                    acc += (double)p[j] * (double)v[at3(j, kvh, KVH, hd) + (size_t)d];
                out_t[d] = (float)acc;
            }
        }
    }
}

/* The probabilities of the query heads h0 .. h0+n_rep−1 (one KV group), recomputed from q, k
 * and the forward's stats exactly as the forward computed them, into p [n_rep, Tq, Tk]. */
static void recompute_probs(float *p, const float *stats, const float *q, const float *k, int h0,
                            int n_rep, int kvh, int Tq, int Tk, int H, int KVH, int hd) {
    float scale = attn_scale(hd);
    for (int r = 0; r < n_rep; r++) {
        int h = h0 + r;
        for (int t = 0; t < Tq; t++) {
            int last = Tk - Tq + t;
            const float *q_t = q + at3(t, h, H, hd);
            float mx = stats[at3(h, t, Tq, 2)], l = stats[at3(h, t, Tq, 2) + 1];
            float *p_t = p + at3(r, t, Tq, Tk);
            for (int j = 0; j <= last; j++)
                p_t[j] = prob(score(q_t, k + at3(j, kvh, KVH, hd), hd, scale), mx, l);
            for (int j = last + 1; j < Tk; j++) p_t[j] = 0.0f;
        }
    }
}

/* Pass 1 of the backward, for the heads h0 .. h0+n_rep−1 of one KV group: the gradient of the
 * scores. In the forward this was: p_j = softmax_j(s), out = Σ_j p_j·v_j, so
 *   dp_j = dout·v_j,  ds_j = p_j·(dp_j − Σ_i p_i·dp_i)   (the softmax Jacobian) */
static void score_grads(float *ds, const float *dout, const float *probs, const float *v, int h0,
                        int n_rep, int kvh, int Tq, int Tk, int H, int KVH, int hd) {
    for (int r = 0; r < n_rep; r++) {
        int h = h0 + r;
        for (int t = 0; t < Tq; t++) {
            int last = Tk - Tq + t;
            const float *dout_t = dout + at3(t, h, H, hd);
            const float *p = probs + at3(r, t, Tq, Tk);
            float *ds_t = ds + at3(r, t, Tq, Tk);
            double pdp = 0.0; /* Σ_i p_i·dp_i */
            for (int j = 0; j <= last; j++) {
                const float *v_j = v + at3(j, kvh, KVH, hd);
                double dp = 0.0;
                for (int d = 0; d < hd; d++) dp += (double)dout_t[d] * (double)v_j[d];
                ds_t[j] = (float)dp; /* dp_j for now */
                pdp += (double)p[j] * dp;
            }
            for (int j = 0; j <= last; j++)
                ds_t[j] = (float)((double)p[j] * ((double)ds_t[j] - pdp));
            for (int j = last + 1; j < Tk; j++) ds_t[j] = 0.0f;
        }
    }
}

/* Pass 2 for one KV group, one full sum per gradient element (masked entries of p and ds are
 * 0). In the forward this was: s_tj = (q_t·k_j)·scale and out_t = Σ_j p_tj·v_j, so
 *   dq[t,h]   = scale · Σ_j ds[h,t,j]·k[j,kvh]
 *   dk[j,kvh] = scale · Σ_{h in group} Σ_t ds[h,t,j]·q[t,h]
 *   dv[j,kvh] =         Σ_{h in group} Σ_t  p[h,t,j]·dout[t,h]
 * (p and ds hold the group's heads only: index r = h − h0). */
static void input_grads(float *dq, float *dk, float *dv, const float *p, const float *ds,
                        const float *dout, const float *q, const float *k, int h0, int n_rep,
                        int kvh, int Tq, int Tk, int H, int KVH, int hd) {
    float scale = attn_scale(hd);
    for (int t = 0; t < Tq; t++) {
        int last = Tk - Tq + t;
        for (int r = 0; r < n_rep; r++) {
            const float *ds_t = ds + at3(r, t, Tq, Tk);
            for (int d = 0; d < hd; d++) {
                double acc = 0.0;
                for (int j = 0; j <= last; j++)
                    acc += (double)ds_t[j] * (double)k[at3(j, kvh, KVH, hd) + (size_t)d];
                dq[at3(t, h0 + r, H, hd) + (size_t)d] += (float)(acc * scale);
            }
        }
    }
    for (int j = 0; j < Tk; j++) {
        int t0 = j - (Tk - Tq); /* first query row that sees key j */
        if (t0 < 0) t0 = 0;
        for (int d = 0; d < hd; d++) {
            double acck = 0.0, accv = 0.0;
            for (int r = 0; r < n_rep; r++) {
                for (int t = t0; t < Tq; t++) {
                    size_t ij = at3(r, t, Tq, Tk) + (size_t)j;
                    acck += (double)ds[ij] * (double)q[at3(t, h0 + r, H, hd) + (size_t)d];
                    accv += (double)p[ij] * (double)dout[at3(t, h0 + r, H, hd) + (size_t)d];
                }
            }
            dk[at3(j, kvh, KVH, hd) + (size_t)d] += (float)(acck * scale);
            dv[at3(j, kvh, KVH, hd) + (size_t)d] += (float)accv;
        }
    }
}

/* One KV group at a time: its probabilities are recomputed into scratch (the first half), its
 * d-scores go to the second half, and both feed the group's dq, dk, dv. Summation orders are
 * those of the backward that read kept probabilities (same bits). */
void ops_ref_attention_backward(float *dq,          /* [Tq, H, hd] += */
                                float *dk,          /* [Tk, KVH, hd] += */
                                float *dv,          /* [Tk, KVH, hd] += */
                                float *scratch,     /* [2, H/KVH, Tq, Tk] */
                                const float *dout,  /* [Tq, H, hd] */
                                const float *stats, /* [H, Tq, 2] from the forward */
                                const float *q,     /* [Tq, H, hd] */
                                const float *k,     /* [Tk, KVH, hd] */
                                const float *v,     /* [Tk, KVH, hd] */
                                int Tq, int Tk, int H, int KVH, int hd) {
    int n_rep = H / KVH;
    float *p = scratch, *ds = scratch + at3(n_rep, 0, Tq, Tk);
    for (int kvh = 0; kvh < KVH; kvh++) {
        int h0 = kvh * n_rep;
        recompute_probs(p, stats, q, k, h0, n_rep, kvh, Tq, Tk, H, KVH, hd);
        score_grads(ds, dout, p, v, h0, n_rep, kvh, Tq, Tk, H, KVH, hd);
        input_grads(dq, dk, dv, p, ds, dout, q, k, h0, n_rep, kvh, Tq, Tk, H, KVH, hd);
    }
}

/* Decode rounds: each query row is attention_forward with Tq = 1 against its own sequence's
 * cache rows off[i] .. off[i]+len[i]−1 (the row at position len[i]−1 sees all of them), so the
 * result is bit for bit that of the per-sequence call. */
void ops_ref_attention_decode(float *out,        /* [n, H, hd] */
                              float *scratch,    /* [n, H, Tmax] the probabilities */
                              const float *q,    /* [n, H, hd] */
                              const float *k,    /* [rows, KVH, hd] */
                              const float *v,    /* [rows, KVH, hd] */
                              const size_t *off, /* [n] */
                              const int *len,    /* [n] */
                              int n, int Tmax, int H, int KVH, int hd) {
    size_t QD = (size_t)H * (size_t)hd, KVD = (size_t)KVH * (size_t)hd;
    for (int i = 0; i < n; i++)
        ops_ref_attention_forward(out + (size_t)i * QD, scratch + (size_t)i * H * (size_t)Tmax,
                                  NULL, q + (size_t)i * QD, k + off[i] * KVD, v + off[i] * KVD, 1,
                                  len[i], H, KVH, hd);
}
