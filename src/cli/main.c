/* `trainset VERB ...`: dispatch to the registered verbs, and the options,
 * progress bar and messages they share. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define MAX_VERBS 64

static const cli_verb *verbs[MAX_VERBS];
static int verb_count;
static const cli_verb *current;

void cli_register(const cli_verb *verb) {
    if (verb_count < MAX_VERBS) verbs[verb_count++] = verb;
}

const cli_verb *cli_current_verb(void) { return current; }

static int by_name(const void *a, const void *b) {
    return strcmp((*(const cli_verb *const *)a)->name, (*(const cli_verb *const *)b)->name);
}

static void print_main_help(FILE *out) {
    fprintf(out,
            "trainset %s: assemble, audit, fix and feed training datasets for machine vision\n\n"
            "usage: trainset VERB [options] ...   (trainset VERB --help for each)\n\nverbs:\n",
            TS_VERSION_STRING);
    for (int i = 0; i < verb_count; i++) fprintf(out, "  %-10s %s\n", verbs[i]->name, verbs[i]->summary);
    fprintf(out,
            "\ncommon options: -j N (threads, default all cores), --seed S, --json, --format NAME,\n"
            "  --lenient (skip bad records with warnings), --allow-outside-root, --max-pixels N, -q\n");
}

/* ---- messages ------------------------------------------------------------ */

typedef struct {
    cli_env *env;
    uint64_t shown;
} warn_state;

static warn_state warnings;

static void print_warning(void *user, const char *message) {
    warn_state *w = user;
    if (w->env->quiet) return;
    if (w->shown < 20) fprintf(stderr, "trainset %s: warning: %s\n", w->env->verb, message);
    else if (w->shown == 20) fprintf(stderr, "trainset %s: warning: (further warnings counted, not shown)\n", w->env->verb);
    w->shown++;
}

typedef struct {
    cli_env *env;
    const char *stage;
    double started, last;
    int drawn;
} progress_state;

static progress_state progress;

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* A bar on a terminal, redrawn at most 10 times a second once the work has
 * taken a second; plain lines (start and end of each stage) otherwise. */
static int render_progress(void *user, const char *stage, uint64_t done, uint64_t total) {
    progress_state *p = user;
    double t = now_seconds();
    if (!p->stage || strcmp(p->stage, stage) != 0) {
        if (p->drawn) fputc('\n', stderr);
        p->stage = stage;
        p->started = t;
        p->last = 0;
        p->drawn = 0;
    }
    if (p->env->quiet) return 0;
    int finished = total && done >= total;
    if (!p->env->progress_tty) {
        if (finished && t - p->started >= 1.0)
            fprintf(stderr, "trainset %s: %s: %llu done in %.1f s\n", p->env->verb, stage,
                    (unsigned long long)done, t - p->started);
        return 0;
    }
    if (t - p->started < 1.0 || (!finished && t - p->last < 0.1)) return 0;
    p->last = t;
    if (total) {
        int width = 30, fill = (int)((double)done / (double)total * width);
        if (fill > width) fill = width;
        fprintf(stderr, "\r%-16.16s [%.*s%*s] %5.1f%% %6.1fs", stage, fill, "==============================",
                width - fill, "", 100.0 * (double)done / (double)total, t - p->started);
    } else {
        fprintf(stderr, "\r%-16.16s %llu  %6.1fs", stage, (unsigned long long)done, t - p->started);
    }
    p->drawn = 1;
    if (finished) {
        fputc('\n', stderr);
        p->drawn = 0;
    }
    return 0;
}

int cli_fail(cli_env *env, ts_status status) {
    if (progress.drawn) fputc('\n', stderr), progress.drawn = 0;
    const char *msg = ts_ctx_error(env->ctx);
    fprintf(stderr, "trainset %s: error: %s\n", env->verb, *msg ? msg : ts_status_name(status));
    return 1;
}

int cli_usage_error(cli_env *env, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "trainset %s: ", env->verb);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(see trainset %s --help)\n", env->verb);
    return 2;
}

void cli_note(cli_env *env, const char *fmt, ...) {
    if (env->quiet) return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(env->json ? stderr : stdout, fmt, ap);
    va_end(ap);
}

/* ---- option parsing -------------------------------------------------------- */

static int parse_number(cli_env *env, const char *name, const char *text, cli_opt_kind kind, void *target) {
    char *end;
    errno = 0;
    if (kind == CLI_DOUBLE) {
        double v = strtod(text, &end);
        if (*end || end == text || errno) return cli_usage_error(env, "--%s: expected a number, got \"%s\"", name, text);
        *(double *)target = v;
    } else if (kind == CLI_INT) {
        long v = strtol(text, &end, 10);
        if (*end || end == text || errno || v < -2147483647L || v > 2147483647L)
            return cli_usage_error(env, "--%s: expected an integer, got \"%s\"", name, text);
        *(int *)target = (int)v;
    } else {
        if (text[0] == '-') return cli_usage_error(env, "--%s: expected a non-negative integer, got \"%s\"", name, text);
        unsigned long long v = strtoull(text, &end, 10);
        if (*end || end == text || errno) return cli_usage_error(env, "--%s: expected an integer, got \"%s\"", name, text);
        *(uint64_t *)target = (uint64_t)v;
    }
    return 0;
}

static int apply_opt(cli_env *env, const cli_opt *o, const char *value) {
    switch (o->kind) {
    case CLI_FLAG: *(int *)o->target = 1; return 0;
    case CLI_STRING: *(const char **)o->target = value; return 0;
    default: return parse_number(env, o->name, value, o->kind, o->target);
    }
}

