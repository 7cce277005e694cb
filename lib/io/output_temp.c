/*
 * output_temp.c — the registry of live temporaries and their removal, both
 * async-signal-safe, so a program's SIGINT/SIGTERM handler can leave no
 * FILE.tmp-PID-N or DIR.tmp-PID-N behind (rk_output_remove_temporaries).
 *
 * A slot holds a pointer to the writer's own copy of the name: claimed with
 * a compare-and-swap on its state, published after the kind is set, cleared
 * before the writer frees the name. Lock-free atomics only: a handler that
 * interrupts a registration sees the slot either empty or complete.
 */
#define _GNU_SOURCE
#include "io/output.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

enum { SLOTS = 64, MAX_DEPTH = 16, MAX_PASSES = 64 };

static atomic_int slot_state[SLOTS];          /* 0 free, 1 taken */
static _Atomic(const char *) slot_path[SLOTS]; /* NULL until published */
static atomic_bool slot_is_dir[SLOTS];

int rk_output_temp_register(const char *path, bool is_dir)
{
    for (int i = 0; i < SLOTS; i++) {
        int free_ = 0;
        if (!atomic_compare_exchange_strong(&slot_state[i], &free_, 1))
            continue;
        atomic_store(&slot_is_dir[i], is_dir);
        atomic_store(&slot_path[i], path);
        return i + 1;
    }
    return 0;
}

void rk_output_temp_forget(int handle)
{
    if (handle < 1 || handle > SLOTS)
        return;
    atomic_store(&slot_path[handle - 1], NULL);
    atomic_store(&slot_state[handle - 1], 0);
}

/* The kernel's directory entry as getdents64 returns it. */
struct dirent64_raw {
    uint64_t ino;
    int64_t off;
    unsigned short reclen;
    unsigned char type;
    char name[];
};

static int empty_dir(int fd, int depth);

/* Remove entry @p name of the folder @p fd, a subfolder with its contents. */
static int remove_entry(int fd, const char *name, unsigned char type, int depth)
{
    if (type != 4 /* DT_DIR */ && unlinkat(fd, name, 0) == 0)
        return 0;
    if (type != 4 && errno != EISDIR)
        return errno == ENOENT ? 0 : errno;
    if (depth >= MAX_DEPTH)
        return ELOOP;
    int sub = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0)
        return errno == ENOENT ? 0 : errno;
    int e = empty_dir(sub, depth + 1);
    close(sub);
    if (unlinkat(fd, name, AT_REMOVEDIR) != 0 && !e)
        e = errno == ENOENT ? 0 : errno;
    return e;
}

/* One pass over the folder: remove what is listed; *seen counts the entries. */
static int empty_pass(int fd, int depth, int *seen)
{
    _Alignas(8) char buf[2048];
    int e = 0;
    long n;
    *seen = 0;
    if (lseek(fd, 0, SEEK_SET) < 0)
        return errno;
    while ((n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
        for (long off = 0; off < n;) {
            const struct dirent64_raw *d = (const struct dirent64_raw *)(buf + off);
            off += d->reclen;
            if (!strcmp(d->name, ".") || !strcmp(d->name, ".."))
                continue;
            (*seen)++;
            int r = remove_entry(fd, d->name, d->type, depth);
            if (r && !e)
                e = r;
        }
    }
    return n < 0 && !e ? errno : e;
}

static int empty_dir(int fd, int depth)
{
    /* Entries removed while listing may shift the listing: list again until empty. */
    int seen = 1, e = 0;
    for (int pass = 0; pass < MAX_PASSES && seen && !e; pass++)
        e = empty_pass(fd, depth, &seen);
    return e;
}

int rk_output_remove_tree(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : errno;
    int e = empty_dir(fd, 0);
    close(fd);
    if (rmdir(path) != 0 && !e)
        e = errno == ENOENT ? 0 : errno;
    return e;
}

void rk_output_remove_temporaries(void)
{
    int saved = errno; /* a handler leaves errno as it found it */
    for (int i = 0; i < SLOTS; i++) {
        const char *p = atomic_load(&slot_path[i]);
        if (!p)
            continue;
        if (atomic_load(&slot_is_dir[i]))
            (void)rk_output_remove_tree(p);
        else
            (void)unlink(p);
    }
    errno = saved;
}
