/* file.c — whole-file reads with a size limit; single-file outputs by the rules of io/output.h. */
#include "io/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "io/output.h"
#include "io/output_priv.h"

static rk_status errno_status(rk_err *err, int e, const char *what)
{
    return rk_err_set(err, e == ENOENT ? RK_ENOENT : RK_EIO, "%s: %s", what, strerror(e));
}

rk_status rk_file_size(FILE *f, size_t *size, rk_err *err)
{
    struct stat st;
    if (fstat(fileno(f), &st) != 0)
        return errno_status(err, errno, "cannot stat");
    if (!S_ISREG(st.st_mode))
        return rk_err_set(err, RK_EIO, S_ISDIR(st.st_mode) ? "not a regular file (a directory)"
                                                      : "not a regular file (a device, FIFO or socket)");
    *size = (size_t)st.st_size;
    return RK_OK;
}

rk_status rk_file_open_regular(const char *path, FILE **f, size_t *size, rk_err *err)
{
    *f = NULL;
    /* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        return e == ENOENT ? rk_err_set(err, RK_ENOENT, "no such file")
                           : errno_status(err, e, "cannot open");
    }
    struct stat sb;
    rk_status st = RK_OK;
    if (fstat(fd, &sb) != 0)
        st = errno_status(err, errno, "cannot stat");
    else if (!S_ISREG(sb.st_mode))
        st = rk_err_set(err, RK_EIO, S_ISDIR(sb.st_mode) ? "not a regular file (a directory)"
                                                         : "not a regular file (a device, FIFO or socket)");
    int flags = st == RK_OK ? fcntl(fd, F_GETFL) : -1;
    if (st == RK_OK && (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0))
        st = errno_status(err, errno, "cannot open");
    if (st == RK_OK && !(*f = fdopen(fd, "rb")))
        st = errno_status(err, errno, "cannot open");
    if (st != RK_OK) {
        close(fd);
        return st;
    }
    if (size)
        *size = (size_t)sb.st_size;
    return RK_OK;
}

rk_status rk_file_read_all(const char *path, size_t max_size, unsigned char **data,
                           size_t *size, rk_err *err)
{
    *data = NULL;
    *size = 0;
    FILE *f;
    size_t n = 0;
    rk_status st = rk_file_open_regular(path, &f, &n, err);
    if (st)
        return st;
    if (n > max_size)
        st = rk_err_set(err, RK_ETOOBIG, "file is %zu bytes, more than the %zu allowed", n, max_size);
    unsigned char *buf = NULL;
    if (st == RK_OK && !(buf = rk_alloc(n)))
        st = rk_err_set(err, RK_ENOMEM, "cannot allocate %zu bytes", n);
    if (st == RK_OK && n && fread(buf, 1, n, f) != n)
        st = ferror(f) ? errno_status(err, errno, "read failed")
                       : rk_err_set(err, RK_ETRUNC, "file shrank while being read");
    (void)fclose(f); /* read-only: nothing is lost if close fails */
    if (st) {
        rk_free(buf);
        return st;
    }
    *data = buf;
    *size = n;
    return RK_OK;
}

/* Largest N tried for FINAL.tmp-PID-N before giving up. */
enum { TMP_ATTEMPTS = 1000 };

