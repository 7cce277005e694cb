/*
 * cmd_ls.c — `ranklab ls FILE`: the tensors of a safetensors file or a
 * (sharded) model directory (name, dtype, shape, bytes, shard) and the
 * file's __metadata__ (lib/io/shards.h, rk_shards_open: headers only), or
 * the header of a .npy file (lib/io/npy.h, rk_npy_read).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

static const char ls_usage[] =
    "usage: ranklab ls FILE.safetensors|MODEL_DIR|FILE.npy [--json]\n\n"
    "List the tensors of a safetensors file: name, dtype, shape and size in\n"
    "bytes, then the file's __metadata__. MODEL_DIR is a model directory\n"
    "(model.safetensors or adapter_model.safetensors) or a sharded one\n"
    "(model.safetensors.index.json and its shards: each tensor's shard is\n"
    "listed too); only the headers are read. For a .npy file: its version,\n"
    "dtype, shape and memory order. The headers (and the index) are checked\n"
    "completely first: a malformed file is refused with the reason.\n\n"
    "  --json       print one JSON object instead: file, format (safetensors\n"
    "               or npy); for safetensors sharded, shards, header_bytes,\n"
    "               data_bytes, name_or_path, tensors (name, dtype, shape,\n"
    "               bytes, shard), metadata; for .npy version, dtype, shape,\n"
    "               fortran_order, data_offset, data_bytes\n"
    "  -h, --help   show this help\n";

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

static void print_table(const rk_shards *c)
{
    size_t width = 4;
    for (size_t i = 0; i < c->n_tensors; i++)
        if (strlen(cli_name(c->tensors[i].t->name)) > width)   /* names escaped: cli_name */
            width = strlen(cli_name(c->tensors[i].t->name));
    if (c->n_tensors)
        printf("%-*s  %-7s  %-14s  %s%s\n", (int)width, "name", "dtype", "shape", "bytes",
               c->sharded ? "  shard" : "");
    for (size_t i = 0; i < c->n_tensors; i++) {
        const rk_st_tensor *t = c->tensors[i].t;
        printf("%-*s  %-7s", (int)width, cli_name(t->name), cli_name(t->dtype_name));
        print_shape(t);
        if (c->sharded) {
            const char *slash = strrchr(c->tensors[i].path, '/');
            printf("  %-10zu  %s\n", t->end - t->begin, slash ? slash + 1 : c->tensors[i].path);
        } else {
            printf("  %zu\n", t->end - t->begin);
        }
    }
}

/* `ls --json` of a safetensors file or directory, whose headers @p c holds. */
static json_t *safetensors_json(const char *path, const rk_shards *c, size_t header, size_t data)
{
    json_t *tensors = json_array(), *meta = json_object();
    for (size_t i = 0; tensors && i < c->n_tensors; i++) {
        const rk_st_tensor *t = c->tensors[i].t;
        json_t *shape = json_array();
        for (int d = 0; shape && d < t->ndim; d++)
            json_array_append_new(shape, json_integer((json_int_t)t->shape[d]));
        const char *slash = strrchr(c->tensors[i].path, '/');
        json_t *o = json_pack("{s:s, s:s, s:o, s:I, s:o}", "name", t->name, "dtype", t->dtype_name,
                              "shape", shape ? shape : json_null(), "bytes",
                              (json_int_t)(t->end - t->begin), "shard",
                              c->sharded ? json_string(slash ? slash + 1 : c->tensors[i].path)
                                         : json_null());
        if (!o || json_array_append_new(tensors, o)) {
            json_decref(tensors);
            tensors = NULL;
        }
    }
    const rk_st_file *f = &c->files[0];
    for (size_t i = 0; meta && !c->sharded && i < f->n_meta; i++)
        json_object_set_new(meta, f->meta_keys[i], json_string(f->meta_values[i]));
    return json_pack("{s:s, s:s, s:b, s:I, s:I, s:I, s:o, s:o, s:o}", "file", path, "format",
                     "safetensors", "sharded", c->sharded, "shards", (json_int_t)c->n_files,
                     "header_bytes", (json_int_t)header, "data_bytes", (json_int_t)data,
                     "name_or_path", c->name_or_path ? json_string(c->name_or_path) : json_null(),
                     "tensors", tensors ? tensors : json_null(), "metadata",
                     meta ? meta : json_null());
}

