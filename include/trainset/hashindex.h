/* Perceptual image hashes (difference hash, DCT hash) and near-duplicate
 * search over 64-bit hashes at a Hamming threshold: a multi-index hashing
 * self-join that is sub-quadratic and linear in memory, with clusters. */
#ifndef TRAINSET_HASHINDEX_H
#define TRAINSET_HASHINDEX_H

#include "core.h"
#include "image.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- perceptual hashes ---------------------------------------------------- */

typedef enum {
    TS_PHASH_DIFFERENCE = 0, /* dHash: 9x8 grey, bit = right neighbour brighter */
    TS_PHASH_DCT             /* pHash: 32x32 grey, 8x8 lowest DCT terms > their median */
} ts_phash_kind;

/* Name ("dhash", "dct") and lookup by name (also "phash" for DCT);
 * ts_phash_kind_from_name returns -1 for an unknown name. */
const char *ts_phash_kind_name(ts_phash_kind kind);
int ts_phash_kind_from_name(const char *name);

/* Hash an 8-bit image (1..4 channels; colour is reduced to luma
 * 0.299 R + 0.587 G + 0.114 B, alpha ignored) by area-averaging it down to
 * the hash grid. Bit i (0 = least significant) is grid cell i in row-major
 * order. Pure function of the pixels; thread-safe. TS_ERR_INVALID for an
 * empty or non-8-bit image. */
ts_status ts_phash(ts_ctx *ctx, const ts_image *img, ts_phash_kind kind, uint64_t *out);

/* JPEG DCT scale denominator (1, 2, 4 or 8) that still leaves at least
 * `min_side` pixels on the shorter side of a w x h image (1 when unknown). */
int ts_phash_scale_denom(int w, int h, int min_side);

static inline int ts_hamming64(uint64_t a, uint64_t b) { return __builtin_popcountll(a ^ b); }

/* ---- near-duplicate search ----------------------------------------------------- */

typedef struct {
    uint32_t a, b;     /* indices into the hash array, a < b */
    uint32_t distance; /* Hamming distance, <= the threshold */
} ts_hamming_pair;

/* Every pair (a < b) of `hashes` within Hamming distance `max_distance`
 * (0..32), sorted by (a, b); *pairs is malloc'd (NULL when none). Exact
 * duplicates make count grow with the square of their multiplicity; use
 * ts_hamming_clusters when only the grouping matters. Uses the context's
 * threads; the result does not depend on their number.
 *
 * Method: multi-index hashing (Norouzi et al. 2012) as a self-join. The
 * 64 bits are cut into m chunks; two hashes within distance r agree to
 * within floor(r/m) bits on at least one chunk. For each chunk the hashes
 * are bucketed by chunk value (counting sort), and for every flip mask of
 * at most floor(r/m) bits each bucket is compared with bucket ^ mask, a
 * streaming pass. m is chosen from a cost model of n and r; small inputs
 * are compared all-pairs. Memory: about 16 bytes per hash plus 4 bytes per
 * bucket. n is limited to 2^32 - 1. */
ts_status ts_hamming_pairs(ts_ctx *ctx, const uint64_t *hashes, size_t n, int max_distance,
                           ts_hamming_pair **pairs, size_t *count);

/* Connected components of the "within max_distance" relation (single
 * linkage, union-find): labels[i] (caller's array of n) receives the
 * cluster of hash i, numbered 0.. in order of each cluster's first member,
 * so an image alone is a cluster of one. *n_clusters may be NULL. Exact
 * duplicates are collapsed first, so repeated hashes cost nothing extra. */
ts_status ts_hamming_clusters(ts_ctx *ctx, const uint64_t *hashes, size_t n, int max_distance,
                              uint32_t *labels, size_t *n_clusters);

/* Cross join: every (a, b) with a indexing `left`, b indexing `right`
 * (here a < b is not required) within max_distance, sorted by (a, b).
 * For leakage between two datasets. */
ts_status ts_hamming_cross_pairs(ts_ctx *ctx, const uint64_t *left, size_t n_left, const uint64_t *right,
                                 size_t n_right, int max_distance, ts_hamming_pair **pairs, size_t *count);

#ifdef __cplusplus
}
#endif
#endif
