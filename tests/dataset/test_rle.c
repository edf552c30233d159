/* Tests of the COCO RLE codec: hand-checked strings, mask round trips, and
 * byte-identical re-encoding of every pycocotools string in segm_small. */
#include <stdlib.h>

#include "../test.h"
#include "trainset/json.h"

TEST(rle_string_known_values) {
    ts_ctx *ctx = ts_test_ctx();
    uint32_t counts[] = {10, 20, 5, 15};
    char *s = NULL;
    CHECK_OK(ctx, ts_rle_to_string(ctx, counts, 4, &s));
    CHECK_STR(s, ":d05K"); /* 20 has bit 4 set so takes 2 chars; the 4th count is stored as 15 - 20 = -5 */
    uint32_t *back = NULL, n = 0;
    CHECK_OK(ctx, ts_rle_from_string(ctx, s, strlen(s), &back, &n));
    CHECK_EQ_INT(n, 4);
    if (back && n == 4) CHECK(memcmp(back, counts, sizeof counts) == 0);
    free(s);
    free(back);
    /* large counts take several characters */
    uint32_t big[] = {0, 4000000000u, 1, 3999999999u, 7};
    CHECK_OK(ctx, ts_rle_to_string(ctx, big, 5, &s));
    CHECK_OK(ctx, ts_rle_from_string(ctx, s, strlen(s), &back, &n));
    CHECK_EQ_INT(n, 5);
    if (back && n == 5) CHECK(memcmp(back, big, sizeof big) == 0);
    free(s);
    free(back);
    CHECK_FAILS(ctx, ts_rle_from_string(ctx, "2\x7f", 2, &back, &n), "outside");
    CHECK_FAILS(ctx, ts_rle_from_string(ctx, "2h", 2, &back, &n), "ends inside a count");
    CHECK_FAILS(ctx, ts_rle_from_string(ctx, "2oooooooooooooooo", 17, &back, &n), "too long");
    CHECK_FAILS(ctx, ts_rle_from_string(ctx, "222K", 4, &back, &n), "negative"); /* 2 - 5 < 0 */
    CHECK_OK(ctx, ts_rle_from_string(ctx, "", 0, &back, &n));
    CHECK_EQ_INT(n, 0);
    free(back);
}

TEST(rle_mask_round_trip) {
    ts_ctx *ctx = ts_test_ctx();
    /* 3 rows x 4 columns, row-major:
     *   0 1 1 0
     *   0 1 0 0
     *   1 1 0 0      column-major: 0 0 1 | 1 1 1 | 1 0 0 | 0 0 0 */
    const uint8_t mask[12] = {0, 1, 1, 0, 0, 1, 0, 0, 1, 1, 0, 0};
    uint32_t *counts = NULL, n = 0;
    CHECK_OK(ctx, ts_rle_encode(ctx, mask, 3, 4, 1, &counts, &n));
    uint32_t want[] = {2, 5, 5};
    CHECK_EQ_INT(n, 3);
    if (n == 3) CHECK(memcmp(counts, want, sizeof want) == 0);
    CHECK_EQ_INT(ts_rle_area(counts, n), 5);
    double bb[4];
    ts_rle_bbox(counts, n, 3, 4, bb);
    CHECK_NEAR(bb[0], 0, 0);
    CHECK_NEAR(bb[1], 0, 0);
    CHECK_NEAR(bb[2], 3, 0);
    CHECK_NEAR(bb[3], 3, 0);
    uint8_t back[12];
    CHECK_OK(ctx, ts_rle_decode(ctx, counts, n, 3, 4, back));
    CHECK(memcmp(back, mask, 12) == 0);
    CHECK_FAILS(ctx, ts_rle_decode(ctx, counts, n, 4, 4, back), "sum to 12");
    free(counts);
    /* column-major input gives the same runs */
    const uint8_t colmajor[12] = {0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0};
    CHECK_OK(ctx, ts_rle_encode(ctx, colmajor, 3, 4, 0, &counts, &n));
    CHECK_EQ_INT(n, 3);
    if (n == 3) CHECK(memcmp(counts, want, sizeof want) == 0);
    free(counts);
    /* a mask starting with ones begins with a zero-length run */
    const uint8_t ones[4] = {1, 1, 0, 1};
    CHECK_OK(ctx, ts_rle_encode(ctx, ones, 2, 2, 1, &counts, &n));
    /* column-major 1 0 | 1 1 */
    CHECK_EQ_INT(n, 4);
    if (n == 4) {
        CHECK_EQ_INT(counts[0], 0);
        CHECK_EQ_INT(counts[1], 1);
        CHECK_EQ_INT(counts[2], 1);
        CHECK_EQ_INT(counts[3], 2);
    }
    ts_rle_bbox(counts, n, 2, 2, bb);
    CHECK_NEAR(bb[2], 2, 0);
    CHECK_NEAR(bb[3], 2, 0);
    free(counts);
    /* empty mask: box of zeros */
    uint32_t empty[] = {12};
    ts_rle_bbox(empty, 1, 3, 4, bb);
    CHECK_NEAR(bb[2], 0, 0);
}