/* A .safetensors file, a model directory or a sharded one: headers only. */
static int list_safetensors(const char *path, bool json)
{
    rk_shards c;
    rk_err err;
    char where[4096];
    rk_err_clear(&err);
    rk_status st = rk_shards_open(&c, path, &err, where, sizeof where);
    if (st)
        return cli_fail("ls", where, st, &err);
    size_t header = 0, data = 0;
    for (size_t i = 0; i < c.n_files; i++) {
        header += c.files[i].data_start - 8;
        data += c.files[i].size - c.files[i].data_start;
    }
    if (json) {
        int rc = cli_json_print("ls", safetensors_json(path, &c, header, data));
        rk_shards_close(&c);
        return rc;
    }
    if (c.sharded)
        printf("%s: %zu tensor%s in %zu shards (%s), headers %zu bytes, data %zu bytes\n", path,
               c.n_tensors, c.n_tensors == 1 ? "" : "s", c.n_files, RK_SHARDS_INDEX, header, data);
    else
        printf("%s: %zu tensor%s, header %zu bytes, data %zu bytes\n", c.paths[0], c.n_tensors,
               c.n_tensors == 1 ? "" : "s", header, data);
    if (c.name_or_path)
        printf("config.json _name_or_path: %s\n", cli_name(c.name_or_path));
    print_table(&c);
    const rk_st_file *f = &c.files[0];
    if (!c.sharded && f->n_meta) {
        printf("metadata:\n");
        for (size_t i = 0; i < f->n_meta; i++)
            printf("  %s: %s\n", cli_name(f->meta_keys[i]), cli_name(f->meta_values[i]));
    }
    rk_shards_close(&c);
    return RK_EXIT_OK;
}

static bool is_npy(const char *path)
{
    size_t n = strlen(path);
    if (n >= 4 && !strcmp(path + n - 4, ".npy"))
        return true;
    /* A FIFO or device is neither waited on nor consumed here: the reader
     * chosen below refuses it with the reason. */
    FILE *f;
    if (rk_file_open_regular(path, &f, NULL, NULL) != RK_OK)
        return false;
    unsigned char b[6];
    bool yes = fread(b, 1, 6, f) == 6 && !memcmp(b, "\x93NUMPY", 6);
    (void)fclose(f);
    return yes;
}

/* numpy's descr of a dtype: '<f8', '|u1', '>i4', ... */
static void npy_descr(const rk_npy_info *info, char *buf, size_t cap)
{
    const char *name = rk_dtype_name(info->dtype);
    char kind = name[0] == 'F' ? 'f' : name[0] == 'I' ? 'i' : name[0] == 'U' ? 'u' : 'b';
    size_t size = rk_dtype_size(info->dtype);
    snprintf(buf, cap, "%c%c%zu", size == 1 ? '|' : info->big_endian ? '>' : '<', kind, size);
}

static int list_npy(const char *path, bool json)
{
    rk_mat m;
    rk_npy_info info;
    rk_err err;
    rk_err_clear(&err);
    rk_status st = rk_npy_read(path, &m, &info, &err);
    if (st)
        return cli_fail("ls", path, st, &err);
    char descr[16], shape[64];
    npy_descr(&info, descr, sizeof descr);
    if (info.ndim == 1)
        snprintf(shape, sizeof shape, "(%zu,)", info.shape[0]);
    else
        snprintf(shape, sizeof shape, "(%zu, %zu)", info.shape[0], info.shape[1]);
    if (json) {
        json_t *dims = json_array();
        for (int d = 0; dims && d < info.ndim; d++)
            json_array_append_new(dims, json_integer((json_int_t)info.shape[d]));
        char version[16];
        snprintf(version, sizeof version, "%d.%d", info.major, info.minor);
        rk_mat_free(&m);
        return cli_json_print("ls", json_pack("{s:s, s:s, s:s, s:s, s:o, s:b, s:I, s:I}", "file",
                                              path, "format", "npy", "version", version, "dtype",
                                              descr, "shape", dims ? dims : json_null(),
                                              "fortran_order", info.fortran_order, "data_offset",
                                              (json_int_t)info.data_offset, "data_bytes",
                                              (json_int_t)rk_npy_data_size(&info)));
    }
    printf("%s: .npy version %d.%d, data at byte %zu, %zu bytes\n", path, info.major, info.minor,
           info.data_offset, rk_npy_data_size(&info));
    printf("dtype    %s (%s)\nshape    %s\norder    %s\n", descr, rk_dtype_name(info.dtype), shape,
           info.fortran_order ? "Fortran (column-major)" : "C (row-major)");
    rk_mat_free(&m);
    return RK_EXIT_OK;
}

/* ls's one option, --json (cli_option_fn). */
static int ls_option(const char *cmd, int c, const char *arg, void *opts)
{
    (void)cmd;
    (void)arg;
    if (c != 'j')
        return CLI_OPT_UNKNOWN;
    *(bool *)opts = true;
    return RK_EXIT_OK;
}

int cmd_ls(int argc, char **argv)
{
    static const struct option opts[] = { { "json", no_argument, NULL, 'j' },
                                          { "help", no_argument, NULL, 'h' },
                                          { NULL, 0, NULL, 0 } };
    static const char *const usage[] = { ls_usage, NULL };
    bool json = false;
    int rc = cli_options("ls", argc, argv, ":h", opts, usage, ls_option, &json);
    if (rc != RK_EXIT_OK)
        return rc < 0 ? RK_EXIT_OK : rc;
    const char *file;
    if ((rc = cli_one_file("ls", argc, argv, optind, &file)) != RK_EXIT_OK)
        return rc;
    return is_npy(file) ? list_npy(file, json) : list_safetensors(file, json);
}
