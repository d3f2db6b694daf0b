/* sft.h — supervised fine-tuning / language-model pre-training on a model_* transformer
 * (docs/train.md).
 *
 * Data: JSONL lines {"prompt": str, "response": str} or {"text": str}.
 *   chat  rendered with the Qwen2.5 ChatML template (tok_chat.h): user = prompt, assistant =
 *         response; the ids are cut right after the assistant's end-of-turn token <|im_end|>.
 *         Loss on the response tokens and <|im_end|> only (prompt_len = the ids of the
 *         rendered prompt with the generation prompt "<|im_start|>assistant\n").
 *   text  encoded as is (added tokens matched, no BOS/EOS); loss on every next token.
 * Target of position t: ids[t+1] when t+1 >= prompt_len, else -1 (model_next_token_targets
 * masked by the prompt).
 *
 * Batching: examples are taken in order (a permutation per epoch, seeded) until the sum of
 * their lengths would pass the token budget; a batch always has at least one example.
 *
 * One step (sft_step): zero grads, forward, masked mean cross-entropy over the target tokens
 * of the batch, backward, clip_grad_norm, AdamW with lr = base · λ(step − 1). */
#ifndef SVS_SFT_H
#define SVS_SFT_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "model/model.h"
#include "model/sample.h"
#include "tokenizer/tok.h"

typedef struct sft_example {
    int32_t *ids;
    int n;          /* tokens */
    int prompt_len; /* no loss on the targets ids[1..prompt_len-1]; 0 for text lines */
} sft_example;

typedef struct sft_dataset {
    sft_example *ex;
    size_t n, cap;
    size_t n_tokens;  /* Σ n */
    size_t n_targets; /* Σ targets with loss */
} sft_dataset;

/* Chat example: the ids of the rendered [user: prompt, assistant: response] conversation up to
 * and including <|im_end|> after the response. Error when the tokenizer lacks <|im_end|> or
 * the rendered prompt is not a prefix of the rendered conversation. */
int sft_example_chat(const tok_tokenizer *tok, const char *prompt, size_t prompt_n,
                     const char *response, size_t response_n, sft_example *out, svs_err *err);
/* Text example (prompt_len 0). */
int sft_example_text(const tok_tokenizer *tok, const char *text, size_t n, sft_example *out,
                     svs_err *err);

/* Reads a JSONL file; errors "FILE:LINE: ..." naming the field. Examples longer than max_len
 * tokens (> 0) are an error; an example with no target (fewer than 2 tokens) is an error; every
 * id must be < vocab (the model's). */
int sft_dataset_load(const char *path, const tok_tokenizer *tok, int max_len, int64_t vocab,
                     sft_dataset *ds, svs_err *err);
void sft_dataset_free(sft_dataset *ds);

typedef struct sft_batch {
    int B, T;
    int32_t *ids;     /* [B, T] */
    int32_t *targets; /* [B, T] */
    int *lens;        /* [B] */
    size_t n_tokens, n_targets;
    size_t cap_BT;
    int cap_B;
} sft_batch;

/* Fills b with examples order[*pos], order[*pos+1], ... (order has ds->n entries) while the
 * token sum stays <= budget (at least one); advances *pos. */
int sft_batch_fill(sft_batch *b, const sft_dataset *ds, const size_t *order, size_t *pos,
                   size_t budget, svs_err *err);
void sft_batch_free(sft_batch *b);

/* Fisher–Yates permutation of 0..n-1 from rng. */
void sft_shuffle(size_t *order, size_t n, svs_rng *rng);

typedef struct sft_hparams {
    model_adamw_params adamw;
    model_lr_schedule schedule;
    float clip; /* <= 0: no clipping */
} sft_hparams;

typedef struct sft_step_out {
    float loss;      /* masked mean CE before the update */
    float grad_norm; /* before clipping */
    double lr;
    int skipped;     /* non-finite gradient norm: no update (gradients zeroed) */
} sft_step_out;

/* One optimizer step on batch b; step is 1-based (lr = base · λ(step − 1)). */
int sft_step(model *m, const sft_batch *b, const sft_hparams *hp, int64_t step,
             sft_step_out *out, svs_err *err);

/* Mean CE over every target of ds (batches of `budget` tokens, in file order); no gradients. */
int sft_eval(model *m, const sft_dataset *ds, size_t budget, double *loss, svs_err *err);

#endif
