/* `trainset merge A B ... -o OUT [--labelmap FILE]`: several datasets into
 * one, with a table of which classes came from which input. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "trainset/ops.h"

static const char usage[] =
    "usage: trainset merge A B ... -o OUT [--labelmap FILE] [--to FORMAT] [--no-images] [--json]\n\n"
    "Merges datasets (any supported formats) into OUT, written in --to FORMAT\n"
    "(default coco; a directory OUT also gets the image files unless --no-images).\n"
    "Classes are matched by name. A label map renames classes before matching, so\n"
    "several names can merge into one; one entry per line, '#' comments:\n"
    "    tuk-tuk -> motorcycle\n"
    "    \"traffic light\" -> signal\n"
    "(also `source,target` lines, or a JSON object {\"tuk-tuk\": \"motorcycle\"}).\n"
    "Nothing is dropped: every image and annotation is kept; an input whose ids\n"
    "collide with earlier ones has its ids shifted; each image records its input\n"
    "as `source`. Conflicts (a class with different supercategories or parents,\n"
    "names differing only in case, shared image paths, unused map entries) are\n"
    "reported. The table shows per class the annotations from each input and,\n"
    "in parentheses, the input's class names that were renamed into it.\n";

static void print_json(const ts_merge_report *rep, const ts_dataset *out, const char *path, char **inputs) {
    ts_buf b = {0};
    ts_buf_puts(&b, "{\"output\":");
    ts_buf_put_json_string(&b, path);
    ts_buf_printf(&b, ",\"images\":%zu,\"categories\":%zu,\"annotations\":%zu,\"inputs\":[",
                  ts_dataset_image_count(out), ts_dataset_category_count(out), ts_dataset_annotation_count(out));
    for (size_t i = 0; i < ts_merge_report_inputs(rep); i++) {
        uint64_t imgs, anns;
        int64_t is, as;
        ts_merge_report_input(rep, i, &imgs, &anns, &is, &as);
        ts_buf_puts(&b, i ? ",{\"path\":" : "{\"path\":");
        ts_buf_put_json_string(&b, inputs[i]);
        ts_buf_printf(&b, ",\"images\":%llu,\"annotations\":%llu,\"image_id_shift\":%lld,\"annotation_id_shift\":%lld}",
                      (unsigned long long)imgs, (unsigned long long)anns, (long long)is, (long long)as);
    }
    ts_buf_puts(&b, "],\"classes\":[");
    for (size_t r = 0; r < ts_merge_report_rows(rep); r++) {
        int64_t id;
        const char *name, *src;
        ts_merge_report_row(rep, r, &id, &name);
        ts_buf_printf(&b, "%s{\"id\":%lld,\"name\":", r ? "," : "", (long long)id);
        ts_buf_put_json_string(&b, name);
        ts_buf_puts(&b, ",\"annotations\":[");
        for (size_t i = 0; i < ts_merge_report_inputs(rep); i++)
            ts_buf_printf(&b, "%s%llu", i ? "," : "", (unsigned long long)ts_merge_report_cell(rep, r, i, &src));
        ts_buf_puts(&b, "],\"sources\":[");
        for (size_t i = 0; i < ts_merge_report_inputs(rep); i++) {
            ts_merge_report_cell(rep, r, i, &src);
            if (i) ts_buf_putc(&b, ',');
            ts_buf_put_json_string(&b, src);
        }
        ts_buf_puts(&b, "]}");
    }
    ts_buf_puts(&b, "],\"conflicts\":[");
    for (size_t i = 0; i < ts_merge_report_conflicts(rep); i++) {
        if (i) ts_buf_putc(&b, ',');
        ts_buf_put_json_string(&b, ts_merge_report_conflict(rep, i));
    }
    ts_buf_puts(&b, "]}\n");
    if (b.data) fputs(b.data, stdout);
    ts_buf_free(&b);
}

static void print_table(cli_env *env, const ts_merge_report *rep, char **inputs) {
    size_t n = ts_merge_report_inputs(rep);
    cli_note(env, "%-24s %6s", "class", "id");
    for (size_t i = 0; i < n; i++) cli_note(env, "  %-22.22s", ts_path_basename(inputs[i])[0] ? ts_path_basename(inputs[i]) : inputs[i]);
    cli_note(env, "  %8s\n", "total");
    for (size_t r = 0; r < ts_merge_report_rows(rep); r++) {
        int64_t id;
        const char *name, *src;
        uint64_t total = 0;
        ts_merge_report_row(rep, r, &id, &name);
        cli_note(env, "%-24s %6lld", name, (long long)id);
        for (size_t i = 0; i < n; i++) {
            uint64_t c = ts_merge_report_cell(rep, r, i, &src);
            total += c;
            char cell[64];
            if (!src[0]) snprintf(cell, sizeof cell, "-");
            else if (strcmp(src, name) == 0) snprintf(cell, sizeof cell, "%llu", (unsigned long long)c);
            else snprintf(cell, sizeof cell, "%llu (%s)", (unsigned long long)c, src);
            cli_note(env, "  %-22.22s", cell);
        }
        cli_note(env, "  %8llu\n", (unsigned long long)total);
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t imgs, anns;
        int64_t is, as;
        ts_merge_report_input(rep, i, &imgs, &anns, &is, &as);
        cli_note(env, "%s: %llu images, %llu annotations", inputs[i], (unsigned long long)imgs,
                 (unsigned long long)anns);
        if (is || as) cli_note(env, " (image ids %+lld, annotation ids %+lld)", (long long)is, (long long)as);
        cli_note(env, "\n");
    }
    if (ts_merge_report_conflicts(rep))
        cli_note(env, "%zu conflicts or notes (warnings above)\n", ts_merge_report_conflicts(rep));
}

static int run_merge(cli_env *env, int argc, char **argv) {
    const char *out_path = NULL, *labelmap = NULL, *to = NULL;
    int no_images = 0;
    const cli_opt opts[] = {{"output", 'o', CLI_STRING, &out_path}, {"labelmap", 0, CLI_STRING, &labelmap},
                            {"to", 't', CLI_STRING, &to},           {"no-images", 0, CLI_FLAG, &no_images},
                            {NULL, 0, 0, NULL}};
    char **pos;
    int npos;
    int rc = cli_begin(env, opts, argc, argv, &pos, &npos);
    if (rc >= 0) return rc;
    rc = 0;
    if (npos < 1 || !out_path) {
        free(pos);
        return cli_usage_error(env, "expected one or more inputs and -o OUT");
    }
    const char *format = to ? to : "coco";
    if (!ts_format_find(format)) {
        free(pos);
        return cli_usage_error(env, "unknown output format \"%s\"", format);
    }
    if (cli_check_output(env, out_path, pos, npos)) {
        free(pos);
        return 1;
    }
    ts_dataset **ins = calloc((size_t)npos, sizeof *ins);
    ts_labelmap *map = NULL;
    ts_merge_report *rep = NULL;
    ts_dataset *out = NULL;
    ts_status s = ins ? TS_OK : ts_error(env->ctx, TS_ERR_NOMEM, "out of memory");
    if (s == TS_OK && labelmap) s = ts_labelmap_load(env->ctx, labelmap, &map);
    for (int i = 0; s == TS_OK && i < npos; i++) s = cli_read_dataset(env, pos[i], NULL, &ins[i]);
    if (s == TS_OK)
        s = ts_dataset_merge(env->ctx, (const ts_dataset *const *)ins, (const char *const *)pos, (size_t)npos, map,
                             &out, &rep);
    if (s == TS_OK) {
        ts_write_opts wo = {0};
        wo.copy_images = !no_images;
        s = ts_dataset_write(env->ctx, out, out_path, format, &wo);
    }
    if (s != TS_OK) {
        rc = cli_fail(env, s);
    } else if (env->json) {
        print_json(rep, out, out_path, pos);
    } else {
        print_table(env, rep, pos);
        cli_note(env, "wrote %s (%s): %zu images, %zu categories, %zu annotations\n", out_path, format,
                 ts_dataset_image_count(out), ts_dataset_category_count(out), ts_dataset_annotation_count(out));
    }
    for (int i = 0; ins && i < npos; i++) ts_dataset_destroy(ins[i]);
    free(ins);
    ts_dataset_destroy(out);
    ts_merge_report_destroy(rep);
    ts_labelmap_destroy(map);
    free(pos);
    return rc;
}

CLI_VERB(merge, "merge datasets: classes matched by name or a label map, ids re-keyed", usage, run_merge)
