/* status.c — status strings and the rk_err detail record. */
#include "core/status.h"

#include <stdarg.h>
#include <stdio.h>

static const char *const messages[RK_STATUS_COUNT_] = {
    [RK_OK] = "success",
    [RK_ENOMEM] = "out of memory",
    [RK_EINVAL] = "invalid argument",
    [RK_ESHAPE] = "matrix shapes do not match",
    [RK_ERANGE] = "index or rank out of range",
    [RK_ENONFINITE] = "input contains NaN or Inf",
    [RK_EOVERFLOW] = "size overflows (a byte count beyond size_t, or a dimension over BLAS/LAPACK's int limit, 2147483647)",
    [RK_ECONVERGE] = "algorithm did not converge",
    [RK_ELAPACK] = "LAPACK reported an illegal argument",
    [RK_EIO] = "input/output error",
    [RK_ENOENT] = "no such file or directory",
    [RK_EFORMAT] = "malformed file",
    [RK_ETRUNC] = "file is truncated",
    [RK_EMAGIC] = "wrong magic bytes (not a file of this format)",
    [RK_EVERSION] = "unsupported format version",
    [RK_EHEADER] = "malformed header",
    [RK_EDTYPE] = "unsupported element type",
    [RK_ETOOBIG] = "size exceeds the format's limit",
    [RK_EJSON] = "invalid JSON",
    [RK_EOFFSETS] = "tensor offsets overlap, leave holes or run past the data",
    [RK_EDUPKEY] = "duplicate key",
    [RK_ENOTFOUND] = "not found",
    [RK_ECONFIG] = "missing or contradictory configuration",
    [RK_ELABEL] = "label out of range or count mismatch",
    [RK_EDATA] = "dataset missing or unusable",
    [RK_EPLOT] = "plotting failed (is gnuplot installed?)",
    [RK_ESTATE] = "object in the wrong state for this call",
    [RK_EDIVERGED] = "training diverged (the loss or the weights became NaN or Inf)",
    [RK_EMAGNITUDE] = "values too large: a result (a singular value, a norm) is beyond the largest double, 1.8e308; scale the input down",
};

const char *rk_strerror(rk_status s)
{
    if ((int)s < 0 || s >= RK_STATUS_COUNT_ || !messages[s])
        return "unknown status";
    return messages[s];
}

rk_status rk_err_set(rk_err *err, rk_status s, const char *fmt, ...)
{
    if (err) {
        err->status = s;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return s;
}

void rk_err_clear(rk_err *err)
{
    if (err) {
        err->status = RK_OK;
        err->msg[0] = '\0';
    }
}

const char *rk_err_message(const rk_err *err, rk_status s)
{
    if (err && err->status == s && err->msg[0])
        return err->msg;
    return rk_strerror(s);
}
