/* Open Images subsets: pick classes by display name (optionally with their
 * subclasses in the hierarchy) and read only the images that show them,
 * streaming the multi-GB annotation CSVs twice instead of holding them. */
#ifndef TRAINSET_OPENIMAGES_H
#define TRAINSET_OPENIMAGES_H

#include "formats.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    const char *const *classes; /* display names (any case) or LabelName MIDs */
    size_t n_classes;
    int hierarchy;      /* also take every subclass of a chosen class */
    int only_matching;  /* keep only the chosen classes' annotations */
    uint64_t limit;     /* at most this many images (0 = all), first in file order */
} ts_oi_subset_opts;

/* Read the Open Images dataset at `dir` restricted to the images with a box
 * or a positive image-level label of a chosen class. A class name that
 * matches nothing is TS_ERR_NOT_FOUND with near misses suggested ("Wine":
 * did you mean "Wine glass", "Wine rack"?). Categories kept: those used by
 * the kept annotations, the chosen ones and their ancestors. */
ts_status ts_openimages_subset(ts_ctx *ctx, const char *dir, const ts_oi_subset_opts *opts, ts_dataset **out);

#ifdef __cplusplus
}
#endif
#endif
