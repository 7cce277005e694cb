/* shards.c — a checkpoint: one safetensors file or the shards of a model directory (see shards.h). */
#define _XOPEN_SOURCE 700 /* realpath */
#include "io/shards.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "io/file.h"

static void set_where(char *where, size_t cap, const char *path)
{
    if (where && cap)
        snprintf(where, cap, "%s", path);
}

static bool is_dir(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static bool exists(const char *path)
{
    struct stat sb;
    return lstat(path, &sb) == 0;
}

/* Add the file at @p path (taking it) as shard number s->n_files, opened lazily. */
static rk_status add_file(rk_shards *s, char *path, rk_err *err, char *where, size_t cap)
{
    s->paths[s->n_files] = path;
    rk_status st = rk_st_open_lazy(&s->files[s->n_files], path, err);
    s->n_files++;
    if (st)
        set_where(where, cap, path);
    return st;
}

/* A shard name from the index must stay inside the directory: relative, no
 * ".." component, and (after following symlinks) under the directory's real path. */
static rk_status check_inside(const char *dir_real, const char *name, const char *full, rk_err *err)
{
    if (!name[0] || name[0] == '/')
        return rk_err_set(err, RK_ECONFIG, "shard \"%s\" is not a relative path inside the directory", name);
    for (const char *p = name; *p; p = strchr(p, '/') ? strchr(p, '/') + 1 : p + strlen(p))
        if (!strncmp(p, "..", 2) && (p[2] == '/' || !p[2]))
            return rk_err_set(err, RK_ECONFIG, "shard \"%s\" leaves the directory (\"..\")", name);
    if (!exists(full))
        return rk_err_set(err, RK_ENOENT, "shard \"%s\" named in the index does not exist", name);
    char real[PATH_MAX];
    if (!realpath(full, real))
        return rk_err_set(err, RK_EIO, "cannot resolve shard \"%s\": %s", name, strerror(errno));
    size_t d = strlen(dir_real);
    if (strncmp(real, dir_real, d) != 0 || (real[d] != '/' && dir_real[d - 1] != '/'))
        return rk_err_set(err, RK_ECONFIG, "shard \"%s\" is a link leading out of the directory (to %s)",
                          name, real);
    return RK_OK;
}

static int cmp_strp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The distinct shard names of weight_map, sorted; *n of them (pointers into the JSON). */
static rk_status shard_names(const json_t *map, const char ***names, size_t *n, rk_err *err)
{
    size_t cap = json_object_size(map), k = 0;
    const char **v = rk_calloc(cap ? cap : 1, sizeof *v);
    if (!v)
        return rk_err_set(err, RK_ENOMEM, "out of memory");
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)map, key, val) {
        if (!json_is_string(val)) {
            rk_free(v);
            return rk_err_set(err, RK_ECONFIG, "weight_map entry \"%s\" is not a file name", key);
        }
        v[k++] = json_string_value(val);
    }
    if (k)
        qsort(v, k, sizeof *v, cmp_strp);
    size_t u = 0;
    for (size_t i = 0; i < k; i++)
        if (u == 0 || strcmp(v[u - 1], v[i]) != 0)
            v[u++] = v[i];
    *names = v;
    *n = u;
    return RK_OK;
}

/* Open every shard named in @p map, each checked to stay inside @p dir. */
static rk_status open_shards(rk_shards *s, const char *dir, const json_t *map, const char *index,
                             rk_err *err, char *where, size_t cap)
{
    const char **names = NULL;
    size_t n = 0;
    char dir_real[PATH_MAX];
    rk_status st = shard_names(map, &names, &n, err);
    if (st) {
        set_where(where, cap, index);
        return st;
    }
    if (n == 0)
        st = rk_err_set(err, RK_ECONFIG, "weight_map lists no tensors");
    else if (!realpath(dir, dir_real))
        st = rk_err_set(err, RK_EIO, "cannot resolve the directory: %s", strerror(errno));
    s->files = rk_calloc(n ? n : 1, sizeof *s->files);
    s->paths = rk_calloc(n ? n : 1, sizeof *s->paths);
    if (!st && (!s->files || !s->paths))
        st = rk_err_set(err, RK_ENOMEM, "out of memory");
    if (st)
        set_where(where, cap, index);
    for (size_t i = 0; !st && i < n; i++) {
        char *full = rk_path_join(dir, names[i]);
        if (!full) {
            st = rk_err_set(err, RK_ENOMEM, "out of memory");
        } else if ((st = check_inside(dir_real, names[i], full, err)) != RK_OK) {
            set_where(where, cap, index);
            rk_free(full);
        } else {
            st = add_file(s, full, err, where, cap);
        }
    }
    rk_free(names);
    return st;
}