int cli_parse(cli_env *env, const cli_verb *verb, const cli_opt *opts, int argc, char **argv, char ***pos,
              int *npos, int *done) {
    static int lenient, allow_outside, help;
    static uint64_t max_pixels;
    const cli_opt common[] = {
        {"threads", 'j', CLI_INT, &env->threads}, {"seed", 0, CLI_U64, &env->seed},
        {"json", 0, CLI_FLAG, &env->json},        {"format", 0, CLI_STRING, &env->format},
        {"quiet", 'q', CLI_FLAG, &env->quiet},    {"lenient", 0, CLI_FLAG, &lenient},
        {"allow-outside-root", 0, CLI_FLAG, &allow_outside},
        {"max-pixels", 0, CLI_U64, &max_pixels},  {"help", 'h', CLI_FLAG, &help},
        {NULL, 0, 0, NULL}};
    *done = 0;
    *npos = 0;
    *pos = calloc((size_t)argc + 1, sizeof **pos);
    if (!*pos) return cli_usage_error(env, "out of memory");
    int only_positional = 0;
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        if (only_positional || a[0] != '-' || a[1] == 0) {
            (*pos)[(*npos)++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_positional = 1;
            continue;
        }
        const char *name = a[1] == '-' ? a + 2 : NULL;
        char shortc = a[1] == '-' ? 0 : a[1];
        const char *inline_value = NULL;
        char namebuf[64];
        if (name) {
            const char *eq = strchr(name, '=');
            if (eq && (size_t)(eq - name) < sizeof namebuf) {
                memcpy(namebuf, name, (size_t)(eq - name));
                namebuf[eq - name] = 0;
                name = namebuf;
                inline_value = eq + 1;
            }
        } else if (a[2]) {
            inline_value = a + 2; /* -j4 */
        }
        const cli_opt *found = NULL;
        for (int pass = 0; pass < 2 && !found; pass++) {
            const cli_opt *list = pass == 0 ? opts : common;
            for (const cli_opt *o = list; o && o->name; o++) {
                if ((name && strcmp(o->name, name) == 0) || (!name && shortc && o->short_name == shortc)) {
                    found = o;
                    break;
                }
            }
        }
        if (!found) return cli_usage_error(env, "unknown option %s", a);
        const char *value = NULL;
        if (found->kind != CLI_FLAG) {
            if (inline_value) value = inline_value;
            else if (i + 1 < argc) value = argv[++i];
            else return cli_usage_error(env, "option %s needs a value", a);
        }
        int rc = apply_opt(env, found, value);
        if (rc) return rc;
    }
    if (help) {
        printf("%s", verb->usage);
        *done = 1;
        return 0;
    }
    ts_ctx_set_lenient(env->ctx, lenient);
    ts_ctx_set_allow_outside_root(env->ctx, allow_outside);
    ts_ctx_set_threads(env->ctx, env->threads);
    if (max_pixels) {
        ts_limits lim = ts_ctx_limits(env->ctx);
        lim.max_pixels = max_pixels;
        ts_ctx_set_limits(env->ctx, &lim);
    }
    return 0;
}

int cli_begin(cli_env *env, const cli_opt *opts, int argc, char **argv, char ***pos, int *npos) {
    int done;
    int rc = cli_parse(env, current, opts, argc, argv, pos, npos, &done);
    if (!rc && !done) return -1;
    free(*pos);
    *pos = NULL;
    return rc;
}

ts_status cli_read_dataset(cli_env *env, const char *path, const ts_read_opts *opts, ts_dataset **out) {
    return ts_dataset_read(env->ctx, path, env->format, opts, out);
}

int cli_check_output(cli_env *env, const char *out, char **inputs, int ninputs) {
    for (int i = 0; i < ninputs; i++) {
        if (strcmp(out, inputs[i]) == 0 || ts_path_same_file(out, inputs[i])) {
            fprintf(stderr, "trainset %s: error: output %s is an input; choose another output path\n", env->verb, out);
            return 1;
        }
    }
    return 0;
}

int main(int argc, char **argv) {
    qsort(verbs, (size_t)verb_count, sizeof verbs[0], by_name);
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        print_main_help(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("trainset %s\n", TS_VERSION_STRING);
        return 0;
    }
    for (int i = 0; i < verb_count; i++) {
        if (strcmp(verbs[i]->name, argv[1]) != 0) continue;
        cli_env env = {0};
        env.verb = verbs[i]->name;
        env.progress_tty = isatty(2);
        if (ts_ctx_create(&env.ctx) != TS_OK) {
            fprintf(stderr, "trainset: out of memory\n");
            return 1;
        }
        warnings.env = &env;
        progress.env = &env;
        ts_ctx_set_warning_fn(env.ctx, print_warning, &warnings);
        ts_ctx_set_progress_fn(env.ctx, render_progress, &progress);
        current = verbs[i];
        int rc = verbs[i]->run(&env, argc - 1, argv + 1);
        if (progress.drawn) fputc('\n', stderr);
        if (warnings.shown > 20 && !env.quiet)
            fprintf(stderr, "trainset %s: %llu warnings in all\n", env.verb, (unsigned long long)warnings.shown);
        ts_ctx_destroy(env.ctx);
        return rc;
    }
    fprintf(stderr, "trainset: unknown verb \"%s\"\n\n", argv[1]);
    print_main_help(stderr);
    return 2;
}
