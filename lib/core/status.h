/**
 * @file
 * @ingroup core
 * status.h — status codes and error details shared by every ranklab module.
 *
 * The library never prints, exits or aborts. Every fallible function returns
 * an rk_status; rk_strerror() turns it into one line of English. Functions
 * that read files also take an optional rk_err*, filled with a message that
 * names the exact problem ("data is 12 bytes, shape (3, 4) of <f8 needs 96").
 */
#ifndef RK_CORE_STATUS_H
#define RK_CORE_STATUS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Status of a ranklab call. RK_OK is zero; every error is positive. */
typedef enum rk_status {
    RK_OK = 0,        /**< success */
    RK_ENOMEM,        /**< an allocation failed */
    RK_EINVAL,        /**< an argument is invalid (NULL pointer, bad option) */
    RK_ESHAPE,        /**< matrix shapes do not fit together */
    RK_ERANGE,        /**< an index or rank is out of range (e.g. k > min(m, n)) */
    RK_ENONFINITE,    /**< the input holds NaN or Inf */
    RK_EOVERFLOW,     /**< a size computation overflows size_t */
    RK_ECONVERGE,     /**< an iterative algorithm (LAPACK) did not converge */
    RK_ELAPACK,       /**< LAPACK reported an illegal argument (info < 0) */
    RK_EIO,           /**< reading or writing a file failed (see errno) */
    RK_ENOENT,        /**< a file or directory does not exist */
    RK_EFORMAT,       /**< a file is malformed */
    RK_ETRUNC,        /**< a file ends before the data its header promises */
    RK_EMAGIC,        /**< a file does not start with the expected magic bytes */
    RK_EVERSION,      /**< a file format version is not supported */
    RK_EHEADER,       /**< a file header is malformed */
    RK_EDTYPE,        /**< an element type is not supported */
    RK_ETOOBIG,       /**< a header or size exceeds the format's limit */
    RK_EJSON,         /**< JSON is invalid or has the wrong structure */
    RK_EOFFSETS,      /**< tensor byte offsets overlap, leave holes or exceed the buffer */
    RK_EDUPKEY,       /**< a key appears twice */
    RK_ENOTFOUND,     /**< a named tensor, module or class was not found */
    RK_ECONFIG,       /**< a configuration is missing or contradicts the data */
    RK_ELABEL,        /**< a label is out of range, or labels and images disagree */
    RK_EDATA,         /**< a dataset is missing or unusable */
    RK_EPLOT,         /**< gnuplot is missing or failed */
    RK_ESTATE,        /**< the object is in the wrong state for this call */
    RK_EDIVERGED,     /**< training diverged: the loss or the weights became NaN or Inf */
    RK_EMAGNITUDE,    /**< a result is beyond the range of its floating-point type */
    RK_STATUS_COUNT_  /**< number of codes (not a status) */
} rk_status;

/** One line describing @p s; never NULL, for unknown codes too. */
const char *rk_strerror(rk_status s);

/** Capacity of an rk_err message, including the terminating NUL. */
#define RK_ERRMSG_MAX 256

/**
 * Details of the last failure of a call that was given this struct.
 * Pass NULL where details are not wanted. The caller owns it; the library
 * writes msg only when it returns an error.
 */
typedef struct rk_err {
    rk_status status;           /**< the status the call returned */
    char msg[RK_ERRMSG_MAX];    /**< what exactly was wrong, without file name */
} rk_err;

/**
 * Record @p s and a printf-style message in @p err (which may be NULL) and
 * return @p s, so a failing path reads `return rk_err_set(err, RK_ETRUNC, ...)`.
 */
rk_status rk_err_set(rk_err *err, rk_status s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/** Clear @p err (may be NULL) to RK_OK and an empty message. */
void rk_err_clear(rk_err *err);

/** The message in @p err if there is one, otherwise rk_strerror(@p s). */
const char *rk_err_message(const rk_err *err, rk_status s);

#ifdef __cplusplus
}
#endif

#endif
