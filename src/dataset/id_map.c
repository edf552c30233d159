/* int64 id -> uint32 index hash map (open addressing, linear probing). */
#include <stdlib.h>

#include "dataset_internal.h"

static size_t slot_of(int64_t key, size_t mask) {
    uint64_t h = (uint64_t)key * 0x9e3779b97f4a7c15ULL;
    return (size_t)(h ^ (h >> 29)) & mask;
}

static ts_status resize(id_map *map, size_t nslots) {
    int64_t *keys = malloc(nslots * sizeof *keys);
    uint32_t *values = calloc(nslots, sizeof *values);
    if (!keys || !values) {
        free(keys);
        free(values);
        return TS_ERR_NOMEM;
    }
    for (size_t i = 0; map->values && i <= map->mask; i++) {
        if (!map->values[i]) continue;
        size_t s = slot_of(map->keys[i], nslots - 1);
        while (values[s]) s = (s + 1) & (nslots - 1);
        keys[s] = map->keys[i];
        values[s] = map->values[i];
    }
    free(map->keys);
    free(map->values);
    map->keys = keys;
    map->values = values;
    map->mask = nslots - 1;
    return TS_OK;
}

ts_status id_map_put(id_map *map, int64_t key, uint32_t index) {
    if (!map->values || (map->count + 1) * 2 > map->mask + 1) {
        size_t n = map->values ? (map->mask + 1) * 2 : 64;
        if (resize(map, n) != TS_OK) return TS_ERR_NOMEM;
    }
    size_t s = slot_of(key, map->mask);
    while (map->values[s]) {
        if (map->keys[s] == key) {
            map->values[s] = index + 1;
            return TS_OK;
        }
        s = (s + 1) & map->mask;
    }
    map->keys[s] = key;
    map->values[s] = index + 1;
    map->count++;
    return TS_OK;
}

int id_map_get(const id_map *map, int64_t key, uint32_t *index) {
    if (!map->values) return 0;
    size_t s = slot_of(key, map->mask);
    while (map->values[s]) {
        if (map->keys[s] == key) {
            *index = map->values[s] - 1;
            return 1;
        }
        s = (s + 1) & map->mask;
    }
    return 0;
}

void id_map_free(id_map *map) {
    free(map->keys);
    free(map->values);
    map->keys = NULL;
    map->values = NULL;
    map->mask = map->count = 0;
}
