/* rl_ckpt.h — RLVR checkpoints (docs/rl.md "Checkpoints"). One directory per checkpoint,
 * OUT/ckpt-NNNNNN/ = params.bin, adam_m.bin, adam_v.bin (raw float32 slabs, bit-exact) and
 * state.json (step, data position, sampling RNG state, AdamW step, metrics.jsonl size). It is
 * written as OUT/ckpt-NNNNNN.tmp/ (files fsync'ed), renamed, and then OUT/latest (the name of
 * the newest checkpoint) is replaced via latest.tmp + rename: the `latest` pointer is the
 * commit point, so a crash at any moment leaves the previous checkpoint in force. The
 * previous checkpoint directory is removed after the pointer moves.
 * SVS_RL_CRASH_AFTER_TMP=1 (tests): exit(3) after the temporary directory is written. */
#ifndef SVS_RL_CKPT_H
#define SVS_RL_CKPT_H

#include <stdint.h>

#include "model/model.h"
#include "model/sample.h"

typedef struct rl_state {
    long step;            /* steps completed */
    long data_pos;        /* index of the next problem (the data is read cyclically) */
    svs_rng rng;          /* sampling RNG */
    long metrics_bytes;   /* size of metrics.jsonl after `step` lines */
    char *extra;          /* optional mode state (SvS: extraction + r2q state), saved as
                             extra.bin when non-NULL; load sets it (malloc'ed) or leaves it */
    size_t extra_len;
} rl_state;

int rl_ckpt_save(const char *outdir, const model *m, const rl_state *st, svs_err *err);
/* 1 = loaded, 0 = no checkpoint in outdir, -1 = error. */
int rl_ckpt_load(const char *outdir, model *m, rl_state *st, svs_err *err);
/* Exports the model as an HF folder (config.json + model.safetensors) at dir. */
int rl_export_model(const char *dir, const model *m, svs_err *err);

#endif
