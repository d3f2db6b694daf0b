/* svs_metrics.c — the named metrics of one SvS step (spec/svs-algorithm.md §2.11), computed
 * from the step record and the assembled batch, as a name→value list the loop logs as JSON.
 *
 * Names are the official ones (MasterVito/SvS@9fd8f35:verl/trainer/ppo/ray_trainer.py:1353-1584).
 * Percentages are 100·x/y rounded like Python's round(·, 2); means are not rounded. A ratio is
 * listed only when its stage was reached (its denominator is non-zero; the official code never
 * divides by zero because the early exits come first); the four Num-* counts are always listed
 * (all 0 on a skipped faithful step). Num-VPS counts VPS rows after r2q subsampling; Num-Total is
 * taken before the world-size truncation (ray_trainer.py:1580-1584). Percentages are computed
 * as 100.0 * x / y in double; the official operand order is not recorded in the spec, which
 * could matter only for a value within one ulp of a rounding tie. The model-side metrics of
 * §2.11 (actor/entropy, actor/pg_*, actor/grad_norm) belong to the loop. */
#include "svs.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Python round(x, 2): the decimal string of the exact binary value rounded to 2 places (glibc
 * printf rounds exactly, ties to even, as CPython's dtoa does), read back. */
double svs_round2(double x) {
    char s[64];
    if (!isfinite(x)) return x;
    snprintf(s, sizeof s, "%.2f", x);
    return strtod(s, NULL);
}

static void put(svs_metrics *m, const char *name, double value) {
    if (m->n < SVS_METRICS_MAX) {
        m->items[m->n].name = name;
        m->items[m->n].value = value;
        m->n++;
    }
}

static double pct(size_t x, size_t y) {
    return svs_round2(100.0 * (double)x / (double)y);
}

static double mean(const float *v, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)v[i];
    return s / (double)n;
}

static void put_oqa(svs_metrics *m, const svs_step_in *in, const svs_selection *sel, size_t rows) {
    if (rows == 0) return;
    put(m, "critic/OQA-reward", mean(in->oqa_reward, rows));          /* ray_trainer.py:1353 */
    put(m, "SvS-Valid-Ratio/OQA-input", pct(sel->n_seeds, rows));     /* ray_trainer.py:1385 */
    put(m, "SvS-Valid-Ratio/OQA-RL", pct(sel->n_oqa_rows, rows));     /* ray_trainer.py:1386 */
}

static void put_synthesis(const svs_config *cfg, svs_metrics *m, const svs_step_in *in, const svs_batch *b) {
    if (b->n_seeds) put(m, "SvS-Valid-Ratio/VPS-len", pct(in->n_kept, b->n_seeds));     /* :1398 */
    if (!b->n_vps_all) return;
    put(m, "SvS-Valid-Ratio/extract-VPS", pct(b->n_valid, b->n_vps_all));                /* :1463 */
    if (cfg->faithful && !b->n_valid) return; /* faithful: early exit 2 came first (:1464-1466) */
    put(m, "critic/VPS-reward", mean(b->vps_reward, b->n_vps_all));                     /* :1551 */
    if (b->n_spa_all) put(m, "critic/SPA-reward", mean(in->spa_reward, b->n_spa_all));  /* :1552 */
    put(m, "SvS-Valid-Ratio/VPS-RL", pct(b->n_vps_kept, b->n_vps_all));                 /* :1559 */
    if (b->n_spa_all) put(m, "SvS-Valid-Ratio/SPA-RL", pct(b->n_spa_kept, b->n_spa_all)); /* :1568 */
}

int svs_step_metrics(const svs_config *cfg, const svs_step_in *in, const svs_batch *b, svs_metrics *out,
                     svs_err *err) {
    svs_selection sel;
    memset(out, 0, sizeof *out);
    if (svs_select(cfg, in->n_problems, in->oqa_reward, &sel, err) < 0) return -1;
    put_oqa(out, in, &sel, in->n_problems * (size_t)cfg->n);
    put_synthesis(cfg, out, in, b);
    put(out, "SvS-Valid-Ratio/Num-OQA", (double)b->n_oqa);     /* ray_trainer.py:1580-1584 */
    put(out, "SvS-Valid-Ratio/Num-VPS", (double)b->n_vps);
    put(out, "SvS-Valid-Ratio/Num-SPA", (double)b->n_spa);
    put(out, "SvS-Valid-Ratio/Num-Total", (double)b->n_total);
    svs_selection_free(&sel);
    return 0;
}

int svs_metrics_get(const svs_metrics *m, const char *name, double *value) {
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->items[i].name, name) == 0) {
            if (value) *value = m->items[i].value;
            return 1;
        }
    return 0;
}

/* Integral values without a fraction; others in the shortest %g form that reads back to the
 * same double (like Python's repr). A non-integral value never takes an exponent form that
 * drops digits, since that form prints an integer. */
static void fmt_double(double v, char *s, size_t cap) {
    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(s, cap, "%.0f", v);
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(s, cap, "%.*g", prec, v);
        if (strtod(s, NULL) == v) return;
    }
}

int svs_metrics_json(const svs_metrics *m, svs_buf *out, svs_err *err) {
    char num[40];
    if (svs_buf_putc(out, '{', err) < 0) return -1;
    for (size_t i = 0; i < m->n; i++) {
        if (!isfinite(m->items[i].value)) snprintf(num, sizeof num, "null");
        else fmt_double(m->items[i].value, num, sizeof num);
        if (svs_buf_printf(out, err, "%s\"%s\": %s", i ? ", " : "", m->items[i].name, num) < 0) return -1;
    }
    return svs_buf_putc(out, '}', err);
}
