/*
 * peer.c — the co-process of peer.h: fork, two pipes, exec.
 */
#include "peer.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

bool bench_peer_start(bench_peer *p, char *const argv[], const char *const env[])
{
    int in[2], out[2];
    *p = (bench_peer){ .pid = -1 };
    if (pipe(in) != 0) {
        perror("bench: pipe");
        return false;
    }
    if (pipe(out) != 0) {
        perror("bench: pipe");
        close(in[0]);
        close(in[1]);
        return false;
    }
    signal(SIGPIPE, SIG_IGN); /* a dead peer shows up as a failed write */
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        perror("bench: fork");
        close(in[0]);
        close(in[1]);
        close(out[0]);
        close(out[1]);
        return false;
    }
    if (pid == 0) {
        dup2(in[0], STDIN_FILENO);
        dup2(out[1], STDOUT_FILENO);
        close(in[0]);
        close(in[1]);
        close(out[0]);
        close(out[1]);
        for (size_t i = 0; env && env[i]; i++) {
            char name[256];
            const char *eq = strchr(env[i], '=');
            size_t len = eq ? (size_t)(eq - env[i]) : 0;
            if (!eq) {   /* "NAME": remove it */
                unsetenv(env[i]);
                continue;
            }
            if (len == 0 || len >= sizeof name)
                continue;
            memcpy(name, env[i], len);
            name[len] = '\0';
            setenv(name, eq + 1, 1);
        }
        execv(argv[0], argv);
        fprintf(stderr, "bench: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    p->pid = (int)pid;
    p->to = fdopen(in[1], "w");
    p->from = fdopen(out[0], "r");
    if (!p->to || !p->from) {
        bench_peer_stop(p);
        return false;
    }
    return true;
}

bool bench_peer_read(bench_peer *p, char *reply, size_t size)
{
    if (!p->from || !fgets(reply, (int)size, p->from))
        return false;
    reply[strcspn(reply, "\n")] = '\0';
    return true;
}

bool bench_peer_ask(bench_peer *p, const char *request, char *reply, size_t size)
{
    if (!p->to || fprintf(p->to, "%s\n", request) < 0 || fflush(p->to) != 0)
        return false;
    return bench_peer_read(p, reply, size);
}

void bench_peer_stop(bench_peer *p)
{
    if (p->to) {
        fprintf(p->to, "quit\n");
        fclose(p->to);
    }
    if (p->from)
        fclose(p->from);
    if (p->pid > 0)
        waitpid((pid_t)p->pid, NULL, 0);
    *p = (bench_peer){ .pid = -1 };
}

bench_peer *bench_peer_start_python(bench_peer *p, const char *python, const char *script,
                                    int threads, const char *label, const char *needs)
{
    if (!script) {
        printf("  %s peer: not given (--peer SCRIPT): ranklab alone\n", needs);
        return NULL;
    }
    char t[32], env_threads[64], reply[4096];
    snprintf(t, sizeof t, "%d", threads);
    snprintf(env_threads, sizeof env_threads, "OPENBLAS_NUM_THREADS=%d", threads);
    char *argv[] = { (char *)python, (char *)script, "--threads", t, NULL };
    const char *env[] = { env_threads, NULL };
    if (!bench_peer_start(p, argv, env) || !bench_peer_read(p, reply, sizeof reply) ||
        strncmp(reply, "ready ", 6) != 0) {
        bench_peer_stop(p);
        printf("  %s peer: %s %s did not start (%s missing? `scripts/install-deps.sh peers`): "
               "ranklab alone\n", needs, python, script, needs);
        return NULL;
    }
    printf("  %s %s\n", label, reply + 6);
    return p;
}
