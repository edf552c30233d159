/* The table of every augmentation op, by name. */
#include <stddef.h>

#include "aug_internal.h"

extern const aug_op_def aug_op_hflip, aug_op_vflip, aug_op_rotate, aug_op_affine, aug_op_perspective,
    aug_op_random_crop, aug_op_center_crop, aug_op_bbox_safe_crop, aug_op_random_resized_crop, aug_op_resize,
    aug_op_pad, aug_op_brightness, aug_op_contrast, aug_op_gamma;

const aug_op_def *const aug_all_ops[] = {
    &aug_op_hflip,       &aug_op_vflip,       &aug_op_rotate,         &aug_op_affine,
    &aug_op_perspective, &aug_op_random_crop, &aug_op_center_crop,    &aug_op_bbox_safe_crop,
    &aug_op_random_resized_crop, &aug_op_resize, &aug_op_pad,
    &aug_op_brightness,  &aug_op_contrast,    &aug_op_gamma,
    NULL};
