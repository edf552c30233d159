/* Point-wise photometric ops: each maps a channel's values through a curve,
 * so consecutive ones compose into one lookup table per channel. Values are
 * in 0..255 throughout; results are rounded and clamped once, at the end. */
#include <math.h>
#include <string.h>

#include "aug_internal.h"

#define END_PARAMS {NULL, 0, 0, 0, 0, 0, NULL}

static float clampf(float v) { return v < 0 ? 0 : v > 255 ? 255 : v; }

/* How many colour channels need their own curve: 1 when the tables of
 * channels 0..2 are equal so far (then the caller copies channel 0 over
 * the others with share()); saves the pow/sqrt per entry. */
static int distinct(int channels, float lut[4][256]) {
    int n = channels < 3 ? channels : 3;
    for (int c = 1; c < n; c++)
        if (memcmp(lut[c], lut[0], sizeof lut[0]) != 0) return n;
    return 1;
}
static void share(int channels, int n, float lut[4][256]) {
    for (int c = n; c < channels && c < 3; c++) memcpy(lut[c], lut[0], sizeof lut[0]);
}

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
    int n = distinct(channels, lut);
    for (int c = 0; c < n; c++)
        for (int i = 0; i < 256; i++) lut[c][i] = (float)(255 * pow(clampf(lut[c][i]) / 255.0, g));
    share(channels, n, lut);
}
const aug_op_def aug_op_gamma = {"gamma", AUG_LUT, gamma_params, NULL, NULL, gamma_lut, NULL, NULL};

/* curve: a random smooth monotone transfer curve, 0 -> 0 and 255 -> 255,
 * through a middle point moved by up to `strength` (a quadratic Bezier) */
static const aug_param_spec curve_params[] = {{"strength", PARAM_NUMBER, -0.2, 0.2, -0.45, 0.45, NULL}, END_PARAMS};
static void curve_lut(const aug_draw *d, int channels, float lut[4][256]) {
    double k = d->v[0]; /* control point (0.5 - k, 0.5 + k) */
    int n = distinct(channels, lut);
    for (int c = 0; c < n; c++)
        for (int i = 0; i < 256; i++) {
            double x = clampf(lut[c][i]) / 255.0, cx = 0.5 - k, cy = 0.5 + k;
            /* solve x = 2t(1-t)cx + t^2 for t in [0,1] */
            double a = 1 - 2 * cx, t = fabs(a) < 1e-9 ? x / (2 * cx) : (-cx + sqrt(cx * cx + a * x)) / a;
            lut[c][i] = (float)(255 * (2 * t * (1 - t) * cy + t * t));
        }
    share(channels, n, lut);
}
const aug_op_def aug_op_curve = {"curve", AUG_LUT, curve_params, NULL, NULL, curve_lut, NULL, NULL};

/* channel_shift: v + shift_c * 255, drawn per channel (RGB) */
static const aug_param_spec shift_params[] = {{"limit", PARAM_NUMBER, -0.08, 0.08, -1, 1, NULL}, END_PARAMS};
static void shift_extra(const aug_op *op, const aug_view *v, ts_rng *rng, aug_draw *d) {
    (void)v;
    for (int c = 0; c < 3; c++) d->v[d->n++] = op->lo[0] == op->hi[0] ? op->lo[0] : ts_rng_range(rng, op->lo[0], op->hi[0]);
}
static void shift_lut(const aug_draw *d, int channels, float lut[4][256]) {
    for (int c = 0; c < channels && c < 3; c++)
        for (int i = 0; i < 256; i++) lut[c][i] = clampf(lut[c][i] + (float)(d->v[1 + c] * 255));
}
const aug_op_def aug_op_channel_shift = {"channel_shift", AUG_LUT, shift_params, shift_extra, NULL, shift_lut, NULL, NULL};

/* color_temperature: white balance as per-channel gains of a black body
 * shifted from 6500 K (warm below, cool above), normalized to keep green */
static const aug_param_spec temp_params[] = {{"kelvin", PARAM_NUMBER, 4500, 8500, 1000, 40000, NULL}, END_PARAMS};
static void kelvin_rgb(double k, double rgb[3]) {
    double t = k / 100, r, g, b;
    r = t <= 66 ? 255 : 329.698727446 * pow(t - 60, -0.1332047592);
    g = t <= 66 ? 99.4708025861 * log(t) - 161.1195681661 : 288.1221695283 * pow(t - 60, -0.0755148492);
    b = t >= 66 ? 255 : t <= 19 ? 0 : 138.5177312231 * log(t - 10) - 305.0447927307;
    rgb[0] = r, rgb[1] = g, rgb[2] = b;
}
static void temp_lut(const aug_draw *d, int channels, float lut[4][256]) {
    double ref[3], now[3];
    kelvin_rgb(6500, ref);
    kelvin_rgb(d->v[0], now);
    if (channels < 3) return;
    for (int c = 0; c < 3; c++) {
        double gain = (now[c] / fmax(ref[c], 1)) / (now[1] / fmax(ref[1], 1));
        for (int i = 0; i < 256; i++) lut[c][i] = clampf((float)(lut[c][i] * gain));
    }
}
const aug_op_def aug_op_color_temperature = {"color_temperature", AUG_LUT, temp_params, NULL, NULL, temp_lut, NULL, NULL};
