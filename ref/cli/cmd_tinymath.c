/* cmd_tinymath.c — `svs tinymath`: writes problems of the tiny-math world (ref/tinymath.h) as
 * JSONL on stdout: plain problems for RL / evaluation, SFT pairs (question + MP -> worked
 * solution) or synthesis pairs (solution -> FENCE_TEXT target; spec/svs-algorithm.md §9).
 * Output is a pure function of the options. data/tiny/README.md shows examples. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "../svs.h"
#include "../tinymath.h"
#include "cli.h"

static const char *HELP =
    "usage: svs tinymath --split train|rl|eval --count N --seed S [--difficulty D]\n"
    "                    [--families a,b,c] [--format problems|sft|synthesis|synthesis-sft]\n"
    "                    [--synthesis-prompt FILE]\n\n"
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
    "                     data/prompts/synthesis_default.txt); use the same file in svs rl --mode svs\n";

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

static void parse_args(int argc, char **argv, tm_opts *o) {
    memset(o, 0, sizeof *o);
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
