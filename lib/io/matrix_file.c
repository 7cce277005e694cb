/* matrix_file.c — dispatch a "FILE.npy" / "FILE.safetensors:TENSOR" spec to its reader. */
#include "io/matrix_file.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "io/file.h"
#include "io/npy.h"
#include "io/safetensors.h"

static bool ends_with(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && !memcmp(s + n - k, suffix, k);
}

/* true when the regular file at @p path starts with the .npy magic (false if
 * unreadable, or not a regular file: a FIFO is neither waited on nor consumed). */
static bool has_npy_magic(const char *path)
{
    FILE *f;
    if (rk_file_open_regular(path, &f, NULL, NULL) != RK_OK)
        return false;
    unsigned char b[6];
    bool yes = fread(b, 1, 6, f) == 6 && !memcmp(b, "\x93NUMPY", 6);
    (void)fclose(f); /* read-only */
    return yes;
}

/* "FILE.safetensors" without a tensor name: the file's tensor if it has exactly one. */
static rk_status load_only_tensor(const char *path, rk_mat *out, rk_err *err)
{
    rk_st_file f;
    rk_status st = rk_st_open(&f, path, err);
    if (st)
        return st;
    if (f.n_tensors == 1)
        st = rk_st_tensor_to_mat(&f, &f.tensors[0], out, err);
    else
        st = rk_err_set(err, RK_EINVAL, "the file has %zu tensors: name one as FILE.safetensors:TENSOR",
                        f.n_tensors);
    rk_st_close(&f);
    return st;
}

rk_status rk_matrix_load(const char *spec, rk_mat *out, rk_err *err)
{
    if (!out)
        return rk_err_set(err, RK_EINVAL, "no output matrix given");
    *out = (rk_mat){ 0, 0, 0, NULL, 0 };
    if (!spec || !spec[0])
        return rk_err_set(err, RK_EINVAL, "no file given");

    /* "FILE.safetensors:TENSOR": split at the last ".safetensors:" */
    const char *tag = ".safetensors:", *at = NULL;
    for (const char *p = strstr(spec, tag); p; p = strstr(p + 1, tag))
        at = p;
    if (at) {
        size_t plen = (size_t)(at - spec) + strlen(tag) - 1;
        char *path = rk_alloc(plen + 1);
        if (!path)
            return rk_err_set(err, RK_ENOMEM, "out of memory");
        memcpy(path, spec, plen);
        path[plen] = '\0';
        rk_status st = rk_st_load_matrix(path, at + strlen(tag), out, err);
        rk_free(path);
        return st;
    }

    size_t n = strlen(spec);
    if (ends_with(spec, n, ".npy") || has_npy_magic(spec))
        return rk_npy_read(spec, out, NULL, err);
    if (ends_with(spec, n, ".safetensors"))
        return load_only_tensor(spec, out, err);

    /* Say why a missing, unreadable or non-regular file cannot be read. */
    FILE *f;
    rk_status st = rk_file_open_regular(spec, &f, NULL, err);
    if (st != RK_OK)
        return st;
    (void)fclose(f);
    return rk_err_set(err, RK_EFORMAT, "unsupported file type; expected .npy or .safetensors:TENSOR");
}