/* Index of the shard whose path ends in /@p name (the paths were made by join). */
static size_t shard_of(const rk_shards *s, const char *dir, const char *name)
{
    size_t d = strlen(dir) + (dir[0] && dir[strlen(dir) - 1] != '/');
    for (size_t i = 0; i < s->n_files; i++)
        if (!strcmp(s->paths[i] + d, name))
            return i;
    return SIZE_MAX;
}

/* Every listed tensor is in its shard; every tensor of a shard is listed, for that shard. */
static rk_status check_map(const rk_shards *s, const char *dir, const json_t *map, rk_err *err,
                           char *where, size_t cap)
{
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)map, key, val) {
        size_t i = shard_of(s, dir, json_string_value(val));
        if (i == SIZE_MAX || !rk_st_find(&s->files[i], key)) {
            set_where(where, cap, i == SIZE_MAX ? dir : s->paths[i]);
            return rk_err_set(err, RK_ENOTFOUND, "tensor '%s' is listed for this shard in %s but is not in it",
                              key, RK_SHARDS_INDEX);
        }
    }
    for (size_t i = 0; i < s->n_files; i++)
        for (size_t j = 0; j < s->files[i].n_tensors; j++) {
            const char *name = s->files[i].tensors[j].name;
            const json_t *v = json_object_get(map, name);
            if (!v || shard_of(s, dir, json_string_value(v)) != i) {
                set_where(where, cap, s->paths[i]);
                if (!v)
                    return rk_err_set(err, RK_ECONFIG, "tensor '%s' is not listed in %s", name, RK_SHARDS_INDEX);
                return rk_err_set(err, RK_EDUPKEY, "tensor '%s' is in two shards: here and in %s", name,
                                  json_string_value(v));
            }
        }
    return RK_OK;
}

/* DIR/model.safetensors.index.json and its shards. */
static rk_status open_index(rk_shards *s, const char *dir, const char *index, rk_err *err, char *where,
                            size_t cap)
{
    unsigned char *text = NULL;
    size_t len = 0;
    rk_status st = rk_file_read_all(index, RK_SHARDS_INDEX_MAX, &text, &len, err);
    if (st) {
        set_where(where, cap, index);
        return st;
    }
    json_error_t jerr;
    json_t *root = json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES, &jerr);
    rk_free(text);
    const json_t *map = root ? json_object_get(root, "weight_map") : NULL;
    if (!root)
        st = json_error_code(&jerr) == json_error_duplicate_key
                 ? rk_err_set(err, RK_EDUPKEY, "a key appears twice: %s", jerr.text)
                 : rk_err_set(err, RK_EJSON, "not valid JSON: %s (line %d)", jerr.text, jerr.line);
    else if (!json_is_object(map))
        st = rk_err_set(err, RK_ECONFIG, "no \"weight_map\" object (tensor name -> shard file)");
    if (st)
        set_where(where, cap, index);
    if (!st)
        st = open_shards(s, dir, map, index, err, where, cap);
    if (!st)
        st = check_map(s, dir, map, err, where, cap);
    json_decref(root);
    return st;
}

static int cmp_tensor(const void *a, const void *b)
{
    return strcmp(((const rk_shard_tensor *)a)->t->name, ((const rk_shard_tensor *)b)->t->name);
}

/* s->tensors: every tensor of every shard, sorted by name (names are unique: check_map). */
static rk_status collect(rk_shards *s, rk_err *err)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n_files; i++)
        n += s->files[i].n_tensors; /* each was a header in memory: no overflow */
    if (!(s->tensors = rk_calloc(n ? n : 1, sizeof *s->tensors)))
        return rk_err_set(err, RK_ENOMEM, "out of memory");
    for (size_t i = 0; i < s->n_files; i++)
        for (size_t j = 0; j < s->files[i].n_tensors; j++)
            s->tensors[s->n_tensors++] = (rk_shard_tensor){ &s->files[i].tensors[j], &s->files[i], s->paths[i] };
    if (n)
        qsort(s->tensors, n, sizeof *s->tensors, cmp_tensor);
    return RK_OK;
}

/* DIR/config.json's "_name_or_path" when the file is there and says so; a
 * config.json that cannot be parsed is an error, one without the key is not. */
