/* model_load.c — one entry point from a checkpoint path to a ready model: an HF folder
 * (config.json + model.safetensors or a sharded model.safetensors.index.json, plus the EOS ids
 * of generation_config.json), or a GGUF file (gguf.h: dequantized to f32, HF names, Llama Q/K
 * rows un-permuted). Config parsing, the readers and the config ↔ tensor checks belong to
 * model_config.c, safetensors.c, tensorset.c and gguf*.c; this file only wires them.
 * Errors name the file and the field or tensor at fault. Never prints or exits. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model.h"
#include "model/ckpt_io.h"
#include "model/gguf.h"

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Adds the ids of generation_config.json's eos_token_id (an int or a list) to cfg's EOS ids,
 * skipping duplicates: HF generate() stops on generation_config's ids, which for instruct
 * models include the chat end token. A missing file is fine; a malformed one is an error. */
static int merge_generation_eos(const char *dir_file, model_config *cfg, svs_err *err) {
    char *path = ckpt_sibling_path(dir_file, "generation_config.json", err);
    if (!path) return -1;
    struct stat st;
    if (stat(path, &st) != 0) { free(path); return 0; }
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    int rc = 0;
    if (!root) {
        rc = svs_errf(err, "%s:%d: invalid JSON: %s", path, je.line, je.text);
        goto out;
    }
    json_t *e = json_object_get(root, "eos_token_id");
    size_t n = json_is_array(e) ? json_array_size(e) : (e && !json_is_null(e)) ? 1 : 0;
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_is_array(e) ? json_array_get(e, i) : e;
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) >= cfg->vocab_size) {
            rc = svs_errf(err, "%s: eos_token_id: expected token ids below vocab_size %lld", path,
                          (long long)cfg->vocab_size);
            goto out;
        }
        int64_t id = json_integer_value(v);
        int dup = 0;
        for (int j = 0; j < cfg->n_eos; j++) dup |= cfg->eos_token_ids[j] == id;
        if (dup) continue;
        if (cfg->n_eos >= MODEL_MAX_EOS) {
            rc = svs_errf(err, "%s: eos_token_id: more than %d ids in all", path, MODEL_MAX_EOS);
            goto out;
        }
        cfg->eos_token_ids[cfg->n_eos++] = id;
    }
out:
    json_decref(root);
    free(path);
    return rc;
}

static model *build(const model_config *cfg, const tensorset *ts, const char *label, svs_err *err) {
    model *m = model_create(cfg, err);
    if (!m) return NULL;
    if (model_load_tensorset(m, ts, err)) {
        svs_err_prefix(err, "%s", label);
        model_free(m);
        return NULL;
    }
    return m;
}

static model *load_gguf(const char *path, svs_err *err) {
    gguf_file *g = NULL;
    model_config cfg;
    tensorset ts;
    tensorset_init(&ts);
    model *m = NULL;
    if (gguf_open(path, &g, err)) return NULL;
    if (gguf_model_config(g, &cfg, err) || gguf_to_tensorset(g, &cfg, &ts, err)) {
        svs_err_prefix(err, "%s", path);
        goto out;
    }
    m = build(&cfg, &ts, path, err);
out:
    tensorset_free(&ts);
    gguf_close(g);
    return m;
}

/* HF checkpoint: weights = a folder, a .safetensors file or an .index.json; config.json and
 * generation_config.json are looked up next to it (inside the folder). */
static model *load_hf(const char *path, int is_dir, svs_err *err) {
    char *anchor = NULL, *cfg_path = NULL;
    model_config cfg;
    tensorset ts;
    tensorset_init(&ts);
    model *m = NULL;
    /* a path inside the folder, so that ckpt_sibling_path finds the folder's files */
    size_t n = strlen(path);
    anchor = malloc(n + 3);
    if (!anchor) { svs_errf(err, "out of memory"); return NULL; }
    if (is_dir) snprintf(anchor, n + 3, "%s/x", path);
    else memcpy(anchor, path, n + 1);
    cfg_path = ckpt_sibling_path(anchor, "config.json", err);
    if (!cfg_path || model_config_load(cfg_path, &cfg, err) || merge_generation_eos(anchor, &cfg, err)) goto out;
    if (safetensors_load(path, &ts, err)) goto out;
    if (tensorset_check_config(&ts, &cfg, err)) {
        svs_err_prefix(err, "%s (against %s)", path, cfg_path);
        goto out;
    }
    m = build(&cfg, &ts, path, err);
out:
    tensorset_free(&ts);
    free(cfg_path);
    free(anchor);
    return m;
}

model *model_load(const char *path, svs_err *err) {
    struct stat st;
    if (stat(path, &st) != 0) {
        svs_errf(err, "%s: no such file or folder", path);
        return NULL;
    }
    if (S_ISDIR(st.st_mode)) return load_hf(path, 1, err);
    if (ends_with(path, ".gguf")) return load_gguf(path, err);
    /* sniff the magic for GGUF files named otherwise */
    FILE *f = fopen(path, "rb");
    char magic[4] = {0};
    if (f) {
        size_t got = fread(magic, 1, 4, f);
        fclose(f);
        if (got == 4 && memcmp(magic, "GGUF", 4) == 0) return load_gguf(path, err);
    }
    if (ends_with(path, ".safetensors") || ends_with(path, ".json")) return load_hf(path, 0, err);
    svs_errf(err, "%s: not a model folder, .safetensors, .index.json or .gguf file", path);
    return NULL;
}
