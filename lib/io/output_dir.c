/*
 * output_dir.c — a directory output that appears whole or not at all: built
 * in DIR.tmp-PID-N beside the target, then swapped in (rk_out_dir_commit).
 */
#define _GNU_SOURCE
#include "io/output.h"
#include "io/output_priv.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "io/file.h"

enum { TMP_ATTEMPTS = 1000, SWAP_ATTEMPTS = 100, FSYNC_DEPTH = 16 };

/* The last component of @p path without trailing slashes, as a length into it. */
static const char *last_name(const char *path, size_t *len)
{
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    size_t b = n;
    while (b > 0 && path[b - 1] != '/')
        b--;
    *len = n - b;
    return path + b;
}

/* A name that is a folder of its own: not "", ".", ".." or "/". */
static rk_status check_name(const char *path, rk_err *err)
{
    if (!path || !*path)
        return rk_err_set(err, RK_EINVAL, "empty output name");
    size_t len;
    const char *name = last_name(path, &len);
    if (len == 0 || (len == 1 && name[0] == '.') || (len == 2 && !strncmp(name, "..", 2)))
        return rk_err_set(err, RK_EINVAL, "names no folder of its own (an output folder is replaced "
                                          "whole): give a new folder, e.g. '%s/out'", path);
    return RK_OK;
}

/* Every entry of the existing folder @p dir matches a pattern of @p owned. */
static rk_status check_contents(const char *dir, const char *const *owned, rk_err *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return rk_output_errno(err, errno, "cannot read the folder");
    rk_status st = RK_OK;
    struct dirent *e;
    while (st == RK_OK && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        bool mine = false;
        for (size_t i = 0; owned && owned[i] && !mine; i++)
            mine = fnmatch(owned[i], e->d_name, FNM_PERIOD) == 0;
        if (!mine)
            st = rk_err_set(err, RK_EIO, "holds '%s', which ranklab does not write; an output folder "
                                         "is replaced whole, so give a new or empty folder", e->d_name);
    }
    closedir(d);
    return st;
}

/* An existing target: a folder that is no mount point, holding only what ranklab writes. */
static rk_status check_existing(const char *target, const char *const *owned, rk_err *err)
{
    char *parent = rk_output_parent(target);
    if (!parent)
        return rk_err_set(err, RK_ENOMEM, "out of memory");
    struct stat st_t, st_p;
    rk_status st = RK_OK;
    if (stat(target, &st_t) != 0 || stat(parent, &st_p) != 0)
        st = rk_output_errno(err, errno, "cannot look at it");
    else if (st_t.st_dev != st_p.st_dev)
        st = rk_err_set(err, RK_EIO, "is a mount point, which cannot be replaced; give a folder inside it");
    rk_free(parent);
    return st ? st : check_contents(target, owned, err);
}

/* Create FINAL.tmp-PID-N (or FINAL.old-PID-N with @p tag "old") exclusively; a new string. */
static char *make_sibling_dir(const char *final, const char *tag, int *e)
{
    size_t cap = strlen(final) + 56;
    char *p = cap > 56 ? rk_alloc(cap) : NULL;
    *e = p ? EEXIST : ENOMEM;
    for (unsigned long i = 0; p && *e == EEXIST && i < TMP_ATTEMPTS; i++) {
        snprintf(p, cap, "%s.%s-%ld-%lu", final, tag, (long)getpid(), i);
        *e = mkdir(p, 0777) == 0 ? 0 : errno;
    }
    if (*e) {
        rk_free(p);
        return NULL;
    }
    return p;
}

rk_status rk_out_dir_open(rk_out_dir *d, const char *path, const char *const *owned, rk_err *err)
{
    *d = (rk_out_dir){ 0 };
    rk_output_kind kind;
    rk_status st = check_name(path, err);
    if (st == RK_OK)
        st = rk_output_classify(path, &kind, &d->final_path, err);
    if (st == RK_OK)
        st = check_name(d->final_path, err);
    if (st == RK_OK && kind == RK_OUTPUT_DIRECTORY)
        st = check_existing(d->final_path, owned, err);
    else if (st == RK_OK && kind != RK_OUTPUT_MISSING)
        st = rk_err_set(err, RK_EIO, "is not a directory (an output folder is wanted)");
    char *parent = st == RK_OK ? rk_output_parent(d->final_path) : NULL;
    if (st == RK_OK && !parent)
        st = rk_err_set(err, RK_ENOMEM, "out of memory");
    if (st == RK_OK && kind == RK_OUTPUT_MISSING)
        st = rk_mkdir_p(parent, err);
    rk_free(parent);
    int e = 0;
    sigset_t saved; /* created and registered with no signal in between */
    rk_output_hold_signals(&saved);
    if (st == RK_OK && !(d->tmp_path = make_sibling_dir(d->final_path, "tmp", &e)))
        st = e == ENOMEM ? rk_err_set(err, RK_ENOMEM, "out of memory")
                         : rk_output_errno(err, e, "cannot create a temporary folder beside it");
    if (st == RK_OK)
        d->temp = rk_output_temp_register(d->tmp_path, true);
    rk_output_release_signals(&saved);
    if (st)
        rk_out_dir_abort(d);
    return st;
}

