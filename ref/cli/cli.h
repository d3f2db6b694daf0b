/* cli.h — shared helpers of the `svs` command line: fatal errors with exit status 2, option
 * parsing helpers, and a JSONL reader that names the line and field at fault.
 *
 * Contract (DESIGN.md "Command line"): JSONL in, JSONL out, one output line per input line, in
 * order; bad input prints `svs: error: <what, where>` on stderr and exits 2. */
#ifndef SVS_CLI_H
#define SVS_CLI_H

#include <jansson.h>
#include <stdio.h>

#include "../common.h"

/* Prints `svs: error: <message>` to stderr and exits 2. */
void cli_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* Same, with the message of a library error. */
void cli_die_err(const svs_err *err) __attribute__((noreturn));

/* True when argv[i] is "--help" or "-h". */
int cli_is_help(const char *arg);
/* Returns the value following option argv[*i] (advancing *i) or dies naming the option. */
const char *cli_value(int argc, char **argv, int *i);
/* Parses an integer / double option value or dies naming the option. */
long long cli_int(const char *opt, const char *value, long long min, long long max);
double cli_double(const char *opt, const char *value);

/* JSONL reader: one JSON object per line; blank lines are errors (they would break the
 * one-output-per-input contract). */
typedef struct cli_jsonl {
    FILE *f;
    const char *path;
    int close_f;
    long lineno;
    char *line;
    size_t cap;
} cli_jsonl;

void cli_jsonl_open(cli_jsonl *r, const char *path);   /* "-" = stdin; dies on failure */
/* Returns the next object (caller json_decref's it) or NULL at end of input; dies on a
 * malformed line with "FILE:LINE: ...". */
json_t *cli_jsonl_next(cli_jsonl *r);
void cli_jsonl_close(cli_jsonl *r);

/* Field getters that die with `FILE:LINE: field "name": ...`. */
const char *cli_get_string(cli_jsonl *r, json_t *obj, const char *field, size_t *len);
/* Optional string: NULL when absent. */
const char *cli_opt_string(cli_jsonl *r, json_t *obj, const char *field, size_t *len);

/* Writes one compact JSON object + '\n' to stdout (dies on write errors). */
void cli_print_json(json_t *obj);

/* Subcommands: each returns the process exit status. */
int cmd_verify(int argc, char **argv);
int cmd_passk(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_encode(int argc, char **argv);
int cmd_decode(int argc, char **argv);
int cmd_bpe_train(int argc, char **argv);
int cmd_tinymath(int argc, char **argv);
int cmd_score(int argc, char **argv);
int cmd_generate(int argc, char **argv);
int cmd_grpo(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_rl(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_report(int argc, char **argv);

#endif
