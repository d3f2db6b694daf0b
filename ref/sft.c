/* sft.c — SFT / LM data, token-budget batches, the training step and evaluation (sft.h). */
#include "sft.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer/tok_chat.h"

int sft_example_chat(const tok_tokenizer *tok, const char *prompt, size_t prompt_n,
                     const char *response, size_t response_n, sft_example *out, svs_err *err) {
    int32_t eot = tok_token_to_id(tok, "<|im_end|>");
    if (eot < 0) return svs_errf(err, "the tokenizer has no <|im_end|> token (needed by the chat template)");
    tok_chat_msg msgs[2] = {{"user", prompt, prompt_n}, {"assistant", response, response_n}};
    tok_ids p = {0}, full = {0};
    int rc = -1;
    if (tok_chat_encode(tok, TOK_CHAT_QWEN2_5, msgs, 1, 1, &p, err)) goto done;
    if (tok_chat_encode(tok, TOK_CHAT_QWEN2_5, msgs, 2, 0, &full, err)) goto done;
    if (full.len < p.len || memcmp(full.data, p.data, p.len * sizeof(int32_t)) != 0) {
        svs_errf(err, "the rendered prompt is not a prefix of the rendered conversation");
        goto done;
    }
    /* cut after the last <|im_end|> (the assistant's end of turn); drop the trailing "\n" */
    size_t end = full.len;
    while (end > p.len && full.data[end - 1] != eot) end--;
    if (end <= p.len) { svs_errf(err, "no <|im_end|> after the response"); goto done; }
    out->ids = malloc(end * sizeof(int32_t));
    if (!out->ids) { svs_errf(err, "out of memory"); goto done; }
    memcpy(out->ids, full.data, end * sizeof(int32_t));
    out->n = (int)end;
    out->prompt_len = (int)p.len;
    rc = 0;
done:
    tok_ids_free(&p);
    tok_ids_free(&full);
    return rc;
}

int sft_example_text(const tok_tokenizer *tok, const char *text, size_t n, sft_example *out,
                     svs_err *err) {
    tok_ids v = {0};
    if (tok_encode_append(tok, text, n, 0, &v, err)) { tok_ids_free(&v); return -1; }
    out->ids = v.data;
    out->n = (int)v.len;
    out->prompt_len = 0;
    return 0;
}

static int n_targets_of(const sft_example *e) {
    int from = e->prompt_len > 1 ? e->prompt_len - 1 : 0; /* first t whose target has loss */
    return e->n - 1 - from;
}

