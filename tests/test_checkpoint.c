/* test_checkpoint.c — checkpoint I/O (ref/model/: tensorset, safetensors, GGUF, config.json;
 * docs/formats.md §8–§11): bit-exact safetensors round trips, F16/BF16 conversions against hand
 * values, sharded checkpoints, config.json for Qwen2.5 / SmolLM2 / Llama-3.1 and both RoPE
 * spellings, a hand-built GGUF (a tiny writer below) with F32/F16/BF16/Q8_0/Q4_0/Q4_1 tensors
 * checked against hand-computed values and the Llama Q/K un-permutation, and bad inputs that
 * must fail with a message naming the tensor or field (truncations at every byte included).
 * The real SmolLM2-135M GGUF ($SVS_SMOLLM2_GGUF or ~/.cache/svs/) is optional (SKIP).
 *
 * `test_checkpoint --emit DIR` writes DIR/model.safetensors + DIR/config.json and
 * `test_checkpoint --dump FILE` prints a safetensors file's tensors, for
 * tests/test_checkpoint_python.py (Python safetensors / transformers cross-check). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model/ckpt_io.h"
#include "model/gguf.h"
#include "model/model_config.h"
#include "model/tensorset.h"
#include "testlib.h"

static char tmpdir[256];

static const char *tmp_path(const char *name) {
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
    return buf[k];
}

static int write_bytes(const char *path, const void *p, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = fwrite(p, 1, n, f);
    return fclose(f) == 0 && w == n ? 0 : -1;
}

static uint32_t f32_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

/* Checks that err is set and contains every needle. */
static void check_err(int rc, const svs_err *err, const char *n1, const char *n2, const char *what) {
    CHECK(rc != 0, "%s: expected an error", what);
    CHECK(err->msg[0] != 0, "%s: empty error message", what);
    CHECK(!n1 || strstr(err->msg, n1), "%s: message lacks \"%s\": %s", what, n1, err->msg);
    CHECK(!n2 || strstr(err->msg, n2), "%s: message lacks \"%s\": %s", what, n2, err->msg);
}

/* ============================================================================================
 * F16 / BF16 */

static void test_half_conversions(void) {
    static const struct { uint16_t h; float want; } f16[] = {
        {0x0000, 0.0f}, {0x3C00, 1.0f}, {0xC000, -2.0f}, {0x7BFF, 65504.0f}, {0x3555, 0.333251953125f},
        {0x0001, 5.9604644775390625e-8f}, /* smallest subnormal 2^-24 */
        {0x03FF, 6.0975551605224609e-5f}, /* largest subnormal 1023·2^-24 */
        {0x0400, 6.103515625e-5f},        /* smallest normal 2^-14 */
        {0x8001, -5.9604644775390625e-8f}, {0x3800, 0.5f}, {0xBC00, -1.0f},
    };
    for (size_t i = 0; i < sizeof f16 / sizeof f16[0]; i++)
        CHECK(f32_bits(ckpt_f16_to_f32(f16[i].h)) == f32_bits(f16[i].want), "f16 0x%04x -> %g, want %g", f16[i].h,
              ckpt_f16_to_f32(f16[i].h), f16[i].want);
    CHECK(f32_bits(ckpt_f16_to_f32(0x8000)) == 0x80000000u, "f16 -0");
    CHECK(isinf(ckpt_f16_to_f32(0x7C00)) && ckpt_f16_to_f32(0x7C00) > 0, "f16 +inf");
    CHECK(isinf(ckpt_f16_to_f32(0xFC00)) && ckpt_f16_to_f32(0xFC00) < 0, "f16 -inf");
    CHECK(isnan(ckpt_f16_to_f32(0x7E00)) && isnan(ckpt_f16_to_f32(0x7C01)) && isnan(ckpt_f16_to_f32(0xFE00)), "f16 nan");
    /* every finite f16 must round-trip through f32 → (float)→ exact value check via bits */
    int bad = 0;
    for (uint32_t h = 0; h < 0x10000; h++) {
        float f = ckpt_f16_to_f32((uint16_t)h);
        if (((h >> 10) & 0x1F) == 0x1F) continue;
        uint32_t e = (h >> 10) & 0x1F, m = h & 0x3FF;
        double v = e ? ldexp(1.0 + m / 1024.0, (int)e - 15) : ldexp(m / 1024.0, -14);
        if (h & 0x8000) v = -v;
        if ((double)f != v) bad++;
    }
    CHECK(bad == 0, "f16 exhaustive: %d values differ from the IEEE formula", bad);
    static const struct { uint16_t h; uint32_t bits; } bf[] = {
        {0x3F80, 0x3F800000u}, {0x4049, 0x40490000u}, {0xC2F7, 0xC2F70000u}, {0x0001, 0x00010000u},
        {0x8000, 0x80000000u}, {0x7F80, 0x7F800000u}, {0xFF80, 0xFF800000u}, {0x7FC0, 0x7FC00000u},
    };
    for (size_t i = 0; i < sizeof bf / sizeof bf[0]; i++)
        CHECK(f32_bits(ckpt_bf16_to_f32(bf[i].h)) == bf[i].bits, "bf16 0x%04x", bf[i].h);
    CHECK(ckpt_bf16_to_f32(0x4049) == 3.140625f, "bf16 3.140625");
    CHECK(ckpt_bf16_to_f32(0x0001) > 0 && ckpt_bf16_to_f32(0x0001) < 1e-40f, "bf16 subnormal");
    CHECK(isnan(ckpt_bf16_to_f32(0x7FC0)), "bf16 nan");
}

/* ============================================================================================
 * safetensors */

/* Builds "u64 N | header | data" (header padded to 8 unless pad == 0). */
static void st_build(svs_buf *b, const char *header, const void *data, size_t dlen, int pad) {
    size_t n = strlen(header), padded = n;
    if (pad) while ((8 + padded) % 8) padded++;
    uint8_t b8[8];
    for (int i = 0; i < 8; i++) b8[i] = (uint8_t)((uint64_t)padded >> (8 * i));
    b->len = 0;
    svs_buf_append(b, (const char *)b8, 8, NULL);
    svs_buf_append(b, header, n, NULL);
    for (size_t i = n; i < padded; i++) svs_buf_putc(b, ' ', NULL);
    svs_buf_append(b, data, dlen, NULL);
}

static void make_sample(tensorset *ts) {
    tensorset_init(ts);
    float a[6], c[4] = {-0.0f, INFINITY, -INFINITY, NAN}, s = 3.25f, sub[3] = {1e-45f, -1e-40f, 1.17549435e-38f};
    for (int i = 0; i < 6; i++) a[i] = (float)i * 0.5f - 1.0f;
    int64_t sa[2] = {2, 3}, sc[1] = {4}, se[2] = {0, 5}, ss[1] = {3}, sd[4] = {1, 2, 1, 2};
    float d[4] = {1.5f, 2.5f, 3.5f, 4.5f};
    tensorset_add(ts, "model.a", 2, sa, a, NULL);
    tensorset_add(ts, "b.special", 1, sc, c, NULL);
    tensorset_add(ts, "scalar", 0, NULL, &s, NULL);
    tensorset_add(ts, "empty", 2, se, NULL, NULL);
    tensorset_add(ts, "subnormals", 1, ss, sub, NULL);
    tensorset_add(ts, "rank4 \"quoted\\name\"", 4, sd, d, NULL);
}

static int same_tensor_bits(const ts_tensor *x, const ts_tensor *y) {
    if (!x || !y || x->ndim != y->ndim) return 0;
    for (int i = 0; i < x->ndim; i++)
        if (x->shape[i] != y->shape[i]) return 0;
    int64_t n = ts_numel(x->ndim, x->shape);
    return n == 0 || memcmp(x->data, y->data, (size_t)n * 4) == 0;
}

static void test_st_roundtrip(void) {
    tensorset ts, back;
    make_sample(&ts);
    CHECK(ts.n == 6, "sample has 6 tensors");
    const char *meta[] = {"format", "pt", "note", "é \"x\""};
    for (int sorted = 0; sorted <= 1; sorted++) {
        svs_err err = {{0}};
        const char *path = tmp_path(sorted ? "sorted.safetensors" : "plain.safetensors");
        int rc = safetensors_write(path, &ts, meta, 2, sorted ? SAFETENSORS_SORTED : 0, &err);
        CHECK(rc == 0, "write: %s", err.msg);
        tensorset_init(&back);
        rc = safetensors_read_file(path, &back, &err);
        CHECK(rc == 0, "read back: %s", err.msg);
        CHECK(back.n == ts.n, "read back %zu tensors", back.n);
        for (size_t i = 0; i < ts.n; i++)
            CHECK(same_tensor_bits(&ts.t[i], tensorset_find(&back, ts.t[i].name)), "bit-exact %s", ts.t[i].name);
        CHECK(back.n_meta == 2 && strcmp(back.meta_keys[0], "format") == 0 && strcmp(back.meta_vals[1], "é \"x\"") == 0,
              "metadata round trip");
        if (sorted) CHECK(back.n && strcmp(back.t[0].name, "b.special") == 0, "sorted order first is b.special");
        tensorset_free(&back);
        /* the header is padded: 8 + N multiple of 8 */
        size_t len;
        char *raw = svs_read_file(path, 1 << 20, &len, &err);
        CHECK(raw && len >= 8 && (8 + ckpt_le64((uint8_t *)raw)) % 8 == 0, "header padded to 8");
        free(raw);
    }
    /* memory serialization equals the file and duplicates are refused */
    svs_buf b = {0};
    svs_err err = {{0}};
    CHECK(safetensors_serialize(&ts, NULL, 0, 0, &b, &err) == 0, "serialize: %s", err.msg);
    tensorset_init(&back);
    CHECK(safetensors_read_mem(b.data, b.len, "mem", &back, &err) == 0, "read_mem: %s", err.msg);
    CHECK(back.n == 6 && back.n_meta == 0, "read_mem count");
    tensorset_free(&back);
    svs_buf_free(&b);
    tensorset_add(&ts, "model.a", 0, NULL, NULL, NULL);
    int rc = safetensors_serialize(&ts, NULL, 0, 0, &b, &err);
    check_err(rc, &err, "duplicate tensor model.a", NULL, "write duplicate");
    svs_buf_free(&b);
    tensorset_free(&ts);
}

