/* gnuplot.c — run gnuplot on a script file, capture its stdout, report its errors. */
#include "plot/gnuplot.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/alloc.h"

extern char **environ;

/* The most gnuplot may print on stdout: a dumb drawing is a few kilobytes. */
#define GNUPLOT_OUT_MAX ((size_t)16 << 20)

/* Read fd to EOF into a growing rk_alloc'd buffer (or discard when out is NULL). */
static rk_status read_all_fd(int fd, char **out, size_t *out_len, rk_err *err)
{
    size_t cap = out ? 4096 : 0, len = 0;
    char *buf = out ? rk_alloc(cap) : NULL;
    char chunk[4096];
    if (out && !buf)
        return rk_err_set(err, RK_ENOMEM, "out of memory");
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            rk_free(buf);
            return rk_err_set(err, RK_EIO, "reading gnuplot's output: %s", strerror(e));
        }
        if (n == 0)
            break;
        if (!out)
            continue;
        if (len + (size_t)n + 1 > cap) {
            if (cap >= GNUPLOT_OUT_MAX) {
                rk_free(buf);
                return rk_err_set(err, RK_EPLOT, "gnuplot printed more than %zu bytes", cap);
            }
            char *bigger = rk_alloc(cap * 2);
            if (!bigger) {
                rk_free(buf);
                return rk_err_set(err, RK_ENOMEM, "out of memory");
            }
            memcpy(bigger, buf, len);
            rk_free(buf);
            buf = bigger;
            cap *= 2;
        }
        memcpy(buf + len, chunk, (size_t)n);
        len += (size_t)n;
    }
    if (out) {
        buf[len] = '\0';
        *out = buf;
        *out_len = len;
    }
    return RK_OK;
}

/*
 * The line of gnuplot's stderr that explains a failure: the first one that
 * mentions "line N:" (gnuplot's error format), else the last non-empty one.
 */
static void first_error_line(FILE *errf, char *msg, size_t cap)
{
    char line[512];
    msg[0] = '\0';
    rewind(errf);
    while (fgets(line, sizeof line, errf)) {
        line[strcspn(line, "\r\n")] = '\0';
        const char *p = line + strspn(line, " \t");
        if (!*p || *p == '^')
            continue;
        snprintf(msg, cap, "%s", p);
        if (strstr(p, "line ") && strchr(p, ':'))
            return;
    }
}

static rk_status spawn_failed(rk_err *err, const char *program, int e)
{
    if (e == ENOENT && !strchr(program, '/'))
        return rk_err_set(err, RK_EPLOT,
                          "gnuplot not found ('%s' is not on PATH): install the Debian package "
                          "gnuplot-nox to draw plots", program);
    return rk_err_set(err, RK_EPLOT,
                      "cannot run gnuplot '%s': %s (install the Debian package gnuplot-nox)",
                      program, strerror(e));
}

rk_status rk_gnuplot_run(const char *program, FILE *script, char **out, size_t *out_len,
                         rk_err *err)
{
    if (out) {
        *out = NULL;
        *out_len = 0;
    }
    if (!program || !*program || !script)
        return rk_err_set(err, RK_EINVAL, "no gnuplot program or script");
    if (fflush(script) != 0)
        return rk_err_set(err, RK_EIO, "cannot flush the gnuplot script: %s", strerror(errno));
    FILE *errf = tmpfile();
    if (!errf)
        return rk_err_set(err, RK_EIO, "cannot create a temporary file: %s", strerror(errno));
    int fds[2];
    if (pipe(fds) != 0) {
        int e = errno;
        fclose(errf);
        return rk_err_set(err, RK_EIO, "cannot create a pipe: %s", strerror(e));
    }
    /* Only the duplicates made for the child survive exec. */
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fileno(script), 0);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_adddup2(&fa, fileno(errf), 2);
    char *argv[] = { (char *)program, "-d", NULL };
    pid_t pid;
    int e = posix_spawnp(&pid, program, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (e != 0) {
        close(fds[0]);
        fclose(errf);
        return spawn_failed(err, program, e);
    }

    rk_status st = read_all_fd(fds[0], out, out_len, err);
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            status = -1;
            break;
        }
    }
    if (st == RK_OK) {
        char msg[400];
        first_error_line(errf, msg, sizeof msg);
        if (status == -1)
            st = rk_err_set(err, RK_EPLOT, "lost track of gnuplot: %s", strerror(errno));
        else if (WIFSIGNALED(status))
            st = rk_err_set(err, RK_EPLOT, "gnuplot was killed by signal %d", WTERMSIG(status));
        else if (WEXITSTATUS(status) == 127)
            st = spawn_failed(err, program, ENOENT);
        else if (WEXITSTATUS(status) != 0)
            st = rk_err_set(err, RK_EPLOT, "gnuplot failed (exit status %d): %s",
                            WEXITSTATUS(status), msg[0] ? msg : "no message");
    }
    fclose(errf);
    if (st && out) {
        rk_free(*out);
        *out = NULL;
        *out_len = 0;
    }
    return st;
}
