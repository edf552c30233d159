/* The cap and the CPU check behind the vector paths of src/image. */
#include <stdatomic.h>

#include "image/simd.h"

ts_image_simd_level ts_image_simd_cap = TS_IMAGE_SIMD_AVX512;

static ts_image_simd_level cpu_level(void) {
#ifdef TS_IMAGE_X86
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")) return TS_IMAGE_SIMD_AVX512;
    if (__builtin_cpu_supports("avx2")) return TS_IMAGE_SIMD_AVX2;
#endif
    return TS_IMAGE_SIMD_NONE;
}

ts_image_simd_level ts_image_simd(void) {
    static _Atomic int known; /* 0 unknown, else the level + 1 */
    int k = atomic_load_explicit(&known, memory_order_relaxed);
    if (!k) {
        k = (int)cpu_level() + 1;
        atomic_store_explicit(&known, k, memory_order_relaxed);
    }
    ts_image_simd_level cpu = (ts_image_simd_level)(k - 1);
    return cpu < ts_image_simd_cap ? cpu : ts_image_simd_cap;
}