int sft_dataset_load(const char *path, const tok_tokenizer *tok, int max_len, int64_t vocab,
                     sft_dataset *ds, svs_err *err) {
    memset(ds, 0, sizeof *ds);
    FILE *f = fopen(path, "rb");
    if (!f) return svs_errf(err, "%s: cannot open", path);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long lineno = 0;
    int rc = -1;
    while ((len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        json_error_t je;
        json_t *o = json_loadb(line, (size_t)len, 0, &je);
        if (!o || !json_is_object(o)) {
            svs_errf(err, "%s:%ld: not a JSON object%s%s", path, lineno, o ? "" : ": ", o ? "" : je.text);
            json_decref(o);
            goto done;
        }
        sft_example e = {0};
        json_t *jp = json_object_get(o, "prompt"), *jr = json_object_get(o, "response"),
               *jt = json_object_get(o, "text");
        int r;
        if (jp || jr) {
            if (!json_is_string(jp) || !json_is_string(jr)) {
                svs_errf(err, "%s:%ld: field \"%s\": expected a string", path, lineno,
                         !json_is_string(jp) ? "prompt" : "response");
                json_decref(o);
                goto done;
            }
            r = sft_example_chat(tok, json_string_value(jp), json_string_length(jp),
                                 json_string_value(jr), json_string_length(jr), &e, err);
        } else if (jt) {
            if (!json_is_string(jt)) {
                svs_errf(err, "%s:%ld: field \"text\": expected a string", path, lineno);
                json_decref(o);
                goto done;
            }
            r = sft_example_text(tok, json_string_value(jt), json_string_length(jt), &e, err);
        } else {
            svs_errf(err, "%s:%ld: expected fields \"prompt\" + \"response\" or \"text\"", path, lineno);
            json_decref(o);
            goto done;
        }
        json_decref(o);
        if (r) { svs_err_prefix(err, "%s:%ld: ", path, lineno); goto done; }
        if (e.n < 2 || n_targets_of(&e) < 1) {
            free(e.ids);
            svs_errf(err, "%s:%ld: fewer than 2 tokens: nothing to predict", path, lineno);
            goto done;
        }
        if (max_len > 0 && e.n > max_len) {
            svs_errf(err, "%s:%ld: %d tokens, more than --max-len %d", path, lineno, e.n, max_len);
            free(e.ids);
            goto done;
        }
        for (int i = 0; i < e.n; i++)
            if (e.ids[i] < 0 || e.ids[i] >= vocab) {
                svs_errf(err, "%s:%ld: token id %d outside the model's vocab_size %lld", path, lineno,
                         (int)e.ids[i], (long long)vocab);
                free(e.ids);
                goto done;
            }
        if (ds->n == ds->cap) {
            size_t nc = ds->cap ? 2 * ds->cap : 256;
            sft_example *p = realloc(ds->ex, nc * sizeof *p);
            if (!p) { free(e.ids); svs_errf(err, "out of memory"); goto done; }
            ds->ex = p;
            ds->cap = nc;
        }
        ds->ex[ds->n++] = e;
        ds->n_tokens += (size_t)e.n;
        ds->n_targets += (size_t)n_targets_of(&e);
    }
    if (ds->n == 0) { svs_errf(err, "%s: no examples", path); goto done; }
    rc = 0;
done:
    free(line);
    fclose(f);
    if (rc) sft_dataset_free(ds);
    return rc;
}

void sft_dataset_free(sft_dataset *ds) {
    if (!ds) return;
    for (size_t i = 0; i < ds->n; i++) free(ds->ex[i].ids);
    free(ds->ex);
    memset(ds, 0, sizeof *ds);
}

int sft_batch_fill(sft_batch *b, const sft_dataset *ds, const size_t *order, size_t *pos,
                   size_t budget, svs_err *err) {
    size_t start = *pos, end = start, sum = 0;
    int T = 0;
    while (end < ds->n) {
        const sft_example *e = &ds->ex[order[end]];
        if (end > start && sum + (size_t)e->n > budget) break;
        sum += (size_t)e->n;
        if (e->n > T) T = e->n;
        end++;
    }
    int B = (int)(end - start);
    if (B <= 0) return svs_errf(err, "sft_batch_fill: no example left");
    size_t BT = (size_t)B * (size_t)T;
    if (BT > b->cap_BT) {
        int32_t *a = realloc(b->ids, BT * sizeof *a), *t = a ? realloc(b->targets, BT * sizeof *t) : NULL;
        if (a) b->ids = a;
        if (t) b->targets = t;
        if (!a || !t) return svs_errf(err, "out of memory");
        b->cap_BT = BT;
    }
    if (B > b->cap_B) {
        int *l = realloc(b->lens, (size_t)B * sizeof *l);
        if (!l) return svs_errf(err, "out of memory");
        b->lens = l;
        b->cap_B = B;
    }
    b->B = B;
    b->T = T;
    b->n_tokens = sum;
    b->n_targets = 0;
    for (int i = 0; i < B; i++) {
        const sft_example *e = &ds->ex[order[start + (size_t)i]];
        int32_t *row = b->ids + (size_t)i * T, *tg = b->targets + (size_t)i * T;
        memcpy(row, e->ids, (size_t)e->n * sizeof(int32_t));
        for (int t = e->n; t < T; t++) row[t] = 0;
        for (int t = 0; t < T; t++) {
            tg[t] = (t + 1 < e->n && t + 1 >= e->prompt_len) ? e->ids[t + 1] : -1;
            if (tg[t] >= 0) b->n_targets++;
        }
        b->lens[i] = e->n;
    }
    *pos = end;
    return 0;
}

void sft_batch_free(sft_batch *b) {
    if (!b) return;
    free(b->ids);
    free(b->targets);
    free(b->lens);
    memset(b, 0, sizeof *b);
}

void sft_shuffle(size_t *order, size_t n, svs_rng *rng) {
    for (size_t i = 0; i < n; i++) order[i] = i;
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(svs_rng_u64(rng) % i);
        size_t t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
}

int sft_step(model *m, const sft_batch *b, const sft_hparams *hp, int64_t step,
             sft_step_out *out, svs_err *err) {
    model_batch mb = {.B = b->B, .T = b->T, .ids = b->ids, .lens = b->lens};
    memset(out, 0, sizeof *out);
    model_zero_grad(m);
    if (model_forward(m, &mb, err)) return -1;
    if (model_loss(m, b->targets, &out->loss, err)) return -1;
    if (model_loss_backward(m, b->targets, 1.0f, err)) return -1;
    out->grad_norm = hp->clip > 0 ? model_clip_grad(m, hp->clip) : model_grad_norm(m);
    out->lr = hp->adamw.lr * model_lr_lambda(&hp->schedule, step - 1);
    if (!isfinite(out->grad_norm)) {
        out->skipped = 1;
        model_zero_grad(m);
        return 0;
    }
    model_adamw_params a = hp->adamw;
    a.lr = out->lr;
    return model_adamw_step(m, &a, err);
}

int sft_eval(model *m, const sft_dataset *ds, size_t budget, double *loss, svs_err *err) {
    size_t *order = malloc(ds->n * sizeof *order);
    if (!order) return svs_errf(err, "out of memory");
    for (size_t i = 0; i < ds->n; i++) order[i] = i;
    sft_batch b = {0};
    size_t pos = 0;
    double sum = 0, cnt = 0;
    int rc = 0;
    while (pos < ds->n) {
        if ((rc = sft_batch_fill(&b, ds, order, &pos, budget, err))) break;
        model_batch mb = {.B = b.B, .T = b.T, .ids = b.ids, .lens = b.lens};
        float l;
        if ((rc = model_forward(m, &mb, err))) break;
        if ((rc = model_loss(m, b.targets, &l, err))) break;
        sum += (double)l * (double)b.n_targets;
        cnt += (double)b.n_targets;
    }
    *loss = cnt > 0 ? sum / cnt : NAN;
    sft_batch_free(&b);
    free(order);
    return rc;
}
