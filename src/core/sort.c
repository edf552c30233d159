/* Stable sorting of (64-bit key, index) pairs by radix, and union-find:
 * the O(n) tools behind groupings, splits, clusters and the Hamming
 * search at millions of items. */
#include <stdlib.h>
#include <string.h>

#include "trainset/core.h"

ts_status ts_sort_by_key(ts_ctx *ctx, uint64_t *key, uint32_t *idx, size_t n) {
    if (n < 2) return TS_OK;
    uint64_t *k2 = ts_alloc_array(ctx, n, sizeof *k2);
    uint32_t *i2 = ts_alloc_array(ctx, n, sizeof *i2);
    size_t *count = ts_alloc_array(ctx, 65536, sizeof *count);
    if (!k2 || !i2 || !count) {
        free(k2), free(i2), free(count);
        return TS_ERR_NOMEM;
    }
    for (int shift = 0; shift < 64; shift += 16) {
        memset(count, 0, 65536 * sizeof *count);
        for (size_t i = 0; i < n; i++) count[(key[i] >> shift) & 0xffff]++;
        if (count[(key[0] >> shift) & 0xffff] == n) continue; /* one digit value: nothing to move */
        size_t sum = 0;
        for (size_t d = 0; d < 65536; d++) {
            size_t c = count[d];
            count[d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++) {
            size_t at = count[(key[i] >> shift) & 0xffff]++;
            k2[at] = key[i];
            i2[at] = idx[i];
        }
        memcpy(key, k2, n * sizeof *key);
        memcpy(idx, i2, n * sizeof *idx);
    }
    free(k2), free(i2), free(count);
    return TS_OK;
}

uint32_t ts_uf_find(uint32_t *parent, uint32_t x) {
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    return x;
}

void ts_uf_union(uint32_t *parent, uint32_t a, uint32_t b) {
    a = ts_uf_find(parent, a);
    b = ts_uf_find(parent, b);
    if (a == b) return;
    if (a < b) parent[b] = a;
    else parent[a] = b;
}
