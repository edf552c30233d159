/* `trainset shuffle IN --mode MODE --batch B --epochs E -o ORDER`: the
 * training order of a sampler as image ids, and what the order does. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "trainset/sample.h"

static const char usage[] =
    "usage: trainset shuffle IN --mode MODE [--batch B] [--epochs E] [-o ORDER] [--stats]\n"
    "                        [--rank R --world-size W] [--start-epoch E0] [--drop-last]\n"
    "                        [--classes-per-batch P] [--per-class K] [--threshold T]\n"
    "                        [--weight-attr NAME] [--replacement] [--buffer N] [--shard-attr NAME]\n"
    "                        [--group-by source|video|attr:NAME|dedup] [--seed S]\n\n"
    "Writes ORDER: one image id per line, batch after batch, epoch after epoch\n"
    "(this rank's batches only with --world-size). Every order is a pure function\n"
    "of (dataset, mode, seed, epoch): rerunning from --start-epoch continues it.\n\n"
    "modes:\n"
    "  uniform          a new permutation every epoch\n"
    "  once             one permutation, reused every epoch\n"
    "  stratified       every class spread evenly: batches track the global class mix\n"
    "  class-balanced   P classes x K images per batch (--classes-per-batch, --per-class)\n"
    "  repeat-factor    image repeated r = max over its classes of max(1, sqrt(t/f(c)))\n"
    "                   times per epoch (fraction by coin), LVIS; --threshold t (0.001)\n"
    "  weighted         draws proportional to attribute --weight-attr (default \"weight\";\n"
    "                   missing: inverse frequency of the image's rarest class);\n"
    "                   without replacement unless --replacement\n"
    "  spread-groups    a group's images in different batches, evenly spread\n"
    "  together-groups  K (--per-class, default 2) images of one group side by side\n"
    "                   (small groups repeat their images: repeated augmentation)\n"
    "  buffer           bounded-buffer streaming shuffle of the input order (--buffer N,\n"
    "                   default 1000), as tf.data and WebDataset do\n"
    "  shard            shards in random order, each read whole in random order\n"
    "                   (shard = attribute --shard-attr, default \"shard\", else the\n"
    "                   image's source file)\n"
    "  all              with --stats: compare every mode on epoch 0\n\n"
    "--stats prints, per epoch, the mean total-variation distance between each\n"
    "batch's class mix and the global mix, the images per batch whose group is\n"
    "already in the batch, and the mean and largest displacement from input order.\n";

static int stats_line(cli_env *env, const char *label, ts_sampler *s, uint64_t epoch, int first) {
    uint32_t *order = NULL;
    size_t len = 0;
    ts_order_stats st;
    ts_status rc = ts_sampler_epoch_order(env->ctx, s, epoch, &order, &len);
    if (rc == TS_OK) rc = ts_sampler_order_stats(env->ctx, s, order, len, &st);
    free(order);
    if (rc != TS_OK) return cli_fail(env, rc);
    if (env->json) {
        printf("%s{\"label\": \"%s\", \"epoch\": %llu, \"samples\": %zu, \"distinct\": %zu, "
               "\"class_mix_deviation\": %.6f, \"group_collisions\": %.6f, \"mean_displacement\": %.2f, "
               "\"max_displacement\": %zu}",
               first ? "" : ",\n ", label, (unsigned long long)epoch, len, st.distinct, st.class_mix_deviation,
               st.group_collisions, st.mean_displacement, st.max_displacement);
    } else {
        printf("%-16s %6llu %10zu %10zu %12.4f %12.3f %14.1f %12zu\n", label, (unsigned long long)epoch, len,
               st.distinct, st.class_mix_deviation, st.group_collisions, st.mean_displacement, st.max_displacement);
    }
    return 0;
}

static void stats_header(cli_env *env) {
    if (env->json) printf("{\"stats\": [");
    else
        printf("%-16s %6s %10s %10s %12s %12s %14s %12s\n", "mode", "epoch", "samples", "distinct", "mix-dev(TV)",
               "collisions", "mean-displace", "max-displace");
}

static int run_shuffle(cli_env *env, int argc, char **argv) {
    const char *out = NULL, *mode_text = NULL, *weight_attr = NULL, *shard_attr = NULL, *group_by = NULL;
    uint64_t batch = 32, epochs = 1, start = 0, buffer = 0, P = 0, K = 0, rank = 0, world = 1;
    double threshold = 0;
    int stats = 0, drop_last = 0, replacement = 0;
    const cli_opt opts[] = {{"output", 'o', CLI_STRING, &out},
                            {"mode", 'm', CLI_STRING, &mode_text},
                            {"batch", 'b', CLI_U64, &batch},
                            {"epochs", 'e', CLI_U64, &epochs},
                            {"start-epoch", 0, CLI_U64, &start},
                            {"stats", 0, CLI_FLAG, &stats},
                            {"rank", 0, CLI_U64, &rank},
                            {"world-size", 0, CLI_U64, &world},
                            {"drop-last", 0, CLI_FLAG, &drop_last},
                            {"classes-per-batch", 0, CLI_U64, &P},
                            {"per-class", 0, CLI_U64, &K},
                            {"threshold", 0, CLI_DOUBLE, &threshold},
                            {"weight-attr", 0, CLI_STRING, &weight_attr},
                            {"replacement", 0, CLI_FLAG, &replacement},
                            {"buffer", 0, CLI_U64, &buffer},
                            {"shard-attr", 0, CLI_STRING, &shard_attr},
                            {"group-by", 0, CLI_STRING, &group_by},
                            {NULL, 0, 0, NULL}};
    char **pos;
    int npos;
    int rc = cli_begin(env, opts, argc, argv, &pos, &npos);
    if (rc >= 0) return rc;
    rc = 0;
    int all = mode_text && strcmp(mode_text, "all") == 0;
    int mode = all ? 0 : ts_sampler_mode_parse(mode_text);
    if (npos != 1 || !mode_text) rc = cli_usage_error(env, "expected IN and --mode MODE");
    else if (mode < 0) rc = cli_usage_error(env, "--mode: unknown mode \"%s\"", mode_text);
    else if (!out && !stats) rc = cli_usage_error(env, "expected -o ORDER or --stats");
    else if (all && (!stats || out)) rc = cli_usage_error(env, "--mode all compares modes: use it with --stats, without -o");
    else if (batch < 1 || world < 1 || rank >= world || world > UINT32_MAX)
        rc = cli_usage_error(env, "--batch must be >= 1 and --rank below --world-size");
    ts_group_opts go = ts_group_opts_default();
    if (!rc && group_by && ts_group_kind_parse(group_by, &go) != 0)
        rc = cli_usage_error(env, "--group-by: expected source, video, dedup, attr:NAME or none");
    if (!rc && out && cli_check_output(env, out, pos, 1)) rc = 1;
    if (rc) {
        free(pos);
        return rc;
    }
    ts_dataset *ds = NULL;
    ts_status s = cli_read_dataset(env, pos[0], NULL, &ds);
    size_t n = ds ? ts_dataset_image_count(ds) : 0;
    uint32_t *groups = NULL;
    if (s == TS_OK && group_by) {
        size_t ng;
        groups = ts_alloc_array(env->ctx, n ? n : 1, sizeof *groups);
        s = groups ? ts_sample_groups(env->ctx, ds, &go, groups, &ng) : TS_ERR_NOMEM;
    }
    ts_sampler_opts so = ts_sampler_opts_default();
    so.batch = batch;
    so.seed = env->seed;
    so.rank = (uint32_t)rank;
    so.world_size = (uint32_t)world;
    so.drop_last = drop_last;
    so.classes_per_batch = P;
    so.per_class = K;
    so.repeat_threshold = threshold;
    so.weight_attr = weight_attr;
    so.replacement = replacement;
    so.buffer = buffer;
    so.shard_attr = shard_attr;
    so.groups = groups;
    if (s != TS_OK) {
        rc = cli_fail(env, s);
        goto end;
    }
    if (all) {
        stats_header(env);
        for (int m = 0; m < TS_SAMPLER_MODE_COUNT && !rc; m++) {
            so.mode = (ts_sampler_mode)m;
            ts_sampler *sm = NULL;
            s = ts_sampler_create(env->ctx, ds, &so, &sm);
            if (s != TS_OK) {
                /* a mode that cannot run on this data (e.g. no classes) is noted, not fatal */
                if (!env->json) printf("%-16s %s\n", ts_sampler_mode_name(so.mode), ts_ctx_error(env->ctx));
                ts_ctx_clear_error(env->ctx);
                continue;
            }
            rc = stats_line(env, ts_sampler_mode_name(so.mode), sm, start, m == 0);
            ts_sampler_destroy(sm);
        }
        if (env->json && !rc) printf("]}\n");
        goto end;
    }
    so.mode = (ts_sampler_mode)mode;
    ts_sampler *sm = NULL;
    s = ts_sampler_create(env->ctx, ds, &so, &sm);
    ts_atomic_file *af = NULL;
    if (s == TS_OK && out) s = ts_atomic_open(env->ctx, out, &af);
    uint32_t *b = s == TS_OK ? ts_alloc_array(env->ctx, batch, sizeof *b) : NULL;
    if (s == TS_OK && !b) s = TS_ERR_NOMEM;
    ts_sampler_state state = {start, 0};
    if (s == TS_OK) s = ts_sampler_restore(env->ctx, sm, state);
    uint64_t written = 0;
    for (uint64_t e = start; s == TS_OK && e < start + epochs; e++) {
        size_t nb = 0;
        s = ts_sampler_batches_per_epoch(env->ctx, sm, e, &nb);
        for (size_t k = 0; k < nb && s == TS_OK && af; k++) {
            size_t cnt;
            uint64_t ep;
            s = ts_sampler_next(env->ctx, sm, b, &cnt, &ep);
            FILE *f = ts_atomic_stream(af);
            for (size_t i = 0; i < cnt && s == TS_OK; i++)
                fprintf(f, "%lld\n", (long long)ts_dataset_image_id(ds, b[i]));
            written += cnt;
            if ((k & 1023) == 0 && s == TS_OK) s = ts_progress(env->ctx, "shuffle", e - start, epochs);
        }
        if (s == TS_OK && af) s = ts_progress(env->ctx, "shuffle", e - start + 1, epochs);
        if (af && s == TS_OK && e + 1 < start + epochs) {
            ts_sampler_state next = {e + 1, 0};
            s = ts_sampler_restore(env->ctx, sm, next);
        }
    }
    if (s == TS_OK && af) {
        s = ts_atomic_commit(env->ctx, af);
        af = NULL;
    }
    ts_atomic_abort(af);
    if (s == TS_OK && stats) {
        stats_header(env);
        for (uint64_t e = start; e < start + epochs && !rc; e++)
            rc = stats_line(env, ts_sampler_mode_name(so.mode), sm, e, e == start);
        if (env->json && !rc) printf("]}\n");
    }
    if (s == TS_OK && out)
        cli_note(env, "%s: %llu ids (%s, batch %llu, %llu epoch%s, rank %llu of %llu) -> %s\n", pos[0],
                 (unsigned long long)written, ts_sampler_mode_name(so.mode), (unsigned long long)batch,
                 (unsigned long long)epochs, epochs == 1 ? "" : "s", (unsigned long long)rank,
                 (unsigned long long)world, out);
    if (s != TS_OK) rc = cli_fail(env, s);
    free(b);
    ts_sampler_destroy(sm);
end:
    free(groups);
    ts_dataset_destroy(ds);
    free(pos);
    return rc;
}

CLI_VERB(shuffle, "training order: uniform, stratified, class-balanced, groups, buffer, shard ...", usage,
         run_shuffle)
