/* rl_svs.h — one SvS training step (`svs rl --mode svs`, docs/rl.md "SvS mode";
 * spec/svs-algorithm.md §2.1–§2.13): OQA sampling + rewards -> selection (svs_select) ->
 * synthesis prompts + VPS-len filter -> n synthesis samples per kept seed -> extraction
 * (svs_extract, run-level state) + SPA length check -> n SPA samples per valid synthetic
 * problem graded against the ORIGINAL answer -> reward shaping + batch assembly
 * (svs_batch_assemble: OQA ++ VPS ++ SPA, uids, Q1 masks) -> the rlvr update (rl_update).
 * All sampling draws come from the caller's rng, in stage order; deterministic. */
#ifndef SVS_RL_SVS_H
#define SVS_RL_SVS_H

#include <stdio.h>

#include "rl_loop.h"
#include "svs.h"
#include "tokenizer/tok_chat.h"

typedef struct rl_svs_opts {
    svs_config cfg;          /* n, bounds, LP, faithful, world size, temperatures */
    const char *tpl;         /* synthesis template ({REPLACE}) */
    size_t tpl_len;
    tok_chat_template chat;
    int test_synth;          /* TESTS ONLY (--svs-test-synth): see rl_svs.c */
    FILE *trace;             /* when set: the step's trace as JSONL (rl_svs_trace.c, --trace) */
} rl_svs_opts;

typedef struct rl_svs_out {
    rl_metrics rl;           /* OQA sampling fields + update fields (when trained) */
    svs_metrics sm;          /* the §2.11 names */
    int trained;             /* 0 = skipped (faithful early exit / empty batch) */
    svs_exit exit;
    long vps_gen_tokens, spa_gen_tokens;
    size_t n_rows;           /* rows of the update */
    double entropy_oqa;      /* actor/entropy over the OQA rows only (own masks): comparable with
                              * an rlvr run's actor/entropy; NAN when no OQA row was trained */
} rl_svs_out;

/* problems[0..B) encoded; o->n must equal so->cfg.n. xs: the run's extraction state;
 * r2q_rng: the r2q generator state. */
int rl_svs_step(model *m, const tok_tokenizer *tok, const rl_opts *o, const rl_svs_opts *so,
                rl_problem *const *problems, int B, long step, svs_rng *rng, svs_extract_state *xs,
                uint64_t *r2q_rng, rl_svs_out *out, svs_err *err);

/* The extraction state and r2q state as one checkpoint blob (malloc'ed) and back. */
int rl_svs_state_pack(const svs_extract_state *xs, uint64_t r2q, char **blob, size_t *len, svs_err *err);
int rl_svs_state_unpack(const char *blob, size_t len, svs_extract_state *xs, uint64_t *r2q, svs_err *err);

#endif
