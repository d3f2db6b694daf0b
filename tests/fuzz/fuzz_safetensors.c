/* fuzz_safetensors.c — libFuzzer target: arbitrary bytes as a safetensors image
 * (safetensors_read_mem, docs/formats.md §8). The reader must either refuse with a non-empty
 * message and leave the tensorset empty, or return tensors whose element counts match their
 * shapes; then the set must serialize and read back to the same number of tensors. Never crash,
 * leak or read out of bounds.
 *
 * Build: clang -std=c11 -D_POSIX_C_SOURCE=200809L -g -O1 -fsanitize=fuzzer,address,undefined \
 *   -Iref tests/fuzz/fuzz_safetensors.c ref/model/ckpt_io.c ref/model/tensorset.c \
 *   ref/model/safetensors.c ref/model/model_config.c ref/common.c -ljansson -lm
 * Seeds: tests/fuzz/seeds/fuzz_safetensors/. */
#include <stdlib.h>
#include <string.h>

#include "model/tensorset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    tensorset ts;
    tensorset_init(&ts);
    svs_err err = {{0}};
    if (safetensors_read_mem(data, size, "fuzz", &ts, &err)) {
        if (ts.n || err.msg[0] == 0) abort();
        tensorset_free(&ts);
        return 0;
    }
    volatile float sink = 0;
    for (size_t i = 0; i < ts.n; i++) {
        int64_t n = ts_numel(ts.t[i].ndim, ts.t[i].shape);
        if (n < 0) abort();
        if (n) sink += ts.t[i].data[n - 1]; /* the last element must be addressable */
    }
    (void)sink;
    svs_buf b = {0};
    if (safetensors_serialize(&ts, NULL, 0, SAFETENSORS_SORTED, &b, &err) == 0) {
        tensorset back;
        tensorset_init(&back);
        if (safetensors_read_mem(b.data, b.len, "fuzz-rt", &back, &err) || back.n != ts.n) abort();
        tensorset_free(&back);
    }
    svs_buf_free(&b);
    tensorset_free(&ts);
    return 0;
}