static void test_st_dtypes(void) {
    /* F16 [1, 0.5, -2, inf, smallest subnormal, nan], BF16 [1, 3.140625, -0, -inf] */
    uint8_t data[20] = {0x00, 0x3C, 0x00, 0x38, 0x00, 0xC0, 0x00, 0x7C, 0x01, 0x00, 0x00, 0x7E,
                        0x80, 0x3F, 0x49, 0x40, 0x00, 0x80, 0x80, 0xFF};
    svs_buf b = {0};
    st_build(&b, "{\"h\":{\"dtype\":\"F16\",\"shape\":[2,3],\"data_offsets\":[0,12]},"
                 "\"bf\":{\"dtype\":\"BF16\",\"shape\":[4],\"data_offsets\":[12,20]}}", data, 20, 0);
    tensorset ts;
    tensorset_init(&ts);
    svs_err err = {{0}};
    int rc = safetensors_read_mem(b.data, b.len, "dtypes", &ts, &err);
    CHECK(rc == 0, "F16/BF16 file (unpadded header, unaligned data): %s", err.msg);
    const ts_tensor *h = tensorset_find(&ts, "h"), *bf = tensorset_find(&ts, "bf");
    CHECK(h && h->ndim == 2 && h->shape[0] == 2 && h->shape[1] == 3, "F16 shape");
    if (h) {
        CHECK(h->data[0] == 1.0f && h->data[1] == 0.5f && h->data[2] == -2.0f, "F16 values");
        CHECK(isinf(h->data[3]) && h->data[4] == 0x1p-24f && isnan(h->data[5]), "F16 inf/subnormal/nan");
    }
    CHECK(bf && bf->data[0] == 1.0f && bf->data[1] == 3.140625f && f32_bits(bf->data[2]) == 0x80000000u &&
          isinf(bf->data[3]) && bf->data[3] < 0, "BF16 values");
    tensorset_free(&ts);
    svs_buf_free(&b);
}

/* One malformed safetensors image: must fail naming needle (and needle2). */
static void st_bad(const char *header, const void *data, size_t dlen, const char *n1, const char *n2,
                   const char *what) {
    svs_buf b = {0};
    st_build(&b, header, data, dlen, 1);
    tensorset ts;
    tensorset_init(&ts);
    svs_err err = {{0}};
    int rc = safetensors_read_mem(b.data, b.len, "bad.safetensors", &ts, &err);
    check_err(rc, &err, n1, n2, what);
    CHECK(ts.n == 0, "%s: nothing added on failure", what);
    tensorset_free(&ts);
    svs_buf_free(&b);
}

static void test_st_bad(void) {
    uint8_t d[64] = {0};
    st_bad("{\"w\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]}}", d, 16, "w: unsupported dtype I64",
           NULL, "unsupported dtype");
    st_bad("{\"w\":{\"dtype\":\"Q4\",\"shape\":[2],\"data_offsets\":[0,16]}}", d, 16, "w: unknown dtype \"Q4\"", NULL,
           "unknown dtype");
    st_bad("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,1000]}}", d, 16, "w:", "1000", "outside (span)");
    st_bad("{\"w\":{\"dtype\":\"F32\",\"shape\":[250],\"data_offsets\":[0,1000]}}", d, 16, "w:",
           "outside the data buffer", "offsets outside the file");
    st_bad("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", d, 16, "w:", "hole", "hole at start");
    st_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
           "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", d, 12, "b:", "overlap a", "overlap");
    st_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
           "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", d, 12, "b:", "hole", "hole between");
    st_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", d, 12, "hole at the end", NULL,
           "hole at end");
    st_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", d, 8, "a:", "needs 12", "size mismatch");
    st_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
           "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", d, 8, "duplicate", "\"a\"", "duplicate");
    st_bad("{\"r\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1],\"data_offsets\":[0,4]}}", d, 4, "r: rank 5", NULL, "rank 5");
    st_bad("{\"s\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", d, 4, "s: shape[0]", NULL, "negative dim");
    st_bad("{\"s\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", d, 4, "s: shape[0]", NULL, "real dim");
    st_bad("{\"s\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],\"data_offsets\":[0,4]}}", d, 4,
           "s: shape", "overflows", "shape overflow");
    st_bad("{\"s\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", d, 4, "s: data_offsets", "BEGIN > END",
           "begin > end");
    st_bad("{\"s\":{\"dtype\":\"F32\",\"shape\":[1]}}", d, 4, "s: data_offsets", NULL, "missing offsets");
    st_bad("{\"s\":{\"shape\":[1],\"data_offsets\":[0,4]}}", d, 4, "s: dtype", NULL, "missing dtype");
    st_bad("{\"s\":[1,2]}", d, 4, "s: header entry", NULL, "entry not object");
    st_bad("{\"__metadata__\":{\"k\":1}}", d, 0, "__metadata__.k", NULL, "metadata not string");
    st_bad("[1,2]", d, 0, "'{'", NULL, "header not an object");
    st_bad("{\"a\":", d, 0, "header JSON", NULL, "bad JSON");
    st_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}} x", d, 4, "header JSON", NULL,
           "trailing garbage");

    /* header size: huge, over the limit, larger than the file */
    uint8_t huge[16] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, '{', '}'};
    tensorset ts;
    tensorset_init(&ts);
    svs_err err = {{0}};
    check_err(safetensors_read_mem(huge, 16, "h", &ts, &err), &err, "exceeds the limit", NULL, "huge N");
    uint8_t lim[16] = {0x01, 0xE1, 0xF5, 0x05, 0, 0, 0, 0, '{', '}'}; /* 100,000,001 */
    check_err(safetensors_read_mem(lim, 16, "h", &ts, &err), &err, "100000001", "limit", "N just over limit");
    uint8_t big[16] = {0x00, 0x10, 0, 0, 0, 0, 0, 0, '{', '}'};
    check_err(safetensors_read_mem(big, 16, "h", &ts, &err), &err, "truncated", NULL, "N past end");
    check_err(safetensors_read_mem(big, 5, "h", &ts, &err), &err, "truncated", NULL, "shorter than 8");
    check_err(safetensors_read_mem(big, 0, "h", &ts, &err), &err, "truncated", NULL, "empty file");
    tensorset_free(&ts);
}

/* Cuts a valid file at every length: each cut must fail with a message, never crash. */
static void test_st_truncations(void) {
    tensorset ts;
    make_sample(&ts);
    svs_buf b = {0};
    svs_err err = {{0}};
    CHECK(safetensors_serialize(&ts, NULL, 0, 0, &b, &err) == 0, "serialize");
    tensorset_free(&ts);
    int ok = 1;
    for (size_t cut = 0; cut < b.len; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1); /* exact-size copy so ASan sees over-reads */
        memcpy(copy, b.data, cut);
        tensorset_init(&ts);
        err.msg[0] = 0;
        int rc = safetensors_read_mem(copy, cut, "cut", &ts, &err);
        if (rc == 0 || !err.msg[0] || ts.n) { ok = 0; fprintf(stderr, "cut at %zu accepted\n", cut); }
        tensorset_free(&ts);
        free(copy);
    }
    CHECK(ok, "every truncation of a %zu-byte safetensors file fails", b.len);
    svs_buf_free(&b);
}

