/* cmd_report.c — `svs report`: turns the metrics of `svs rl` runs and the output of `svs eval`
 * into plots (SVG) and a summary table (Markdown): what `make demo` shows at the end. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "svg_plot.h"

static const char REPORT_HELP[] =
    "usage: svs report --out DIR [--run LABEL=METRICS.jsonl]... [--eval LABEL=EVAL.jsonl]...\n\n"
    "Plots and a summary of RL runs and evaluations:\n"
    "  DIR/entropy.svg    policy entropy per step of each --run: actor/entropy_oqa (SvS: the\n"
    "                     original-problem rows only) when present, else actor/entropy\n"
    "  DIR/accuracy.svg   training accuracy (acc: mean reward of the step's own problems) per step\n"
    "  DIR/passk.svg      pass@k against k (log2 axis) of each --eval (its \"all\" line)\n"
    "  DIR/summary.md     the tables, also printed on stdout\n\n"
    "  --run LABEL=FILE   OUT/metrics.jsonl of svs rl (skipped attempts are left out)\n"
    "  --eval LABEL=FILE  the JSONL that svs eval printed\n";

#define MAX_ITEMS 8
#define MAX_K 64

typedef struct {
    const char *label;
    double *step, *entropy, *entropy_all, *acc;
    size_t n;
    double seconds; /* sum of timing_s/step */
} run_curve;

typedef struct {
    const char *label;
    double k[MAX_K], v[MAX_K];
    int nk;
    long long problems, n;
} eval_curve;

