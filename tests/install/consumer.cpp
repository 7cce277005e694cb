// consumer.cpp — the same checks as consumer.c from C++: the headers'
// extern "C" guards let a C++ program link the C library.
#include <cmath>
#include <cstdio>
#include <vector>

#include <ranklab/ranklab.h>

int main()
{
    std::vector<double> a = { 1, 2, 3, 4, 5, 9, 7, 8, 15, 1, 0, 1 };
    rk_mat m = rk_mat_wrap(a.data(), 4, 3);
    rk_svd svd = {};
    if (rk_svd_decomp(&svd, &m, RK_SVD_THIN) != RK_OK)
        return 1;
    size_t rank = 0;
    double tol = 0;
    rk_status st = rk_rank(&m, nullptr, &rank, &tol);
    bool ok = st == RK_OK && rank == 2 && svd.k == 3 && svd.s[2] <= tol && svd.s[0] > 1;
    std::printf("rank %zu, sigma_1 > 1: %s\n", rank, svd.s[0] > 1 ? "yes" : "no");
    rk_svd_free(&svd);
    return ok ? 0 : 1;
}
