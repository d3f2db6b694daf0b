/* ops_ref.c — the "ref" row of the ops table, the backend registry, and the helpers every
 * backend shares (ref/ops.h): RoPE frequency and cos/sin tables (spec/formats.md §9.3), the
 * gradient-clip coefficient (spec/grpo-conventions.md §9.3) and the token-id range check.
 *
 * The kernels themselves live in ops_ref_{linear,norm,rope,attention,mlp,loss,optim}.c.
 * The registry is the only mutable global state of the ops layer: an array of table pointers,
 * filled at start-up (ops_register) and read-only afterwards. */
#include "ops.h"

#include <math.h>
#include <string.h>

#include "ops_ref.h"

/* Python math.pi (M_PI is not C11). */
#define OPS_PI 3.141592653589793

static const ops_table ref_table = {
    .name = "ref",
    .matmul_forward = ops_ref_matmul_forward,
    .matmul_backward = ops_ref_matmul_backward,
    .embedding_forward = ops_ref_embedding_forward,
    .embedding_backward = ops_ref_embedding_backward,
    .rmsnorm_forward = ops_ref_rmsnorm_forward,
    .rmsnorm_backward = ops_ref_rmsnorm_backward,
    .rope_forward = ops_ref_rope_forward,
    .rope_backward = ops_ref_rope_backward,
    .attention_forward = ops_ref_attention_forward,
    .attention_backward = ops_ref_attention_backward,
    .attention_decode = ops_ref_attention_decode,
    .swiglu_forward = ops_ref_swiglu_forward,
    .swiglu_backward = ops_ref_swiglu_backward,
    .add = ops_ref_add,
    .softmax_forward = ops_ref_softmax_forward,
    .logprob_forward = ops_ref_logprob_forward,
    .logprob_backward = ops_ref_logprob_backward,
    .crossentropy_forward = ops_ref_crossentropy_forward,
    .crossentropy_backward = ops_ref_crossentropy_backward,
    .adamw_update = ops_ref_adamw_update,
    .grad_norm = ops_ref_grad_norm,
    .scale = ops_ref_scale,
};

const ops_table *ops_ref(void) { return &ref_table; }

/* ---- registry ---------------------------------------------------------------------------- */

#define OPS_MAX_BACKENDS 8

/* Slot 0 is the reference; later slots are filled by ops_register (start-up only). */
static const ops_table *registry[OPS_MAX_BACKENDS] = {&ref_table};
static int registry_n = 1;

int ops_register(const ops_table *t) {
    if (!t || !t->name || registry_n >= OPS_MAX_BACKENDS) return -1;
    if (ops_find(t->name)) return -1;
    registry[registry_n++] = t;
    return 0;
}

const ops_table *ops_find(const char *name) {
    if (!name) return NULL;
    for (int i = 0; i < registry_n; i++)
        if (strcmp(registry[i]->name, name) == 0) return registry[i];
    return NULL;
}

int ops_count(void) { return registry_n; }

const ops_table *ops_get(int i) { return (i >= 0 && i < registry_n) ? registry[i] : NULL; }

/* ---- RoPE helpers ------------------------------------------------------------------------ */

/* llama3 rescaling of one frequency (HF modeling_rope_utils.py::_compute_llama3_parameters,
 * huggingface/transformers@ef468064; spec/formats.md §9.3). HF does this on fp32 tensors
 * with Python-float scalars; we do each step in fp32 with the scalar rounded to fp32 first. */
