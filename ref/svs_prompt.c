/* svs_prompt.c — the synthesis prompt and the prompt-length filters
 * (spec/svs-algorithm.md §2.3 steps 15–16, §2.4 "SPA prompt", §9).
 *
 * A synthesis template is a text file with the placeholder {REPLACE}; every occurrence is
 * replaced by the decoded seed solution (plain string replacement, no MP appended,
 * MasterVito/SvS@9fd8f35:verl/trainer/ppo/ray_trainer.py:1392). The result is one user message;
 * rendering chat(·) and counting its tokens is the caller's job, reached through an
 * svs_ntok_fn callback, so the filters "VPS-len" (ntok(chat(P)) <= LP, ray_trainer.py:1393-1398)
 * and the SPA length check (ntok(chat(q + MP)) <= LP, ray_trainer.py:1457-1460) need no
 * tokenizer here. Identical in both modes; only the template file differs (§9). */
#include "svs.h"

#include <stdlib.h>
#include <string.h>

#define SVS_TEMPLATE_MAX_BYTES ((size_t)1 << 20)

static const char *find(const char *h, size_t hn, const char *needle, size_t nn) {
    if (nn == 0 || hn < nn) return NULL;
    for (size_t i = 0; i + nn <= hn; i++)
        if (h[i] == needle[0] && memcmp(h + i, needle, nn) == 0) return h + i;
    return NULL;
}

int svs_template_check(const char *text, size_t len, const char *name, svs_err *err) {
    size_t bad = 0;
    if (!svs_utf8_valid(text, len, &bad))
        return svs_errf(err, "%s: synthesis template is not valid UTF-8 (byte %zu)", name, bad);
    if (!find(text, len, SVS_PLACEHOLDER, strlen(SVS_PLACEHOLDER)))
        return svs_errf(err, "%s: synthesis template has no %s placeholder", name, SVS_PLACEHOLDER);
    return 0;
}

int svs_template_load(const char *path, char **text, size_t *len, svs_err *err) {
    size_t n = 0;
    char *t = svs_read_file(path, SVS_TEMPLATE_MAX_BYTES, &n, err);
    *text = NULL;
    if (!t) return -1;
    if (svs_template_check(t, n, path, err) < 0) {
        free(t);
        return -1;
    }
    *text = t;
    if (len) *len = n;
    return 0;
}

int svs_synthesis_prompt(const char *tpl, size_t tpl_len, const char *seed, size_t seed_len, svs_buf *out,
                         svs_err *err) {
    const size_t pn = strlen(SVS_PLACEHOLDER);
    size_t pos = 0;
    for (;;) {
        const char *hit = find(tpl + pos, tpl_len - pos, SVS_PLACEHOLDER, pn);
        size_t upto = hit ? (size_t)(hit - tpl) : tpl_len;
        if (svs_buf_append(out, tpl + pos, upto - pos, err) < 0) return -1;
        if (!hit) return 0;
        if (svs_buf_append(out, seed, seed_len, err) < 0) return -1;
        pos = upto + pn; /* Python str.replace: non-overlapping, left to right */
    }
}

int svs_spa_prompt(const char *q, size_t q_len, svs_buf *out, svs_err *err) {
    if (svs_buf_append(out, q, q_len, err) < 0) return -1;
    return svs_buf_puts(out, SVS_MATH_PROMPT, err);
}

int svs_prompt_fits(const svs_config *cfg, svs_ntok_fn ntok, void *ctx, const char *user, size_t len, int *fits,
                    size_t *ntok_out, svs_err *err) {
    size_t count = 0;
    *fits = 0;
    if (!ntok) return svs_errf(err, "svs: no token-count callback given");
    if (ntok(ctx, user, len, &count, err) < 0) return svs_err_prefix(err, "svs: counting prompt tokens");
    if (ntok_out) *ntok_out = count;
    *fits = count <= cfg->max_prompt_len; /* inclusive: ray_trainer.py:1393-1398, 1457-1460 */
    return 0;
}
