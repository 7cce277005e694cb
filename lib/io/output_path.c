/*
 * output_path.c — what an output path names (rk_output_classify), whether it
 * can be written (rk_output_check), whether two name the same file
 * (rk_output_same), and the lock and signal mask held around a commit.
 */
#define _GNU_SOURCE
#include "io/output.h"
#include "io/output_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"

/* Links followed before giving up, as the kernel's own limit (ELOOP). */
enum { MAX_LINKS = 40 };

rk_status rk_output_errno(rk_err *err, int e, const char *what)
{
    return rk_err_set(err, e == ENOENT ? RK_ENOENT : RK_EIO, "%s: %s", what, strerror(e));
}

char *rk_output_parent(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return rk_strdup(".");
    size_t n = (size_t)(slash - path);
    while (n > 0 && path[n - 1] == '/') /* "a//b": the folder is "a" */
        n--;
    if (n == 0)
        return rk_strdup("/");
    char *p = rk_alloc(n + 1);
    if (p) {
        memcpy(p, path, n);
        p[n] = '\0';
    }
    return p;
}

/* The path a link at @p link points to: its target, relative to the link's folder. */
static char *link_target(const char *link, size_t size_hint, rk_err *err, rk_status *st)
{
    size_t cap = (size_hint ? size_hint : PATH_MAX) + 1;
    char *t = rk_alloc(cap);
    ssize_t n = t ? readlink(link, t, cap) : -1;
    if (!t || n < 0 || (size_t)n >= cap) {
        *st = !t ? rk_err_set(err, RK_ENOMEM, "out of memory")
                 : rk_err_set(err, RK_EIO, "cannot read the link: %s", n < 0 ? strerror(errno) : "it changed");
        rk_free(t);
        return NULL;
    }
    t[n] = '\0';
    const char *slash = strrchr(link, '/');
    if (t[0] == '/' || !slash)
        return t;
    size_t d = (size_t)(slash - link) + 1, len = d + (size_t)n + 1;
    char *full = rk_alloc(len);
    if (full) {
        memcpy(full, link, d);
        memcpy(full + d, t, (size_t)n + 1);
    } else {
        *st = rk_err_set(err, RK_ENOMEM, "out of memory");
    }
    rk_free(t);
    return full;
}

static rk_output_kind kind_of(mode_t m)
{
    if (S_ISREG(m))
        return RK_OUTPUT_REGULAR;
    if (S_ISFIFO(m) || S_ISCHR(m))
        return RK_OUTPUT_STREAM;
    if (S_ISDIR(m))
        return RK_OUTPUT_DIRECTORY;
    return RK_OUTPUT_OTHER;
}

rk_status rk_output_classify(const char *path, rk_output_kind *kind, char **resolved, rk_err *err)
{
    if (resolved)
        *resolved = NULL;
    if (!path || !*path)
        return rk_err_set(err, RK_EINVAL, "empty output name");
    char *cur = rk_strdup(path);
    if (!cur)
        return rk_err_set(err, RK_ENOMEM, "out of memory");
    rk_status st = RK_OK;
    bool done = !strcmp(path, "-");
    if (done)
        *kind = RK_OUTPUT_STREAM;
    for (int i = 0; !done && st == RK_OK; i++) {
        struct stat sb;
        if (lstat(cur, &sb) != 0) {
            if (errno == ENOENT) {
                *kind = RK_OUTPUT_MISSING;
                done = true;
            } else {
                st = rk_output_errno(err, errno, "cannot look at it");
            }
        } else if (!S_ISLNK(sb.st_mode)) {
            *kind = kind_of(sb.st_mode);
            done = true;
        } else if (i >= MAX_LINKS) {
            st = rk_err_set(err, RK_EIO, "more than %d symbolic links in a row (a loop?)", MAX_LINKS);
        } else {
            char *next = link_target(cur, (size_t)sb.st_size, err, &st);
            rk_free(cur);
            cur = next;
        }
    }
    if (st == RK_OK && resolved)
        *resolved = cur;
    else
        rk_free(cur);
    return st;
}

