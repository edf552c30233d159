/* Atomic output: files are written under a temporary name in the target's
 * directory, fsync'd and renamed; directories are built aside and swapped
 * in, so an interrupted run leaves the previous output whole. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trainset/core.h"

struct ts_atomic_file {
    char *path, *tmp;
    FILE *fp;
};

struct ts_atomic_dir {
    char *path, *tmp;
};

static void fsync_parent(const char *path) {
    char *dir = ts_path_dirname(path);
    if (!dir) return;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(dir);
}

static char *temp_name(const char *path) {
    size_t n = strlen(path) + 32;
    char *t = malloc(n);
    if (t) snprintf(t, n, "%s.tmp-XXXXXX", path);
    return t;
}

ts_status ts_atomic_open(ts_ctx *ctx, const char *path, ts_atomic_file **out) {
    ts_atomic_file *f = calloc(1, sizeof *f);
    char *dir = ts_path_dirname(path);
    if (!f || !dir) {
        free(f);
        free(dir);
        return ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    }
    ts_status s = ts_mkdirs(ctx, dir);
    free(dir);
    if (s != TS_OK) {
        free(f);
        return s;
    }
    f->path = ts_strdup(ctx, path);
    f->tmp = temp_name(path);
    int fd = f->tmp ? mkstemp(f->tmp) : -1;
    if (fd < 0 || !f->path) {
        s = ts_error(ctx, TS_ERR_IO, "%s: cannot create temporary file: %s", path, strerror(errno));
        free(f->path);
        free(f->tmp);
        free(f);
        return s;
    }
    fchmod(fd, 0644 & ~0); /* mkstemp makes 0600; outputs are ordinary files */
    f->fp = fdopen(fd, "wb");
    if (!f->fp) {
        close(fd);
        unlink(f->tmp);
        free(f->path);
        free(f->tmp);
        free(f);
        return ts_error(ctx, TS_ERR_IO, "%s: cannot open stream", path);
    }
    setvbuf(f->fp, NULL, _IOFBF, 1 << 20);
    *out = f;
    return TS_OK;
}

FILE *ts_atomic_stream(ts_atomic_file *file) { return file->fp; }

void ts_atomic_abort(ts_atomic_file *file) {
    if (!file) return;
    if (file->fp) fclose(file->fp);
    unlink(file->tmp);
    free(file->path);
    free(file->tmp);
    free(file);
}

ts_status ts_atomic_commit(ts_ctx *ctx, ts_atomic_file *file) {
    int failed = ferror(file->fp) || fflush(file->fp) != 0 || fsync(fileno(file->fp)) != 0;
    int err = errno;
    if (fclose(file->fp) != 0) failed = 1;
    file->fp = NULL;
    if (failed || rename(file->tmp, file->path) != 0) {
        if (!failed) err = errno;
        ts_status s = ts_error(ctx, TS_ERR_IO, "%s: write failed: %s", file->path, strerror(err));
        ts_atomic_abort(file);
        return s;
    }
    fsync_parent(file->path);
    free(file->path);
    free(file->tmp);
    free(file);
    return TS_OK;
}

ts_status ts_file_write_atomic(ts_ctx *ctx, const char *path, const void *data, size_t len) {
    ts_atomic_file *f;
    ts_status s = ts_atomic_open(ctx, path, &f);
    if (s != TS_OK) return s;
    if (len && fwrite(data, 1, len, f->fp) != len) {
        ts_atomic_abort(f);
        return ts_error(ctx, TS_ERR_IO, "%s: write failed: %s", path, strerror(errno));
    }
    return ts_atomic_commit(ctx, f);
}

ts_status ts_file_write_staged(ts_ctx *ctx, const char *path, const void *data, size_t len) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 && errno == ENOENT) { /* parent missing: create it and retry */
        char *dir = ts_path_dirname(path);
        ts_status s = dir ? ts_mkdirs(ctx, dir) : ts_error(ctx, TS_ERR_NOMEM, "out of memory");
        free(dir);
        if (s != TS_OK) return s;
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    }
    if (fd < 0) return ts_error(ctx, TS_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
    const uint8_t *p = data;
    size_t left = len;
    while (left) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            ts_status s = ts_error(ctx, TS_ERR_IO, "%s: write failed: %s", path, strerror(n < 0 ? errno : EIO));
            close(fd);
            return s;
        }
        p += n, left -= (size_t)n;
    }
    if (close(fd) != 0) return ts_error(ctx, TS_ERR_IO, "%s: write failed: %s", path, strerror(errno));
    return TS_OK;
}

ts_status ts_atomic_dir_open(ts_ctx *ctx, const char *path, ts_atomic_dir **out) {
    ts_atomic_dir *d = calloc(1, sizeof *d);
    if (!d) return ts_error(ctx, TS_ERR_NOMEM, "out of memory");
    d->path = ts_strdup(ctx, path);
    d->tmp = temp_name(path);
    char *parent = ts_path_dirname(path);
    ts_status s = (!d->path || !d->tmp || !parent) ? TS_ERR_NOMEM : ts_mkdirs(ctx, parent);
    free(parent);
    if (s == TS_OK && !mkdtemp(d->tmp))
        s = ts_error(ctx, TS_ERR_IO, "%s: cannot create temporary directory: %s", path, strerror(errno));
    if (s != TS_OK) {
        free(d->path);
        free(d->tmp);
        free(d);
        return s == TS_ERR_NOMEM ? ts_error(ctx, s, "out of memory") : s;
    }
    chmod(d->tmp, 0755);
    *out = d;
    return TS_OK;
}

const char *ts_atomic_dir_path(const ts_atomic_dir *dir) { return dir->tmp; }

void ts_atomic_dir_abort(ts_atomic_dir *dir) {
    if (!dir) return;
    ts_remove_tree(NULL, dir->tmp);
    free(dir->path);
    free(dir->tmp);
    free(dir);
}

ts_status ts_atomic_dir_commit(ts_ctx *ctx, ts_atomic_dir *dir) {
    char *old = NULL;
    /* files staged without their own fsync reach the disk before the swap */
    int tfd = open(dir->tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (tfd >= 0) {
        syncfs(tfd);
        close(tfd);
    }
    struct stat st;
    if (lstat(dir->path, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            ts_status s = ts_error(ctx, TS_ERR_IO, "%s: exists and is not a directory", dir->path);
            ts_atomic_dir_abort(dir);
            return s;
        }
        size_t n = strlen(dir->path) + 32;
        old = malloc(n);
        if (old) snprintf(old, n, "%s.old-XXXXXX", dir->path);
        if (!old || !mkdtemp(old) || rename(dir->path, old) != 0) {
            ts_status s = ts_error(ctx, TS_ERR_IO, "%s: cannot move the previous output aside: %s", dir->path,
                                   strerror(errno));
            if (old) rmdir(old);
            free(old);
            ts_atomic_dir_abort(dir);
            return s;
        }
    }
    if (rename(dir->tmp, dir->path) != 0) {
        ts_status s = ts_error(ctx, TS_ERR_IO, "%s: cannot rename output into place: %s", dir->path, strerror(errno));
        if (old) rename(old, dir->path);
        free(old);
        ts_atomic_dir_abort(dir);
        return s;
    }
    fsync_parent(dir->path);
    if (old) ts_remove_tree(NULL, old);
    free(old);
    free(dir->path);
    free(dir->tmp);
    free(dir);
    return TS_OK;
}
