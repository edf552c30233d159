/* The command line: verbs register themselves; shared option parsing,
 * progress rendering, warnings and error reporting. Only src/cli prints. */
#ifndef TS_CLI_H
#define TS_CLI_H

#include <stdint.h>

#include "trainset.h"

/* Options every verb accepts, and the context built from them. */
typedef struct {
    ts_ctx *ctx;
    const char *verb;
    int threads;       /* -j N (0 = all cores) */
    uint64_t seed;     /* --seed S */
    int json;          /* --json: machine-readable output on stdout */
    const char *format; /* --format NAME: input format */
    int quiet;         /* -q: no progress, no summary */
    int progress_tty;  /* stderr is a terminal */
} cli_env;

typedef int (*cli_verb_fn)(cli_env *env, int argc, char **argv);

typedef struct {
    const char *name;
    const char *summary; /* one line for `trainset --help` */
    const char *usage;   /* full --help text (options included) */
    cli_verb_fn run;
} cli_verb;

void cli_register(const cli_verb *verb);

/* Register a verb from its file: CLI_VERB(info, "summary", usage_text, fn). */
#define CLI_VERB(ident, summary_text, usage_text, fn)                                        \
    __attribute__((constructor)) static void cli_register_##ident(void) {                   \
        static const cli_verb v = {#ident, summary_text, usage_text, fn};                    \
        cli_register(&v);                                                                    \
    }

typedef enum { CLI_FLAG, CLI_STRING, CLI_INT, CLI_DOUBLE, CLI_U64 } cli_opt_kind;

/* One option of a verb: --name VALUE (or -s VALUE); `target` receives it:
 * int* for FLAG/INT, const char** for STRING, double*, uint64_t*. */
typedef struct {
    const char *name;
    char short_name;
    cli_opt_kind kind;
    void *target;
} cli_opt;

/* Parse argv[1..] against the verb's options (array ended by {0}) and the
 * common ones. Positional arguments are gathered into pos/npos (pointing
 * into argv). Returns 0, or an exit code (2 on misuse, 0 after --help,
 * with `*done` set) to return at once. */
int cli_parse(cli_env *env, const cli_verb *verb, const cli_opt *opts, int argc, char **argv,
              char ***pos, int *npos, int *done);

/* cli_parse for the running verb, with its early exits handled: returns
 * -1 when the verb goes on, otherwise the exit code it must return (after
 * --help or a usage error; *pos is then already freed). */
int cli_begin(cli_env *env, const cli_opt *opts, int argc, char **argv, char ***pos, int *npos);

/* Print "trainset VERB: error: <context message>" and return exit code 1. */
int cli_fail(cli_env *env, ts_status status);
/* Print a usage error and return 2. */
int cli_usage_error(cli_env *env, const char *fmt, ...) TS_PRINTF(2, 3);
/* The verb currently running (for cli_parse from verb functions). */
const cli_verb *cli_current_verb(void);

/* Read a dataset honouring --format and common options. */
ts_status cli_read_dataset(cli_env *env, const char *path, const ts_read_opts *opts, ts_dataset **out);
/* Refuse an output path that is one of the inputs. Returns 0 when safe. */
int cli_check_output(cli_env *env, const char *out, char **inputs, int ninputs);

/* One prediction file of `eval` on image labels (eval_cls.c): its path,
 * its name in plots and tables, its predictions. */
typedef struct {
    const char *path, *label;
    const ts_dataset *ds;
} cli_eval_series;
/* The classification report of `eval`: metrics of the first file, a
 * comparison table when there are several, one-vs-rest PR curves (CSV,
 * SVG) when asked; appends its JSON members to `json` when not NULL. */
int cli_eval_classification(cli_env *env, const ts_dataset *gt, const cli_eval_series *files, size_t nf, int top_k,
                            const char *csv, const char *plot, ts_buf *json);

/* Print a finished summary line in human mode (suppressed by -q). */
void cli_note(cli_env *env, const char *fmt, ...) TS_PRINTF(2, 3);

#endif
