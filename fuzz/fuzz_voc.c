/* libFuzzer target: the XML helper (whole document and streamed) and the
 * VOC reader (strict, lenient, without probing) on arbitrary bytes as one
 * annotation file; what reads is written back as VOC and must re-read with
 * the same number of annotations. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "formats/xml_internal.h"
#include "trainset/formats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

extern const ts_format ts_format_voc;

static ts_status count_record(void *user, const xml_node *root, const xml_node *rec) {
    (void)root, (void)rec;
    (*(size_t *)user)++;
    return TS_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char dir[64], path[96], out[96];
    snprintf(dir, sizeof dir, "/dev/shm/fuzz_voc_%d", (int)getpid());
    snprintf(path, sizeof path, "%s/a.xml", dir);
    snprintf(out, sizeof out, "%s_out", dir);
    ts_ctx *ctx = NULL;
    if (ts_ctx_create(&ctx) != TS_OK) return 0;
    xml_doc *doc = NULL;
    if (xml_parse_doc(ctx, "fuzz.xml", data, size, &doc) == TS_OK) {
        const xml_node *root = xml_doc_root(doc);
        double d;
        int b;
        for (const xml_node *c = root->first_child; c; c = c->next) {
            (void)xml_scan_double(c->text, &d);
            (void)xml_scan_bool(c->text, &b);
        }
    }
    xml_doc_free(doc);
    size_t records = 0;
    ts_ctx_clear_error(ctx);
    (void)xml_stream_buffer(ctx, "fuzz.xml", data, size, count_record, &records);
    if (ts_file_write_staged(ctx, path, data, size) != TS_OK) {
        ts_ctx_destroy(ctx);
        return 0;
    }
    ts_read_opts opts[3] = {{TS_READ_NO_PROBE, NULL}, {TS_READ_NO_PROBE, "train"}, {TS_READ_SKIP_GEOMETRY, NULL}};
    for (int mode = 0; mode < 3; mode++) {
        ts_ctx_set_lenient(ctx, mode == 1);
        ts_ctx_clear_error(ctx);
        ts_dataset *ds = NULL;
        if (ts_format_voc.read(ctx, path, &opts[mode], &ds) != TS_OK) continue;
        if (mode == 1) {
            ts_write_opts wo = {0, 0, 0, NULL};
            ts_ctx_clear_error(ctx);
            if (ts_format_voc.write(ctx, ds, out, &wo) == TS_OK) {
                ts_dataset *back = NULL;
                if (ts_format_voc.read(ctx, out, &opts[1], &back) == TS_OK &&
                    ts_dataset_annotation_count(back) != ts_dataset_annotation_count(ds))
                    abort();
                ts_dataset_destroy(back);
            }
            ts_remove_tree(NULL, out);
        }
        ts_dataset_destroy(ds);
    }
    unlink(path);
    ts_ctx_destroy(ctx);
    return 0;
}
