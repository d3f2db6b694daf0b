/* jsonl.h — JSON Lines input through jansson (Debian libjansson-dev), as library code that
 * returns errors instead of exiting, so the CLI and the fuzz targets share one input path.
 *
 * Why jansson: it validates UTF-8 and reports the line/column of syntax errors, handles
 * \u0000 inside strings (JSON_ALLOW_NUL) and is a well-kept Debian package; docs/dependencies.md. */
#ifndef SVS_JSONL_H
#define SVS_JSONL_H

#include <jansson.h>
#include <stddef.h>

#include "common.h"

/* Parses one line (without its newline) that must hold exactly one JSON object. Returns the
 * object (caller json_decref's it) or NULL with err = "invalid JSON at column C: ..." or
 * "expected a JSON object" or "empty line". */
json_t *jsonl_parse_object(const char *line, size_t n, svs_err *err);

/* Reads string field `field` of obj. Returns 1 and sets *s and *len when present, 0 when absent
 * (and not required), -1 with err (`field "name": expected a string` / `missing field
 * "name"`) otherwise. */
int jsonl_get_string(json_t *obj, const char *field, int required, const char **s, size_t *len,
                     svs_err *err);

/* The two input shapes of `svs verify --jsonl` (DESIGN.md): {"gold", "pred"} or
 * {"gold", "response"}. Fills the borrowed strings; -1 with err naming the field. */
typedef struct jsonl_verify_line {
    const char *gold, *model;
    size_t gold_len, model_len;
    int is_response;
} jsonl_verify_line;

int jsonl_verify_fields(json_t *obj, jsonl_verify_line *out, svs_err *err);

#endif
