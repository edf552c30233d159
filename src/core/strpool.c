/* String interning: an open-addressing hash table over strings stored in
 * fixed blocks that never move, so a returned pointer stays valid for the
 * pool's life and a million repeated names cost one copy each. */
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "trainset/core.h"

#define BLOCK_SIZE (256 * 1024)

typedef struct block {
    struct block *next;
    size_t used, size;
    char data[];
} block;

struct ts_strpool {
    block *blocks; /* newest first */
    size_t block_bytes;
    const char **strings; /* per id */
    uint32_t *lengths;
    uint32_t count, strings_cap;
    uint32_t *slots; /* id + 1, 0 = empty */
    uint32_t slot_mask;
};

uint64_t ts_hash_bytes(const void *data, size_t len, uint64_t seed) { return XXH3_64bits_withSeed(data, len, seed); }

static ts_status rehash(ts_strpool *pool, uint32_t nslots) {
    uint32_t *slots = calloc(nslots, sizeof *slots);
    if (!slots) return TS_ERR_NOMEM;
    for (uint32_t id = 0; id < pool->count; id++) {
        uint32_t h = (uint32_t)ts_hash_bytes(pool->strings[id], pool->lengths[id], 0) & (nslots - 1);
        while (slots[h]) h = (h + 1) & (nslots - 1);
        slots[h] = id + 1;
    }
    free(pool->slots);
    pool->slots = slots;
    pool->slot_mask = nslots - 1;
    return TS_OK;
}

ts_status ts_strpool_create(ts_strpool **out) {
    ts_strpool *pool = calloc(1, sizeof *pool);
    if (!pool) return TS_ERR_NOMEM;
    uint32_t id;
    if (rehash(pool, 64) != TS_OK || ts_strpool_intern(pool, "", 0, &id) != TS_OK) {
        ts_strpool_destroy(pool);
        return TS_ERR_NOMEM;
    }
    *out = pool;
    return TS_OK;
}

void ts_strpool_destroy(ts_strpool *pool) {
    if (!pool) return;
    for (block *b = pool->blocks, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    free(pool->strings);
    free(pool->lengths);
    free(pool->slots);
    free(pool);
}

static int lookup(const ts_strpool *pool, const char *s, size_t len, uint64_t hash, uint32_t *slot) {
    uint32_t h = (uint32_t)hash & pool->slot_mask;
    while (pool->slots[h]) {
        uint32_t id = pool->slots[h] - 1;
        if (pool->lengths[id] == len && memcmp(pool->strings[id], s, len) == 0) {
            *slot = h;
            return 1;
        }
        h = (h + 1) & pool->slot_mask;
    }
    *slot = h;
    return 0;
}

int ts_strpool_find(const ts_strpool *pool, const char *s, size_t len, uint32_t *id) {
    uint32_t slot;
    if (!lookup(pool, s, len, ts_hash_bytes(s, len, 0), &slot)) return 0;
    *id = pool->slots[slot] - 1;
    return 1;
}

static char *store(ts_strpool *pool, const char *s, size_t len) {
    block *b = pool->blocks;
    if (!b || b->size - b->used < len + 1) {
        size_t size = len + 1 > BLOCK_SIZE ? len + 1 : BLOCK_SIZE;
        b = malloc(sizeof *b + size);
        if (!b) return NULL;
        b->used = 0;
        b->size = size;
        b->next = pool->blocks;
        pool->blocks = b;
        pool->block_bytes += sizeof *b + size;
    }
    char *p = b->data + b->used;
    memcpy(p, s, len);
    p[len] = 0;
    b->used += len + 1;
    return p;
}

ts_status ts_strpool_intern(ts_strpool *pool, const char *s, size_t len, uint32_t *id) {
    uint64_t hash = ts_hash_bytes(s, len, 0);
    uint32_t slot;
    if (lookup(pool, s, len, hash, &slot)) {
        *id = pool->slots[slot] - 1;
        return TS_OK;
    }
    if (pool->count == UINT32_MAX - 1 || len > UINT32_MAX - 1) return TS_ERR_LIMIT;
    if (pool->count == pool->strings_cap) {
        size_t cap = pool->strings_cap, cap2 = pool->strings_cap;
        if (ts_grow(NULL, (void **)&pool->strings, &cap, (size_t)pool->count + 1, sizeof *pool->strings) != TS_OK ||
            ts_grow(NULL, (void **)&pool->lengths, &cap2, (size_t)pool->count + 1, sizeof *pool->lengths) != TS_OK)
            return TS_ERR_NOMEM;
        pool->strings_cap = (uint32_t)(cap < cap2 ? cap : cap2);
    }
    char *copy = store(pool, s, len);
    if (!copy) return TS_ERR_NOMEM;
    pool->strings[pool->count] = copy;
    pool->lengths[pool->count] = (uint32_t)len;
    uint32_t new_id = pool->count++;
    pool->slots[slot] = new_id + 1;
    if ((uint64_t)pool->count * 2 > (uint64_t)pool->slot_mask + 1) {
        if (rehash(pool, (pool->slot_mask + 1) * 2) != TS_OK) return TS_ERR_NOMEM;
    }
    *id = new_id;
    return TS_OK;
}

const char *ts_strpool_get(const ts_strpool *pool, uint32_t id) { return id < pool->count ? pool->strings[id] : ""; }

uint32_t ts_strpool_count(const ts_strpool *pool) { return pool->count; }

size_t ts_strpool_bytes(const ts_strpool *pool) {
    return pool->block_bytes + (size_t)pool->strings_cap * (sizeof(char *) + sizeof(uint32_t)) +
           ((size_t)pool->slot_mask + 1) * sizeof(uint32_t);
}
