/* rl_ckpt.c — RLVR checkpoints (rl_ckpt.h). */
#include "rl_ckpt.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ERR(...) (snprintf(err->msg, sizeof err->msg, __VA_ARGS__), -1)

static int write_file(const char *path, const void *data, size_t n, svs_err *err) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return ERR("%.300s: cannot create: %s", path, strerror(errno));
    const char *p = data;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) { close(fd); return ERR("%.300s: write failed: %s", path, strerror(errno)); }
        p += w; n -= (size_t)w;
    }
    if (fsync(fd) || close(fd)) return ERR("%.300s: fsync/close failed: %s", path, strerror(errno));
    return 0;
}

static void fsync_dir(const char *dir) {
    int fd = open(dir, O_RDONLY);
    if (fd >= 0) { fsync(fd); close(fd); }
}

static void rm_dir(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char p[4096];
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static int read_file(const char *path, char **data, size_t *n, svs_err *err) {
    FILE *f = fopen(path, "rb");
    if (!f) return ERR("%.300s: cannot open: %s", path, strerror(errno));
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    *data = malloc((size_t)len + 1);
    if (fread(*data, 1, (size_t)len, f) != (size_t)len) { fclose(f); free(*data); return ERR("%.300s: read failed", path); }
    (*data)[len] = 0;
    *n = (size_t)len;
    fclose(f);
    return 0;
}

int rl_ckpt_save(const char *outdir, const model *m, const rl_state *st, svs_err *err) {
    char name[64], tmp[4096], fin[4096], p[4200], prev[4096] = "";
    snprintf(name, sizeof name, "ckpt-%06ld", st->step);
    snprintf(tmp, sizeof tmp, "%s/%s.tmp", outdir, name);
    snprintf(fin, sizeof fin, "%s/%s", outdir, name);
    /* the previous checkpoint, removed once the pointer has moved */
    {
        char lp[4096], *cur = NULL;
        size_t n;
        svs_err e2 = {{0}};
        snprintf(lp, sizeof lp, "%s/latest", outdir);
        if (access(lp, F_OK) == 0 && read_file(lp, &cur, &n, &e2) == 0) {
            cur[strcspn(cur, "\n")] = 0;
            if (strcmp(cur, name)) snprintf(prev, sizeof prev, "%s/%s", outdir, cur);
            free(cur);
        }
    }
    rm_dir(tmp);
    rm_dir(fin);
    if (mkdir(tmp, 0755)) return ERR("%.300s: cannot create: %s", tmp, strerror(errno));
    size_t bytes = m->num_params * sizeof(float);
    snprintf(p, sizeof p, "%s/params.bin", tmp);
    if (write_file(p, m->params_mem, bytes, err)) return -1;
    if (m->adam_m) {
        snprintf(p, sizeof p, "%s/adam_m.bin", tmp);
        if (write_file(p, m->adam_m, bytes, err)) return -1;
        snprintf(p, sizeof p, "%s/adam_v.bin", tmp);
        if (write_file(p, m->adam_v, bytes, err)) return -1;
    }
    char js[1024];
    int jn = snprintf(js, sizeof js,
        "{\"format\": \"svs-rl-ckpt-1\", \"step\": %ld, \"data_pos\": %ld, \"metrics_bytes\": %ld, "
        "\"adam_step\": %" PRId64 ", \"have_adam\": %d, \"num_params\": %zu, "
        "\"rng\": [\"%016" PRIx64 "\", \"%016" PRIx64 "\", \"%016" PRIx64 "\", \"%016" PRIx64 "\"]}\n",
        st->step, st->data_pos, st->metrics_bytes, m->adam_step, m->adam_m != NULL, m->num_params,
        st->rng.s[0], st->rng.s[1], st->rng.s[2], st->rng.s[3]);
    snprintf(p, sizeof p, "%s/state.json", tmp);
    if (write_file(p, js, (size_t)jn, err)) return -1;
    if (st->extra) {
        snprintf(p, sizeof p, "%s/extra.bin", tmp);
        if (write_file(p, st->extra, st->extra_len, err)) return -1;
    }
    fsync_dir(tmp);
    const char *crash = getenv("SVS_RL_CRASH_AFTER_TMP");
    if (crash && !strcmp(crash, "1")) {
        fprintf(stderr, "svs: SVS_RL_CRASH_AFTER_TMP: exiting after writing %s\n", tmp);
        _exit(3);
    }
    if (rename(tmp, fin)) return ERR("%.300s: rename failed: %s", tmp, strerror(errno));
    fsync_dir(outdir);
    char lt[4096], lf[4096], line[80];
    snprintf(lt, sizeof lt, "%s/latest.tmp", outdir);
    snprintf(lf, sizeof lf, "%s/latest", outdir);
    int ln = snprintf(line, sizeof line, "%s\n", name);
    if (write_file(lt, line, (size_t)ln, err)) return -1;
    if (rename(lt, lf)) return ERR("%.300s: rename failed: %s", lt, strerror(errno));
    fsync_dir(outdir);
    if (prev[0]) rm_dir(prev);
    return 0;
}

static int load_slab(const char *path, float *dst, size_t n, svs_err *err) {
    char *d;
    size_t len;
    if (read_file(path, &d, &len, err)) return -1;
    if (len != n * sizeof(float)) { free(d); return ERR("%.300s: %zu bytes, expected %zu", path, len, n * sizeof(float)); }
    memcpy(dst, d, len);
    free(d);
    return 0;
}

int rl_ckpt_load(const char *outdir, model *m, rl_state *st, svs_err *err) {
    char lp[4096], dir[4096], p[4200], *cur, *js;
    size_t n;
    snprintf(lp, sizeof lp, "%s/latest", outdir);
    if (access(lp, F_OK) != 0) return 0;
    if (read_file(lp, &cur, &n, err)) return -1;
    cur[strcspn(cur, "\n")] = 0;
    snprintf(dir, sizeof dir, "%s/%s", outdir, cur);
    free(cur);
    snprintf(p, sizeof p, "%s/state.json", dir);
    if (read_file(p, &js, &n, err)) return -1;
    json_error_t je;
    json_t *o = json_loads(js, 0, &je);
    free(js);
    if (!o) return ERR("%.300s: %.150s", p, je.text);
    json_t *rng = json_object_get(o, "rng");
    int rc = -1;
    if (json_integer_value(json_object_get(o, "num_params")) != (json_int_t)m->num_params) {
        (void)ERR("%.300s: num_params %lld does not match the model (%zu)", p,
            (long long)json_integer_value(json_object_get(o, "num_params")), m->num_params);
        goto out;
    }
    if (!json_is_array(rng) || json_array_size(rng) != 4) { (void)ERR("%.300s: field \"rng\": expected 4 hex strings", p); goto out; }
    for (int i = 0; i < 4; i++) {
        const char *s = json_string_value(json_array_get(rng, (size_t)i));
        if (!s) { (void)ERR("%.300s: field \"rng[%d]\": expected a hex string", p, i); goto out; }
        st->rng.s[i] = strtoull(s, NULL, 16);
    }
    st->step = (long)json_integer_value(json_object_get(o, "step"));
    st->data_pos = (long)json_integer_value(json_object_get(o, "data_pos"));
    st->metrics_bytes = (long)json_integer_value(json_object_get(o, "metrics_bytes"));
    m->adam_step = (int64_t)json_integer_value(json_object_get(o, "adam_step"));
    snprintf(p, sizeof p, "%s/params.bin", dir);
    if (load_slab(p, m->params_mem, m->num_params, err)) goto out;
    if (json_is_true(json_object_get(o, "have_adam")) || json_integer_value(json_object_get(o, "have_adam"))) {
        if (!m->adam_m) m->adam_m = calloc(m->num_params, sizeof(float));
        if (!m->adam_v) m->adam_v = calloc(m->num_params, sizeof(float));
        snprintf(p, sizeof p, "%s/adam_m.bin", dir);
        if (load_slab(p, m->adam_m, m->num_params, err)) goto out;
        snprintf(p, sizeof p, "%s/adam_v.bin", dir);
        if (load_slab(p, m->adam_v, m->num_params, err)) goto out;
    }
    snprintf(p, sizeof p, "%s/extra.bin", dir);
    if (access(p, F_OK) == 0) {
        char *x;
        size_t xl;
        if (read_file(p, &x, &xl, err)) goto out;
        free(st->extra);
        st->extra = x;
        st->extra_len = xl;
    }
    rc = 1;
out:
    json_decref(o);
    return rc;
}

int rl_export_model(const char *dir, const model *m, svs_err *err) {
    char p[4200];
    mkdir(dir, 0755);
    svs_buf cj = {0};
    if (model_config_to_json(&m->cfg, &cj, err)) return -1;
    snprintf(p, sizeof p, "%s/config.json", dir);
    int rc = write_file(p, cj.data, cj.len, err);
    svs_buf_free(&cj);
    if (rc) return -1;
    tensorset ts;
    tensorset_init(&ts);
    snprintf(p, sizeof p, "%s/model.safetensors", dir);
    rc = model_to_tensorset(m, &ts, err);
    if (!rc) rc = safetensors_write(p, &ts, NULL, 0, SAFETENSORS_SORTED, err);
    tensorset_free(&ts);
    return rc;
}
