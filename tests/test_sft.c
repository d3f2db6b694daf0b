/* test_sft.c — ref/sft.c: chat / text examples (what gets loss), token-budget batches, the
 * masked mean cross-entropy of one step against a hand computation, and evaluation. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sft.h"
#include "testlib.h"

int main(void) {
    svs_err err = {{0}};
    tok_tokenizer *tok = NULL;
    if (tok_load("golden/tokenizer/ours_tokenizer.json", &tok, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    int32_t eot = tok_token_to_id(tok, "<|im_end|>");
    CHECK(eot == 1499, "im_end id %d", (int)eot);

    /* chat: ids end with <|im_end|>, the response part decodes to response + <|im_end|> */
    const char *pr = "What is 2 + 3?", *rs = "2 + 3 = 5. The answer is \\boxed{5}";
    sft_example e = {0};
    CHECK(sft_example_chat(tok, pr, strlen(pr), rs, strlen(rs), &e, &err) == 0, "%s", err.msg);
    CHECK(e.n > e.prompt_len && e.ids[e.n - 1] == eot, "chat: n %d prompt_len %d", e.n, e.prompt_len);
    char *text = NULL;
    size_t tl = 0;
    CHECK(tok_decode(tok, e.ids + e.prompt_len, (size_t)(e.n - e.prompt_len), 0, &text, &tl, &err) == 0, "%s", err.msg);
    CHECK(text && !strcmp(text, "2 + 3 = 5. The answer is \\boxed{5}<|im_end|>"), "response part: \"%s\"", text);
    free(text);
    text = NULL;
    CHECK(tok_decode(tok, e.ids, (size_t)e.prompt_len, 0, &text, &tl, &err) == 0, "%s", err.msg);
    CHECK(text && strstr(text, "<|im_start|>user\nWhat is 2 + 3?<|im_end|>\n<|im_start|>assistant\n") &&
              strlen(strstr(text, "<|im_start|>user")) == strlen("<|im_start|>user\nWhat is 2 + 3?<|im_end|>\n<|im_start|>assistant\n"),
          "prompt part: \"%s\"", text);
    free(text);

    /* text example: no prompt */
    sft_example t = {0};
    CHECK(sft_example_text(tok, "hello world 12", 14, &t, &err) == 0 && t.prompt_len == 0 && t.n > 2, "text");

    /* a dataset of the two, batches by budget, targets */
    sft_dataset ds = {0};
    ds.ex = malloc(3 * sizeof *ds.ex);
    ds.ex[0] = e;
    ds.ex[1] = t;
    ds.ex[2].ids = malloc((size_t)e.n * sizeof(int32_t));
    memcpy(ds.ex[2].ids, e.ids, (size_t)e.n * sizeof(int32_t));
    ds.ex[2].n = e.n;
    ds.ex[2].prompt_len = e.prompt_len;
    ds.n = ds.cap = 3;
    size_t order[3] = {0, 1, 2}, pos = 0;
    sft_batch b = {0};
    CHECK(sft_batch_fill(&b, &ds, order, &pos, (size_t)(e.n + t.n), &err) == 0, "%s", err.msg);
    CHECK(b.B == 2 && pos == 2 && b.T == e.n && b.n_tokens == (size_t)(e.n + t.n), "batch B %d pos %zu", b.B, pos);
    size_t want = (size_t)(e.n - e.prompt_len) + (size_t)(t.n - 1);
    CHECK(b.n_targets == want, "targets %zu want %zu", b.n_targets, want);
    int okm = 1;
    for (int i = 0; i < e.n; i++) {
        int32_t w = (i + 1 < e.n && i + 1 >= e.prompt_len) ? e.ids[i + 1] : -1;
        if (b.targets[i] != w) okm = 0;
    }
    for (int i = 0; i < b.T; i++) {
        int32_t w = i + 1 < t.n ? t.ids[i + 1] : -1;
        if (b.targets[b.T + i] != w) okm = 0;
    }
    CHECK(okm, "targets masked by prompt and padding");
    CHECK(b.targets[e.n - 2] == eot, "the end-of-turn token is a target");
    sft_batch b1 = {0};
    size_t pos1 = 0;
    CHECK(sft_batch_fill(&b1, &ds, order, &pos1, 1, &err) == 0 && b1.B == 1 && pos1 == 1, "budget < one example still takes one");

    /* one step: the loss is the masked mean CE of the logits */
    model_config cfg;
    model_config_defaults(MODEL_ARCH_QWEN2, &cfg);
    cfg.vocab_size = 1500; cfg.hidden_size = 32; cfg.intermediate_size = 64; cfg.num_hidden_layers = 1;
    cfg.num_attention_heads = 2; cfg.num_key_value_heads = 1; cfg.head_dim = 16; cfg.max_position_embeddings = 256;
    model *m = model_create(&cfg, &err);
    CHECK(m != NULL, "model_create: %s", err.msg);
    if (!m) return test_summary();
    model_init_random(m, 3, 0.02f);
    model_batch mb = {.B = b.B, .T = b.T, .ids = b.ids, .lens = b.lens};
    CHECK(model_forward(m, &mb, &err) == 0, "%s", err.msg);
    double sum = 0;
    for (int bi = 0; bi < b.B; bi++)
        for (int i = 0; i < b.T; i++) {
            int32_t y = b.targets[bi * b.T + i];
            if (y < 0) continue;
            const float *z = m->a.logits + ((size_t)bi * b.T + i) * 1500;
            double mx = z[0], s = 0;
            for (int v = 1; v < 1500; v++) if (z[v] > mx) mx = z[v];
            for (int v = 0; v < 1500; v++) s += exp(z[v] - mx);
            sum += mx + log(s) - z[y];
        }
    double hand = sum / (double)b.n_targets;
    sft_hparams hp = {.adamw = {.lr = 1e-2, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .weight_decay = 0.01},
                      .schedule = {.kind = MODEL_LR_COSINE_HF, .warmup_steps = 2, .total_steps = 10, .num_cycles = 0.5},
                      .clip = 1.0f};
    sft_step_out so;
    CHECK(sft_step(m, &b, &hp, 1, &so, &err) == 0, "%s", err.msg);
    CHECK(test_close(so.loss, hand, 1e-5, 1e-6), "step loss %.8g, hand %.8g", (double)so.loss, hand);
    CHECK(so.lr == 0.0 && so.grad_norm > 0, "warmup step 1: lr %g (λ(0) = 0), grad_norm %g", so.lr, (double)so.grad_norm);
    CHECK(sft_step(m, &b, &hp, 2, &so, &err) == 0 && test_close(so.lr, 5e-3, 1e-12, 0), "step 2 lr %g", so.lr);
    for (int s = 3; s <= 10; s++) CHECK(sft_step(m, &b, &hp, s, &so, &err) == 0, "%s", err.msg);
    double ev;
    CHECK(sft_eval(m, &ds, (size_t)(e.n + t.n), &ev, &err) == 0, "%s", err.msg);
    CHECK(ev < hand, "eval loss after 10 steps %g < initial %g", ev, hand);

    model_free(m);
    sft_batch_free(&b);
    sft_batch_free(&b1);
    sft_dataset_free(&ds);
    tok_free(tok);
    return test_summary();
}
