/* ckpt_io.c — bounded byte sources (memory or FILE*), overflow-checked u64 arithmetic and the
 * F16/BF16 → f32 conversions used by the checkpoint readers (docs/formats.md §8, §10.2). See
 * ckpt_io.h for the contract. No global state; errors go to svs_err. */
#include "model/ckpt_io.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

void ckpt_src_mem(ckpt_src *s, const void *data, size_t len, const char *label) {
    memset(s, 0, sizeof *s);
    s->mem = data;
    s->size = len;
    s->label = label ? label : "<memory>";
}

int ckpt_src_open_file(ckpt_src *s, const char *path, svs_err *err) {
    memset(s, 0, sizeof *s);
    s->label = path;
    s->fp = fopen(path, "rb");
    if (!s->fp) return svs_errf(err, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(s->fp), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0) {
        fclose(s->fp);
        s->fp = NULL;
        return svs_errf(err, "%s: not a regular file", path);
    }
    s->size = (uint64_t)st.st_size;
    return 0;
}

void ckpt_src_close(ckpt_src *s) {
    if (s->fp) fclose(s->fp);
    s->fp = NULL;
}

int ckpt_src_read(ckpt_src *s, uint64_t off, void *dst, size_t n, const char *what, svs_err *err) {
    if (off > s->size || (uint64_t)n > s->size - off)
        return svs_errf(err, "%s: truncated: %s needs bytes [%llu, %llu) but the file has %llu",
                        s->label, what, (unsigned long long)off,
                        (unsigned long long)off + (unsigned long long)n, (unsigned long long)s->size);
    if (n == 0) return 0;
    if (s->mem) {
        memcpy(dst, s->mem + off, n);
        return 0;
    }
    if (s->fpos != off) {
        if (off > (uint64_t)INT64_MAX || fseeko(s->fp, (off_t)off, SEEK_SET) != 0)
            return svs_errf(err, "%s: seek to %llu failed", s->label, (unsigned long long)off);
        s->fpos = off;
    }
    size_t got = fread(dst, 1, n, s->fp);
    s->fpos += got;
    if (got != n)
        return svs_errf(err, "%s: truncated: short read of %s at offset %llu", s->label, what,
                        (unsigned long long)off);
    return 0;
}

int ckpt_mul_u64(uint64_t a, uint64_t b, uint64_t *r) {
    if (a != 0 && b > UINT64_MAX / a) return -1;
    *r = a * b;
    return 0;
}

int ckpt_add_u64(uint64_t a, uint64_t b, uint64_t *r) {
    if (b > UINT64_MAX - a) return -1;
    *r = a + b;
    return 0;
}

float ckpt_bits_to_f32(uint32_t bits) {
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

float ckpt_bf16_to_f32(uint16_t h) { return ckpt_bits_to_f32((uint32_t)h << 16); }

float ckpt_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1Fu, man = h & 0x3FFu;
    if (exp == 0x1F) return ckpt_bits_to_f32(sign | 0x7F800000u | (man << 13)); /* Inf, NaN */
    if (exp != 0) return ckpt_bits_to_f32(sign | ((exp + 112u) << 23) | (man << 13));
    /* zero or subnormal: man · 2^-24, exact in f32 */
    float v = (float)man * 0x1p-24f;
    return sign ? -v : v;
}

char *ckpt_sibling_path(const char *base, const char *name, svs_err *err) {
    const char *slash = strrchr(base, '/');
    size_t dlen = slash ? (size_t)(slash - base) : 1;
    const char *dir = slash ? base : ".";
    size_t nlen = strlen(name);
    if (dlen > SIZE_MAX - nlen - 2) {
        svs_errf(err, "path too long");
        return NULL;
    }
    char *p = svs_malloc(dlen + nlen + 2, err);
    if (!p) return NULL;
    memcpy(p, dir, dlen);
    p[dlen] = '/';
    memcpy(p + dlen + 1, name, nlen + 1);
    return p;
}
