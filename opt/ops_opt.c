/* ops_opt.c — the "opt" row of the ops table (ref/ops.h) and its registration.
 *
 * Each slot points at an opt kernel (ops_opt_linear.c, _attention.c, _elem.c, _loss.c,
 * _optim.c; they share ops_opt_int.h and the GEMM of ops_opt_gemm.c). ops_opt_register() adds
 * the table to the registry; the CLI calls it explicitly, because the linker drops an
 * unreferenced object of a static archive (ref/ops.h "Backend registry"). The constructor below
 * does the same when the opt objects are linked directly (tests, benchmarks), so that
 * SVS_OPS_BACKEND=opt works in tests/test_ops.c too. Registration reads $SVS_OPT_GEMM once. */
#include "ops_opt.h"

#include "ops_opt_int.h"

void opt_settings_from_env(void); /* ops_opt_gemm.c */

static const ops_table opt_table = {
    .name = "opt",
    .matmul_forward = opt_matmul_forward,
    .matmul_backward = opt_matmul_backward,
    .embedding_forward = opt_embedding_forward,
    .embedding_backward = opt_embedding_backward,
    .rmsnorm_forward = opt_rmsnorm_forward,
    .rmsnorm_backward = opt_rmsnorm_backward,
    .rope_forward = opt_rope_forward,
    .rope_backward = opt_rope_backward,
    .attention_forward = opt_attention_forward,
    .attention_backward = opt_attention_backward,
    .attention_decode = opt_attention_decode,
    .swiglu_forward = opt_swiglu_forward,
    .swiglu_backward = opt_swiglu_backward,
    .add = opt_add,
    .softmax_forward = opt_softmax_forward,
    .logprob_forward = opt_logprob_forward,
    .logprob_backward = opt_logprob_backward,
    .crossentropy_forward = opt_crossentropy_forward,
    .crossentropy_backward = opt_crossentropy_backward,
    .adamw_update = opt_adamw_update,
    .grad_norm = opt_grad_norm,
    .scale = opt_scale,
};

const ops_table *ops_opt(void) { return &opt_table; }

int ops_opt_register(void) {
    if (ops_find("opt") == &opt_table) return 0;
    opt_settings_from_env();
    return ops_register(&opt_table);
}

__attribute__((constructor)) static void opt_register_at_load(void) { (void)ops_opt_register(); }
