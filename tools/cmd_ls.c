/*
 * cmd_ls.c — `ranklab ls FILE`: the tensors of a safetensors file (name,
 * dtype, shape, bytes) and its __metadata__. Thin over lib/io/safetensors.h
 * (rk_st_open).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: ranklab ls FILE.safetensors\n\n"
               "List the tensors of FILE: name, dtype, shape and size in bytes, then the\n"
               "file's __metadata__. The file is checked completely first: a malformed\n"
               "file is refused with the reason.\n\n"
               "  -h, --help   show this help\n");
}

static void print_shape(const rk_st_tensor *t)
{
    char buf[256];
    size_t at = 0;
    at += (size_t)snprintf(buf, sizeof buf, "(");
    for (int d = 0; d < t->ndim && at < sizeof buf; d++)
        at += (size_t)snprintf(buf + at, sizeof buf - at, "%s%zu", d ? ", " : "", t->shape[d]);
    if (at < sizeof buf)
        snprintf(buf + at, sizeof buf - at, "%s)", t->ndim == 1 ? "," : "");
    printf("  %-14s", buf);
}

static int list_safetensors(const char *path)
{
    rk_st_file f;
    rk_err err;
    rk_status st = rk_st_open(&f, path, &err);
    if (st)
        return cli_fail("ls", path, st, &err);
    printf("%s: %zu tensor%s, header %zu bytes, data %zu bytes\n", path, f.n_tensors,
           f.n_tensors == 1 ? "" : "s", f.data_start - 8, f.size - f.data_start);
    size_t width = 4;
    for (size_t i = 0; i < f.n_tensors; i++)
        if (strlen(f.tensors[i].name) > width)
            width = strlen(f.tensors[i].name);
    if (f.n_tensors)
        printf("%-*s  %-7s  %-14s  %s\n", (int)width, "name", "dtype", "shape", "bytes");
    for (size_t i = 0; i < f.n_tensors; i++) {
        const rk_st_tensor *t = &f.tensors[i];
        printf("%-*s  %-7s", (int)width, t->name, t->dtype_name);
        print_shape(t);
        printf("  %zu\n", t->end - t->begin);
    }
    if (f.n_meta) {
        printf("metadata:\n");
        for (size_t i = 0; i < f.n_meta; i++)
            printf("  %s: %s\n", f.meta_keys[i], f.meta_values[i]);
    }
    rk_st_close(&f);
    return RK_EXIT_OK;
}

int cmd_ls(int argc, char **argv)
{
    static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return RK_EXIT_OK;
        }
        return cli_usage_error("ls", "unknown option '%s'", argv[optind - 1]);
    }
    if (optind != argc - 1)
        return cli_usage_error("ls", optind == argc ? "missing FILE" : "one FILE at a time");
    return list_safetensors(argv[optind]);
}
