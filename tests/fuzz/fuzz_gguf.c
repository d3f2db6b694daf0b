/* fuzz_gguf.c — libFuzzer target: arbitrary bytes as a GGUF image (gguf_read_mem, docs/formats.md
 * §10). The reader must either refuse with a non-empty message, or return a file whose metadata
 * getters, model config, tokenizer view and dequantization of every tensor either succeed or
 * fail with a message. Never crash, leak or read out of bounds.
 *
 * Build: clang -std=c11 -D_POSIX_C_SOURCE=200809L -g -O1 -fsanitize=fuzzer,address,undefined \
 *   -Iref tests/fuzz/fuzz_gguf.c ref/model/ckpt_io.c ref/model/tensorset.c ref/model/gguf.c \
 *   ref/model/gguf_model.c ref/model/model_config.c ref/model/safetensors.c ref/common.c -ljansson -lm
 * Seeds: tests/fuzz/seeds/fuzz_gguf/. */
#include <stdlib.h>
#include <string.h>

#include "model/gguf.h"

static void expect_msg(int rc, const svs_err *err) {
    if (rc && err->msg[0] == 0) abort();
}

static void poke_metadata(const gguf_file *g) {
    svs_err err = {{0}};
    for (size_t i = 0; i < g->n_kv; i++) {
        const char *k = g->kv[i].key;
        uint64_t u;
        float f;
        const char *s;
        const char **strs;
        int64_t *ints;
        size_t n;
        expect_msg(gguf_get_u64(g, k, &u, &err), &err);
        expect_msg(gguf_get_f32(g, k, &f, &err), &err);
        expect_msg(gguf_get_str(g, k, &s, NULL, &err), &err);
        if (gguf_get_str_array(g, k, &strs, NULL, &n, &err) == 0) free(strs);
        if (gguf_get_int_array(g, k, &ints, &n, &err) == 0) free(ints);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    gguf_file *g = NULL;
    svs_err err = {{0}};
    if (gguf_read_mem(data, size, &g, &err)) {
        if (g || err.msg[0] == 0) abort();
        return 0;
    }
    poke_metadata(g);
    for (size_t i = 0; i < g->n_tensors; i++) {
        float *x = NULL;
        int rc = gguf_tensor_to_f32(g, &g->tensors[i], &x, &err);
        expect_msg(rc, &err);
        free(x);
    }
    model_config cfg;
    if (gguf_model_config(g, &cfg, &err) == 0) {
        tensorset ts;
        tensorset_init(&ts);
        int rc = gguf_to_tensorset(g, &cfg, &ts, &err);
        expect_msg(rc, &err);
        tensorset_free(&ts);
    } else {
        expect_msg(1, &err);
    }
    gguf_tokenizer tok;
    if (gguf_tokenizer_get(g, &tok, &err) == 0) gguf_tokenizer_free(&tok);
    gguf_close(g);
    return 0;
}