static rk_status read_name(rk_shards *s, const char *dir, rk_err *err, char *where, size_t cap)
{
    char *cfg = rk_path_join(dir, "config.json");
    if (!cfg)
        return rk_err_set(err, RK_ENOMEM, "out of memory");
    rk_status st = RK_OK;
    if (exists(cfg)) {
        unsigned char *text = NULL;
        size_t len = 0;
        json_error_t jerr;
        st = rk_file_read_all(cfg, RK_SHARDS_INDEX_MAX, &text, &len, err);
        json_t *root = st ? NULL : json_loadb((const char *)text, len, 0, &jerr);
        rk_free(text);
        if (!st && !root)
            st = rk_err_set(err, RK_EJSON, "not valid JSON: %s (line %d)", jerr.text, jerr.line);
        const json_t *name = root ? json_object_get(root, "_name_or_path") : NULL;
        if (json_is_string(name) && json_string_length(name) &&
            !(s->name_or_path = rk_strdup(json_string_value(name))))
            st = rk_err_set(err, RK_ENOMEM, "out of memory");
        json_decref(root);
        if (st)
            set_where(where, cap, cfg);
    }
    rk_free(cfg);
    return st;
}

/* A directory: the index, else model.safetensors, else adapter_model.safetensors. */
static rk_status open_dir(rk_shards *s, const char *dir, rk_err *err, char *where, size_t cap)
{
    static const char *const singles[] = { "model.safetensors", "adapter_model.safetensors" };
    char *index = rk_path_join(dir, RK_SHARDS_INDEX);
    if (!index)
        return rk_err_set(err, RK_ENOMEM, "out of memory");
    rk_status st;
    if (exists(index)) {
        s->sharded = true;
        st = open_index(s, dir, index, err, where, cap);
        rk_free(index);
        return st;
    }
    rk_free(index);
    for (size_t i = 0; i < 2; i++) {
        char *p = rk_path_join(dir, singles[i]);
        if (!p)
            return rk_err_set(err, RK_ENOMEM, "out of memory");
        if (exists(p)) {
            s->files = rk_calloc(1, sizeof *s->files);
            s->paths = rk_calloc(1, sizeof *s->paths);
            if (!s->files || !s->paths) {
                rk_free(p);
                return rk_err_set(err, RK_ENOMEM, "out of memory");
            }
            return add_file(s, p, err, where, cap);
        }
        rk_free(p);
    }
    set_where(where, cap, dir);
    return rk_err_set(err, RK_ENOENT, "a directory without %s, model.safetensors or "
                      "adapter_model.safetensors", RK_SHARDS_INDEX);
}

rk_status rk_shards_open(rk_shards *s, const char *path, rk_err *err, char *where, size_t cap)
{
    if (!s || !path)
        return rk_err_set(err, RK_EINVAL, "invalid argument");
    *s = (rk_shards){ 0 };
    set_where(where, cap, path);
    rk_status st = RK_OK;
    if (!(s->path = rk_strdup(path)))
        st = rk_err_set(err, RK_ENOMEM, "out of memory");
    else if (is_dir(path))
        st = open_dir(s, path, err, where, cap);
    else if (!(s->files = rk_calloc(1, sizeof *s->files)) || !(s->paths = rk_calloc(1, sizeof *s->paths)))
        st = rk_err_set(err, RK_ENOMEM, "out of memory");
    else {
        char *p = rk_strdup(path);
        st = p ? add_file(s, p, err, where, cap) : rk_err_set(err, RK_ENOMEM, "out of memory");
    }
    if (!st && is_dir(path))
        st = read_name(s, path, err, where, cap);
    if (!st)
        st = collect(s, err);
    if (st)
        rk_shards_close(s);
    return st;
}

void rk_shards_close(rk_shards *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_files; i++) {
        rk_st_close(&s->files[i]);
        rk_free(s->paths[i]);
    }
    rk_free(s->files);
    rk_free(s->paths);
    rk_free(s->tensors);
    rk_free(s->name_or_path);
    rk_free(s->path);
    *s = (rk_shards){ 0 };
}

const rk_shard_tensor *rk_shards_find(const rk_shards *s, const char *name)
{
    if (!s || !name || !s->n_tensors)
        return NULL;
    rk_st_tensor t = { .name = (char *)name };
    rk_shard_tensor key = { .t = &t };
    return bsearch(&key, s->tensors, s->n_tensors, sizeof key, cmp_tensor);
}
