/**
 * @file
 * @ingroup io
 * output.h — where an output goes and how it is put there without losing
 * what was there before.
 *
 * One rule per kind of target, decided by rk_output_classify() before anything
 * is written:
 *
 *   missing or regular file  written to a temporary beside it, fsync'd, renamed
 *                            onto it (rk_atomic_open in io/file.h)
 *   symbolic link            followed (up to 40 links); the file it names is
 *                            replaced as above and the link stays a link
 *   FIFO, character device,  written directly, without a temporary: renaming
 *   "-" (standard output)    over them would replace the device by a file
 *   directory, block device, refused with a message
 *   socket
 *
 * A directory output (a model, an adapter, a report) is built in a temporary
 * sibling directory PATH.tmp-PID-N and swapped in whole at the end
 * (rk_out_dir_commit): the old directory stays until the new one is in place.
 * Files that must change together beside other files (a factor pair) are
 * committed as a group (rk_atomic_commit_group in io/file.h).
 *
 * Every temporary is listed in a process-wide registry while it exists, so a
 * program's signal handler can remove them with rk_output_remove_temporaries()
 * (async-signal-safe). The library installs no handler itself. Creating and
 * committing a temporary hold SIGINT, SIGTERM and SIGHUP back in the calling
 * thread only; a signal sent to the process may still land on another thread
 * (a BLAS worker), so the handler must run the removal on the writing thread:
 * a handler entered on another thread forwards the signal there with
 * pthread_kill (tools/cli_output.c does).
 */
#ifndef RK_IO_OUTPUT_H
#define RK_IO_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>

#include "../core/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What an output path names, after following symbolic links. */
typedef enum rk_output_kind {
    RK_OUTPUT_MISSING,   /**< nothing yet: created through a temporary */
    RK_OUTPUT_REGULAR,   /**< a regular file: replaced through a temporary */
    RK_OUTPUT_STREAM,    /**< "-", a FIFO or a character device: written directly */
    RK_OUTPUT_DIRECTORY, /**< a directory */
    RK_OUTPUT_OTHER      /**< a block device or a socket: never written */
} rk_output_kind;

/**
 * Classify @p path as an output. Symbolic links in the last component are
 * followed (a dangling link names the file it would create); *resolved
 * (may be NULL; free with rk_free) receives the path that is written: @p path
 * itself, or the target of the links, relative to the link's directory.
 * "-" is RK_OUTPUT_STREAM with *resolved = "-".
 * @return RK_OK; RK_EINVAL for a NULL or empty path ("empty output name");
 *         RK_EIO for a loop of links or a failing lstat; RK_ENOMEM.
 */
rk_status rk_output_classify(const char *path, rk_output_kind *kind, char **resolved, rk_err *err);

/**
 * Check, before any work, that a single-file output can be written at
 * @p path: its kind is not a directory or a block device or socket, and (for
 * a file written through a temporary) its folder exists and is writable.
 * @return RK_OK; RK_EINVAL (empty name); RK_ENOENT ("no such folder 'D'");
 *         RK_EIO naming the problem.
 */
rk_status rk_output_check(const char *path, rk_err *err);

/**
 * Set *same when @p a and @p b name the same output once links are followed:
 * the same file (device and inode) when both exist, otherwise the same name in
 * the same folder. Two "-" are the same (standard output).
 */
rk_status rk_output_same(const char *a, const char *b, bool *same, rk_err *err);

/**
 * List the temporary @p path (a file, or a directory with @p is_dir) in the
 * registry. The string must stay valid until rk_output_temp_forget(). Returns
 * a handle > 0, or 0 when all 64 slots are taken (the temporary is then
 * still removed by its writer, only not by a signal handler).
 */
int rk_output_temp_register(const char *path, bool is_dir);

/** Take @p handle out of the registry (its temporary was renamed or removed). 0 is ignored. */
void rk_output_temp_forget(int handle);

/**
 * Remove every registered temporary (files unlinked, directories removed
 * with their contents), for a signal handler: only async-signal-safe calls
 * (open, getdents64, unlinkat, close). Nothing else in the process is touched.
 */
void rk_output_remove_temporaries(void);

/**
 * Remove directory @p path and everything under it (links are removed, never
 * followed; at most 16 levels deep). Async-signal-safe.
 * @return 0, or the errno of the first failure.
 */
int rk_output_remove_tree(const char *path);

/** A directory output being built in a temporary sibling directory. */
typedef struct rk_out_dir {
    char *final_path; /**< where it goes on commit (links followed) */
    char *tmp_path;   /**< where the files are written meanwhile: FINAL.tmp-PID-N */
    int temp;         /**< registry handle of tmp_path (0: none) */
} rk_out_dir;

/**
 * Start a directory output at @p path: checks the name (not empty, not ".",
 * ".." or "/"), follows a link, refuses a path that is not a directory or is
 * a mount point, refuses an existing directory holding an entry that matches
 * none of the shell patterns @p owned (NULL-terminated; fnmatch), creates the
 * missing parent folders and the temporary directory (mode 0777 less the
 * umask) beside the target. Write into d->tmp_path; then commit or abort.
 * @return RK_OK; RK_EINVAL (bad name); RK_EIO naming the problem; RK_ENOMEM.
 */
rk_status rk_out_dir_open(rk_out_dir *d, const char *path, const char *const *owned, rk_err *err);

/**
 * Put the finished directory in place: fsync every folder in it, then swap
 * it with the old one (renameat2 RENAME_EXCHANGE, or rename old → backup,
 * new → target where the file system lacks it) under an exclusive lock on
 * the parent folder, with SIGINT/SIGTERM/SIGHUP held back for the swap, and
 * remove the old one. On error the old directory is where it was.
 */
rk_status rk_out_dir_commit(rk_out_dir *d, rk_err *err);

/** Remove the temporary directory and its contents; the target is untouched. Safe after commit and on NULL. */
void rk_out_dir_abort(rk_out_dir *d);

#ifdef __cplusplus
}
#endif

#endif