/* Every RLE of a COCO file: strings re-encode byte-identically, lists round
 * trip through strings, area and box agree with what pycocotools wrote. */
static void check_file(const char *rel, int *strings, int *lists, int *bad) {
    ts_ctx *ctx = ts_test_ctx();
    ts_jvalue *doc = NULL;
    CHECK_OK(ctx, ts_json_parse_file(ctx, ts_test_shared(rel), &doc));
    if (!doc) return;
    const ts_jvalue *anns = doc->type == TS_JARRAY ? doc : ts_json_get(doc, "annotations");
    for (size_t i = 0; anns && i < anns->u.arr.count; i++) {
        const ts_jvalue *a = &anns->u.arr.items[i];
        const ts_jvalue *seg = ts_json_get(a, "segmentation");
        if (!seg || seg->type != TS_JOBJECT) continue;
        const ts_jvalue *size = ts_json_get(seg, "size"), *cv = ts_json_get(seg, "counts");
        uint32_t h = (uint32_t)size->u.arr.items[0].u.num.value, w = (uint32_t)size->u.arr.items[1].u.num.value;
        uint32_t *counts = NULL, n = 0;
        if (cv->type == TS_JSTRING) {
            (*strings)++;
            if (ts_rle_from_string(ctx, cv->u.str.text, cv->u.str.len, &counts, &n) != TS_OK) {
                (*bad)++;
                continue;
            }
            char *again = NULL;
            if (ts_rle_to_string(ctx, counts, n, &again) != TS_OK || strcmp(again, cv->u.str.text) != 0) (*bad)++;
            free(again);
        } else {
            (*lists)++;
            n = (uint32_t)cv->u.arr.count;
            counts = malloc(n * sizeof *counts);
            for (uint32_t k = 0; k < n; k++) counts[k] = (uint32_t)cv->u.arr.items[k].u.num.value;
            char *s = NULL;
            uint32_t *back = NULL, m = 0;
            if (ts_rle_to_string(ctx, counts, n, &s) != TS_OK || ts_rle_from_string(ctx, s, strlen(s), &back, &m) != TS_OK ||
                m != n || memcmp(back, counts, n * sizeof *counts) != 0)
                (*bad)++;
            free(s);
            free(back);
        }
        uint64_t sum = 0;
        for (uint32_t k = 0; k < n; k++) sum += counts[k];
        if (sum != (uint64_t)h * w) (*bad)++;
        double area;
        if (ts_json_get_number(a, "area", &area) && area != (double)ts_rle_area(counts, n)) (*bad)++;
        const ts_jvalue *bbox = ts_json_get(a, "bbox");
        if (bbox) {
            double bb[4];
            ts_rle_bbox(counts, n, h, w, bb);
            for (int k = 0; k < 4; k++)
                if (bb[k] != bbox->u.arr.items[k].u.num.value) (*bad)++;
        }
        free(counts);
    }
    ts_json_free(doc);
}

TEST(rle_reference_segm_small) {
    int strings = 0, lists = 0, bad = 0;
    check_file("reference/coco/segm_small/gt.json", &strings, &lists, &bad);
    CHECK_EQ_INT(strings, 40);
    CHECK_EQ_INT(lists, 32);
    check_file("reference/coco/segm_small/dt.json", &strings, &lists, &bad);
    CHECK_EQ_INT(strings, 40 + 1866);
    CHECK_EQ_INT(bad, 0);
}
