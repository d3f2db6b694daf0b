/* cli_model.h — helpers shared by `svs score` and `svs generate` (implemented in cmd_score.c):
 * loading a model checkpoint or dying with the loader's message, and reading a JSON array of
 * token ids with errors `FILE:LINE: field "NAME": ...`. */
#ifndef SVS_CLI_MODEL_H
#define SVS_CLI_MODEL_H

#include <stdint.h>

#include "../model/model.h"
#include "../tokenizer/tok.h"
#include "cli.h"

/* model_load(path) (an HF folder, .safetensors / .index.json, or .gguf) or dies with
 * `svs: error: <loader message>` (which names the file and the field or tensor). */
model *cli_load_model(const char *path);

/* An HF tokenizer.json, or the tokenizer.ggml.* metadata of a .gguf file (cmd_generate.c);
 * dies with the loader's message. */
tok_tokenizer *cli_load_tokenizer(const char *path);

/* Appends the ids of array field `field` of obj to *ids (length *n, capacity *cap). Dies when
 * the field is missing or not an array, an element is not an integer, or an id is outside
 * [0, vocab). allow_empty = 0: an empty array is an error too. */
void cli_get_ids(cli_jsonl *r, json_t *obj, const char *field, int64_t vocab, int allow_empty,
                 int32_t **ids, int *n, int *cap);

/* --backend ref|opt (default: opt when built), --gemm openblas|onednn, --threads N. */
typedef struct cli_backend_opts {
    const char *backend, *gemm;
    int threads;
} cli_backend_opts;

#define CLI_BACKEND_HELP                                                                        \
    "  --backend B         ref (the plain reference) | opt (OpenBLAS/oneDNN + OpenMP; the\n"   \
    "                      default when built); both compute the same numbers (docs/backends.md)\n" \
    "  --gemm G            with opt: openblas | onednn (default: oneDNN when built)\n"         \
    "  --threads N         with opt: OpenMP threads (default OMP_NUM_THREADS)\n"

/* Consumes argv[*i] (and its value) when it is one of the options above: returns 1. */
int cli_backend_option(int argc, char **argv, int *i, cli_backend_opts *o);
/* Sets m->ops from the options, or dies naming the option. */
void cli_backend_apply(model *m, const cli_backend_opts *o);

#endif