/* A file written through a temporary needs a folder it may create files in. */
static rk_status check_folder(const char *file, rk_err *err)
{
    char *dir = rk_output_parent(file);
    if (!dir)
        return rk_err_set(err, RK_ENOMEM, "out of memory");
    struct stat sb;
    rk_status st = RK_OK;
    if (stat(dir, &sb) != 0)
        st = errno == ENOENT ? rk_err_set(err, RK_ENOENT, "no such folder '%s'", dir)
                             : rk_err_set(err, RK_EIO, "cannot look at folder '%s': %s", dir, strerror(errno));
    else if (!S_ISDIR(sb.st_mode))
        st = rk_err_set(err, RK_EIO, "'%s' is not a folder", dir);
    else if (faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) != 0)
        st = rk_err_set(err, RK_EIO, "cannot create files in folder '%s': %s", dir, strerror(errno));
    rk_free(dir);
    return st;
}

rk_status rk_output_check(const char *path, rk_err *err)
{
    rk_output_kind kind;
    char *target = NULL;
    rk_status st = rk_output_classify(path, &kind, &target, err);
    if (st)
        return st;
    if (kind == RK_OUTPUT_DIRECTORY)
        st = rk_err_set(err, RK_EIO, "is a directory (a file name is wanted)");
    else if (kind == RK_OUTPUT_OTHER)
        st = rk_err_set(err, RK_EIO, "is a block device or a socket; ranklab writes files, FIFOs "
                                     "and character devices only");
    else if (kind == RK_OUTPUT_STREAM && strcmp(target, "-") != 0 &&
             faccessat(AT_FDCWD, target, W_OK, AT_EACCESS) != 0)
        st = rk_err_set(err, RK_EIO, "cannot write to it: %s", strerror(errno));
    else if (kind != RK_OUTPUT_STREAM)
        st = check_folder(target, err);
    rk_free(target);
    return st;
}

enum { CANON_MAX = 2 * PATH_MAX };

/* "DIR/NAME" with DIR made canonical when it exists, into @p buf (CANON_MAX). */
static void canonical(const char *path, char *buf)
{
    char *dir = rk_output_parent(path);
    const char *slash = strrchr(path, '/'), *name = slash ? slash + 1 : path;
    char real[PATH_MAX];
    if (dir && realpath(dir, real))
        snprintf(buf, CANON_MAX, "%s/%s", real, name);
    else
        snprintf(buf, CANON_MAX, "%s", path);
    rk_free(dir);
}

rk_status rk_output_same(const char *a, const char *b, bool *same, rk_err *err)
{
    *same = false;
    rk_output_kind ka, kb;
    char *ra = NULL, *rb = NULL;
    rk_status st = rk_output_classify(a, &ka, &ra, err);
    if (st == RK_OK)
        st = rk_output_classify(b, &kb, &rb, err);
    if (st == RK_OK) {
        struct stat sa, sb;
        bool dash_a = !strcmp(ra, "-"), dash_b = !strcmp(rb, "-");
        if (dash_a || dash_b) {
            *same = dash_a && dash_b;
        } else if (stat(ra, &sa) == 0 && stat(rb, &sb) == 0) {
            *same = sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
        } else {
            char ca[CANON_MAX], cb[CANON_MAX];
            canonical(ra, ca);
            canonical(rb, cb);
            *same = !strcmp(ca, cb);
        }
    }
    rk_free(ra);
    rk_free(rb);
    return st;
}

void rk_output_hold_signals(sigset_t *saved)
{
    sigset_t held;
    sigemptyset(&held);
    sigaddset(&held, SIGINT);
    sigaddset(&held, SIGTERM);
    sigaddset(&held, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &held, saved);
}

void rk_output_release_signals(const sigset_t *saved)
{
    pthread_sigmask(SIG_SETMASK, saved, NULL);
}

void rk_output_commit_begin(const char *dir, int *lock_fd, sigset_t *saved)
{
    *lock_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    /* Taking turns matters more than the lock's cause of failure: go on without it. */
    while (*lock_fd >= 0 && flock(*lock_fd, LOCK_EX) != 0 && errno == EINTR)
        ;
    rk_output_hold_signals(saved);
}

void rk_output_commit_end(int lock_fd, const sigset_t *saved)
{
    if (lock_fd >= 0) {
        (void)fsync(lock_fd); /* the renames themselves reach the disk */
        (void)flock(lock_fd, LOCK_UN);
        close(lock_fd);
    }
    rk_output_release_signals(saved);
}
