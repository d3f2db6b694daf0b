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
 * stored as fp32 (the probabilities are kept, [H, Tq, Tk], for the backward). */
#include <math.h>
#include <stddef.h>

#include "ops_ref.h"

/* scaling = head_dim ** -0.5 (a Python double, applied as an fp32 scalar) */
static float attn_scale(int hd) { return (float)pow((double)hd, -0.5); }

/* Offsets into the row-major tensors: q/out [T, H, hd], k/v [T, KVH, hd], probs [H, Tq, Tk]. */
static size_t at3(int a, int b, int B, int C) {
    return ((size_t)a * (size_t)B + (size_t)b) * (size_t)C;
}

void ops_ref_attention_forward(float *out,     /* [Tq, H, hd] */
                               float *probs,   /* [H, Tq, Tk] */
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
                const float *k_j = k + at3(j, kvh, KVH, hd);
                double dot = 0.0;
                for (int d = 0; d < hd; d++) dot += (double)q_t[d] * (double)k_j[d];
                p[j] = (float)dot * scale;
                if (p[j] > mx) mx = p[j];
            }
            /* softmax, fp32 storage: p_j = exp(s_j − max) / Σ exp(s − max), sum in double */
            double sum = 0.0;
            for (int j = 0; j <= last; j++) sum += exp((double)(p[j] - mx));
            for (int j = 0; j <= last; j++) p[j] = (float)(exp((double)(p[j] - mx)) / sum);
            for (int j = last + 1; j < Tk; j++) p[j] = 0.0f; /* masked: exactly zero */
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

/* Pass 1 of the backward: the gradient of the scores, for every head and query row.
 * In the forward this was: p_j = softmax_j(s), out = Σ_j p_j·v_j, so
 *   dp_j = dout·v_j,  ds_j = p_j·(dp_j − Σ_i p_i·dp_i)   (the softmax Jacobian) */
static void score_grads(float *ds, const float *dout, const float *probs, const float *v, int Tq,
                        int Tk, int H, int KVH, int hd) {
    int n_rep = H / KVH;
    for (int h = 0; h < H; h++) {
        int kvh = h / n_rep;
        for (int t = 0; t < Tq; t++) {
            int last = Tk - Tq + t;
            const float *dout_t = dout + at3(t, h, H, hd);
            const float *p = probs + at3(h, t, Tq, Tk);
            float *ds_t = ds + at3(h, t, Tq, Tk);
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

void ops_ref_attention_backward(float *dq,          /* [Tq, H, hd] += */
                                float *dk,          /* [Tk, KVH, hd] += */
                                float *dv,          /* [Tk, KVH, hd] += */
                                float *scratch,     /* [H, Tq, Tk] */
                                const float *dout,  /* [Tq, H, hd] */
                                const float *probs, /* [H, Tq, Tk] */
                                const float *q,     /* [Tq, H, hd] */
                                const float *k,     /* [Tk, KVH, hd] */
                                const float *v,     /* [Tk, KVH, hd] */
                                int Tq, int Tk, int H, int KVH, int hd) {
    int n_rep = H / KVH;
    float scale = attn_scale(hd);
    float *ds = scratch;
    score_grads(ds, dout, probs, v, Tq, Tk, H, KVH, hd);
    /* Pass 2, one full sum per gradient element (masked entries of p and ds are 0).
     * In the forward this was: s_tj = (q_t·k_j)·scale and out_t = Σ_j p_tj·v_j, so
     *   dq[t,h]   = scale · Σ_j ds[h,t,j]·k[j,kvh]
     *   dk[j,kvh] = scale · Σ_{h in group} Σ_t ds[h,t,j]·q[t,h]
     *   dv[j,kvh] =         Σ_{h in group} Σ_t  p[h,t,j]·dout[t,h]                      */
    for (int t = 0; t < Tq; t++) {
        int last = Tk - Tq + t;
        for (int h = 0; h < H; h++) {
            int kvh = h / n_rep;
            const float *ds_t = ds + at3(h, t, Tq, Tk);
            for (int d = 0; d < hd; d++) {
                double acc = 0.0;
                for (int j = 0; j <= last; j++)
                    acc += (double)ds_t[j] * (double)k[at3(j, kvh, KVH, hd) + (size_t)d];
                dq[at3(t, h, H, hd) + (size_t)d] += (float)(acc * scale);
            }
        }
    }
    for (int j = 0; j < Tk; j++) {
        int t0 = j - (Tk - Tq); /* first query row that sees key j */
        if (t0 < 0) t0 = 0;
        for (int kvh = 0; kvh < KVH; kvh++) {
            for (int d = 0; d < hd; d++) {
                double acck = 0.0, accv = 0.0;
                for (int h = kvh * n_rep; h < (kvh + 1) * n_rep; h++) {
                    for (int t = t0; t < Tq; t++) {
                        size_t ij = at3(h, t, Tq, Tk) + (size_t)j;
                        acck += (double)ds[ij] * (double)q[at3(t, h, H, hd) + (size_t)d];
                        accv += (double)probs[ij] * (double)dout[at3(t, h, H, hd) + (size_t)d];
                    }
                }
                dk[at3(j, kvh, KVH, hd) + (size_t)d] += (float)(acck * scale);
                dv[at3(j, kvh, KVH, hd) + (size_t)d] += (float)accv;
            }
        }
    }
}
