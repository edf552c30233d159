/* Whole-file reads under the size limit, directory listing and removal. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trainset/core.h"

static ts_status read_fd(ts_ctx *ctx, int fd, const char *path, size_t max, uint8_t **data, size_t *len) {
    size_t cap = 0, n = 0;
    uint8_t *buf = NULL;
    for (;;) {
        if (n == max) break;
        if (ts_grow(ctx, (void **)&buf, &cap, n + 65537 < max + 1 ? n + 65537 : max + 1, 1) != TS_OK) {
            free(buf);
            return TS_ERR_NOMEM;
        }
        size_t want = cap - 1 - n;
        if (want > max - n) want = max - n;
        ssize_t r = read(fd, buf + n, want);
        if (r < 0) {
            if (errno == EINTR) continue;
            free(buf);
            return ts_error(ctx, TS_ERR_IO, "%s: read failed: %s", path, strerror(errno));
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    if (!buf && !(buf = malloc(1))) return ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    buf[n] = 0;
    *data = buf;
    *len = n;
    return TS_OK;
}

ts_status ts_file_read_head(ts_ctx *ctx, const char *path, size_t max, uint8_t **data, size_t *len) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ts_error(ctx, errno == ENOENT ? TS_ERR_NOT_FOUND : TS_ERR_IO, "%s: cannot open: %s", path,
                        strerror(errno));
    ts_status s = read_fd(ctx, fd, path, max, data, len);
    close(fd);
    return s;
}

ts_status ts_file_read(ts_ctx *ctx, const char *path, uint8_t **data, size_t *len) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ts_error(ctx, errno == ENOENT ? TS_ERR_NOT_FOUND : TS_ERR_IO, "%s: cannot open: %s", path,
                        strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
        close(fd);
        return ts_error(ctx, TS_ERR_IO, "%s: not a readable file", path);
    }
    uint64_t max = ctx ? ts_ctx_limits(ctx).max_file_bytes : ((uint64_t)1 << 36);
    if ((uint64_t)st.st_size > max) {
        close(fd);
        return ts_error(ctx, TS_ERR_LIMIT, "%s: file of %lld bytes exceeds the limit of %llu", path,
                        (long long)st.st_size, (unsigned long long)max);
    }
    ts_status s = read_fd(ctx, fd, path, (size_t)max, data, len);
    close(fd);
    return s;
}

int ts_file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int ts_dir_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int64_t ts_file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (int64_t)st.st_size : -1;
}

static int compare_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void ts_strings_free(char **strings, size_t count) {
    if (!strings) return;
    for (size_t i = 0; i < count; i++) free(strings[i]);
    free(strings);
}

int ts_dir_any(const char *dir, int (*match)(const char *path, const char *name, void *user), void *user) {
    char **names = NULL;
    size_t n = 0;
    int found = 0;
    if (ts_dir_list(NULL, dir, &names, &n) != TS_OK) return 0;
    for (size_t i = 0; i < n && !found; i++) {
        char *path = ts_path_join(dir, names[i]);
        found = path && match(path, names[i], user);
        free(path);
    }
    ts_strings_free(names, n);
    return found;
}

ts_status ts_dir_list(ts_ctx *ctx, const char *dir, char ***names, size_t *count) {
    DIR *d = opendir(dir);
    if (!d)
        return ts_error(ctx, errno == ENOENT ? TS_ERR_NOT_FOUND : TS_ERR_IO, "%s: cannot list: %s", dir,
                        strerror(errno));
    char **list = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        char *name = NULL;
        if (ts_grow(ctx, (void **)&list, &cap, n + 1, sizeof *list) != TS_OK ||
            !(name = ts_strdup(ctx, e->d_name))) {
            closedir(d);
            ts_strings_free(list, n);
            return TS_ERR_NOMEM;
        }
        list[n++] = name;
    }
    closedir(d);
    if (n) qsort(list, n, sizeof *list, compare_names);
    *names = list;
    *count = n;
    return TS_OK;
}

ts_status ts_mkdirs(ts_ctx *ctx, const char *dir) {
    char *p = ts_strdup(ctx, dir);
    if (!p) return TS_ERR_NOMEM;
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = 0;
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            ts_status st = ts_error(ctx, TS_ERR_IO, "%s: cannot create directory: %s", p, strerror(errno));
            free(p);
            return st;
        }
        *s = '/';
    }
    if (mkdir(p, 0777) != 0 && errno != EEXIST) {
        ts_status st = ts_error(ctx, TS_ERR_IO, "%s: cannot create directory: %s", p, strerror(errno));
        free(p);
        return st;
    }
    free(p);
    return ts_dir_exists(dir) ? TS_OK : ts_error(ctx, TS_ERR_IO, "%s: exists and is not a directory", dir);
}

ts_status ts_remove_tree(ts_ctx *ctx, const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0) return errno == ENOENT ? TS_OK : ts_error(ctx, TS_ERR_IO, "%s: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode)) {
        char **names = NULL;
        size_t n = 0;
        ts_status s = ts_dir_list(ctx, path, &names, &n);
        if (s != TS_OK) return s;
        for (size_t i = 0; i < n && s == TS_OK; i++) {
            char *child = ts_path_join(path, names[i]);
            s = child ? ts_remove_tree(ctx, child) : TS_ERR_NOMEM;
            free(child);
        }
        ts_strings_free(names, n);
        if (s != TS_OK) return s;
        if (rmdir(path) != 0) return ts_error(ctx, TS_ERR_IO, "%s: cannot remove: %s", path, strerror(errno));
        return TS_OK;
    }
    if (unlink(path) != 0) return ts_error(ctx, TS_ERR_IO, "%s: cannot remove: %s", path, strerror(errno));
    return TS_OK;
}
