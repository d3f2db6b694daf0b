/* cmd_tinymath.c — `svs tinymath`: writes problems of the tiny-math world (ref/tinymath.h) as
 * JSONL on stdout: plain problems for RL / evaluation, SFT pairs (question + MP -> worked
 * solution) or synthesis pairs (solution -> FENCE_TEXT target; spec/svs-algorithm.md §9).
 * Output is a pure function of the options. data/tiny/README.md shows examples.
 *
 * `svs tinymath --audit-trace TRACE.jsonl` audits the synthesis of an SvS run instead: for each
 * synthesized problem of the trace (`svs rl --mode svs --trace`), does the tiny-math solver
 * (ref/tinymath_solve.h) recognize it, and does it have the answer of the original problem? */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "../svs.h"
#include "../tinymath.h"
#include "../tinymath_solve.h"
#include "../verify.h"
#include "cli.h"

static const char *HELP =
    "usage: svs tinymath --split train|rl|eval --count N --seed S [--difficulty D]\n"
    "                    [--families a,b,c] [--format problems|sft|synthesis|synthesis-sft]\n"
    "                    [--synthesis-prompt FILE]\n"
    "       svs tinymath --audit-trace TRACE.jsonl\n\n"
    "Generates the tiny-math world: small math problems with exact answers and worked solutions\n"
    "ending in \\boxed{ANSWER}, one JSON object per line on stdout (data/tiny/README.md).\n\n"
    "  --split NAME       train, rl or eval. A question belongs to one split only (by a hash of\n"
    "                     its text) and each split draws from its own stream seed\n"
    "  --count N          number of lines\n"
    "  --seed S           seed (>= 0); same options, same bytes\n"
    "  --difficulty D     1 (easiest) .. 4 (hardest), or 0 = mixed (default): number ranges and\n"
    "                     number of steps per family\n"
    "  --families LIST    comma list or \"all\" (default): arith, linear, fraction, remainder, gcd,\n"
    "                     lcm, percent, word, average, sequence\n"
    "  --format F         problems (default): {\"question\", \"answer\", \"family\", \"difficulty\",\n"
    "                       \"data_source\": \"tinymath\"}\n"
    "                     sft: {\"prompt\": question + math instruction, \"response\": solution}\n"
    "                     synthesis: {\"solution\", \"target\", \"answer\"}: target is a synthesis\n"
    "                       response holding a different problem with the same answer in a\n"
    "                       ```text block (spec/svs-algorithm.md §9)\n"
    "                     synthesis-sft: {\"prompt\": the synthesis template with {REPLACE} = the\n"
    "                       solution, \"response\": target}: SFT pairs that teach synthesis\n"
    "  --synthesis-prompt FILE  template for synthesis-sft (default\n"
    "                     data/prompts/synthesis_default.txt); use the same file in svs rl --mode svs\n\n"
    "  --audit-trace FILE reads the trace of svs rl --mode svs --trace FILE (one or many steps) and\n"
    "                     prints one JSON line per step, then {\"step\": \"all\", ...}, counting the\n"
    "                     synthesis samples, how many are \"valid\" (a problem was extracted),\n"
    "                     \"recognized\" (the tiny-math solver reads it as a problem of one of its\n"
    "                     templates) and \"same_answer\" (its solved answer is the ORIGINAL\n"
    "                     problem's answer, by the verifier), and the same three counts for the\n"
    "                     samples with synthesis_reward == 1 (\"reward1\", \"reward1_recognized\",\n"
    "                     \"reward1_same_answer\"). Takes no other option\n";

typedef enum { FMT_PROBLEMS, FMT_SFT, FMT_SYNTHESIS, FMT_SYNTHESIS_SFT } out_format;

typedef struct {
    int split, difficulty;
    long long count, seed;
    unsigned families;
    out_format format;
    const char *synthesis_prompt; /* template path for synthesis-sft */
} tm_opts;

static out_format parse_format(const char *s) {
    if (!strcmp(s, "problems")) return FMT_PROBLEMS;
    if (!strcmp(s, "sft")) return FMT_SFT;
    if (!strcmp(s, "synthesis")) return FMT_SYNTHESIS;
    if (!strcmp(s, "synthesis-sft")) return FMT_SYNTHESIS_SFT;
    cli_die("tinymath: --format must be problems, sft, synthesis or synthesis-sft, not \"%s\"", s);
}

