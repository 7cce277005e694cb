/**
 * @file
 * @ingroup io
 * file.h — file helpers every reader and writer shares: read a whole file
 * with a size limit checked before allocating, and write a file atomically
 * (to a temporary name in the same directory, fsync'd, then renamed), so an
 * interrupted run never leaves a broken output behind. What each kind of
 * target gets (links, FIFOs, devices, "-", directories) is in io/output.h.
 */
#ifndef RK_IO_FILE_H
#define RK_IO_FILE_H

#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>

#include "../core/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Read all of @p path into a new buffer (*data, *size; free with rk_free).
 * The file is opened with rk_file_open_regular() (FIFOs, devices and
 * directories are refused without blocking); its real size is taken from the
 * open descriptor and checked against @p max_size before anything is allocated.
 * @return RK_OK; RK_ENOENT; RK_EIO (with errno's text in err); RK_ETOOBIG;
 *         RK_ENOMEM. On error *data is NULL.
 */
rk_status rk_file_read_all(const char *path, size_t max_size, unsigned char **data,
                           size_t *size, rk_err *err);

/**
 * Open @p path for reading only if it is a regular file: *f (close with
 * fclose) and its size from fstat in *size (may be NULL). The file is opened
 * non-blocking and checked before anything is read, so a FIFO, a terminal, a
 * socket or a device is refused at once instead of blocking the caller or
 * being consumed; a directory is refused by name.
 * @return RK_OK; RK_ENOENT; RK_EIO ("not a regular file (a directory)", "not
 *         a regular file (a device, FIFO or socket)", or errno's text). On
 *         error *f is NULL.
 */
rk_status rk_file_open_regular(const char *path, FILE **f, size_t *size, rk_err *err);

/** Size in bytes of the open file @p f (via fstat), or RK_EIO. */
rk_status rk_file_size(FILE *f, size_t *size, rk_err *err);

/**
 * An output file being written. A regular or missing target (links followed)
 * is written under a temporary name beside it and renamed onto it at commit;
 * a FIFO, a character device or "-" (standard output) is written directly
 * (io/output.h has the rules).
 */
typedef struct rk_atomic_file {
    FILE *f;            /**< write here */
    char *final_path;   /**< where it goes on commit: the path with links followed, or "-" */
    char *tmp_path;     /**< where it is meanwhile: FINAL.tmp-PID-N (the target itself when direct) */
    bool direct;        /**< a stream written in place: no temporary, no rename */
    int temp;           /**< registry handle of the temporary (io/output.h), 0 when none */
} rk_atomic_file;

/**
 * Open @p path for writing by its kind (rk_output_classify): a regular or
 * missing file gets the temporary FINAL.tmp-PID-N beside the resolved target
 * (exclusively, N the first free number; mode 0666 less the umask, as for any
 * new file), so the rename stays within one file system; the temporary is
 * listed for rk_output_remove_temporaries(). A FIFO or character device is
 * opened for writing (a FIFO waits for its reader); "-" is stdout.
 * @return RK_OK; RK_EINVAL for an empty name; RK_EIO for a directory, a
 *         block device or socket, or errno's text; RK_ENOMEM.
 */
rk_status rk_atomic_open(rk_atomic_file *af, const char *path, rk_err *err);

/**
 * Flush, fsync, close and rename the temporary file onto the final path (a
 * direct output is flushed and closed; stdout stays open). An error from any
 * step is returned, and the temporary is removed.
 */
rk_status rk_atomic_commit(rk_atomic_file *af, rk_err *err);

/**
 * Commit @p n files that belong together (a factor pair) as one: every file
 * is flushed and fsync'd first, so a write error (a full disk, a file size
 * limit) leaves every target as it was; then the renames run back to back
 * under an exclusive lock on the folder of the first file, with SIGINT,
 * SIGTERM and SIGHUP held back, so concurrent ranklab writers and those
 * signals never leave a mixed set. Every entry is closed afterwards.
 */
rk_status rk_atomic_commit_group(rk_atomic_file *afs, size_t n, rk_err *err);

/** Close and delete the temporary file; the final path is untouched. Safe after commit and on NULL. */
void rk_atomic_abort(rk_atomic_file *af);

/**
 * DIR/NAME in a new string (rk_free it): one '/' between them unless @p dir
 * is empty or already ends in one. NULL when memory runs out.
 */
char *rk_path_join(const char *dir, const char *name);

/** Write @p size bytes of @p data to @p path atomically. */
rk_status rk_file_write_all(const char *path, const void *data, size_t size, rk_err *err);

/** Create directory @p path (and its parents) if missing; RK_EIO naming the problem otherwise. */
rk_status rk_mkdir_p(const char *path, rk_err *err);

#ifdef __cplusplus
}
#endif

#endif
