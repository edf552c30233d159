/* int64 id -> uint32 index hash map (open addressing, linear probing), with
 * a table-free mode for ids that count up from a base in insertion order. */
#include <stdlib.h>
#include <string.h>

#include "dataset_internal.h"

static size_t slot_of(int64_t key, size_t mask) {
    uint64_t h = (uint64_t)key * 0x9e3779b97f4a7c15ULL;
    return (size_t)(h ^ (h >> 29)) & mask;
}

static void place(id_slot *slots, size_t mask, int64_t key, uint32_t value) {
    size_t s = slot_of(key, mask);
    while (slots[s].value) s = (s + 1) & mask;
    slots[s].key = key;
    slots[s].value = value;
}

static ts_status resize(id_map *map, size_t nslots) {
    id_slot *slots = calloc(nslots, sizeof *slots);
    if (!slots) return TS_ERR_NOMEM;
    if (map->dense) {
        for (size_t i = 0; i < map->count; i++)
            place(slots, nslots - 1, (int64_t)((uint64_t)map->base + i), (uint32_t)i + 1);
    } else {
        for (size_t i = 0; map->slots && i <= map->mask; i++)
            if (map->slots[i].value) place(slots, nslots - 1, map->slots[i].key, map->slots[i].value);
    }
    free(map->slots);
    map->slots = slots;
    map->mask = nslots - 1;
    map->dense = 0;
    return TS_OK;
}

/* Leave the dense mode: the ids so far go into a table. */
static ts_status undense(id_map *map) {
    size_t n = 64;
    while (n < (map->count + 1) * 2) n *= 2;
    return resize(map, n);
}

int id_map_put_new(id_map *map, int64_t key, uint32_t index, uint32_t *existing) {
    if (map->dense || map->count == 0) {
        uint64_t off = (uint64_t)key - (uint64_t)map->base;
        if (map->count == 0 && index == 0 && !map->slots) {
            map->dense = 1;
            map->base = key;
            map->count = 1;
            return 0;
        }
        if (map->dense) {
            if (off < map->count) {
                *existing = (uint32_t)off;
                return 1;
            }
            if (off == map->count && index == map->count && map->count < UINT32_MAX - 1) {
                map->count++;
                return 0;
            }
            if (undense(map) != TS_OK) return -1;
        }
    }
    if (!map->slots || (map->count + 1) * 2 > map->mask + 1) {
        size_t n = map->slots ? (map->mask + 1) * 2 : 64;
        if (resize(map, n) != TS_OK) return -1;
    }
    size_t s = slot_of(key, map->mask);
    while (map->slots[s].value) {
        if (map->slots[s].key == key) {
            *existing = map->slots[s].value - 1;
            return 1;
        }
        s = (s + 1) & map->mask;
    }
    map->slots[s].key = key;
    map->slots[s].value = index + 1;
    map->count++;
    return 0;
}

ts_status id_map_put(id_map *map, int64_t key, uint32_t index) {
    uint32_t old;
    int r = id_map_put_new(map, key, index, &old);
    if (r < 0) return TS_ERR_NOMEM;
    if (r == 0 || old == index) return TS_OK;
    if (map->dense && undense(map) != TS_OK) return TS_ERR_NOMEM;
    size_t s = slot_of(key, map->mask);
    while (map->slots[s].key != key || !map->slots[s].value) s = (s + 1) & map->mask;
    map->slots[s].value = index + 1;
    return TS_OK;
}

int id_map_get(const id_map *map, int64_t key, uint32_t *index) {
    if (map->dense) {
        uint64_t off = (uint64_t)key - (uint64_t)map->base;
        if (off >= map->count) return 0;
        *index = (uint32_t)off;
        return 1;
    }
    if (!map->slots) return 0;
    size_t s = slot_of(key, map->mask);
    while (map->slots[s].value) {
        if (map->slots[s].key == key) {
            *index = map->slots[s].value - 1;
            return 1;
        }
        s = (s + 1) & map->mask;
    }
    return 0;
}

void id_map_free(id_map *map) {
    free(map->slots);
    memset(map, 0, sizeof *map);
}
