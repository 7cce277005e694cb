/* matrix_file.c — dispatch a "FILE.npy" / "FILE.safetensors:TENSOR" spec to its reader. */
#include "io/matrix_file.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "io/npy.h"

static bool ends_with(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && !memcmp(s + n - k, suffix, k);
}

/* true when the file at @p path starts with the .npy magic (false if unreadable). */
static bool has_npy_magic(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    unsigned char b[6];
    bool yes = fread(b, 1, 6, f) == 6 && !memcmp(b, "\x93NUMPY", 6);
    fclose(f);
    return yes;
}

rk_status rk_matrix_load(const char *spec, rk_mat *out, rk_err *err)
{
    if (!out)
        return rk_err_set(err, RK_EINVAL, "no output matrix given");
    *out = (rk_mat){ 0, 0, 0, NULL, 0 };
    if (!spec || !spec[0])
        return rk_err_set(err, RK_EINVAL, "no file given");

    /* ---- dispatch point: "FILE.safetensors:TENSOR" -------------------------
     * The safetensors reader hooks in here: split spec at the last
     * ".safetensors:", open FILE with rk_st_open, find TENSOR with rk_st_find
     * and convert it with rk_st_tensor_to_mat. Until then such specs fall
     * through to the unsupported-type error below. */

    size_t n = strlen(spec);
    if (ends_with(spec, n, ".npy") || has_npy_magic(spec))
        return rk_npy_read(spec, out, NULL, err);

    FILE *f = fopen(spec, "rb");
    if (!f && errno == ENOENT)
        return rk_err_set(err, RK_ENOENT, "no such file");
    if (f)
        fclose(f);
    return rk_err_set(err, RK_EFORMAT, "unsupported file type; expected .npy or .safetensors:TENSOR");
}
