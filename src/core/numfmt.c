/* Shortest round-trip decimal text of a double. Annotation numbers mostly
 * have few decimals ("239.97"), so a fixed-point fast path exact by
 * construction handles them without printf; others fall back to %.*g. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainset/core.h"

static const double pow10_table[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8};

static size_t write_u64(char *out, uint64_t u) {
    char tmp[24];
    int i = 24;
    do {
        tmp[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    memcpy(out, tmp + i, (size_t)(24 - i));
    return (size_t)(24 - i);
}

size_t ts_format_double(char *out, double v) {
    if (!isfinite(v)) {
        memcpy(out, "null", 5);
        return 4;
    }
    char *p = out;
    double a = fabs(v);
    if (signbit(v) && v != 0) *p++ = '-';
    if (a < 9007199254740992.0 && (a >= 1e-4 || a == 0)) {
        for (int d = 0; d <= 8; d++) {
            double scaled = a * pow10_table[d];
            if (scaled >= 9007199254740992.0) break;
            double r = nearbyint(scaled);
            /* r / 10^d is what a reader computes for this text (both exact
             * operands, one correctly rounded division). */
            if (r / pow10_table[d] != a) continue;
            uint64_t digits = (uint64_t)r;
            if (d == 0) {
                p += write_u64(p, digits);
            } else {
                uint64_t ip = digits / (uint64_t)pow10_table[d];
                uint64_t fp = digits % (uint64_t)pow10_table[d];
                p += write_u64(p, ip);
                *p++ = '.';
                char frac[16];
                size_t n = write_u64(frac, fp);
                for (size_t z = n; z < (size_t)d; z++) *p++ = '0';
                while (n > 0 && frac[n - 1] == '0') n--; /* cannot happen for minimal d */
                memcpy(p, frac, n);
                p += n;
            }
            *p = 0;
            return (size_t)(p - out);
        }
    }
    for (int prec = 15; prec <= 17; prec++) {
        int n = snprintf(out, 40, "%.*g", prec, v);
        if (prec == 17 || strtod(out, NULL) == v) return (size_t)n;
    }
    return strlen(out);
}

size_t ts_format_fixed12(char *out, double v) {
    if (!isfinite(v) || fabs(v) >= 9e6) return ts_format_double(out, v);
    double r = nearbyint(v * 1e12);
    char *p = out;
    if (r < 0) {
        *p++ = '-';
        r = -r;
    }
    uint64_t u = (uint64_t)r;
    if (u == 0) {
        out[0] = '0';
        out[1] = 0;
        return 1;
    }
    uint64_t ip = u / 1000000000000ull, fp = u % 1000000000000ull;
    p += write_u64(p, ip);
    if (fp) {
        char frac[12];
        for (int i = 11; i >= 0; i--) {
            frac[i] = (char)('0' + fp % 10);
            fp /= 10;
        }
        int n = 12;
        while (frac[n - 1] == '0') n--;
        *p++ = '.';
        memcpy(p, frac, (size_t)n);
        p += n;
    }
    *p = 0;
    return (size_t)(p - out);
}

size_t ts_format_int(char *out, int64_t v) {
    if (v >= 0) return write_u64(out, (uint64_t)v);
    out[0] = '-';
    return 1 + write_u64(out + 1, (uint64_t)0 - (uint64_t)v);
}
