/* common.c — error messages, checked allocation, byte buffers, whole-file reads and UTF-8
 * validation shared by every module (see common.h for the contract). */
#include "common.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int svs_errf(svs_err *err, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int svs_err_prefix(svs_err *err, const char *fmt, ...) {
    if (err) {
        char prefix[SVS_ERR_MAX], old[SVS_ERR_MAX];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(prefix, sizeof prefix, fmt, ap);
        va_end(ap);
        memcpy(old, err->msg, sizeof old);
        /* truncation is acceptable for an error message; build it piecewise to say so */
        size_t n = strlen(prefix);
        if (n > SVS_ERR_MAX - 3) n = SVS_ERR_MAX - 3;
        memcpy(err->msg, prefix, n);
        memcpy(err->msg + n, ": ", 2);
        size_t room = SVS_ERR_MAX - n - 3;
        size_t m = strnlen(old, room);
        memcpy(err->msg + n + 2, old, m);
        err->msg[n + 2 + m] = 0;
    }
    return -1;
}

void *svs_malloc(size_t size, svs_err *err) {
    void *p = malloc(size ? size : 1);
    if (!p) svs_errf(err, "out of memory allocating %zu bytes", size);
    return p;
}

void *svs_calloc(size_t n, size_t size, svs_err *err) {
    if (size && n > SIZE_MAX / size) {
        svs_errf(err, "allocation size overflow (%zu x %zu bytes)", n, size);
        return NULL;
    }
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) svs_errf(err, "out of memory allocating %zu x %zu bytes", n, size);
    return p;
}

void *svs_realloc(void *p, size_t size, svs_err *err) {
    void *q = realloc(p, size ? size : 1);
    if (!q) svs_errf(err, "out of memory reallocating to %zu bytes", size);
    return q;
}

char *svs_strndup(const char *s, size_t n, svs_err *err) {
    char *d = svs_malloc(n + 1, err);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

int svs_buf_reserve(svs_buf *b, size_t extra, svs_err *err) {
    if (extra > SIZE_MAX - b->len - 1) return svs_errf(err, "buffer size overflow");
    size_t need = b->len + extra + 1;
    if (need <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *d = svs_realloc(b->data, cap, err);
    if (!d) return -1;
    b->data = d;
    b->cap = cap;
    return 0;
}

int svs_buf_append(svs_buf *b, const char *s, size_t n, svs_err *err) {
    if (svs_buf_reserve(b, n, err)) return -1;
    if (n) memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = 0;
    return 0;
}

int svs_buf_puts(svs_buf *b, const char *s, svs_err *err) { return svs_buf_append(b, s, strlen(s), err); }

int svs_buf_putc(svs_buf *b, char c, svs_err *err) { return svs_buf_append(b, &c, 1, err); }

int svs_buf_printf(svs_buf *b, svs_err *err, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return svs_errf(err, "formatting error");
    if (svs_buf_reserve(b, (size_t)n, err)) return -1;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

void svs_buf_free(svs_buf *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

char *svs_read_file(const char *path, size_t max_bytes, size_t *len, svs_err *err) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        svs_errf(err, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    svs_buf b = {0};
    char chunk[1 << 16];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (b.len + n > max_bytes) {
            svs_errf(err, "%s: file larger than the limit of %zu bytes", path, max_bytes);
            goto fail;
        }
        if (svs_buf_append(&b, chunk, n, err)) goto fail;
    }
    if (ferror(f)) {
        svs_errf(err, "%s: read error: %s", path, strerror(errno));
        goto fail;
    }
    fclose(f);
    if (!b.data && svs_buf_reserve(&b, 0, err)) return NULL;
    if (len) *len = b.len;
    return b.data;
fail:
    fclose(f);
    svs_buf_free(&b);
    return NULL;
}

int svs_utf8_valid(const char *s, size_t n, size_t *bad_offset) {
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        size_t need;
        uint32_t cp, min;
        if (c < 0x80) { i++; continue; }
        else if ((c & 0xE0) == 0xC0) { need = 1; cp = c & 0x1F; min = 0x80; }
        else if ((c & 0xF0) == 0xE0) { need = 2; cp = c & 0x0F; min = 0x800; }
        else if ((c & 0xF8) == 0xF0) { need = 3; cp = c & 0x07; min = 0x10000; }
        else goto bad;
        if (need >= n - i) goto bad; /* truncated sequence */
        for (size_t k = 1; k <= need; k++) {
            if (i + k >= n || (p[i + k] & 0xC0) != 0x80) goto bad;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) goto bad;
        i += need + 1;
    }
    return 1;
bad:
    if (bad_offset) *bad_offset = i;
    return 0;
}
