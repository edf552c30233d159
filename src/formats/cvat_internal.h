/* CVAT XML: the writer, shared with the reader's format entry. */
#ifndef TS_CVAT_INTERNAL_H
#define TS_CVAT_INTERNAL_H

#include "trainset/formats.h"

/* Write annotations.xml (plus images/ when copying) into directory `path`,
 * or only the XML when `path` ends in ".xml". */
ts_status cvat_write(ts_ctx *ctx, const ts_dataset *ds, const char *path, const ts_write_opts *opts);

#endif
