/*
 * output_priv.h — helpers shared by the output writers of lib/io (file.c,
 * output_path.c, output_dir.c); not part of the public API.
 */
#ifndef RK_IO_OUTPUT_PRIV_H
#define RK_IO_OUTPUT_PRIV_H

#include <signal.h>

#include "../core/status.h"
#include "output.h"

/** The folder of @p path ("." when it has none, "/" for a top-level name) into a new string. */
char *rk_output_parent(const char *path);

/** Failure of a system call as RK_ENOENT or RK_EIO: "WHAT: strerror(e)". */
rk_status rk_output_errno(rk_err *err, int e, const char *what);

/**
 * Hold back SIGINT, SIGTERM and SIGHUP in this thread (their old mask in
 * *saved): a temporary is created and registered, or a commit's renames
 * run, without one of them arriving in between.
 */
void rk_output_hold_signals(sigset_t *saved);

/** Let the signals held by rk_output_hold_signals through again. */
void rk_output_release_signals(const sigset_t *saved);

/**
 * Begin a commit into folder @p dir: take an exclusive lock on the folder
 * (flock; concurrent ranklab writers of one output take turns) and hold back
 * SIGINT, SIGTERM and SIGHUP, so the renames of one commit are never split by
 * them. *lock_fd is -1 when the folder cannot be locked (the commit goes on).
 */
void rk_output_commit_begin(const char *dir, int *lock_fd, sigset_t *saved);

/** End what rk_output_commit_begin started: fsync the folder, unlock it, let the signals through. */
void rk_output_commit_end(int lock_fd, const sigset_t *saved);

/**
 * rk_out_dir_commit by its fallback alone (old → DIR.old-PID-N, new → DIR),
 * the path taken on file systems without RENAME_EXCHANGE; for the tests.
 */
rk_status rk_out_dir_commit_by_backup(rk_out_dir *d, rk_err *err);

#endif
