/* cli_model.h — helpers shared by `svs score` and `svs generate` (implemented in cmd_score.c):
 * loading a model checkpoint or dying with the loader's message, and reading a JSON array of
 * token ids with errors `FILE:LINE: field "NAME": ...`. */
#ifndef SVS_CLI_MODEL_H
#define SVS_CLI_MODEL_H

#include <stdint.h>

#include "../model/model.h"
#include "cli.h"

/* model_load(path) (an HF folder, .safetensors / .index.json, or .gguf) or dies with
 * `svs: error: <loader message>` (which names the file and the field or tensor). */
model *cli_load_model(const char *path);

/* Appends the ids of array field `field` of obj to *ids (length *n, capacity *cap). Dies when
 * the field is missing or not an array, an element is not an integer, or an id is outside
 * [0, vocab). allow_empty = 0: an empty array is an error too. */
void cli_get_ids(cli_jsonl *r, json_t *obj, const char *field, int64_t vocab, int allow_empty,
                 int32_t **ids, int *n, int *cap);

#endif
