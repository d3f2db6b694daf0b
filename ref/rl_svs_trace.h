/* rl_svs_trace.h — the trace of one SvS step (`svs rl --mode svs --trace FILE`): what each
 * stage of spec/svs-algorithm.md §2 saw and decided, one JSON object per line, so that a user
 * can follow the step by eye or diff it against their own implementation's logs.
 *
 * Lines of one step, in order (all carry "step" and "stage"):
 *   oqa        per problem: question, answer, the n rewards, acc, "under_performing"
 *   seed       per seed (a correct response of an under-performing problem): its OQA row,
 *              "kept" (the VPS-len filter), the response text
 *   synthesis  per synthesis sample: kept seed k, sample j, the response text, "valid",
 *              the extracted problem, its SPA solve count and shaped synthesis reward
 *   batch      rows of the update as [kind, uid, reward, resp_len, adv_len] + counts, exit
 *   update     the loss, entropy, clip fraction, grad norm of the update (when trained)
 * Wall-clock fields are never written: a trace is a deterministic function of the step. */
#ifndef SVS_RL_SVS_TRACE_H
#define SVS_RL_SVS_TRACE_H

#include <jansson.h>

#include "rl_loop.h"
#include "svs.h"

/* Each appends one line object to `lines` (a JSON array). Return 0, or -1 with err set. */
int rl_trace_oqa(json_t *lines, long step, rl_problem *const *problems, int B, int n, const float *rewards,
                 const svs_selection *sel, svs_err *err);
int rl_trace_seed(json_t *lines, long step, size_t seed, size_t oqa_row, int kept, const char *response,
                  svs_err *err);
int rl_trace_synthesis(json_t *lines, long step, int kept_seed, int sample, const char *response, int valid,
                       const char *problem, size_t problem_len, svs_err *err);
/* Fills the SPA counts and synthesis rewards into the synthesis lines (bt->vps_cnt,
 * bt->vps_reward, in synthesis-row order) and appends the batch line. */
int rl_trace_batch(json_t *lines, long step, const svs_batch *bt, svs_err *err);
int rl_trace_update(json_t *lines, long step, const rl_metrics *m, svs_err *err);
/* Writes every line as compact JSON + '\n' and flushes. */
int rl_trace_write(FILE *f, const json_t *lines, svs_err *err);

#endif