static int audit_trace(const char *path);

static void parse_args(int argc, char **argv, tm_opts *o) {
    memset(o, 0, sizeof *o);
    if (argc == 3 && !strcmp(argv[1], "--audit-trace")) exit(audit_trace(argv[2]));
    o->split = -1, o->count = -1, o->seed = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            fputs(HELP, stdout);
            exit(0);
        } else if (!strcmp(a, "--split")) {
            const char *v = cli_value(argc, argv, &i);
            if ((o->split = tm_split_from_name(v)) < 0) cli_die("tinymath: --split must be train, rl or eval, not \"%s\"", v);
        } else if (!strcmp(a, "--count")) o->count = cli_int(a, cli_value(argc, argv, &i), 0, 100000000);
        else if (!strcmp(a, "--seed")) o->seed = cli_int(a, cli_value(argc, argv, &i), 0, LLONG_MAX);
        else if (!strcmp(a, "--difficulty")) o->difficulty = (int)cli_int(a, cli_value(argc, argv, &i), 0, TM_DIFFICULTY_MAX);
        else if (!strcmp(a, "--families")) {
            svs_err err = {{0}};
            if (tm_families_parse(cli_value(argc, argv, &i), &o->families, &err)) cli_die("tinymath: %s", err.msg);
        } else if (!strcmp(a, "--format")) o->format = parse_format(cli_value(argc, argv, &i));
        else if (!strcmp(a, "--synthesis-prompt")) o->synthesis_prompt = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--audit-trace")) cli_die("tinymath: --audit-trace FILE takes no other option (svs tinymath --help)");
        else cli_die("tinymath: unknown option \"%s\" (svs tinymath --help)", a);
    }
    if (o->split < 0 || o->count < 0 || o->seed < 0)
        cli_die("tinymath: --split, --count and --seed are required (svs tinymath --help)");
    if (o->synthesis_prompt && o->format != FMT_SYNTHESIS_SFT)
        cli_die("tinymath: --synthesis-prompt needs --format synthesis-sft");
    if (!o->synthesis_prompt) o->synthesis_prompt = "data/prompts/synthesis_default.txt";
}

static json_t *problem_json(const tm_problem *p) {
    return json_pack("{s:s, s:s, s:s, s:i, s:s}", "question", p->question, "answer", p->answer, "family",
                     tm_family_name(p->family), "difficulty", p->difficulty, "data_source", "tinymath");
}

static json_t *sft_json(const tm_problem *p) {
    char prompt[TM_QUESTION_MAX + sizeof TM_MATH_PROMPT];
    snprintf(prompt, sizeof prompt, "%s%s", p->question, TM_MATH_PROMPT);
    return json_pack("{s:s, s:s}", "prompt", prompt, "response", p->solution);
}

static json_t *synthesis_json(tm_gen *g, const tm_problem *p) {
    tm_problem d;
    char target[TM_TARGET_MAX];
    svs_err err = {{0}};
    if (tm_gen_synthesize(g, p, &d, target, sizeof target, &err)) cli_die_err(&err);
    return json_pack("{s:s, s:s, s:s}", "solution", p->solution, "target", target, "answer", p->answer);
}

/* The user message the SvS step builds for this seed (svs_synthesis_prompt, spec §2.3) and
 * the target response: exactly what `svs rl --mode svs` will show the model. */
static json_t *synthesis_sft_json(tm_gen *g, const tm_problem *p, const char *tpl, size_t tpl_len) {
    tm_problem d;
    char target[TM_TARGET_MAX];
    svs_err err = {{0}};
    svs_buf prompt = {0};
    if (tm_gen_synthesize(g, p, &d, target, sizeof target, &err) ||
        svs_synthesis_prompt(tpl, tpl_len, p->solution, strlen(p->solution), &prompt, &err))
        cli_die_err(&err);
    json_t *j = json_pack("{s:s%, s:s}", "prompt", prompt.data, prompt.len, "response", target);
    svs_buf_free(&prompt);
    return j;
}

