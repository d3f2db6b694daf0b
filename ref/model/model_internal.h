/* model_internal.h — helpers shared by the files of ref/model/model_*.c (not public API). */
#ifndef SVS_MODEL_INTERNAL_H
#define SVS_MODEL_INTERNAL_H

#include "model.h"

/* Makes m->rope_cos / rope_sin cover positions 0..P−1 (ops_rope_tables), growing them. */
int model_ensure_rope(model *m, int P, svs_err *err);

/* Layer l's slice of a per-layer tensor stored [L, rows, cols] (rows·cols = per). */
static inline float *model_layer(float *base, int l, size_t per) {
    return base ? base + (size_t)l * per : NULL;
}

/* Layer l's slices of the kept activations (x_in = x[l], x_out = x[l+1]). */
typedef struct layer_acts {
    float *x_in, *ln1, *ln1_rstd, *q, *k, *v, *att_stats, *att, *h, *ln2, *ln2_rstd, *gate, *up,
        *act, *x_out;
} layer_acts;
layer_acts model_layer_acts(const model *m, int l);

/* Layer l's slices of a parameter (or gradient) set: the per-layer fields of the result point
 * at layer l; embed, norm and lm_head are unchanged. */
model_params model_layer_params(const model *m, const model_params *p, int l);

/* 1 when every sequence of the current batch has length T: the packed rows (row_off[b] + t)
 * are then the padded rows (b·T + t), and a per-sequence loop over [B, T, ·] tensors is one
 * call over N = B·T rows (the same arithmetic per row; a weight gradient's sum over rows then
 * runs over the whole batch at once: one rounding instead of one per sequence). */
static inline int model_batch_unpadded(const model *m) {
    for (int b = 0; b < m->B; b++)
        if (m->lens[b] != m->T) return 0;
    return 1;
}

/* model_head.c: lnf = model.norm(x[L]), then the logits [B, T, V] when B·T·V <=
 * logits_keep_max (a.logits, a.dlogits), else a.logits = a.dlogits = NULL. */
int model_head_forward(model *m, svs_err *err);

/* model_backward.c: from a.dln = d lnf (every row) to the embedding, ACCUMULATING into the
 * gradient slab: model.norm, the layers from L−1 down to 0, the embedding. */
void model_backward_body(model *m);

/* Checks that a forward exists and that targets [B, T] are −1 or token ids at valid
 * positions (−1 at padding). who names the caller in the message. */
int model_check_targets(const model *m, const int32_t *targets, const char *who, svs_err *err);

#endif
