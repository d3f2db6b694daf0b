/* ops_ref.h — prototypes of the reference kernels (ref/ops_ref_*.c) that fill the "ref" row of
 * the ops table. The contract of each kernel (shapes, formulas, accumulation, aliasing) is
 * written once, on the matching member of `ops_table` in ref/ops.h; this header only lets the
 * kernel files and ref/ops_ref.c see each other, and lets a backend call a reference kernel
 * directly as a per-op fallback (spec/style.md §6.1 #9). */
#ifndef SVS_OPS_REF_H
#define SVS_OPS_REF_H

#include <stddef.h>
#include <stdint.h>

/* ops_ref_linear.c */
void ops_ref_matmul_forward(float *out, const float *x, const float *w, const float *bias, int N,
                            int I, int O);
void ops_ref_matmul_backward(float *dx, float *dw, float *dbias, const float *dout,
                             const float *x, const float *w, int N, int I, int O);
void ops_ref_embedding_forward(float *out, const float *wte, const int32_t *ids, int N, int C);
void ops_ref_embedding_backward(float *dwte, const float *dout, const int32_t *ids, int N, int C);

/* ops_ref_norm.c */
void ops_ref_rmsnorm_forward(float *out, float *rstd, const float *x, const float *w, int N, int C,
                             float eps);
void ops_ref_rmsnorm_backward(float *dx, float *dw, const float *dout, const float *x,
                              const float *w, const float *rstd, int N, int C);

/* ops_ref_rope.c */
void ops_ref_rope_forward(float *out, const float *x, const float *cos_t, const float *sin_t,
                          const int32_t *pos, int N, int H, int hd);
void ops_ref_rope_backward(float *dx, const float *dout, const float *cos_t, const float *sin_t,
                           const int32_t *pos, int N, int H, int hd);

/* ops_ref_attention.c */
void ops_ref_attention_forward(float *out, float *probs, float *stats, const float *q,
                               const float *k, const float *v, int Tq, int Tk, int H, int KVH,
                               int hd);
void ops_ref_attention_backward(float *dq, float *dk, float *dv, float *scratch,
                                const float *dout, const float *stats, const float *q,
                                const float *k, const float *v, int Tq, int Tk, int H, int KVH,
                                int hd);
void ops_ref_attention_decode(float *out, float *scratch, const float *q, const float *k,
                              const float *v, const size_t *off, const int *len, int n, int Tmax,
                              int H, int KVH, int hd);

/* ops_ref_mlp.c */
void ops_ref_swiglu_forward(float *out, const float *gate, const float *up, size_t n);
void ops_ref_swiglu_backward(float *dgate, float *dup, const float *dout, const float *gate,
                             const float *up, size_t n);
void ops_ref_add(float *out, const float *a, const float *b, size_t n);

/* ops_ref_loss.c */
void ops_ref_softmax_forward(float *probs, const float *logits, int N, int V, float temperature);
void ops_ref_logprob_forward(float *logp, float *entropy, const float *logits,
                             const int32_t *targets, int N, int V, float temperature);
void ops_ref_logprob_backward(float *dlogits, const float *dlogp, const float *dentropy,
                              const float *logits, const int32_t *targets, int N, int V,
                              float temperature);
void ops_ref_crossentropy_forward(float *loss, float *losses, const float *logits,
                                  const int32_t *targets, int N, int V);
void ops_ref_crossentropy_backward(float *dlogits, float dloss, const float *logits,
                                   const int32_t *targets, int N, int V);

/* ops_ref_optim.c */
void ops_ref_adamw_update(float *p, float *m, float *v, const float *g, size_t n, double lr,
                          double beta1, double beta2, double eps, double weight_decay,
                          int64_t step);
float ops_ref_grad_norm(const float *g, size_t n);
void ops_ref_scale(float *x, size_t n, float s);

#endif