/* A new file of our own beside @p final: FINAL.tmp-PID-N, created exclusively. */
static rk_status open_temporary(rk_atomic_file *af, rk_err *err)
{
    /* ".tmp-" + pid (≤ 20 digits) + "-" + N (≤ 20 digits) + NUL */
    size_t n = strlen(af->final_path), cap = n + 48;
    af->tmp_path = n < SIZE_MAX - 48 ? rk_alloc(cap) : NULL;
    if (!af->tmp_path)
        return rk_err_set(err, RK_ENOMEM, "out of memory");
    /* A name of our own, created exclusively: no umask games (mkstemp's 0600
     * would need one, and umask is process-wide), no reliance on randomness.
     * open() applies the umask to 0666 as for any new file. */
    int fd = -1, e = EEXIST;
    sigset_t saved; /* created and registered with no signal in between */
    rk_output_hold_signals(&saved);
    for (unsigned long i = 0; fd < 0 && e == EEXIST && i < TMP_ATTEMPTS; i++) {
        snprintf(af->tmp_path, cap, "%s.tmp-%ld-%lu", af->final_path, (long)getpid(), i);
        fd = open(af->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        e = fd < 0 ? errno : 0;
    }
    if (fd >= 0)
        af->temp = rk_output_temp_register(af->tmp_path, false);
    rk_output_release_signals(&saved);
    if (fd < 0) {
        af->tmp_path[0] = '\0';
        return errno_status(err, e, "cannot create a temporary file beside it");
    }
    if (!(af->f = fdopen(fd, "wb"))) {
        e = errno;
        close(fd);
        return errno_status(err, e, "cannot open the temporary file");
    }
    return RK_OK;
}

/* A FIFO, a character device or "-": written in place, never renamed over. */
static rk_status open_stream(rk_atomic_file *af, rk_err *err)
{
    af->direct = true;
    if (!strcmp(af->final_path, "-")) {
        af->f = stdout;
        af->tmp_path = rk_strdup("-");
        return af->tmp_path ? RK_OK : rk_err_set(err, RK_ENOMEM, "out of memory");
    }
    /* Whoever writes on the temporary's name (gnuplot) writes on the target. */
    af->tmp_path = rk_strdup(af->final_path);
    if (!af->tmp_path)
        return rk_err_set(err, RK_ENOMEM, "out of memory");
    int fd = open(af->final_path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return errno_status(err, errno, "cannot open");
    if (!(af->f = fdopen(fd, "wb"))) {
        int e = errno;
        close(fd);
        return errno_status(err, e, "cannot open");
    }
    return RK_OK;
}

rk_status rk_atomic_open(rk_atomic_file *af, const char *path, rk_err *err)
{
    *af = (rk_atomic_file){ 0 };
    rk_output_kind kind;
    rk_status st = rk_output_classify(path, &kind, &af->final_path, err);
    if (st == RK_OK && kind == RK_OUTPUT_DIRECTORY)
        st = rk_err_set(err, RK_EIO, "is a directory (a file name is wanted)");
    else if (st == RK_OK && kind == RK_OUTPUT_OTHER)
        st = rk_err_set(err, RK_EIO, "is a block device or a socket; not written");
    else if (st == RK_OK)
        st = kind == RK_OUTPUT_STREAM ? open_stream(af, err) : open_temporary(af, err);
    if (st)
        rk_atomic_abort(af);
    return st;
}

/* Flush and close the stream; for a temporary, fsync it first. */
static rk_status finish_writing(rk_atomic_file *af, rk_err *err)
{
    rk_status st = RK_OK;
    bool is_stdout = af->f == stdout;
    if (fflush(af->f) != 0 || ferror(af->f) || (!af->direct && fsync(fileno(af->f)) != 0))
        st = errno_status(err, errno, "write failed");
    if (!is_stdout && fclose(af->f) != 0 && st == RK_OK)
        st = errno_status(err, errno, "write failed");
    af->f = NULL;
    return st;
}

/* Rename the finished temporary onto its target. */
static rk_status rename_into_place(rk_atomic_file *af, rk_err *err)
{
    if (af->direct)
        return RK_OK;
    if (rename(af->tmp_path, af->final_path) != 0)
        return errno_status(err, errno, "cannot rename the temporary file into place");
    rk_output_temp_forget(af->temp);
    af->temp = 0;
    af->tmp_path[0] = '\0'; /* nothing left to delete */
    return RK_OK;
}

rk_status rk_atomic_commit(rk_atomic_file *af, rk_err *err)
{
    if (!af || !af->f || !af->tmp_path || !af->final_path) {
        rk_atomic_abort(af);
        return rk_err_set(err, RK_EINVAL, "no open output file");
    }
    rk_status st = finish_writing(af, err);
    if (st == RK_OK)
        st = rename_into_place(af, err);
    rk_atomic_abort(af);
    return st;
}

rk_status rk_atomic_commit_group(rk_atomic_file *afs, size_t n, rk_err *err)
{
    rk_status st = RK_OK;
    for (size_t i = 0; i < n; i++)
        if (!afs[i].f || !afs[i].final_path)
            st = rk_err_set(err, RK_EINVAL, "no open output file");
    for (size_t i = 0; i < n && st == RK_OK; i++)
        st = finish_writing(&afs[i], err);
    char *dir = st == RK_OK && n ? rk_output_parent(afs[0].final_path) : NULL;
    if (st == RK_OK && n && !dir)
        st = rk_err_set(err, RK_ENOMEM, "out of memory");
    if (st == RK_OK && n) {
        /* Every file is complete and on disk; the renames run back to back. */
        int lock = -1;
        sigset_t saved;
        rk_output_commit_begin(dir, &lock, &saved);
        for (size_t i = 0; i < n && st == RK_OK; i++)
            st = rename_into_place(&afs[i], err);
        rk_output_commit_end(lock, &saved);
    }
    rk_free(dir);
    for (size_t i = 0; i < n; i++)
        rk_atomic_abort(&afs[i]);
    return st;
}

void rk_atomic_abort(rk_atomic_file *af)
{
    if (!af)
        return;
    if (af->f && af->f != stdout)
        (void)fclose(af->f); /* the file is being thrown away */
    if (!af->direct && af->tmp_path && af->tmp_path[0])
        unlink(af->tmp_path);
    rk_output_temp_forget(af->temp);
    rk_free(af->tmp_path);
    rk_free(af->final_path);
    *af = (rk_atomic_file){ 0 };
}

rk_status rk_file_write_all(const char *path, const void *data, size_t size, rk_err *err)
{
    rk_atomic_file af;
    rk_status st = rk_atomic_open(&af, path, err);
    if (st)
        return st;
    if (size && fwrite(data, 1, size, af.f) != size) {
        int e = errno;
        rk_atomic_abort(&af);
        return errno_status(err, e, "write failed");
    }
    return rk_atomic_commit(&af, err);
}

rk_status rk_mkdir_p(const char *path, rk_err *err)
{
    if (!path || !*path)
        return rk_err_set(err, RK_EINVAL, "empty folder name");
    size_t n = strlen(path);
    char *buf = rk_strdup(path);
    if (!buf)
        return rk_err_set(err, RK_ENOMEM, "out of memory");
    rk_status st = RK_OK;
    for (size_t i = 1; i <= n && st == RK_OK; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char c = buf[i];
        buf[i] = '\0';
        struct stat sb;
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            st = errno_status(err, errno, "cannot create directory");
        else if (stat(buf, &sb) != 0 || !S_ISDIR(sb.st_mode))
            st = rk_err_set(err, RK_EIO, "'%s' exists and is not a directory", buf);
        buf[i] = c;
    }
    rk_free(buf);
    return st;
}

char *rk_path_join(const char *dir, const char *name)
{
    size_t d = strlen(dir), n = strlen(name);
    char *p = rk_alloc(d + n + 2);
    if (p)
        snprintf(p, d + n + 2, "%s%s%s", dir, d && dir[d - 1] != '/' ? "/" : "", name);
    return p;
}
