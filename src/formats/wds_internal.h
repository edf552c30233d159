/* Shared between the WebDataset reader (wds.c) and writer (wds_write.c). */
#ifndef TS_FORMATS_WDS_INTERNAL_H
#define TS_FORMATS_WDS_INTERNAL_H

#include "trainset/formats.h"

ts_status wds_write(ts_ctx *ctx, const ts_dataset *ds, const char *path, const ts_write_opts *opts);

#endif
