/* golden_state.h — shared by the tests that read the transformer goldens of golden/model/
 * (tests/test_model_golden.c, tests/test_model_opt.c): the state.bin reader (layout in
 * golden/model/README.md, written by golden/gen_model_goldens.py) and the list of golden config
 * folders. Static functions in a header: each test program is one translation unit. */
#ifndef SVS_TESTS_GOLDEN_STATE_H
#define SVS_TESTS_GOLDEN_STATE_H

#include <dirent.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testlib.h"

/* ---- state.bin reader (golden/model/README.md "state.bin layout") ------------------------- */

enum { H_MAGIC, H_VERSION, H_NTENSORS, H_METALEN, H_B, H_T, H_V, H_LAYERS, H_HIDDEN, H_HEADS,
       H_KVHEADS, H_HEADDIM, H_INTER, H_NPARAMS, H_TIED, H_QKVBIAS, H_NSTEPS, H_ARCH };
#define STATE_MAGIC 20261122
#define STATE_VERSION 1

typedef struct {
    char *name;
    int is_int;
    int ndim;
    int64_t dims[8];
    size_t n;
    float atol, rtol, rmax;
    const void *data; /* into the file buffer (4-byte aligned) */
} gtensor;

typedef struct {
    int32_t hdr[256];
    json_t *meta;
    gtensor *t;
    int nt;
    unsigned char *buf;
} gstate;

static int gstate_read(const char *path, gstate *s) {
    memset(s, 0, sizeof *s);
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    s->buf = malloc((size_t)len + 4);
    size_t got = fread(s->buf, 1, (size_t)len, f);
    fclose(f);
    if ((long)got != len || len < 1024) return -1;
    memcpy(s->hdr, s->buf, 1024);
    if (s->hdr[H_MAGIC] != STATE_MAGIC || s->hdr[H_VERSION] != STATE_VERSION) return -1;
    size_t off = 1024;
    json_error_t je;
    s->meta = json_loadb((const char *)s->buf + off, (size_t)s->hdr[H_METALEN], 0, &je);
    if (!s->meta) return -1;
    off += (size_t)s->hdr[H_METALEN];
    s->nt = s->hdr[H_NTENSORS];
    s->t = calloc((size_t)s->nt, sizeof *s->t);
    for (int i = 0; i < s->nt; i++) {
        gtensor *t = &s->t[i];
        uint32_t nl, dt, nd;
        if (off + 4 > (size_t)len) return -1;
        memcpy(&nl, s->buf + off, 4);
        off += 4;
        t->name = malloc(nl + 1);
        memcpy(t->name, s->buf + off, nl);
        t->name[nl] = 0;
        off += (nl + 3) / 4 * 4;
        memcpy(&dt, s->buf + off, 4);
        memcpy(&nd, s->buf + off + 4, 4);
        off += 8;
        if (nd > 8 || dt > 1) return -1;
        t->is_int = dt == 1;
        t->ndim = (int)nd;
        t->n = 1;
        for (uint32_t d = 0; d < nd; d++) {
            memcpy(&t->dims[d], s->buf + off, 8);
            off += 8;
            t->n *= (size_t)t->dims[d];
        }
        memcpy(&t->atol, s->buf + off, 4);
        memcpy(&t->rtol, s->buf + off + 4, 4);
        memcpy(&t->rmax, s->buf + off + 8, 4);
        off += 12;
        if (off + 4 * t->n > (size_t)len) return -1;
        t->data = s->buf + off;
        off += 4 * t->n;
    }
    return off == (size_t)len ? 0 : -1;
}

static void gstate_free(gstate *s) {
    for (int i = 0; i < s->nt; i++) free(s->t[i].name);
    free(s->t);
    free(s->buf);
    json_decref(s->meta);
}

static const gtensor *gfind(const gstate *s, const char *name) {
    for (int i = 0; i < s->nt; i++)
        if (!strcmp(s->t[i].name, name)) return &s->t[i];
    return NULL;
}

static const float *gf(const gstate *s, const char *name, size_t n) {
    const gtensor *t = gfind(s, name);
    CHECK(t && !t->is_int && t->n == n, "golden tensor %s missing or %zu elements (want %zu)", name,
          t ? t->n : 0, n);
    return t && !t->is_int && t->n == n ? t->data : NULL;
}

/* ---- the golden config folders --------------------------------------------------------------- */

static int golden_cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Fills names (malloc'd, sorted) with the sub-folders of root that hold config.json,
 * model.safetensors and state.bin; returns their number, -1 when root cannot be opened. */
static int golden_list_configs(const char *root, char **names, int cap) {
    DIR *d = opendir(root);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < cap) {
        if (e->d_name[0] == '.') continue;
        char p[4096];
        struct stat st;
        int ok = 1;
        const char *need[] = {"config.json", "model.safetensors", "state.bin"};
        for (int i = 0; i < 3; i++) {
            snprintf(p, sizeof p, "%s/%s/%s", root, e->d_name, need[i]);
            ok &= stat(p, &st) == 0;
        }
        if (ok) names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof names[0], golden_cmp_str);
    return n;
}

/* Calls run(dir, name) for every golden config under $SVS_GOLDEN_MODEL (default golden/model),
 * in name order; a missing or empty folder is a failed check. Returns the number of configs. */
static int golden_each_config(void (*run)(const char *dir, const char *name)) {
    const char *root = getenv("SVS_GOLDEN_MODEL");
    if (!root || !*root) root = "golden/model";
    char *names[256];
    int n = golden_list_configs(root, names, 256);
    CHECK(n >= 0, "cannot open %s (run from the repository root or set SVS_GOLDEN_MODEL)", root);
    if (n < 0) return 0;
    CHECK(n >= 1, "no golden configs under %s", root);
    for (int i = 0; i < n; i++) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/%s", root, names[i]);
        run(dir, names[i]);
        free(names[i]);
    }
    return n;
}

#endif