static float llama3_scale(float inv, const ops_rope_scaling *s) {
    float factor = (float)s->factor, lo = (float)s->low_freq_factor;
    float band = (float)(s->high_freq_factor - s->low_freq_factor); /* a Python double */
    float old_ctx = (float)s->original_max_position;
    float low_wavelen = (float)(s->original_max_position / s->low_freq_factor);
    float high_wavelen = (float)(s->original_max_position / s->high_freq_factor);
    float wavelen = (float)(2.0 * OPS_PI) / inv; /* wavelen = 2 * math.pi / inv_freq */
    if (wavelen < high_wavelen) return inv;    /* high frequencies kept */
    if (wavelen > low_wavelen) return inv / factor; /* low frequencies scaled down */
    /* smooth_factor = (old_context_len / wavelen - low_freq_factor)
     *                 / (high_freq_factor - low_freq_factor)                               */
    float smooth = (old_ctx / wavelen - lo) / band;
    /* smoothed_inv_freq = (1 - smooth_factor) * inv_freq / factor + smooth_factor * inv_freq */
    return (1.0f - smooth) * inv / factor + smooth * inv;
}

int ops_rope_inv_freq(float *inv_freq, int hd, double theta, const ops_rope_scaling *scaling,
                      svs_err *err) {
    if (hd <= 0 || hd % 2) return svs_errf(err, "rope: head_dim %d must be positive and even", hd);
    if (!(theta > 0)) return svs_errf(err, "rope: rope_theta %g must be positive", theta);
    int llama3 = scaling && scaling->type == OPS_ROPE_LLAMA3;
    if (scaling && scaling->type != OPS_ROPE_DEFAULT && !llama3)
        return svs_errf(err, "rope: unknown rope_type %d", (int)scaling->type);
    if (llama3 && !(scaling->factor > 0 && scaling->low_freq_factor > 0 &&
                    scaling->high_freq_factor > scaling->low_freq_factor &&
                    scaling->original_max_position > 0))
        return svs_errf(err, "rope: llama3 needs factor > 0, 0 < low_freq_factor < "
                             "high_freq_factor and original_max_position_embeddings > 0");
    for (int i = 0; i < hd / 2; i++) {
        /* HF _compute_default_rope_parameters:
         *   inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2).float() / dim))
         * exponent as an fp32 division, the power rounded to fp32, then an fp32 reciprocal. */
        float e = (float)(2 * i) / (float)hd;
        float p = (float)pow((double)(float)theta, (double)e);
        inv_freq[i] = 1.0f / p;
        if (llama3) inv_freq[i] = llama3_scale(inv_freq[i], scaling);
    }
    return 0;
}

int ops_rope_tables(float *cos_t, float *sin_t, const float *inv_freq, int P, int hd,
                    svs_err *err) {
    if (hd <= 0 || hd % 2) return svs_errf(err, "rope: head_dim %d must be positive and even", hd);
    if (P <= 0) return svs_errf(err, "rope: table length %d must be positive", P);
    int half = hd / 2;
    for (int p = 0; p < P; p++) {
        for (int i = 0; i < half; i++) {
            /* freqs = inv_freq @ position_ids in fp32: one fp32 product per entry; cos/sin of
             * that fp32 angle, evaluated in double and rounded once. */
            float angle = (float)p * inv_freq[i];
            size_t at = (size_t)p * (size_t)half + (size_t)i;
            cos_t[at] = (float)cos((double)angle);
            sin_t[at] = (float)sin((double)angle);
        }
    }
    return 0;
}

/* ---- clipping, id checks ------------------------------------------------------------------ */

size_t ops_attention_scratch(int Tq, int Tk, int H, int KVH) {
    return 2 * (size_t)(H / KVH) * (size_t)Tq * (size_t)Tk;
}

float ops_clip_coef(float total_norm, float max_norm) {
    /* torch/nn/utils/clip_grad.py: clip_coef = max_norm / (total_norm + 1e-6);
     * clip_coef_clamped = torch.clamp(clip_coef, max=1.0) — fp32 tensor arithmetic. */
    float coef = max_norm / (total_norm + 1e-6f);
    return coef > 1.0f ? 1.0f : coef; /* NaN stays NaN, as torch.clamp leaves it */
}

int ops_ids_check(const int32_t *ids, size_t n, int V, svs_err *err) {
    for (size_t i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= V)
            return svs_errf(err, "token id %ld at position %zu is outside [0, %d)", (long)ids[i],
                            i, V);
    return 0;
}
