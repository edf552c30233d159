/* Plane geometry of annotations shared by the stages that need it. */
#include <math.h>

#include "trainset/dataset.h"

double ts_ring_area(const double *xy, uint32_t n) {
    double s = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t j = i + 1 == n ? 0 : i + 1;
        s += xy[2 * i] * xy[2 * j + 1] - xy[2 * j] * xy[2 * i + 1];
    }
    return fabs(s) / 2;
}

double ts_polygons_area(const double *coords, const uint32_t *ring_sizes, uint32_t n_rings) {
    double a = 0;
    for (uint32_t r = 0; r < n_rings; r++) {
        a += ts_ring_area(coords, ring_sizes[r] / 2);
        coords += ring_sizes[r];
    }
    return a;
}
