/* Run-time choice of the vector paths of src/image: each gives the same
 * bytes as the portable loop beside it, and tests lower ts_image_simd_cap
 * to run the narrower paths and compare. */
#ifndef TS_IMAGE_SIMD_H
#define TS_IMAGE_SIMD_H

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define TS_IMAGE_X86 1
#endif

typedef enum {
    TS_IMAGE_SIMD_NONE,  /* the portable loops */
    TS_IMAGE_SIMD_AVX2,
    TS_IMAGE_SIMD_AVX512 /* AVX-512 F and BW */
} ts_image_simd_level;

/* The widest paths the kernels may take; TS_IMAGE_SIMD_AVX512 (all that
 * the CPU has) unless a test lowers it. */
extern ts_image_simd_level ts_image_simd_cap;

/* The widest paths both the CPU and ts_image_simd_cap allow. Thread-safe. */
ts_image_simd_level ts_image_simd(void);

#endif
