/*
 * consumer.c — a program outside the tree, built against the installed
 * library with `$(pkg-config --cflags --libs ranklab)` only: the SVD and the
 * numerical rank of a 4×3 matrix of rank 2 (column 3 = column 1 + column 2).
 * Prints the values it checks; exit 0 when every check holds.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <ranklab/ranklab.h>

int main(void)
{
    double a[12] = { 1, 2, 3,  4, 5, 9,  7, 8, 15,  1, 0, 1 };
    rk_mat m = rk_mat_wrap(a, 4, 3);
    rk_svd svd = { 0 };
    rk_status st = rk_svd_decomp(&svd, &m, RK_SVD_THIN);
    if (st != RK_OK) {
        fprintf(stderr, "consumer: rk_svd_decomp: %s\n", rk_strerror(st));
        return 1;
    }
    size_t rank = 0;
    double tol = 0;
    st = rk_rank(&m, NULL, &rank, &tol);
    if (st != RK_OK) {
        fprintf(stderr, "consumer: rk_rank: %s\n", rk_strerror(st));
        rk_svd_free(&svd);
        return 1;
    }
    /* σ1² + σ2² + σ3² = ‖A‖_F² (to rounding); σ3 is at rounding level. */
    double ss = 0;
    for (size_t i = 0; i < svd.k; i++)
        ss += svd.s[i] * svd.s[i];
    double fro2 = rk_mat_norm_fro(&m) * rk_mat_norm_fro(&m);
    int ok = rank == 2 && svd.k == 3 && fabs(ss - fro2) <= 64 * 2.2e-16 * fro2 &&
             svd.s[2] <= tol && !strcmp(rk_version(), RK_VERSION);
    printf("rank %zu, k %zu, version %s (headers %d.%d.%d)\n", rank, svd.k, rk_version(),
           RK_VERSION_MAJOR, RK_VERSION_MINOR, RK_VERSION_PATCH);
    rk_svd_free(&svd);
    return ok ? 0 : 1;
}
