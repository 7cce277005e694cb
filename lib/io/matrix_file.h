/**
 * @file
 * @ingroup io
 * matrix_file.h — load a matrix named on a command line, whatever file holds
 * it: "FILE.npy" (a 1-d or 2-d .npy array) or "FILE.safetensors:TENSOR" (one
 * tensor of a safetensors file). Every ranklab command that reads a matrix
 * goes through rk_matrix_load(), so all accept the same specs.
 */
#ifndef RK_IO_MATRIX_FILE_H
#define RK_IO_MATRIX_FILE_H

#include "../core/mat.h"
#include "../core/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Load the matrix named by @p spec into @p out (a new row-major double
 * matrix; free with rk_mat_free).
 *
 *   "X.npy"                 rk_npy_read(); also any file that starts with
 *                           the .npy magic, whatever its name
 *   "X.safetensors:NAME"    the tensor NAME of a safetensors file (split at
 *                           the last ".safetensors:"; rk_st_load_matrix)
 *   "X.safetensors"         its only tensor; RK_EINVAL when it has several
 *
 * @return RK_OK, or the reader's status (RK_ENOENT, RK_EMAGIC, …) with its
 *   message in @p err (without the file name: callers prepend it);
 *   RK_ENOTFOUND "no tensor named 'NAME'";
 *   RK_EFORMAT "unsupported file type; expected .npy or .safetensors:TENSOR"
 *   for anything else; RK_EINVAL for NULL arguments.
 *   On error *out is an empty matrix that need not be freed.
 */
rk_status rk_matrix_load(const char *spec, rk_mat *out, rk_err *err);

#ifdef __cplusplus
}
#endif

#endif
