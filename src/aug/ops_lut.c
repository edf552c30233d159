/* Point-wise photometric ops: each maps a channel's values through a curve,
 * so consecutive ones compose into one lookup table per channel. Values are
 * in 0..255 throughout; results are rounded and clamped once, at the end. */
#include <math.h>

#include "aug_internal.h"

#define END_PARAMS {NULL, 0, 0, 0, 0, 0, NULL}

static float clampf(float v) { return v < 0 ? 0 : v > 255 ? 255 : v; }

/* brightness: v + b * 255 */
static const aug_param_spec brightness_params[] = {{"limit", PARAM_NUMBER, -0.2, 0.2, -1, 1, NULL}, END_PARAMS};
static void brightness_lut(const aug_draw *d, int channels, float lut[4][256]) {
    float b = (float)(d->v[0] * 255);
    for (int c = 0; c < channels && c < 3; c++)
        for (int i = 0; i < 256; i++) lut[c][i] = clampf(lut[c][i] + b);
}
const aug_op_def aug_op_brightness = {"brightness", AUG_LUT, brightness_params, NULL, NULL, brightness_lut, NULL, NULL};

/* contrast: (v - 127.5) * (1 + c) + 127.5 (point-wise about mid-grey) */
static const aug_param_spec contrast_params[] = {{"limit", PARAM_NUMBER, -0.2, 0.2, -1, 10, NULL}, END_PARAMS};
static void contrast_lut(const aug_draw *d, int channels, float lut[4][256]) {
    float k = (float)(1 + d->v[0]);
    for (int c = 0; c < channels && c < 3; c++)
        for (int i = 0; i < 256; i++) lut[c][i] = clampf((lut[c][i] - 127.5f) * k + 127.5f);
}
const aug_op_def aug_op_contrast = {"contrast", AUG_LUT, contrast_params, NULL, NULL, contrast_lut, NULL, NULL};

/* gamma: 255 * (v / 255) ^ g */
static const aug_param_spec gamma_params[] = {{"gamma", PARAM_NUMBER, 0.8, 1.2, 0.01, 10, NULL}, END_PARAMS};
static void gamma_lut(const aug_draw *d, int channels, float lut[4][256]) {
    double g = d->v[0];
    for (int c = 0; c < channels && c < 3; c++)
        for (int i = 0; i < 256; i++) lut[c][i] = (float)(255 * pow(clampf(lut[c][i]) / 255.0, g));
}
const aug_op_def aug_op_gamma = {"gamma", AUG_LUT, gamma_params, NULL, NULL, gamma_lut, NULL, NULL};
