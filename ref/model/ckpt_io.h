/* ckpt_io.h — internal plumbing shared by the checkpoint readers (safetensors.c, gguf.c): a
 * bounded byte source over memory or a FILE*, overflow-checked size arithmetic, little-endian
 * decoding, and the half-precision conversions of docs/formats.md §8 / §10.2.
 *
 * A ckpt_src knows its total size up front; every read names an absolute offset and a length
 * and fails ("truncated") instead of reading past the end, so parsers can check counts and
 * lengths against ckpt_src_remaining() before allocating. Not part of the public API. */
#ifndef SVS_CKPT_IO_H
#define SVS_CKPT_IO_H

#include <stdint.h>
#include <stdio.h>

#include "common.h"

typedef struct ckpt_src {
    const uint8_t *mem; /* memory source (NULL for a file) */
    FILE *fp;           /* file source (NULL for memory) */
    uint64_t size;      /* total bytes */
    uint64_t fpos;      /* current FILE* position, to avoid needless seeks */
    const char *label;  /* file name or "<memory>", used in messages */
} ckpt_src;

/* Opens a source. ckpt_src_open_file fails with "<path>: cannot open: ..." messages. */
void ckpt_src_mem(ckpt_src *s, const void *data, size_t len, const char *label);
int ckpt_src_open_file(ckpt_src *s, const char *path, svs_err *err);
void ckpt_src_close(ckpt_src *s);

/* Reads n bytes at offset off into dst; fails with "truncated" when [off, off+n) is not inside
 * the source. what names the thing being read for the message. */
int ckpt_src_read(ckpt_src *s, uint64_t off, void *dst, size_t n, const char *what, svs_err *err);

/* Overflow-checked arithmetic: return 0 and set *r, or -1 on overflow (no message). */
int ckpt_mul_u64(uint64_t a, uint64_t b, uint64_t *r);
int ckpt_add_u64(uint64_t a, uint64_t b, uint64_t *r);

/* Little-endian decoding of unaligned bytes. */
static inline uint16_t ckpt_le16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t ckpt_le32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t ckpt_le64(const uint8_t *p) {
    return (uint64_t)ckpt_le32(p) | ((uint64_t)ckpt_le32(p + 4) << 32);
}

/* Half-precision to f32: IEEE binary16 (subnormals, Inf, NaN kept) and bfloat16 (bits << 16). */
float ckpt_f16_to_f32(uint16_t h);
float ckpt_bf16_to_f32(uint16_t h);
float ckpt_bits_to_f32(uint32_t bits);

/* Joins a directory (the part of base up to its last '/', or "." when none) and a file name
 * into a new string. */
char *ckpt_sibling_path(const char *base, const char *name, svs_err *err);

#endif
