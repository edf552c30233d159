/* Path helpers and the safety check for paths read from annotation files. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "trainset/core.h"

ts_status ts_path_check_relative(ts_ctx *ctx, const char *path, const char *where) {
    if (ctx && ts_ctx_allow_outside_root(ctx)) return TS_OK;
    const char *w = where ? where : "annotation";
    if (!*path) return ts_error(ctx, TS_ERR_PATH, "%s: empty image path", w);
    if (path[0] == '/' || path[0] == '\\')
        return ts_error(ctx, TS_ERR_PATH, "%s: absolute image path \"%s\" refused (use --allow-outside-root)", w, path);
    if (((path[0] | 32) >= 'a' && (path[0] | 32) <= 'z') && path[1] == ':')
        return ts_error(ctx, TS_ERR_PATH, "%s: drive path \"%s\" refused (use --allow-outside-root)", w, path);
    const char *p = path;
    while (*p) {
        const char *end = p;
        while (*end && *end != '/' && *end != '\\') end++;
        if (end - p == 2 && p[0] == '.' && p[1] == '.')
            return ts_error(ctx, TS_ERR_PATH, "%s: image path \"%s\" leaves the dataset root (use --allow-outside-root)",
                            w, path);
        p = *end ? end + 1 : end;
    }
    return TS_OK;
}

char *ts_path_join(const char *a, const char *b) {
    if (!a || !*a || b[0] == '/') return strdup(b);
    size_t la = strlen(a), lb = strlen(b);
    while (la > 1 && a[la - 1] == '/') la--;
    while (b[0] == '.' && b[1] == '/') b += 2, lb -= 2;
    char *r = malloc(la + lb + 2);
    if (!r) return NULL;
    memcpy(r, a, la);
    r[la] = '/';
    memcpy(r + la + 1, b, lb + 1);
    return r;
}

char *ts_path_dirname(const char *path) {
    const char *slash = strrchr(path, '/');
    if (!slash) return strdup(".");
    if (slash == path) return strdup("/");
    size_t n = (size_t)(slash - path);
    char *r = malloc(n + 1);
    if (!r) return NULL;
    memcpy(r, path, n);
    r[n] = 0;
    return r;
}

const char *ts_path_basename(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

const char *ts_path_ext(const char *path) {
    const char *base = ts_path_basename(path);
    const char *dot = strrchr(base, '.');
    return dot && dot != base ? dot : base + strlen(base);
}

static int lower(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

int ts_strcaseeq(const char *a, const char *b) {
    while (*a && *b && lower((unsigned char)*a) == lower((unsigned char)*b)) a++, b++;
    return *a == 0 && *b == 0;
}

int ts_ends_with_nocase(const char *s, const char *suffix) {
    size_t ls = strlen(s), lx = strlen(suffix);
    return ls >= lx && ts_strcaseeq(s + ls - lx, suffix);
}

int ts_path_same_file(const char *a, const char *b) {
    struct stat sa, sb;
    if (stat(a, &sa) != 0 || stat(b, &sb) != 0) return 0;
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}
