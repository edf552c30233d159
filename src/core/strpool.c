/* String interning: an open-addressing hash table over one growing arena of
 * NUL-terminated strings, so a million repeated names cost one copy each. */
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "trainset/core.h"

struct ts_strpool {
    char *arena;
    size_t arena_len, arena_cap;
    uint64_t *offsets; /* per id: offset into the arena */
    uint32_t count, offsets_cap;
    uint32_t *slots; /* id + 1, 0 = empty */
    uint32_t slot_mask;
};

uint64_t ts_hash_bytes(const void *data, size_t len, uint64_t seed) { return XXH3_64bits_withSeed(data, len, seed); }

static ts_status rehash(ts_strpool *pool, uint32_t nslots) {
    uint32_t *slots = calloc(nslots, sizeof *slots);
    if (!slots) return TS_ERR_NOMEM;
    for (uint32_t id = 0; id < pool->count; id++) {
        const char *s = pool->arena + pool->offsets[id];
        uint32_t h = (uint32_t)ts_hash_bytes(s, strlen(s), 0) & (nslots - 1);
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
    free(pool->arena);
    free(pool->offsets);
    free(pool->slots);
    free(pool);
}

static int lookup(const ts_strpool *pool, const char *s, size_t len, uint64_t hash, uint32_t *slot) {
    uint32_t h = (uint32_t)hash & pool->slot_mask;
    while (pool->slots[h]) {
        uint32_t id = pool->slots[h] - 1;
        const char *t = pool->arena + pool->offsets[id];
        if (strncmp(t, s, len) == 0 && t[len] == 0 && memchr(s, 0, len) == NULL) {
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

ts_status ts_strpool_intern(ts_strpool *pool, const char *s, size_t len, uint32_t *id) {
    uint64_t hash = ts_hash_bytes(s, len, 0);
    uint32_t slot;
    if (lookup(pool, s, len, hash, &slot)) {
        *id = pool->slots[slot] - 1;
        return TS_OK;
    }
    if (pool->count == UINT32_MAX - 1) return TS_ERR_LIMIT;
    if (ts_grow(NULL, (void **)&pool->arena, &pool->arena_cap, pool->arena_len + len + 1, 1) != TS_OK)
        return TS_ERR_NOMEM;
    size_t cap = pool->offsets_cap;
    if (ts_grow(NULL, (void **)&pool->offsets, &cap, (size_t)pool->count + 1, sizeof *pool->offsets) != TS_OK)
        return TS_ERR_NOMEM;
    pool->offsets_cap = (uint32_t)cap;
    memcpy(pool->arena + pool->arena_len, s, len);
    /* strings with embedded NULs are stored cut at the first NUL */
    pool->arena[pool->arena_len + len] = 0;
    pool->offsets[pool->count] = pool->arena_len;
    pool->arena_len += len + 1;
    uint32_t new_id = pool->count++;
    pool->slots[slot] = new_id + 1;
    if ((uint64_t)pool->count * 2 > (uint64_t)pool->slot_mask + 1) {
        if (rehash(pool, (pool->slot_mask + 1) * 2) != TS_OK) return TS_ERR_NOMEM;
    }
    *id = new_id;
    return TS_OK;
}

const char *ts_strpool_get(const ts_strpool *pool, uint32_t id) {
    return id < pool->count ? pool->arena + pool->offsets[id] : "";
}

uint32_t ts_strpool_count(const ts_strpool *pool) { return pool->count; }

size_t ts_strpool_bytes(const ts_strpool *pool) {
    return pool->arena_cap + (size_t)pool->offsets_cap * sizeof(uint64_t) +
           ((size_t)pool->slot_mask + 1) * sizeof(uint32_t);
}
