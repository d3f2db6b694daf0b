/* rl_data.h — RLVR / evaluation datasets (docs/rl.md). One JSON object per line, one of:
 *   ours / tinymath   {"question", "answer"}                      prompt = chat(question + MP)
 *   SvS evaluation    {"question", "ref_answer"}                  prompt = chat(question + MP)
 *   GSM8K             {"question", "answer": "... #### N"}        gold = N (text after "####")
 *   verl              {"prompt": [{"role","content"}...], "reward_model": {"ground_truth"}}
 *                                                                 prompt = chat(messages) as is
 * "data_source" (string) is kept when present (default "unknown"; verl rows have it).
 * MP = " Please reason step by step, and put your final answer within \boxed{}."
 * (spec/svs-algorithm.md §2.1). Errors name "FILE:LINE: field \"NAME\": ...". */
#ifndef SVS_RL_DATA_H
#define SVS_RL_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "tokenizer/tok.h"
#include "tokenizer/tok_chat.h"

#define RL_MATH_INSTRUCTION " Please reason step by step, and put your final answer within \\boxed{}."

typedef struct rl_problem {
    int n_msgs;
    char **roles, **contents; /* [n_msgs] the chat messages (question + MP for question rows) */
    char *answer;             /* gold answer given to the verifier */
    char *data_source;
    int32_t *ids;             /* prompt ids after rl_data_encode */
    int n_ids;
} rl_problem;

typedef struct rl_dataset {
    rl_problem *p;
    size_t n;
} rl_dataset;

/* Reads the whole file; -1 with err naming the line and field at fault. */
int rl_data_load(const char *path, rl_dataset *ds, svs_err *err);
/* Renders every prompt with the chat template (generation prompt added) and tokenizes it. */
int rl_data_encode(rl_dataset *ds, const tok_tokenizer *tok, tok_chat_template tpl, svs_err *err);
void rl_data_free(rl_dataset *ds);

#endif