int cmd_tinymath(int argc, char **argv) {
    tm_opts o;
    parse_args(argc, argv, &o);
    tm_gen g;
    svs_err err = {{0}};
    char *tpl = NULL;
    size_t tpl_len = 0;
    if (o.format == FMT_SYNTHESIS_SFT && svs_template_load(o.synthesis_prompt, &tpl, &tpl_len, &err))
        cli_die("tinymath: option --synthesis-prompt: %s", err.msg);
    if (tm_gen_init(&g, (tm_split)o.split, (uint64_t)o.seed, o.difficulty, o.families, &err)) cli_die_err(&err);
    for (long long i = 0; i < o.count; i++) {
        tm_problem p;
        if (tm_gen_next(&g, &p, &err)) cli_die_err(&err);
        json_t *j = o.format == FMT_PROBLEMS        ? problem_json(&p)
                    : o.format == FMT_SFT         ? sft_json(&p)
                    : o.format == FMT_SYNTHESIS   ? synthesis_json(&g, &p)
                                                  : synthesis_sft_json(&g, &p, tpl, tpl_len);
        if (!j) cli_die("tinymath: out of memory");
        cli_print_json(j);
        json_decref(j);
    }
    free(tpl);
    if (fflush(stdout)) cli_die("write error on stdout");
    return 0;
}

/* ------------------------------------------------------------------ --audit-trace */

/* The counts of the audit, for one step or for all. */
enum { N_SYNTH, N_VALID, N_RECOGNIZED, N_SAME, N_R1, N_R1_RECOGNIZED, N_R1_SAME, N_COUNTS };
static const char *const COUNT_NAMES[N_COUNTS] = {"synthesis", "valid", "recognized", "same_answer",
                                                 "reward1", "reward1_recognized", "reward1_same_answer"};

/* What the audit keeps of one step of the trace. */
typedef struct {
    long long step;
    long long n;            /* samples per problem: the number of rewards of the oqa lines */
    char **answers;         /* the gold answer of each problem index (NULL: no oqa line seen) */
    size_t n_answers;
    long long *kept_rows;   /* the oqa_row of each kept seed, in order */
    size_t n_kept;
    long counts[N_COUNTS];
} audit_step;

typedef struct {
    cli_jsonl r;
    audit_step *steps;
    size_t n_steps;
} audit;

static void *grow(void *p, size_t n, size_t size) {
    void *q = realloc(p, (n + 1) * size); /* one more element; traces are small, keep it simple */
    if (!q) cli_die("tinymath: out of memory");
    return q;
}

/* An integer field, or death naming the line. */
static long long audit_int(audit *a, json_t *o, const char *field) {
    json_t *v = json_object_get(o, field);
    if (!json_is_integer(v)) cli_die("%s:%ld: field \"%s\": expected an integer", a->r.path, a->r.lineno, field);
    return (long long)json_integer_value(v);
}

static int audit_bool(audit *a, json_t *o, const char *field) {
    json_t *v = json_object_get(o, field);
    if (!json_is_boolean(v)) cli_die("%s:%ld: field \"%s\": expected true or false", a->r.path, a->r.lineno, field);
    return json_is_true(v);
}

/* The record of a step, created at its first line. */
static audit_step *audit_find(audit *a, long long step) {
    for (size_t i = 0; i < a->n_steps; i++)
        if (a->steps[i].step == step) return &a->steps[i];
    a->steps = grow(a->steps, a->n_steps, sizeof *a->steps);
    audit_step *s = &a->steps[a->n_steps++];
    memset(s, 0, sizeof *s);
    s->step = step;
    return s;
}

/* oqa: remember the gold answer of the problem and the group size n. */
static void audit_oqa(audit *a, audit_step *s, json_t *o) {
    long long i = audit_int(a, o, "problem");
    const char *ans = cli_get_string(&a->r, o, "answer", NULL);
    json_t *rw = json_object_get(o, "rewards");
    if (!json_is_array(rw) || json_array_size(rw) == 0)
        cli_die("%s:%ld: field \"rewards\": expected a non-empty array", a->r.path, a->r.lineno);
    if (s->n && s->n != (long long)json_array_size(rw))
        cli_die("%s:%ld: %zu rewards, but the step's earlier oqa lines have %lld", a->r.path, a->r.lineno,
                json_array_size(rw), s->n);
    if (i < 0 || i > 10000000) cli_die("%s:%ld: field \"problem\": %lld out of range", a->r.path, a->r.lineno, i);
    s->n = (long long)json_array_size(rw);
    while (s->n_answers <= (size_t)i) {
        s->answers = grow(s->answers, s->n_answers, sizeof *s->answers);
        s->answers[s->n_answers++] = NULL;
    }
    free(s->answers[i]);
    if (!(s->answers[i] = strdup(ans))) cli_die("tinymath: out of memory");
}