static double num_field(json_t *o, const char *key) {
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* LABEL=PATH -> label (NUL-terminated in place) and path. */
static const char *split_label(char *arg, const char *opt) {
    char *eq = strchr(arg, '=');
    if (!eq || eq == arg || !eq[1]) cli_die("option %s: expected LABEL=FILE, got \"%s\"", opt, arg);
    *eq = 0;
    return eq + 1;
}

static void read_run(run_curve *r, const char *path) {
    cli_jsonl in;
    cli_jsonl_open(&in, path);
    size_t cap = 0;
    json_t *o;
    while ((o = cli_jsonl_next(&in))) {
        if (json_is_true(json_object_get(o, "skipped")) || num_field(o, "skipped") == 1) {
            json_decref(o);
            continue;
        }
        if (r->n == cap) {
            cap = cap ? 2 * cap : 64;
            r->step = realloc(r->step, cap * sizeof(double));
            r->entropy = realloc(r->entropy, cap * sizeof(double));
            r->acc = realloc(r->acc, cap * sizeof(double));
            r->entropy_all = realloc(r->entropy_all, cap * sizeof(double));
            if (!r->step || !r->entropy || !r->acc || !r->entropy_all) cli_die("report: out of memory");
        }
        double step = num_field(o, "step");
        if (!isfinite(step)) cli_die("%s:%ld: field \"step\": expected a number", path, in.lineno);
        r->step[r->n] = step;
        /* SvS: the OQA rows' entropy is the one comparable with an rlvr run's actor/entropy */
        double eo = num_field(o, "actor/entropy_oqa");
        r->entropy_all[r->n] = num_field(o, "actor/entropy");
        r->entropy[r->n] = json_object_get(o, "actor/entropy_oqa") ? eo : r->entropy_all[r->n];
        r->acc[r->n] = num_field(o, "acc");
        double t = num_field(o, "timing_s/step");
        if (isfinite(t)) r->seconds += t;
        r->n++;
        json_decref(o);
    }
    cli_jsonl_close(&in);
    if (!r->n) cli_die("%s: no metrics lines", path);
}

static void read_eval(eval_curve *e, const char *path) {
    cli_jsonl in;
    cli_jsonl_open(&in, path);
    json_t *o;
    int found = 0;
    while ((o = cli_jsonl_next(&in))) {
        json_t *src = json_object_get(o, "data_source");
        if (json_is_string(src) && !strcmp(json_string_value(src), "all")) {
            found = 1;
            e->problems = (long long)num_field(o, "problems");
            e->n = (long long)num_field(o, "n");
            e->nk = 0;
            for (long long k = 1; k <= 4096 && e->nk < MAX_K; k++) {
                char key[32];
                snprintf(key, sizeof key, "pass@%lld", k);
                double v = num_field(o, key);
                if (isfinite(v)) e->k[e->nk] = (double)k, e->v[e->nk++] = v;
            }
        }
        json_decref(o);
    }
    cli_jsonl_close(&in);
    if (!found || !e->nk) cli_die("%s: no line with \"data_source\": \"all\" and pass@k fields", path);
}

/* Mean of y over the first (from_end = 0) or last (from_end = 1) m finite points. */
static double mean_edge(const double *y, size_t n, size_t m, int from_end) {
    double s = 0;
    size_t c = 0;
    for (size_t i = 0; i < n && c < m; i++) {
        double v = y[from_end ? n - 1 - i : i];
        if (isfinite(v)) s += v, c++;
    }
    return c ? s / (double)c : NAN;
}

static void write_summary(FILE *f, const run_curve *runs, int nr, const eval_curve *evals, int ne) {
    if (nr) {
        fprintf(f, "| run | steps | entropy, first 3 steps | entropy, last 3 steps | entropy of all trained rows, "
                   "last 3 | train acc, first 3 | train acc, last 3 | wall s |\n|---|---|---|---|---|---|---|---|\n");
        for (int i = 0; i < nr; i++) {
            const run_curve *r = &runs[i];
            fprintf(f, "| %s | %zu | %.4f | %.4f | %.4f | %.3f | %.3f | %.1f |\n", r->label, r->n,
                    mean_edge(r->entropy, r->n, 3, 0), mean_edge(r->entropy, r->n, 3, 1),
                    mean_edge(r->entropy_all, r->n, 3, 1), mean_edge(r->acc, r->n, 3, 0),
                    mean_edge(r->acc, r->n, 3, 1), r->seconds);
        }
    }
    if (ne) {
        if (nr) fputc('\n', f);
        fprintf(f, "| model | problems × n |");
        for (int j = 0; j < evals[0].nk; j++) fprintf(f, " pass@%g |", evals[0].k[j]);
        fprintf(f, "\n|---|---|");
        for (int j = 0; j < evals[0].nk; j++) fprintf(f, "---|");
        fputc('\n', f);
        for (int i = 0; i < ne; i++) {
            fprintf(f, "| %s | %lld × %lld |", evals[i].label, evals[i].problems, evals[i].n);
            for (int j = 0; j < evals[0].nk; j++) {
                double v = NAN;
                for (int q = 0; q < evals[i].nk; q++)
                    if (evals[i].k[q] == evals[0].k[j]) v = evals[i].v[q];
                fprintf(f, " %.4f |", v);
            }
            fputc('\n', f);
        }
    }
}

static int color_of(const char *const *labels, int nl, const char *label) {
    for (int i = 0; i < nl; i++)
        if (!strcmp(labels[i], label)) return i;
    return 0;
}

static void plot(const char *dir, const char *name, svg_chart *c) {
    char path[4096];
    svs_err err = {{0}};
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (svg_write_chart(path, c, &err)) cli_die_err(&err);
}

int cmd_report(int argc, char **argv) {
    const char *out = NULL;
    run_curve runs[MAX_ITEMS];
    eval_curve evals[MAX_ITEMS];
    int nr = 0, ne = 0;
    memset(runs, 0, sizeof runs);
    memset(evals, 0, sizeof evals);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) { fputs(REPORT_HELP, stdout); return 0; }
        else if (!strcmp(a, "--out")) out = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--run") || !strcmp(a, "--eval")) {
            char *v = (char *)cli_value(argc, argv, &i);
            if ((a[2] == 'r' ? nr : ne) == MAX_ITEMS) cli_die("option %s: at most %d", a, MAX_ITEMS);
            const char *path = split_label(v, a);
            if (a[2] == 'r') runs[nr].label = v, read_run(&runs[nr++], path);
            else evals[ne].label = v, read_eval(&evals[ne++], path);
        } else cli_die("report: unknown option \"%s\" (svs report --help)", a);
    }
    if (!out || (!nr && !ne)) cli_die("report: --out and at least one --run or --eval are required (svs report --help)");
    if (mkdir(out, 0777) && access(out, W_OK)) cli_die("report: cannot create directory %s", out);
    /* colours by label, evaluations first (base, RLVR, SvS), so a run and its model match */
    const char *labels[2 * MAX_ITEMS];
    int nl = 0;
    for (int i = 0; i < ne + nr; i++) {
        const char *l = i < ne ? evals[i].label : runs[i - ne].label;
        int found = 0;
        for (int j = 0; j < nl; j++) found |= !strcmp(labels[j], l);
        if (!found) labels[nl++] = l;
    }
    svg_series s[MAX_ITEMS];
    if (nr) {
        for (int i = 0; i < nr; i++)
            s[i] = (svg_series){runs[i].label, runs[i].step, runs[i].entropy, runs[i].n, color_of(labels, nl, runs[i].label)};
        svg_chart c = {"Policy entropy on the original problems, per step", "step", "mean token entropy (nats)", 0, 0, 0, s, (size_t)nr};
        plot(out, "entropy.svg", &c);
        for (int i = 0; i < nr; i++) s[i].y = runs[i].acc;
        svg_chart a = {"Training accuracy per step (acc)", "step", "accuracy", 0, 0, 1, s, (size_t)nr};
        plot(out, "accuracy.svg", &a);
    }
    if (ne) {
        for (int i = 0; i < ne; i++)
            s[i] = (svg_series){evals[i].label, evals[i].k, evals[i].v, (size_t)evals[i].nk, color_of(labels, nl, evals[i].label)};
        svg_chart c = {"pass@k on held-out problems", "k", "pass@k", 1, 0, 1, s, (size_t)ne};
        plot(out, "passk.svg", &c);
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/summary.md", out);
    FILE *f = fopen(path, "w");
    if (!f) cli_die("report: cannot write %s", path);
    write_summary(f, runs, nr, evals, ne);
    if (fclose(f)) cli_die("report: write error on %s", path);
    write_summary(stdout, runs, nr, evals, ne);
    for (int i = 0; i < nr; i++) free(runs[i].step), free(runs[i].entropy), free(runs[i].entropy_all), free(runs[i].acc);
    return 0;
}
