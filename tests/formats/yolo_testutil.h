/* Helpers shared by the YOLO detection and pose tests (defined in
 * test_yolo.c). */
#ifndef TS_YOLO_TESTUTIL_H
#define TS_YOLO_TESTUTIL_H

#include "../test.h"

/* A black w x h PNG at dir/name (directories created). */
void yt_png(ts_ctx *ctx, const char *dir, const char *name, int w, int h);
/* The annotation of the image whose path is `path`, index k among its own; 0 when absent. */
int yt_ann(const ts_dataset *ds, const char *path, size_t k, ts_annotation *out);
void yt_check_box(const ts_annotation *a, int64_t cat, double x, double y, double w, double h, double eps);
/* Same images and boxes (by image basename and category name), to eps px. */
void yt_same_boxes(const ts_dataset *a, const ts_dataset *b, double eps);
/* An empty dataset whose images are below `root`. */
ts_dataset *yt_new_dataset(ts_ctx *ctx, const char *root);
/* Records added to ds (failing the test on error); an annotation with k
 * keypoint triples is a keypoint set, with k = 0 a box. */
void yt_add_category(ts_ctx *ctx, ts_dataset *ds, int64_t id, const char *name, const char *const *kps, uint32_t k,
                     const int32_t *skeleton, uint32_t n_skeleton);
void yt_add_image(ts_ctx *ctx, ts_dataset *ds, int64_t id, const char *path, int w, int h, const char *split);
void yt_add_ann(ts_ctx *ctx, ts_dataset *ds, int64_t id, int64_t image, int64_t cat, const double box[4],
                const double *kps, uint32_t k);
/* Read ../shared/`rel` (format NULL: detected), write it as YOLO with its
 * images into the test's tmp dir and read that back; NULL on failure. */
void yt_shared_round_trip(ts_ctx *ctx, const char *rel, const char *format, ts_dataset **ds, ts_dataset **back);

#endif