/* seed: remember the OQA row of each kept seed, in order (synthesis lines name them by rank). */
static void audit_seed(audit *a, audit_step *s, json_t *o) {
    long long row = audit_int(a, o, "oqa_row");
    if (!audit_bool(a, o, "kept")) return;
    s->kept_rows = grow(s->kept_rows, s->n_kept, sizeof *s->kept_rows);
    s->kept_rows[s->n_kept++] = row;
}

/* The gold answer of the original problem of kept seed k. */
static const char *audit_gold(audit *a, audit_step *s, long long k) {
    if (k < 0 || (size_t)k >= s->n_kept)
        cli_die("%s:%ld: kept_seed %lld, but step %lld lists %zu kept seeds before this line", a->r.path, a->r.lineno, k,
                s->step, s->n_kept);
    long long row = s->kept_rows[k], i = s->n ? row / s->n : -1;
    if (row < 0 || i < 0 || (size_t)i >= s->n_answers || !s->answers[i])
        cli_die("%s:%ld: kept_seed %lld: oqa_row %lld has no oqa line (problem %lld) in step %lld", a->r.path,
                a->r.lineno, k, row, i, s->step);
    return s->answers[i];
}

/* synthesis: solve the extracted problem and compare with the original answer. */
static void audit_synthesis(audit *a, audit_step *s, json_t *o) {
    long long k = audit_int(a, o, "kept_seed");
    int valid = audit_bool(a, o, "valid");
    json_t *rw = json_object_get(o, "synthesis_reward");
    if (!json_is_number(rw))
        cli_die("%s:%ld: field \"synthesis_reward\": expected a number", a->r.path, a->r.lineno);
    int r1 = json_number_value(rw) == 1.0;
    const char *gold = audit_gold(a, s, k), *problem = valid ? cli_get_string(&a->r, o, "problem", NULL) : NULL;
    char solved[TM_ANSWER_MAX];
    int recognized = valid && tm_solve(problem, solved, sizeof solved, NULL) == 1;
    int same = recognized && verify_simple(gold, solved, 0) == 1;
    int add[N_COUNTS] = {1, valid, recognized, same, r1, r1 && recognized, r1 && same};
    for (int c = 0; c < N_COUNTS; c++) s->counts[c] += add[c];
}

static void audit_print(json_t *step, const long *counts) {
    json_t *j = json_object();
    if (!j || json_object_set_new(j, "step", step)) cli_die("tinymath: out of memory");
    for (int c = 0; c < N_COUNTS; c++) json_object_set_new(j, COUNT_NAMES[c], json_integer(counts[c]));
    cli_print_json(j);
    json_decref(j);
}

/* Reads the trace (lines grouped by "step", in order of first appearance), prints one line per
 * step and the totals. Dies (exit 2) with FILE:LINE on a malformed line. */
static int audit_trace(const char *path) {
    audit a = {.steps = NULL, .n_steps = 0};
    cli_jsonl_open(&a.r, path);
    json_t *o;
    while ((o = cli_jsonl_next(&a.r))) {
        audit_step *s = audit_find(&a, audit_int(&a, o, "step"));
        const char *stage = cli_get_string(&a.r, o, "stage", NULL);
        if (!strcmp(stage, "oqa")) audit_oqa(&a, s, o);
        else if (!strcmp(stage, "seed")) audit_seed(&a, s, o);
        else if (!strcmp(stage, "synthesis")) audit_synthesis(&a, s, o);
        /* batch, update and any other stage carry nothing the audit needs */
        json_decref(o);
    }
    if (a.r.lineno == 0) cli_die("%s: empty trace", a.r.path);
    cli_jsonl_close(&a.r);
    long all[N_COUNTS] = {0};
    for (size_t i = 0; i < a.n_steps; i++) {
        audit_step *s = &a.steps[i];
        audit_print(json_integer(s->step), s->counts);
        for (int c = 0; c < N_COUNTS; c++) all[c] += s->counts[c];
        for (size_t k = 0; k < s->n_answers; k++) free(s->answers[k]);
        free(s->answers);
        free(s->kept_rows);
    }
    audit_print(json_string("all"), all);
    free(a.steps);
    if (fflush(stdout)) cli_die("write error on stdout");
    return 0;
}
