/* The table of every augmentation op, by name. */
#include <stddef.h>

#include "aug_internal.h"

extern const aug_op_def aug_op_hflip, aug_op_vflip, aug_op_rotate, aug_op_affine, aug_op_perspective,
    aug_op_random_crop, aug_op_center_crop, aug_op_bbox_safe_crop, aug_op_random_resized_crop, aug_op_resize,
    aug_op_pad, aug_op_elastic, aug_op_grid_distortion, aug_op_lens_distortion, aug_op_brightness, aug_op_contrast,
    aug_op_gamma, aug_op_curve, aug_op_channel_shift, aug_op_color_temperature, aug_op_hsv, aug_op_color_jitter,
    aug_op_color_gradient, aug_op_fancy_pca, aug_op_clahe, aug_op_equalize, aug_op_sharpen, aug_op_gaussian_blur,
    aug_op_box_blur, aug_op_motion_blur, aug_op_median_blur, aug_op_gaussian_noise, aug_op_iso_noise,
    aug_op_salt_pepper, aug_op_jpeg, aug_op_normalize, aug_op_cutout, aug_op_random_erasing, aug_op_grid_mask,
    aug_op_mixup, aug_op_cutmix, aug_op_mosaic, aug_op_copy_paste;

const aug_op_def *const aug_all_ops[] = {
    /* geometric */
    &aug_op_hflip, &aug_op_vflip, &aug_op_rotate, &aug_op_affine, &aug_op_perspective, &aug_op_random_crop,
    &aug_op_center_crop, &aug_op_bbox_safe_crop, &aug_op_random_resized_crop, &aug_op_resize, &aug_op_pad,
    &aug_op_elastic, &aug_op_grid_distortion, &aug_op_lens_distortion,
    /* photometric */
    &aug_op_brightness, &aug_op_contrast, &aug_op_gamma, &aug_op_curve, &aug_op_hsv, &aug_op_color_jitter,
    &aug_op_channel_shift, &aug_op_color_temperature, &aug_op_color_gradient, &aug_op_fancy_pca, &aug_op_clahe,
    &aug_op_equalize, &aug_op_sharpen, &aug_op_gaussian_blur, &aug_op_box_blur, &aug_op_motion_blur,
    &aug_op_median_blur, &aug_op_gaussian_noise, &aug_op_iso_noise, &aug_op_salt_pepper, &aug_op_jpeg,
    &aug_op_normalize,
    /* occlusion */
    &aug_op_cutout, &aug_op_random_erasing, &aug_op_grid_mask,
    /* multi-image */
    &aug_op_mixup, &aug_op_cutmix, &aug_op_mosaic, &aug_op_copy_paste,
    NULL};