/* fsync every file and folder under the open folder @p fd (which it closes). */
static int fsync_tree(int fd, int depth)
{
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return errno;
    }
    int e = 0;
    struct dirent *ent;
    while ((ent = readdir(d))) {
        if (!strcmp(ent->d_name, ".") || !strcmp(ent->d_name, ".."))
            continue;
        int sub = openat(dirfd(d), ent->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        struct stat sb;
        if (sub < 0 || fstat(sub, &sb) != 0) {
            e = e ? e : errno;
        } else if (S_ISDIR(sb.st_mode) && depth < FSYNC_DEPTH) {
            int r = fsync_tree(sub, depth + 1);
            e = e ? e : r;
            continue;
        } else if (S_ISREG(sb.st_mode) && fsync(sub) != 0) {
            e = e ? e : errno;
        }
        if (sub >= 0)
            close(sub);
    }
    if (fsync(dirfd(d)) != 0 && !e)
        e = errno;
    closedir(d);
    return e;
}

/* Fallback swap: the old folder to FINAL.old-PID-N, the new one in its place. */
static int swap_by_backup(rk_out_dir *d, char **backup, int *backup_temp)
{
    int e;
    if (!(*backup = make_sibling_dir(d->final_path, "old", &e)))
        return e;
    *backup_temp = rk_output_temp_register(*backup, true);
    if (rename(d->final_path, *backup) != 0) {
        e = errno; /* ENOENT: there was nothing to keep */
        rmdir(*backup);
        rk_output_temp_forget(*backup_temp);
        *backup_temp = 0;
        rk_free(*backup);
        *backup = NULL;
        if (e != ENOENT)
            return e;
    }
    if (rename(d->tmp_path, d->final_path) == 0)
        return 0;
    e = errno;
    if (*backup) /* put the old one back: the target is as it was */
        (void)rename(*backup, d->final_path);
    return e;
}

/* Put d->tmp_path in place of d->final_path; what to remove afterwards in *old (or NULL). */
static int swap_in(rk_out_dir *d, bool exchange, const char **old, char **backup, int *backup_temp)
{
    *old = NULL;
    if (!exchange) {
        int e = swap_by_backup(d, backup, backup_temp);
        *old = *backup;
        return e;
    }
    for (int i = 0; i < SWAP_ATTEMPTS; i++) {
        if (renameat2(AT_FDCWD, d->tmp_path, AT_FDCWD, d->final_path, RENAME_EXCHANGE) == 0) {
            *old = d->tmp_path; /* now holds the old folder */
            return 0;
        }
        int e = errno;
        if (e == EINVAL || e == ENOSYS || e == EOPNOTSUPP) { /* no exchange on this file system */
            e = swap_by_backup(d, backup, backup_temp);
            *old = *backup;
            return e;
        }
        if (e != ENOENT)
            return e;
        if (rename(d->tmp_path, d->final_path) == 0)
            return 0;
        if (errno != ENOTEMPTY && errno != EEXIST) /* else: it appeared meanwhile; exchange */
            return errno;
    }
    return EBUSY;
}

/* rk_out_dir_commit, with the exchange or (@p exchange false) the fallback alone. */
static rk_status commit(rk_out_dir *d, bool exchange, rk_err *err)
{
    if (!d || !d->tmp_path || !d->final_path) {
        rk_out_dir_abort(d);
        return rk_err_set(err, RK_EINVAL, "no open output folder");
    }
    int fd = open(d->tmp_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int e = fd < 0 ? errno : fsync_tree(fd, 0);
    if (e) {
        rk_out_dir_abort(d);
        return rk_output_errno(err, e, "cannot write the folder to disk");
    }
    char *parent = rk_output_parent(d->final_path), *backup = NULL;
    if (!parent) {
        rk_out_dir_abort(d);
        return rk_err_set(err, RK_ENOMEM, "out of memory");
    }
    int lock = -1, backup_temp = 0;
    sigset_t saved;
    const char *old = NULL;
    rk_output_commit_begin(parent, &lock, &saved);
    e = swap_in(d, exchange, &old, &backup, &backup_temp);
    if (!e && !old) { /* renamed: the temporary's name is gone */
        rk_output_temp_forget(d->temp);
        d->temp = 0;
        d->tmp_path[0] = '\0';
    }
    rk_output_commit_end(lock, &saved);
    rk_free(parent);
    if (!e && old) /* the old folder, out of the way: remove it */
        (void)rk_output_remove_tree(old);
    rk_output_temp_forget(backup_temp);
    rk_free(backup);
    if (!e && old == d->tmp_path)
        d->tmp_path[0] = '\0';
    rk_out_dir_abort(d);
    return e ? rk_output_errno(err, e, "cannot put the new folder in place") : RK_OK;
}

void rk_out_dir_abort(rk_out_dir *d)
{
    if (!d)
        return;
    if (d->tmp_path && d->tmp_path[0])
        (void)rk_output_remove_tree(d->tmp_path);
    rk_output_temp_forget(d->temp);
    rk_free(d->tmp_path);
    rk_free(d->final_path);
    *d = (rk_out_dir){ 0 };
}

rk_status rk_out_dir_commit(rk_out_dir *d, rk_err *err)
{
    return commit(d, true, err);
}

rk_status rk_out_dir_commit_by_backup(rk_out_dir *d, rk_err *err)
{
    return commit(d, false, err);
}
