/* trainset: assemble, audit, fix and feed training datasets for machine
 * vision. The umbrella header; each module has its own under trainset/. */
#ifndef TRAINSET_H
#define TRAINSET_H

#define TS_VERSION_MAJOR 0
#define TS_VERSION_MINOR 1
#define TS_VERSION_PATCH 0
#define TS_VERSION_STRING "0.1.0"

#include "trainset/core.h"
#include "trainset/json.h"
#include "trainset/image.h"
#include "trainset/dataset.h"
#include "trainset/formats.h"
#include "trainset/ops.h"
#include "trainset/openimages.h"
#include "trainset/audit.h"
#include "trainset/hashindex.h"
#include "trainset/report.h"
#include "trainset/sample.h"
#include "trainset/aug.h"
#include "trainset/eval.h"
#include "trainset/nn.h"

#endif
