/* tut_keys.c — one key press at a pause, without Enter, on a terminal (see tut_keys.h). */
#define _POSIX_C_SOURCE 200809L
#include "tut_keys.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

static struct termios saved;            /* the terminal as the reader had it */
static struct termios raw;              /* the same with ICANON and ECHO off */
static volatile sig_atomic_t raw_on;    /* raw is in force now */
static bool installed;

static void restore(void)
{
    if (raw_on) {
        tcsetattr(STDIN_FILENO, TCSANOW, &saved);
        raw_on = 0;
    }
}

/* Put the terminal back, then let the signal do what it does by default
 * (tcsetattr, signal and raise are async-signal-safe). After a stop
 * (SIGTSTP, then SIGCONT) the wait goes on in raw mode again. */
static void on_signal(int sig)
{
    int was_raw = raw_on;
    int saved_errno = errno;
    restore();
    signal(sig, SIG_DFL);
    raise(sig);
    /* still alive: the signal stopped us and we were continued */
    signal(sig, on_signal);
    if (was_raw && tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0)
        raw_on = 1;
    errno = saved_errno;
}

static void install(void)
{
    static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP };
    struct sigaction sa = { 0 };
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction old;
        /* a signal the caller ignores stays ignored */
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
            sigaction(sigs[i], &sa, NULL);
    }
    atexit(restore);
    installed = true;
}

/* Non-canonical, no echo, one byte at a time; signals (Ctrl-C, Ctrl-Z) still work. */
static bool enter_raw(void)
{
    if (raw_on)
        return true;
    if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved) != 0)
        return false;
    if (!installed)
        install();
    raw = saved;
    raw.c_lflag &= (tcflag_t) ~(ICANON | ECHO);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) != 0)
        return false;
    raw_on = 1;
    return true;
}

/* The next byte of stdin; -1 at end of input or on an error. */
static int next_byte(void)
{
    unsigned char c;
    for (;;) {
        ssize_t n = read(STDIN_FILENO, &c, 1);
        if (n == 1)
            return c;
        if (n < 0 && errno == EINTR)
            continue;
        return -1;
    }
}

void tut_keys_begin(void)
{
    (void)enter_raw();
}

tut_key tut_read_key(void)
{
    if (!enter_raw()) {
        /* A line: its first character decides; the rest of it is dropped. */
        int c = next_byte(), first = c;
        while (c != -1 && c != '\n')
            c = next_byte();
        return first == -1 || first == 'q' || first == 'Q' ? TUT_KEY_QUIT : TUT_KEY_NEXT;
    }
    tut_key key = TUT_KEY_QUIT;
    for (;;) {
        int c = next_byte();
        if (c == -1 || c == 'q' || c == 'Q' || c == 4 /* Ctrl-D */)
            break;
        if (c == '\n' || c == '\r' || c == ' ') {
            key = TUT_KEY_NEXT;
            break;
        }
        /* any other key: not an answer, keep waiting */
    }
    restore();
    return key;
}