static void test_st_sharded(void) {
    tensorset a, b2, all;
    tensorset_init(&a);
    tensorset_init(&b2);
    int64_t s2[2] = {2, 2}, s1[1] = {3};
    float x[4] = {1, 2, 3, 4}, y[3] = {5, 6, 7};
    tensorset_add(&a, "model.embed_tokens.weight", 2, s2, x, NULL);
    tensorset_add(&b2, "model.norm.weight", 1, s1, y, NULL);
    tensorset_add(&b2, "lm_head.weight", 2, s2, x, NULL);
    svs_err err = {{0}};
    mkdir(tmp_path("shard"), 0700);
    CHECK(safetensors_write(tmp_path("shard/model-00001-of-00002.safetensors"), &a, NULL, 0, 0, &err) == 0, "w1");
    CHECK(safetensors_write(tmp_path("shard/model-00002-of-00002.safetensors"), &b2, NULL, 0, 0, &err) == 0, "w2");
    const char *index = "{\"metadata\":{\"total_size\":44},\"weight_map\":{"
                        "\"lm_head.weight\":\"model-00002-of-00002.safetensors\","
                        "\"model.embed_tokens.weight\":\"model-00001-of-00002.safetensors\","
                        "\"model.norm.weight\":\"model-00002-of-00002.safetensors\"}}";
    write_bytes(tmp_path("shard/model.safetensors.index.json"), index, strlen(index));
    tensorset_init(&all);
    int rc = safetensors_load(tmp_path("shard"), &all, &err);
    CHECK(rc == 0, "sharded load via directory: %s", err.msg);
    CHECK(all.n == 3, "3 tensors from 2 shards");
    CHECK(same_tensor_bits(tensorset_find(&all, "model.norm.weight"), &b2.t[0]), "shard 2 tensor");
    CHECK(same_tensor_bits(tensorset_find(&all, "model.embed_tokens.weight"), &a.t[0]), "shard 1 tensor");
    tensorset_free(&all);

    static const struct { const char *index, *n1, *n2, *what; } bad[] = {
        {"{\"weight_map\":{\"lm_head.weight\":\"model-00002-of-00002.safetensors\","
         "\"model.embed_tokens.weight\":\"model-00001-of-00002.safetensors\"}}",
         "model.norm.weight", "not in weight_map", "shard tensor missing from map"},
        {"{\"weight_map\":{\"lm_head.weight\":\"model-00002-of-00002.safetensors\","
         "\"model.embed_tokens.weight\":\"model-00002-of-00002.safetensors\","
         "\"model.norm.weight\":\"model-00002-of-00002.safetensors\"}}",
         "model.embed_tokens.weight", "not found", "mapped tensor absent from its shard"},
        {"{\"weight_map\":{\"lm_head.weight\":\"model-00002-of-00002.safetensors\","
         "\"model.embed_tokens.weight\":\"model-00001-of-00002.safetensors\","
         "\"model.norm.weight\":\"model-00001-of-00002.safetensors\"}}",
         "model.norm.weight", "weight_map says", "mapped to the wrong shard"},
        {"{\"weight_map\":{\"x\":\"../evil.safetensors\"}}", "weight_map.x", "shard file name", "path escape"},
        {"{\"weight_map\":{\"x\":\"missing.safetensors\"}}", "missing.safetensors", "cannot open", "missing shard"},
        {"{\"metadata\":{}}", "weight_map", NULL, "no weight_map"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_bytes(tmp_path("shard/bad.index.json"), bad[i].index, strlen(bad[i].index));
        tensorset_init(&all);
        err.msg[0] = 0;
        rc = safetensors_read_index(tmp_path("shard/bad.index.json"), &all, &err);
        check_err(rc, &err, bad[i].n1, bad[i].n2, bad[i].what);
        CHECK(all.n == 0, "%s: nothing kept", bad[i].what);
        tensorset_free(&all);
    }
    /* the same tensor in two shards */
    CHECK(safetensors_write(tmp_path("shard/dup.safetensors"), &b2, NULL, 0, 0, &err) == 0, "w3");
    tensorset_init(&all);
    CHECK(safetensors_read_file(tmp_path("shard/dup.safetensors"), &all, &err) == 0, "read dup");
    rc = safetensors_read_index(tmp_path("shard/model.safetensors.index.json"), &all, &err);
    check_err(rc, &err, "duplicate tensor", NULL, "tensor in two checkpoints");
    CHECK(all.n == 2, "index failure keeps what was there");
    tensorset_free(&all);
    tensorset_free(&a);
    tensorset_free(&b2);
}

/* ============================================================================================
 * config.json */

static const char *QWEN25_05B =
    "{\"architectures\":[\"Qwen2ForCausalLM\"],\"attention_dropout\":0.0,\"bos_token_id\":151643,"
    "\"eos_token_id\":151643,\"hidden_act\":\"silu\",\"hidden_size\":896,\"initializer_range\":0.02,"
    "\"intermediate_size\":4864,\"max_position_embeddings\":32768,\"max_window_layers\":24,"
    "\"model_type\":\"qwen2\",\"num_attention_heads\":14,\"num_hidden_layers\":24,\"num_key_value_heads\":2,"
    "\"rms_norm_eps\":1e-06,\"rope_theta\":1000000.0,\"sliding_window\":32768,\"tie_word_embeddings\":true,"
    "\"torch_dtype\":\"bfloat16\",\"transformers_version\":\"4.40.1\",\"use_cache\":true,"
    "\"use_mrope\":false,\"use_sliding_window\":false,\"vocab_size\":151936}";

static const char *SMOLLM2 =
    "{\"architectures\":[\"LlamaForCausalLM\"],\"attention_bias\":false,\"attention_dropout\":0.0,"
    "\"bos_token_id\":1,\"eos_token_id\":2,\"head_dim\":64,\"hidden_act\":\"silu\",\"hidden_size\":576,"
    "\"initializer_range\":0.041666666666666664,\"intermediate_size\":1536,\"is_llama_config\":true,"
    "\"max_position_embeddings\":8192,\"mlp_bias\":false,\"model_type\":\"llama\",\"num_attention_heads\":9,"
    "\"num_hidden_layers\":30,\"num_key_value_heads\":3,\"pad_token_id\":2,\"pretraining_tp\":1,"
    "\"rms_norm_eps\":1e-05,\"rope_interleaved\":false,\"rope_scaling\":null,\"rope_theta\":100000,"
    "\"tie_word_embeddings\":true,\"torch_dtype\":\"bfloat16\",\"use_cache\":true,\"vocab_size\":49152}";

static const char *LLAMA31 =
    "{\"architectures\":[\"LlamaForCausalLM\"],\"attention_bias\":false,\"bos_token_id\":128000,"
    "\"eos_token_id\":[128001,128008,128009],\"hidden_act\":\"silu\",\"hidden_size\":4096,"
    "\"intermediate_size\":14336,\"max_position_embeddings\":131072,\"mlp_bias\":false,\"model_type\":\"llama\","
    "\"num_attention_heads\":32,\"num_hidden_layers\":32,\"num_key_value_heads\":8,\"pretraining_tp\":1,"
    "\"rms_norm_eps\":1e-05,\"rope_scaling\":{\"factor\":8.0,\"low_freq_factor\":1.0,\"high_freq_factor\":4.0,"
    "\"original_max_position_embeddings\":8192,\"rope_type\":\"llama3\"},\"rope_theta\":500000.0,"
    "\"tie_word_embeddings\":false,\"torch_dtype\":\"bfloat16\",\"vocab_size\":128256}";

static int parse_cfg(const char *text, model_config *c, svs_err *err) {
    return model_config_from_json(text, strlen(text), c, err);
}

static void test_config_good(void) {
    model_config c;
    svs_err err = {{0}};
    CHECK(parse_cfg(QWEN25_05B, &c, &err) == 0, "qwen2.5: %s", err.msg);
    CHECK(c.arch == MODEL_ARCH_QWEN2 && c.hidden_size == 896 && c.intermediate_size == 4864 &&
          c.num_hidden_layers == 24 && c.num_attention_heads == 14 && c.num_key_value_heads == 2 &&
          c.head_dim == 64 && !c.head_dim_explicit && c.vocab_size == 151936, "qwen2.5 dims");
    CHECK(c.rms_norm_eps == 1e-6 && c.rope_theta == 1e6 && c.tie_word_embeddings && c.qkv_bias && !c.o_bias &&
          !c.mlp_bias && c.bos_token_id == 151643 && c.n_eos == 1 && c.eos_token_ids[0] == 151643 &&
          strcmp(c.torch_dtype, "bfloat16") == 0 && c.rope_scaling.type == MODEL_ROPE_DEFAULT &&
          c.max_position_embeddings == 32768 && c.sliding_window == 32768 && c.max_window_layers == 24,
          "qwen2.5 fields");

    CHECK(parse_cfg(SMOLLM2, &c, &err) == 0, "smollm2: %s", err.msg);
    CHECK(c.arch == MODEL_ARCH_LLAMA && c.hidden_size == 576 && c.num_hidden_layers == 30 &&
          c.num_attention_heads == 9 && c.num_key_value_heads == 3 && c.head_dim == 64 && c.head_dim_explicit &&
          c.vocab_size == 49152 && c.tie_word_embeddings && !c.qkv_bias && !c.o_bias && c.rms_norm_eps == 1e-5 &&
          c.rope_theta == 100000.0 && c.pad_token_id == 2 && c.bos_token_id == 1, "smollm2 fields");

    CHECK(parse_cfg(LLAMA31, &c, &err) == 0, "llama3.1: %s", err.msg);
    CHECK(c.rope_scaling.type == MODEL_ROPE_LLAMA3 && c.rope_scaling.factor == 8.0 &&
          c.rope_scaling.low_freq_factor == 1.0 && c.rope_scaling.high_freq_factor == 4.0 &&
          c.rope_scaling.original_max_position_embeddings == 8192 && c.rope_theta == 500000.0 && c.n_eos == 3 &&
          c.eos_token_ids[2] == 128009 && c.num_key_value_heads == 8 && c.head_dim == 128 && !c.tie_word_embeddings,
          "llama3.1 fields");

    /* rope_parameters spelling (current transformers) and the old "type" key */
    const char *rp = "{\"model_type\":\"llama\",\"hidden_size\":64,\"num_attention_heads\":4,"
                     "\"rope_parameters\":{\"rope_type\":\"llama3\",\"rope_theta\":500000.0,\"factor\":32.0,"
                     "\"low_freq_factor\":1.0,\"high_freq_factor\":4.0,\"original_max_position_embeddings\":8192}}";
    CHECK(parse_cfg(rp, &c, &err) == 0 && c.rope_theta == 500000.0 && c.rope_scaling.type == MODEL_ROPE_LLAMA3 &&
          c.rope_scaling.factor == 32.0, "rope_parameters llama3: %s", err.msg);
    const char *rpd = "{\"model_type\":\"qwen2\",\"rope_parameters\":{\"rope_type\":\"default\",\"rope_theta\":1e6}}";
    CHECK(parse_cfg(rpd, &c, &err) == 0 && c.rope_theta == 1e6 && c.rope_scaling.type == MODEL_ROPE_DEFAULT,
          "rope_parameters default: %s", err.msg);
    const char *old = "{\"model_type\":\"llama\",\"rope_scaling\":{\"type\":\"llama3\",\"factor\":8,"
                      "\"low_freq_factor\":1,\"high_freq_factor\":4,\"original_max_position_embeddings\":8192}}";
    CHECK(parse_cfg(old, &c, &err) == 0 && c.rope_scaling.type == MODEL_ROPE_LLAMA3, "old type key: %s", err.msg);

    /* defaults */
    CHECK(parse_cfg("{\"model_type\":\"llama\"}", &c, &err) == 0 && c.vocab_size == 32000 &&
          c.intermediate_size == 11008 && c.num_key_value_heads == 32 && c.max_position_embeddings == 2048 &&
          c.bos_token_id == 1 && c.eos_token_ids[0] == 2 && c.rope_theta == 10000.0 && c.head_dim == 128,
          "llama defaults");
    CHECK(parse_cfg("{\"model_type\":\"qwen2\",\"num_attention_heads\":16,\"num_key_value_heads\":null}", &c, &err) == 0 &&
          c.vocab_size == 151936 && c.intermediate_size == 22016 && c.num_key_value_heads == 16 &&
          c.max_position_embeddings == 32768 && c.bos_token_id == -1 && c.n_eos == 0 && c.qkv_bias,
          "qwen2 defaults, kv null -> heads");
    CHECK(parse_cfg("{\"model_type\":\"qwen2\",\"num_attention_heads\":64}", &c, &err) == 0 &&
          c.num_key_value_heads == 32, "qwen2 kv default is 32: %s", err.msg);
    CHECK(parse_cfg("{\"model_type\":\"llama\",\"attention_bias\":true,\"mlp_bias\":true}", &c, &err) == 0 &&
          c.qkv_bias && c.o_bias && c.mlp_bias, "llama attention_bias -> q/k/v/o bias");

    /* writer round trip */
    const char *all[] = {QWEN25_05B, SMOLLM2, LLAMA31, rp};
    for (int i = 0; i < 4; i++) {
        model_config a, b;
        svs_buf out = {0};
        int rc = parse_cfg(all[i], &a, &err) || model_config_to_json(&a, &out, &err) ||
                 model_config_from_json(out.data, out.len, &b, &err);
        CHECK(rc == 0, "config %d round trip: %s", i, err.msg);
        CHECK(rc == 0 && memcmp(&a, &b, sizeof a) == 0, "config %d round trip equal", i);
        svs_buf_free(&out);
    }
}

static void cfg_bad(const char *text, const char *n1, const char *n2, const char *what) {
    model_config c;
    svs_err err = {{0}};
    check_err(parse_cfg(text, &c, &err), &err, n1, n2, what);
}

static void test_config_bad(void) {
    cfg_bad("{\"model_type\":\"llama\",\"rope_scaling\":{\"rope_type\":\"yarn\",\"factor\":4}}",
            "config.json: rope_scaling.rope_type: unsupported \"yarn\"", NULL, "yarn");
    cfg_bad("{\"model_type\":\"llama\",\"rope_scaling\":{\"type\":\"linear\",\"factor\":2}}",
            "rope_scaling.type: unsupported \"linear\"", NULL, "linear (old key)");
    cfg_bad("{\"model_type\":\"llama\",\"rope_parameters\":{\"rope_type\":\"dynamic\"}}",
            "rope_parameters.rope_type: unsupported \"dynamic\"", NULL, "dynamic in rope_parameters");
    cfg_bad("{\"model_type\":\"llama\",\"rope_scaling\":{\"rope_type\":\"llama3\",\"factor\":8}}",
            "rope_scaling.low_freq_factor: missing", NULL, "llama3 incomplete");
    cfg_bad("{\"model_type\":\"llama\",\"rope_scaling\":{\"rope_type\":\"llama3\",\"factor\":8,\"low_freq_factor\":4,"
            "\"high_freq_factor\":1,\"original_max_position_embeddings\":8192}}", "high_freq_factor", NULL,
            "llama3 high <= low");
    cfg_bad("{\"model_type\":\"mistral\"}", "config.json: model_type: unsupported \"mistral\"", NULL, "mistral");
    cfg_bad("{\"hidden_size\":8}", "model_type: missing", NULL, "no model_type");
    cfg_bad("{\"model_type\":\"llama\",\"hidden_act\":\"gelu\"}", "hidden_act: unsupported \"gelu\"", NULL, "gelu");
    cfg_bad("{\"model_type\":\"qwen2\",\"use_sliding_window\":true}", "use_sliding_window", NULL, "sliding window");
    cfg_bad("{\"model_type\":\"llama\",\"hidden_size\":100,\"num_attention_heads\":7}", "hidden_size 100",
            "num_attention_heads 7", "hidden % heads");
    cfg_bad("{\"model_type\":\"llama\",\"num_attention_heads\":32,\"num_key_value_heads\":5}",
            "num_attention_heads 32", "num_key_value_heads 5", "heads % kv");
    cfg_bad("{\"model_type\":\"llama\",\"head_dim\":63,\"num_attention_heads\":2}", "head_dim 63", NULL, "odd head_dim");
    cfg_bad("{\"model_type\":\"llama\",\"hidden_size\":\"576\"}", "hidden_size: expected an integer", NULL, "string dim");
    cfg_bad("{\"model_type\":\"llama\",\"hidden_size\":0}", "hidden_size: 0 out of range", NULL, "zero dim");
    cfg_bad("{\"model_type\":\"llama\",\"vocab_size\":99999999999}", "vocab_size", "out of range", "huge dim");
    cfg_bad("{\"model_type\":\"llama\",\"tie_word_embeddings\":1}", "tie_word_embeddings: expected true or false",
            NULL, "int bool");
    cfg_bad("{\"model_type\":\"llama\",\"rms_norm_eps\":-1}", "rms_norm_eps", NULL, "negative eps");
    cfg_bad("{\"model_type\":\"llama\",\"eos_token_id\":[1,\"x\"]}", "eos_token_id[1]", NULL, "bad eos list");
    cfg_bad("{\"model_type\":\"llama\",\"partial_rotary_factor\":0.5}", "partial_rotary_factor", NULL, "partial rope");
    cfg_bad("{\"model_type\":\"llama\",\"model_type\":\"llama\"}", "duplicate", NULL, "duplicate key");
    cfg_bad("{\"model_type\":\"llama\",", "config.json: line 1", NULL, "bad JSON");
    cfg_bad("[]", "not an object", NULL, "array");
    cfg_bad("{\"model_type\":\"llama\",\"torch_dtype\":\"a\\\"b\"}", "torch_dtype", NULL, "odd dtype");
    model_config c;
    svs_err err = {{0}};
    check_err(model_config_load(tmp_path("no-such-config.json"), &c, &err), &err, "no-such-config.json", NULL,
              "missing file");
}

/* ============================================================================================
 * tensorset ↔ config */

static model_config small_cfg(void) {
    model_config c;
    model_config_defaults(MODEL_ARCH_LLAMA, &c);
    c.vocab_size = 10;
    c.hidden_size = 96;
    c.intermediate_size = 40;
    c.num_hidden_layers = 2;
    c.num_attention_heads = 3;
    c.num_key_value_heads = 1;
    c.head_dim = 32;
    c.tie_word_embeddings = 1;
    return c;
}

static void fill_from_cfg(tensorset *ts, const model_config *c) {
    ts_spec *sp;
    size_t n;
    tensorset_init(ts);
    if (model_expected_tensors(c, &sp, &n, NULL)) return;
    for (size_t i = 0; i < n; i++) tensorset_add(ts, sp[i].name, sp[i].ndim, sp[i].shape, NULL, NULL);
    free(sp);
}

static void test_check_config(void) {
    model_config c = small_cfg();
    tensorset ts;
    svs_err err = {{0}};
    fill_from_cfg(&ts, &c);
    CHECK(ts.n == 1 + 2 * 9 + 1, "llama tied: %zu tensors", ts.n);
    CHECK(tensorset_check_config(&ts, &c, &err) == 0, "complete set passes: %s", err.msg);
    /* wrong shape: k_proj [64, 96] where the config implies [32, 96] */
    ts_tensor *k = tensorset_find_mut(&ts, "model.layers.0.self_attn.k_proj.weight");
    k->shape[0] = 64;
    check_err(tensorset_check_config(&ts, &c, &err), &err,
              "model.layers.0.self_attn.k_proj.weight: shape [64, 96] but config implies [32, 96]", NULL, "wrong shape");
    k->shape[0] = 32;
    /* extra tensor */
    tensorset_add(&ts, "model.layers.7.mlp.extra.weight", 0, NULL, NULL, NULL);
    check_err(tensorset_check_config(&ts, &c, &err), &err, "model.layers.7.mlp.extra.weight", "unexpected", "extra");
    const char *names[] = {"model.norm.weight", "model.embed_tokens.weight"};
    svs_err rep = {{0}};
    long ne = tensorset_find_extra(&ts, names, 2, &rep);
    CHECK(ne == (long)ts.n - 2 && strstr(rep.msg, "extra tensors:") && strstr(rep.msg, "model.layers.0"),
          "find_extra report: %ld %s", ne, rep.msg);
    tensorset_truncate(&ts, ts.n - 1);
    static const char *const out_of_range[] = {"model.layers.2.mlp.up_proj.weight", "model.layers.01.mlp.up_proj.weight",
                                               "model.layers.0.mlp.up_proj.bias", "model.layers"};
    for (int i = 0; i < 4; i++) {
        tensorset_add(&ts, out_of_range[i], 0, NULL, NULL, NULL);
        check_err(tensorset_check_config(&ts, &c, &err), &err, out_of_range[i], "unexpected", "layer index / bias");
        tensorset_truncate(&ts, ts.n - 1);
    }
    /* ignorable extras */
    tensorset_add(&ts, "model.layers.0.self_attn.rotary_emb.inv_freq", 0, NULL, NULL, NULL);
    tensorset_add(&ts, "lm_head.weight", 0, NULL, NULL, NULL);
    CHECK(tensorset_check_config(&ts, &c, &err) == 0, "inv_freq and tied lm_head ignored: %s", err.msg);
    /* untied: lm_head required with the right shape */
    c.tie_word_embeddings = 0;
    check_err(tensorset_check_config(&ts, &c, &err), &err, "lm_head.weight: shape []", "[10, 96]", "lm_head shape");
    c.tie_word_embeddings = 1;
    /* missing tensor; require() */
    const char *req[] = {"model.norm.weight", "model.layers.1.mlp.down_proj.weight", "nope.weight"};
    CHECK(tensorset_require(&ts, req, 2, &err) == 0, "require present");
    check_err(tensorset_require(&ts, req, 3, &err), &err, "nope.weight: missing tensor", NULL, "require missing");
    /* qwen2-like config: biases become required */
    c.arch = MODEL_ARCH_QWEN2;
    c.qkv_bias = 1;
    check_err(tensorset_check_config(&ts, &c, &err), &err, "model.layers.0.self_attn.q_proj.bias: missing", NULL,
              "qwen2 bias missing");
    tensorset_free(&ts);
    tensorset_init(&ts);
    check_err(tensorset_add(&ts, "r5", 5, (int64_t[5]){1, 1, 1, 1, 1}, NULL, &err), &err, "r5", NULL, "rank 5 add");
    tensorset_free(&ts);
}

/* ============================================================================================
 * GGUF writer (test-only) */

typedef struct gw {
    svs_buf kv, ti, data;
    uint64_t nkv, nt, align;
} gw;

static void put_u32(svs_buf *b, uint32_t v) {
    uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    svs_buf_append(b, (const char *)x, 4, NULL);
}
static void put_u64(svs_buf *b, uint64_t v) {
    put_u32(b, (uint32_t)v);
    put_u32(b, (uint32_t)(v >> 32));
}
static void put_u16(svs_buf *b, uint16_t v) {
    uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    svs_buf_append(b, (const char *)x, 2, NULL);
}
static void put_str(svs_buf *b, const char *s) {
    put_u64(b, strlen(s));
    svs_buf_append(b, s, strlen(s), NULL);
}
static void gw_key(gw *w, const char *key, uint32_t type) {
    put_str(&w->kv, key);
    put_u32(&w->kv, type);
    w->nkv++;
}
static void gw_u32(gw *w, const char *key, uint32_t v) { gw_key(w, key, GGUF_U32); put_u32(&w->kv, v); }
static void gw_f32(gw *w, const char *key, float v) { gw_key(w, key, GGUF_F32); put_u32(&w->kv, f32_bits(v)); }
static void gw_s(gw *w, const char *key, const char *v) { gw_key(w, key, GGUF_STRING); put_str(&w->kv, v); }
static void gw_bool(gw *w, const char *key, uint8_t v) { gw_key(w, key, GGUF_BOOL); svs_buf_putc(&w->kv, (char)v, NULL); }
static void gw_strs(gw *w, const char *key, const char *const *v, size_t n) {
    gw_key(w, key, GGUF_ARRAY);
    put_u32(&w->kv, GGUF_STRING);
    put_u64(&w->kv, n);
    for (size_t i = 0; i < n; i++) put_str(&w->kv, v[i]);
}
static void gw_i32s(gw *w, const char *key, const int32_t *v, size_t n) {
    gw_key(w, key, GGUF_ARRAY);
    put_u32(&w->kv, GGUF_I32);
    put_u64(&w->kv, n);
    for (size_t i = 0; i < n; i++) put_u32(&w->kv, (uint32_t)v[i]);
}

/* Tensor info + data (data padded to the alignment). ne in ggml order. */
static void gw_tensor(gw *w, const char *name, uint32_t nd, const uint64_t *ne, uint32_t type, const void *bytes,
                      size_t nbytes) {
    put_str(&w->ti, name);
    put_u32(&w->ti, nd);
    for (uint32_t d = 0; d < nd; d++) put_u64(&w->ti, ne[d]);
    put_u32(&w->ti, type);
    put_u64(&w->ti, w->data.len);
    svs_buf_append(&w->data, bytes, nbytes, NULL);
    while (w->data.len % w->align) svs_buf_putc(&w->data, 0, NULL);
    w->nt++;
}

static void gw_finish(gw *w, svs_buf *out) {
    out->len = 0;
    put_u32(out, 0x46554747u);
    put_u32(out, 3);
    put_u64(out, w->nt);
    put_u64(out, w->nkv);
    svs_buf_append(out, w->kv.data, w->kv.len, NULL);
    svs_buf_append(out, w->ti.data, w->ti.len, NULL);
    while (out->len % w->align) svs_buf_putc(out, 0, NULL);
    svs_buf_append(out, w->data.data, w->data.len, NULL);
}

static void gw_free(gw *w) {
    svs_buf_free(&w->kv);
    svs_buf_free(&w->ti);
    svs_buf_free(&w->data);
}

/* ---- quantizers for known values (test-only, exact by construction) -------------------------- */

/* HF-order matrix values that each encoding represents exactly. */
static float val_f16(int64_t r, int64_t c) { return (float)((r * 7 + c * 3) % 61 - 30) / 16.0f; }

/* Q8_0 row: block b has d = 2^-(b%3+1); qs[j] = ((r*31 + b*7 + j*5) % 255) - 127. */
static void q8_row(int64_t r, int64_t n, svs_buf *raw, float *x) {
    for (int64_t b = 0; b < n / 32; b++) {
        uint16_t dh = (uint16_t)(0x3800 - 0x400 * (b % 3)); /* 0.5, 0.25, 0.125 */
        float d = ckpt_f16_to_f32(dh);
        put_u16(raw, dh);
        for (int j = 0; j < 32; j++) {
            int q = (int)((r * 31 + b * 7 + j * 5) % 255) - 127;
            svs_buf_putc(raw, (char)(int8_t)q, NULL);
            x[b * 32 + j] = (float)q * d;
        }
    }
}

/* Q4_0 row: d = 0.25; qs[j] = lo | hi << 4. */
static void q40_row(int64_t r, int64_t n, svs_buf *raw, float *x) {
    for (int64_t b = 0; b < n / 32; b++) {
        put_u16(raw, 0x3400); /* 0.25 */
        for (int j = 0; j < 16; j++) {
            int lo = (int)((r * 3 + b + j) % 16), hi = (int)((r + b * 5 + j * 7) % 16);
            svs_buf_putc(raw, (char)(lo | hi << 4), NULL);
            x[b * 32 + j] = (float)(lo - 8) * 0.25f;
            x[b * 32 + j + 16] = (float)(hi - 8) * 0.25f;
        }
    }
}

/* Q4_1 row: d = 0.125, m = -1. */
static void q41_row(int64_t r, int64_t n, svs_buf *raw, float *x) {
    for (int64_t b = 0; b < n / 32; b++) {
        put_u16(raw, 0x3000); /* 0.125 */
        put_u16(raw, 0xBC00); /* -1.0 */
        for (int j = 0; j < 16; j++) {
            int lo = (int)((r * 5 + b * 3 + j) % 16), hi = (int)((r * 11 + b + j * 3) % 16);
            svs_buf_putc(raw, (char)(lo | hi << 4), NULL);
            x[b * 32 + j] = (float)lo * 0.125f - 1.0f;
            x[b * 32 + j + 16] = (float)hi * 0.125f - 1.0f;
        }
    }
}

/* The converter's permutation written independently: HF [n_head, 2, hd/2] → GGUF [n_head, hd/2, 2]. */
static int64_t gguf_row_of_hf(int64_t hf_row, int64_t hd) {
    int64_t h = hf_row / hd, r = hf_row % hd, j = r / (hd / 2), i = r % (hd / 2);
    return h * hd + 2 * i + j;
}

/* ---- the tiny model ------------------------------------------------------------------------------ */

enum { TV = 32, TH = 64, TF = 96, TNH = 2, TKV = 1, THD = 32 };

typedef struct tiny {
    svs_buf file;
    tensorset want; /* HF layout, expected values */
} tiny;

typedef void (*row_fn)(int64_t r, int64_t n, svs_buf *raw, float *x);

/* Adds a 2-D tensor of `rows` HF rows of n values encoded by fn; permuted rows for q/k. */
static void tiny_mat(gw *w, tensorset *want, const char *gname, const char *hfname, int64_t rows, int64_t n,
                     uint32_t type, row_fn fn, int permute_heads) {
    svs_buf raw = {0}, row = {0};
    float *x = calloc((size_t)(rows * n), sizeof(float));
    size_t rb = 0;
    for (int64_t r = 0; r < rows; r++) { /* encode HF row r; learn the row size */
        row.len = 0;
        fn(r, n, &row, x + r * n);
        rb = row.len;
    }
    svs_buf_reserve(&raw, (size_t)rows * rb, NULL);
    for (int64_t g = 0; g < rows; g++) { /* GGUF row g holds HF row hf */
        int64_t hf = g;
        if (permute_heads)
            for (int64_t c = 0; c < rows; c++)
                if (gguf_row_of_hf(c, rows / permute_heads) == g) hf = c;
        row.len = 0;
        float scratch[256];
        fn(hf, n, &row, scratch);
        svs_buf_append(&raw, row.data, row.len, NULL);
    }
    uint64_t ne[2] = {(uint64_t)n, (uint64_t)rows};
    gw_tensor(w, gname, 2, ne, type, raw.data, raw.len);
    int64_t shape[2] = {rows, n};
    tensorset_add(want, hfname, 2, shape, x, NULL);
    free(x);
    svs_buf_free(&raw);
    svs_buf_free(&row);
}

static void f16_row(int64_t r, int64_t n, svs_buf *raw, float *x) {
    for (int64_t c = 0; c < n; c++) {
        float v = val_f16(r, c);
        /* v = k/16 with |k| ≤ 30: build the binary16 by hand */
        uint16_t h = 0;
        if (v != 0) {
            float a = fabsf(v);
            int e = (int)floorf(log2f(a));
            uint16_t m = (uint16_t)lroundf((a / ldexpf(1.0f, e) - 1.0f) * 1024.0f);
            h = (uint16_t)((v < 0 ? 0x8000 : 0) | ((e + 15) << 10) | m);
        }
        put_u16(raw, h);
        x[c] = v;
    }
}

static void bf16_row(int64_t r, int64_t n, svs_buf *raw, float *x) {
    for (int64_t c = 0; c < n; c++) {
        float v = (float)((r + c) % 9 - 4) * 0.75f; /* exact in bf16 */
        put_u16(raw, (uint16_t)(f32_bits(v) >> 16));
        x[c] = v;
    }
}

static void f32_row(int64_t r, int64_t n, svs_buf *raw, float *x) {
    for (int64_t c = 0; c < n; c++) {
        x[c] = sinf((float)(r * n + c)) * 0.1f;
        put_u32(raw, f32_bits(x[c]));
    }
}

static void tiny_vec(gw *w, tensorset *want, const char *gname, const char *hfname, int64_t n) {
    svs_buf raw = {0};
    float *x = calloc((size_t)n, sizeof(float));
    f32_row(n, n, &raw, x);
    uint64_t ne[1] = {(uint64_t)n};
    gw_tensor(w, gname, 1, ne, GGML_F32, raw.data, raw.len);
    tensorset_add(want, hfname, 1, &n, x, NULL);
    free(x);
    svs_buf_free(&raw);
}

static void tiny_meta(gw *w, const char *arch) {
    char k[96];
    gw_s(w, "general.architecture", arch);
    gw_u32(w, "general.quantization_version", 2);
#define AK(s) (snprintf(k, sizeof k, "%s.%s", arch, s), k)
    gw_u32(w, AK("context_length"), 128);
    gw_u32(w, AK("embedding_length"), TH);
    gw_u32(w, AK("block_count"), 1);
    gw_u32(w, AK("feed_forward_length"), TF);
    gw_u32(w, AK("attention.head_count"), TNH);
    gw_key(w, AK("attention.head_count_kv"), GGUF_U64); /* any integer type */
    put_u64(&w->kv, TKV);
    gw_f32(w, AK("attention.layer_norm_rms_epsilon"), 1e-5f);
    gw_f32(w, AK("rope.freq_base"), 100000.0f);
    gw_u32(w, AK("rope.dimension_count"), THD);
#undef AK
    const char *toks[TV];
    char tb[TV][8];
    int32_t types[TV];
    for (int i = 0; i < TV; i++) {
        snprintf(tb[i], sizeof tb[i], "t%d", i);
        toks[i] = tb[i];
        types[i] = i < 3 ? 3 : 1;
    }
    gw_s(w, "tokenizer.ggml.model", "gpt2");
    gw_s(w, "tokenizer.ggml.pre", "smollm");
    gw_strs(w, "tokenizer.ggml.tokens", toks, TV);
    gw_i32s(w, "tokenizer.ggml.token_type", types, TV);
    const char *merges[] = {"t 1", "t 2"};
    gw_strs(w, "tokenizer.ggml.merges", merges, 2);
    gw_u32(w, "tokenizer.ggml.bos_token_id", 1);
    gw_u32(w, "tokenizer.ggml.eos_token_id", 2);
    gw_bool(w, "tokenizer.ggml.add_bos_token", 0);
    gw_s(w, "tokenizer.chat_template", "{% for m in messages %}{{ m.content }}{% endfor %}");
}

static void tiny_build(tiny *t, const char *arch, uint64_t align) {
    gw w = {.align = align};
    memset(&t->file, 0, sizeof t->file);
    tensorset_init(&t->want);
    if (align != 32) gw_u32(&w, "general.alignment", (uint32_t)align);
    tiny_meta(&w, arch);
    int llama = strcmp(arch, "llama") == 0;
    tensorset *x = &t->want;
    tiny_mat(&w, x, "token_embd.weight", "model.embed_tokens.weight", TV, TH, GGML_Q8_0, q8_row, 0);
    tiny_vec(&w, x, "blk.0.attn_norm.weight", "model.layers.0.input_layernorm.weight", TH);
    tiny_mat(&w, x, "blk.0.attn_q.weight", "model.layers.0.self_attn.q_proj.weight", TNH * THD, TH, GGML_F16, f16_row,
             llama ? TNH : 0);
    tiny_mat(&w, x, "blk.0.attn_k.weight", "model.layers.0.self_attn.k_proj.weight", TKV * THD, TH, GGML_Q4_0, q40_row,
             llama ? TKV : 0);
    tiny_mat(&w, x, "blk.0.attn_v.weight", "model.layers.0.self_attn.v_proj.weight", TKV * THD, TH, GGML_Q4_1, q41_row, 0);
    if (!llama) { /* qwen2: q/k/v biases, not permuted */
        tiny_vec(&w, x, "blk.0.attn_q.bias", "model.layers.0.self_attn.q_proj.bias", TNH * THD);
        tiny_vec(&w, x, "blk.0.attn_k.bias", "model.layers.0.self_attn.k_proj.bias", TKV * THD);
        tiny_vec(&w, x, "blk.0.attn_v.bias", "model.layers.0.self_attn.v_proj.bias", TKV * THD);
    }
    tiny_mat(&w, x, "blk.0.attn_output.weight", "model.layers.0.self_attn.o_proj.weight", TH, TNH * THD, GGML_F32,
             f32_row, 0);
    tiny_vec(&w, x, "blk.0.ffn_norm.weight", "model.layers.0.post_attention_layernorm.weight", TH);
    tiny_mat(&w, x, "blk.0.ffn_gate.weight", "model.layers.0.mlp.gate_proj.weight", TF, TH, GGML_BF16, bf16_row, 0);
    tiny_mat(&w, x, "blk.0.ffn_up.weight", "model.layers.0.mlp.up_proj.weight", TF, TH, GGML_Q4_1, q41_row, 0);
    tiny_mat(&w, x, "blk.0.ffn_down.weight", "model.layers.0.mlp.down_proj.weight", TH, TF, GGML_Q8_0, q8_row, 0);
    tiny_vec(&w, x, "output_norm.weight", "model.norm.weight", TH);
    gw_finish(&w, &t->file);
    gw_free(&w);
}

static void tiny_free(tiny *t) {
    svs_buf_free(&t->file);
    tensorset_free(&t->want);
}

/* Three one-block tensors with hand-picked bytes (Q4_0, Q4_1, Q8_0). */
static void hand_gguf(svs_buf *f) {
    gw w = {.align = 32};
    gw_s(&w, "general.architecture", "llama");
    gw_u32(&w, "general.quantization_version", 2);
    uint8_t q40[18] = {0x00, 0x34, 0x00, 0x71}, q41[20] = {0x00, 0x30, 0x00, 0xBC, 0xB5}, q8[34] = {0x00, 0x38, 0x81, 0x7F};
    uint64_t ne[1] = {32};
    gw_tensor(&w, "q40", 1, ne, GGML_Q4_0, q40, 18);
    gw_tensor(&w, "q41", 1, ne, GGML_Q4_1, q41, 20);
    gw_tensor(&w, "q8", 1, ne, GGML_Q8_0, q8, 34);
    gw_finish(&w, f);
    gw_free(&w);
}

static void test_gguf_hand_values(void) {
    /* literal hand computations for the first block of each quantized encoding */
    svs_buf raw = {0};
    float x[64];
    q40_row(0, 32, &raw, x); /* qs[0] = lo 0 | hi 0 → x[0] = (0−8)·0.25 = −2, x[16] = −2; qs[1]: lo 1, hi 7 */
    CHECK(x[0] == -2.0f && x[16] == -2.0f && x[1] == -1.75f && x[17] == -0.25f, "q4_0 hand values");
    raw.len = 0;
    q41_row(1, 32, &raw, x); /* r=1: qs[0] lo 5, hi 11 → 5·0.125−1 = −0.375, 11·0.125−1 = 0.375 */
    CHECK(x[0] == -0.375f && x[16] == 0.375f, "q4_1 hand values");
    raw.len = 0;
    q8_row(0, 64, &raw, x); /* b0: d 0.5, qs[0] = −127 → −63.5; b1: d 0.25, qs[0] = 7−127 = −120 → −30 */
    CHECK(x[0] == -63.5f && x[32] == -30.0f && x[1] == (float)(5 - 127) * 0.5f, "q8_0 hand values");
    svs_buf_free(&raw);
    /* and the same bytes through the reader's dequantizer */
    svs_buf f = {0};
    hand_gguf(&f);
    gguf_file *g;
    svs_err err = {{0}};
    int rc = gguf_read_mem(f.data, f.len, &g, &err);
    CHECK(rc == 0, "hand gguf: %s", err.msg);
    if (!rc) {
        float *y;
        CHECK(gguf_tensor_to_f32(g, gguf_find_tensor(g, "q40"), &y, &err) == 0, "q40 dequant");
        CHECK(y[0] == -2.0f && y[16] == -2.0f && y[1] == -1.75f && y[17] == -0.25f && y[2] == -2.0f, "q4_0 bytes");
        free(y);
        CHECK(gguf_tensor_to_f32(g, gguf_find_tensor(g, "q41"), &y, &err) == 0, "q41 dequant");
        CHECK(y[0] == -0.375f && y[16] == 0.375f && y[1] == -1.0f, "q4_1 bytes");
        free(y);
        CHECK(gguf_tensor_to_f32(g, gguf_find_tensor(g, "q8"), &y, &err) == 0, "q8 dequant");
        CHECK(y[0] == -63.5f && y[1] == 63.5f && y[2] == 0.0f, "q8_0 bytes");
        free(y);
        gguf_close(g);
    }
    svs_buf_free(&f);
}

static void check_tiny(const char *arch, uint64_t align) {
    tiny t;
    tiny_build(&t, arch, align);
    gguf_file *g;
    svs_err err = {{0}};
    int rc = gguf_read_mem(t.file.data, t.file.len, &g, &err);
    CHECK(rc == 0, "%s tiny gguf (align %llu): %s", arch, (unsigned long long)align, err.msg);
    if (rc) { tiny_free(&t); return; }
    CHECK(g->alignment == align && g->data_start % align == 0, "alignment %llu", (unsigned long long)align);
    model_config c;
    rc = gguf_model_config(g, &c, &err);
    CHECK(rc == 0, "%s config: %s", arch, err.msg);
    CHECK(c.hidden_size == TH && c.num_attention_heads == TNH && c.num_key_value_heads == TKV && c.head_dim == THD &&
          c.intermediate_size == TF && c.num_hidden_layers == 1 && c.vocab_size == TV && c.tie_word_embeddings &&
          c.rms_norm_eps == 1e-5 && c.rope_theta == 100000.0 && c.max_position_embeddings == 128 &&
          c.bos_token_id == 1 && c.eos_token_ids[0] == 2 && c.qkv_bias == (strcmp(arch, "qwen2") == 0),
          "%s config values", arch);
    tensorset ts;
    tensorset_init(&ts);
    rc = gguf_to_tensorset(g, &c, &ts, &err);
    CHECK(rc == 0, "%s to tensorset: %s", arch, err.msg);
    CHECK(ts.n == t.want.n, "%s: %zu tensors, want %zu", arch, ts.n, t.want.n);
    for (size_t i = 0; i < t.want.n; i++) {
        const ts_tensor *got = tensorset_find(&ts, t.want.t[i].name);
        CHECK(same_tensor_bits(got, &t.want.t[i]), "%s: %s equals the hand-computed HF tensor", arch, t.want.t[i].name);
    }
    gguf_tokenizer tok;
    rc = gguf_tokenizer_get(g, &tok, &err);
    CHECK(rc == 0 && tok.n_tokens == TV && strcmp(tok.tokens[5], "t5") == 0 && tok.token_lens[10] == 3 &&
          tok.token_type && tok.token_type[0] == 3 && tok.token_type[9] == 1 && tok.n_merges == 2 &&
          strcmp(tok.merges[1], "t 2") == 0 && tok.bos_id == 1 && tok.eos_id == 2 && tok.pad_id == -1 &&
          tok.add_bos == 0 && tok.add_eos == -1 && strcmp(tok.model, "gpt2") == 0 && strcmp(tok.pre, "smollm") == 0 &&
          tok.chat_template && strstr(tok.chat_template, "messages"), "%s tokenizer metadata: %s", arch, err.msg);
    if (rc == 0) gguf_tokenizer_free(&tok);
    uint32_t u;
    int32_t i32;
    uint64_t u64;
    CHECK(gguf_get_u32(g, "llama.attention.head_count_kv", &u, &err) == (strcmp(arch, "llama") ? -1 : 0),
          "u64-typed key read as u32");
    CHECK(gguf_get_i32(g, "tokenizer.ggml.bos_token_id", &i32, &err) == 0 && i32 == 1, "u32 key read as i32");
    check_err(gguf_get_u64(g, "tokenizer.ggml.model", &u64, &err), &err, "tokenizer.ggml.model", "not an integer",
              "string as int");
    check_err(gguf_get_u64(g, "no.such.key", &u64, &err), &err, "no.such.key: missing", NULL, "missing key");
    tensorset_free(&ts);
    gguf_close(g);
    tiny_free(&t);
}

static void test_permutation(void) {
    enum { NH = 3, HD = 8, COLS = 5, ROWS = NH * HD };
    float hf[ROWS * COLS], gg[ROWS * COLS], back[ROWS * COLS];
    for (int i = 0; i < ROWS * COLS; i++) hf[i] = (float)i;
    gguf_permute_qk(gg, hf, NH, HD, COLS, 0);
    int ok = 1;
    for (int r = 0; r < ROWS; r++)
        ok &= memcmp(gg + gguf_row_of_hf(r, HD) * COLS, hf + r * COLS, sizeof(float) * COLS) == 0;
    CHECK(ok, "to-GGUF permutation matches the converter's reshape/swapaxes");
    /* HF[h·hd + j·hd/2 + i] = GGUF[h·hd + 2i + j]: e.g. h=1, j=1, i=2 → HF row 14 = GGUF row 13 */
    CHECK(memcmp(gg + 13 * COLS, hf + 14 * COLS, sizeof(float) * COLS) == 0, "hand row 14 -> 13");
    gguf_permute_qk(back, gg, NH, HD, COLS, 1);
    CHECK(memcmp(back, hf, sizeof hf) == 0, "permutation round trip");
}

/* ---- bad GGUFs ----------------------------------------------------------------------------------- */

static void gguf_bad_bytes(const void *p, size_t n, const char *n1, const char *n2, const char *what) {
    uint8_t *copy = malloc(n ? n : 1);
    memcpy(copy, p, n);
    gguf_file *g = NULL;
    svs_err err = {{0}};
    int rc = gguf_read_mem(copy, n, &g, &err);
    check_err(rc, &err, n1, n2, what);
    CHECK(g == NULL, "%s: no file on failure", what);
    if (!rc) gguf_close(g);
    free(copy);
}

/* A file from a writer with one extra raw kv (key, type, raw value bytes). */
static void gguf_bad_kv(const char *key, uint32_t type, const void *val, size_t vlen, const char *n1, const char *n2,
                        const char *what) {
    gw w = {.align = 32};
    gw_s(&w, "general.architecture", "llama");
    gw_key(&w, key, type);
    svs_buf_append(&w.kv, val, vlen, NULL);
    svs_buf f = {0};
    gw_finish(&w, &f);
    gguf_bad_bytes(f.data, f.len, n1, n2, what);
    svs_buf_free(&f);
    gw_free(&w);
}

static void gguf_bad_tensor(const char *name, uint32_t nd, const uint64_t *ne, uint32_t type, size_t nbytes,
                            const char *n1, const char *n2, const char *what) {
    gw w = {.align = 32};
    gw_u32(&w, "general.quantization_version", 2);
    uint8_t *d = calloc(nbytes ? nbytes : 1, 1);
    gw_tensor(&w, name, nd, ne, type, d, nbytes);
    svs_buf f = {0};
    gw_finish(&w, &f);
    gguf_bad_bytes(f.data, f.len, n1, n2, what);
    free(d);
    svs_buf_free(&f);
    gw_free(&w);
}

static void test_gguf_bad(void) {
    uint8_t b[8];
    svs_buf s = {0};
    /* header */
    uint8_t hdr[24] = {'G', 'G', 'U', 'F', 3, 0, 0, 0};
    {   /* a header with no tensors and no metadata is a valid file */
        gguf_file *g = NULL;
        svs_err err = {{0}};
        CHECK(gguf_read_mem(hdr, 24, &g, &err) == 0 && g && g->n_kv == 0, "empty GGUF opens: %s", err.msg);
        gguf_close(g);
    }
    uint8_t bad[24];
    memcpy(bad, hdr, 24);
    bad[0] = 'X';
    gguf_bad_bytes(bad, 24, "magic", NULL, "bad magic");
    memcpy(bad, hdr, 24);
    bad[4] = 2;
    gguf_bad_bytes(bad, 24, "version: 2 unsupported", NULL, "version 2");
    memcpy(bad, hdr, 24);
    bad[4] = 0, bad[7] = 3;
    gguf_bad_bytes(bad, 24, "big-endian", NULL, "big-endian");
    memcpy(bad, hdr, 24);
    memset(bad + 8, 0xFF, 8);
    gguf_bad_bytes(bad, 24, "tensor_count", NULL, "huge tensor count");
    memcpy(bad, hdr, 24);
    memset(bad + 16, 0xFF, 8);
    gguf_bad_bytes(bad, 24, "metadata_kv_count", NULL, "huge kv count");
    gguf_bad_bytes(hdr, 23, "truncated", NULL, "short header");

    /* metadata values */
    gguf_bad_kv("flag", GGUF_BOOL, "\x02", 1, "flag: bool value 2 is not 0 or 1", NULL, "bool 2");
    gguf_bad_kv("x", 13, "\0\0\0\0", 4, "x: unknown value type 13", NULL, "unknown value type");
    memset(b, 0xFF, 8);
    gguf_bad_kv("s", GGUF_STRING, b, 8, "s: string length", "exceeds the remaining", "huge string length");
    s.len = 0;
    put_u32(&s, GGUF_U32);
    put_u64(&s, 1ull << 60);
    gguf_bad_kv("arr", GGUF_ARRAY, s.data, s.len, "arr: array of 1152921504606846976 elements", NULL, "huge array");
    s.len = 0;
    put_u32(&s, GGUF_BOOL);
    put_u64(&s, 3);
    svs_buf_append(&s, "\x01\x00\x05", 3, NULL);
    gguf_bad_kv("bools", GGUF_ARRAY, s.data, s.len, "bools: bool value 5", NULL, "bool 5 in array");
    s.len = 0;
    put_u32(&s, 99);
    put_u64(&s, 1);
    gguf_bad_kv("arr2", GGUF_ARRAY, s.data, s.len, "arr2: unknown array element type 99", NULL, "bad element type");
    s.len = 0;
    for (int i = 0; i < 6; i++) { put_u32(&s, GGUF_ARRAY); put_u64(&s, 1); }
    put_u32(&s, GGUF_U8);
    put_u64(&s, 0);
    gguf_bad_kv("deep", GGUF_ARRAY, s.data, s.len, "deep: arrays nested deeper", NULL, "nesting depth");
    gguf_bad_kv("general.architecture", GGUF_STRING, "\x01\0\0\0\0\0\0\0x", 9, "general.architecture", "duplicate",
                "duplicate key");
    gguf_bad_kv("general.alignment", GGUF_U32, "\x07\0\0\0", 4, "general.alignment: 7", NULL, "alignment 7");
    gguf_bad_kv("general.alignment", GGUF_STRING, "\x01\0\0\0\0\0\0\0x", 9, "general.alignment", "not an integer",
                "alignment string");

    /* tensor infos */
    uint64_t ne2[2] = {32, 2}, ne5[5] = {1, 1, 1, 1, 1}, ne33[2] = {33, 1};
    gguf_bad_tensor("w", 5, ne5, GGML_F32, 4, "w: n_dims 5", NULL, "n_dims 5");
    gguf_bad_tensor("w", 0, ne5, GGML_F32, 4, "w: n_dims 0", NULL, "n_dims 0");
    gguf_bad_tensor("w", 2, ne33, GGML_Q4_0, 36, "w: ne[0] = 33", "Q4_0", "ne0 not a block multiple");
    gguf_bad_tensor("w", 2, ne2, 99, 64, "w: unsupported ggml type id 99", NULL, "unknown type id");
    char longname[80];
    memset(longname, 'a', 65);
    longname[65] = 0;
    gguf_bad_tensor(longname, 2, ne2, GGML_F32, 256, "string length 65 exceeds 64", NULL, "name too long");
    gguf_bad_tensor("w", 2, ne2, GGML_F32, 100, "w: data", "outside", "data past end");
    uint64_t nehuge[4] = {1ull << 40, 1ull << 40, 1ull << 40, 1};
    gguf_bad_tensor("w", 3, nehuge, GGML_F32, 4, "w:", "overflows", "size overflow");
    {   /* quantized without quantization_version */
        gw w = {.align = 32};
        uint8_t d[36] = {0};
        uint64_t ne[1] = {32};
        gw_tensor(&w, "q", 1, ne, GGML_Q4_0, d, 18);
        svs_buf f = {0};
        gw_finish(&w, &f);
        gguf_bad_bytes(f.data, f.len, "general.quantization_version: missing", "q", "no quantization_version");
        svs_buf_free(&f);
        gw_free(&w);
    }
    {   /* misaligned offset, overlap, duplicate names: patch the offsets of a two-tensor file */
        gw w = {.align = 32};
        uint8_t d[64] = {0};
        uint64_t ne[1] = {8};
        gw_tensor(&w, "a", 1, ne, GGML_F32, d, 32);
        gw_tensor(&w, "b", 1, ne, GGML_F32, d, 32);
        svs_buf f = {0};
        gw_finish(&w, &f);
        size_t off_b = 24 + w.kv.len + w.ti.len - 8; /* last u64 of the tensor infos */
        uint8_t *p = (uint8_t *)f.data;
        p[off_b] = 16;
        gguf_bad_bytes(f.data, f.len, "b: offset 16 is not a multiple of the alignment 32", NULL, "misaligned");
        p[off_b] = 0;
        gguf_bad_bytes(f.data, f.len, "overlaps", NULL, "overlap");
        p[off_b] = 32;
        p[24 + w.kv.len + 8] = 'b'; /* first tensor's name "a" → "b" */
        gguf_bad_bytes(f.data, f.len, "b: duplicate tensor", NULL, "duplicate tensor name");
        svs_buf_free(&f);
        gw_free(&w);
    }
    svs_buf_free(&s);
}

/* Errors at the model level: unsupported type, unknown tensor, config problems. */
static void test_gguf_model_errors(void) {
    tiny t;
    tiny_build(&t, "llama", 32);
    gguf_file *g;
    svs_err err = {{0}};
    CHECK(gguf_read_mem(t.file.data, t.file.len, &g, &err) == 0, "tiny");
    model_config c;
    CHECK(gguf_model_config(g, &c, &err) == 0, "tiny config");
    /* pretend attn_q is Q6_K (same number of bytes is not needed: the type check comes first) */
    gguf_tensor_info *q = (gguf_tensor_info *)gguf_find_tensor(g, "blk.0.attn_q.weight");
    uint32_t saved = q->type;
    q->type = GGML_Q6_K;
    tensorset ts;
    tensorset_init(&ts);
    check_err(gguf_to_tensorset(g, &c, &ts, &err), &err, "blk.0.attn_q.weight: unsupported ggml type Q6_K (14)",
              NULL, "Q6_K");
    CHECK(ts.n == 0, "nothing kept after failure");
    q->type = saved;
    /* config that contradicts the weights */
    model_config c2 = c;
    c2.intermediate_size = 128;
    check_err(gguf_to_tensorset(g, &c2, &ts, &err), &err, "model.layers.0.mlp.gate_proj.weight: shape [96, 64]",
              "config implies [128, 64]", "config contradicts weights");
    c2 = c;
    c2.num_key_value_heads = 2;
    check_err(gguf_to_tensorset(g, &c2, &ts, &err), &err, "blk.0.attn_k.weight", "cannot un-permute", "kv heads");
    /* unknown tensor name */
    char *nm = q->name;
    q->name = "blk.0.attn_qq.weight";
    check_err(gguf_to_tensorset(g, &c, &ts, &err), &err, "blk.0.attn_qq.weight: no Hugging Face name", NULL,
              "unknown tensor");
    q->name = nm;
    tensorset_free(&ts);
    gguf_close(g);
    tiny_free(&t);

    /* metadata problems */
    static const struct { const char *arch, *drop, *n1, *what; } cases[] = {
        {"gemma", NULL, "general.architecture: unsupported \"gemma\"", "unsupported arch"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gw w = {.align = 32};
        tiny_meta(&w, cases[i].arch);
        svs_buf f = {0};
        gw_finish(&w, &f);
        CHECK(gguf_read_mem(f.data, f.len, &g, &err) == 0, "open");
        check_err(gguf_model_config(g, &c, &err), &err, cases[i].n1, NULL, cases[i].what);
        gguf_close(g);
        svs_buf_free(&f);
        gw_free(&w);
    }
    {   /* missing required key, rope scaling, and a bos id out of range */
        gw w = {.align = 32};
        gw_s(&w, "general.architecture", "llama");
        gw_u32(&w, "llama.context_length", 8);
        svs_buf f = {0};
        gw_finish(&w, &f);
        CHECK(gguf_read_mem(f.data, f.len, &g, &err) == 0, "open");
        check_err(gguf_model_config(g, &c, &err), &err, "llama.embedding_length: missing", NULL, "missing key");
        gguf_close(g);
        svs_buf_free(&f);
        gw_free(&w);
        memset(&w, 0, sizeof w);
        w.align = 32;
        tiny_meta(&w, "llama");
        gw_s(&w, "llama.rope.scaling.type", "yarn");
        gw_finish(&w, &f);
        CHECK(gguf_read_mem(f.data, f.len, &g, &err) == 0, "open");
        check_err(gguf_model_config(g, &c, &err), &err, "llama.rope.scaling.type: unsupported \"yarn\"", NULL, "yarn");
        gguf_close(g);
        svs_buf_free(&f);
        gw_free(&w);
        memset(&w, 0, sizeof w);
        w.align = 32;
        gw_strs(&w, "tokenizer.ggml.tokens", (const char *[]){"a", "b"}, 2);
        gw_u32(&w, "tokenizer.ggml.eos_token_id", 5);
        gw_finish(&w, &f);
        CHECK(gguf_read_mem(f.data, f.len, &g, &err) == 0, "open");
        gguf_tokenizer tok;
        check_err(gguf_tokenizer_get(g, &tok, &err), &err, "tokenizer.ggml.eos_token_id: 5", NULL, "eos out of range");
        gguf_close(g);
        svs_buf_free(&f);
        gw_free(&w);
    }
}

static void test_gguf_truncations(void) {
    tiny t;
    tiny_build(&t, "qwen2", 32);
    int ok = 1;
    size_t step = 1;
    for (size_t cut = 0; cut < t.file.len; cut += step) {
        if (cut > 4096) step = 97; /* every byte through the metadata, then a stride through the data */
        uint8_t *copy = malloc(cut ? cut : 1);
        memcpy(copy, t.file.data, cut);
        gguf_file *g = NULL;
        svs_err err = {{0}};
        int rc = gguf_read_mem(copy, cut, &g, &err);
        if (rc == 0 || !err.msg[0] || g) { ok = 0; fprintf(stderr, "gguf cut at %zu accepted\n", cut); }
        if (rc == 0) gguf_close(g);
        free(copy);
    }
    CHECK(ok, "every truncation of a %zu-byte GGUF fails", t.file.len);
    tiny_free(&t);
}

/* ---- real SmolLM2 (optional) ---------------------------------------------------------------------- */

static void test_smollm2(void) {
    const char *p = getenv("SVS_SMOLLM2_GGUF");
    static char def[512];
    if (!p || !*p) {
        snprintf(def, sizeof def, "%s/.cache/svs/SmolLM2-135M-Instruct.Q4_1.gguf", getenv("HOME") ? getenv("HOME") : ".");
        p = def;
    }
    struct stat st;
    if (stat(p, &st) != 0) { test_skip("SmolLM2-135M-Instruct.Q4_1.gguf (set SVS_SMOLLM2_GGUF)"); return; }
    gguf_file *g;
    svs_err err = {{0}};
    int rc = gguf_open(p, &g, &err);
    CHECK(rc == 0, "open SmolLM2: %s", err.msg);
    if (rc) return;
    model_config c;
    rc = gguf_model_config(g, &c, &err);
    CHECK(rc == 0, "SmolLM2 config: %s", err.msg);
    CHECK(c.arch == MODEL_ARCH_LLAMA && c.num_hidden_layers == 30 && c.hidden_size == 576 &&
          c.intermediate_size == 1536 && c.num_attention_heads == 9 && c.num_key_value_heads == 3 &&
          c.head_dim == 64 && c.vocab_size == 49152 && c.tie_word_embeddings && c.rms_norm_eps == 1e-5 &&
          c.rope_theta == 100000.0, "SmolLM2 §11 facts");
    const gguf_tensor_info *e = gguf_find_tensor(g, "token_embd.weight");
    CHECK(e && e->type == GGML_Q8_0 && e->ne[0] == 576 && e->ne[1] == 49152, "token_embd is Q8_0 [576, 49152]");
    CHECK(!gguf_find_tensor(g, "output.weight"), "no output.weight (tied)");
    gguf_tokenizer tok;
    rc = gguf_tokenizer_get(g, &tok, &err);
    CHECK(rc == 0 && tok.n_tokens == 49152 && strcmp(tok.model, "gpt2") == 0 && strcmp(tok.pre, "smollm") == 0 &&
          tok.n_merges > 0 && tok.chat_template, "SmolLM2 tokenizer metadata: %s", err.msg);
    if (!rc) gguf_tokenizer_free(&tok);
    tensorset ts;
    tensorset_init(&ts);
    rc = gguf_to_tensorset(g, &c, &ts, &err);
    CHECK(rc == 0 && ts.n == 272, "SmolLM2 tensorset (%zu tensors): %s", ts.n, err.msg);
    const ts_tensor *q = tensorset_find(&ts, "model.layers.0.self_attn.q_proj.weight");
    CHECK(q && q->shape[0] == 576 && q->shape[1] == 576, "q_proj [576, 576]");
    const ts_tensor *k = tensorset_find(&ts, "model.layers.29.self_attn.k_proj.weight");
    CHECK(k && k->shape[0] == 192 && k->shape[1] == 576, "k_proj [192, 576]");
    tensorset_free(&ts);
    gguf_close(g);
}

/* ============================================================================================
 * --emit / --dump for tests/test_checkpoint_python.py */

static int emit(const char *dir) {
    tensorset ts;
    make_sample(&ts);
    svs_err err = {{0}};
    char path[1024];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    const char *meta[] = {"format", "pt"};
    int rc = safetensors_write(path, &ts, meta, 1, 0, &err);
    tensorset_free(&ts);
    const char *cfgs[] = {LLAMA31, QWEN25_05B, SMOLLM2};
    const char *names[] = {"config_llama31.json", "config_qwen25.json", "config_smollm2.json"};
    for (int i = 0; !rc && i < 3; i++) {
        model_config c;
        svs_buf b = {0};
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        rc = parse_cfg(cfgs[i], &c, &err) || model_config_to_json(&c, &b, &err) || write_bytes(path, b.data, b.len);
        svs_buf_free(&b);
    }
    /* GGUF seeds for the fuzzer */
    tiny t;
    tiny_build(&t, "llama", 32);
    snprintf(path, sizeof path, "%s/tiny_llama.gguf", dir);
    rc = rc || write_bytes(path, t.file.data, t.file.len);
    tiny_free(&t);
    svs_buf f = {0};
    hand_gguf(&f);
    snprintf(path, sizeof path, "%s/hand.gguf", dir);
    rc = rc || write_bytes(path, f.data, f.len);
    svs_buf_free(&f);
    if (rc) fprintf(stderr, "emit: %s\n", err.msg);
    return rc ? 1 : 0;
}

static int dump(const char *file) {
    tensorset ts;
    tensorset_init(&ts);
    svs_err err = {{0}};
    if (safetensors_read_file(file, &ts, &err)) {
        printf("ERROR %s\n", err.msg);
        return 1;
    }
    for (size_t i = 0; i < ts.n; i++) {
        printf("%s %d", ts.t[i].name, ts.t[i].ndim);
        for (int d = 0; d < ts.t[i].ndim; d++) printf(" %lld", (long long)ts.t[i].shape[d]);
        int64_t n = ts_numel(ts.t[i].ndim, ts.t[i].shape);
        printf(" :");
        for (int64_t j = 0; j < n; j++) printf(" %08x", f32_bits(ts.t[i].data[j]));
        printf("\n");
    }
    tensorset_free(&ts);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "--emit") == 0) return emit(argv[2]);
    if (argc == 3 && strcmp(argv[1], "--dump") == 0) return dump(argv[2]);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/svs_test_checkpoint_XXXXXX");
    if (!mkdtemp(tmpdir)) {
        fprintf(stderr, "mkdtemp failed\n");
        return 1;
    }
    test_half_conversions();
    test_st_roundtrip();
    test_st_dtypes();
    test_st_bad();
    test_st_truncations();
    test_st_sharded();
    test_config_good();
    test_config_bad();
    test_check_config();
    test_gguf_hand_values();
    test_permutation();
    check_tiny("llama", 32);
    check_tiny("llama", 64);
    check_tiny("qwen2", 32);
    test_gguf_bad();
    test_gguf_model_errors();
    test_gguf_truncations();
    test_smollm2();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    return test_summary();
}
