/*
 * remedy.c — re-execute with a better OpenBLAS kernel core when OpenBLAS fell
 * back to a generic one (see remedy.h; the decision: rk_blas_remedy_core()
 * in lib/core/blas.c).
 */
#include "remedy.h"

#include <stdlib.h>
#include <strings.h>
#include <unistd.h>

#include "core/blas.h"
#include "core/cpu.h"

void blas_core_remedy(char **argv)
{
    rk_blas_info blas;
    rk_blas_query(&blas);
    if (!blas.core)
        return;
    rk_blas_env env;
    rk_blas_env_get(&env);
    rk_cpu_features cpu;
    rk_cpu_features_detect(&cpu);
    const char *core = rk_blas_remedy_core(blas.core, &cpu, &env);
    if (!core)
        return;
    if (setenv("OPENBLAS_CORETYPE", core, 1) == 0 && setenv("RANKLAB_NO_REEXEC", "1", 1) == 0 &&
        setenv("RANKLAB_BLAS_REMEDY", blas.core, 1) == 0)
        execv("/proc/self/exe", argv);
    unsetenv("OPENBLAS_CORETYPE");
    unsetenv("RANKLAB_BLAS_REMEDY");
}

void blas_core_print(FILE *f)
{
    rk_blas_info blas;
    rk_blas_query(&blas);
    if (!blas.core) {
        fprintf(f, "BLAS kernel core: none (%s, not OpenBLAS)\n", blas.name);
        return;
    }
    rk_blas_env env;
    rk_blas_env_get(&env);
    const char *from = getenv("RANKLAB_BLAS_REMEDY");
    fprintf(f, "BLAS kernel core: %s", blas.core);
    if (from && *from && env.coretype && strcasecmp(blas.core, env.coretype) != 0)
        fprintf(f, " (remedy tried: re-executed with OPENBLAS_CORETYPE=%s, but OpenBLAS kept %s)\n",
                env.coretype, blas.core);
    else if (from && *from)
        fprintf(f, " (remedy applied: OpenBLAS picked %s; re-executed with OPENBLAS_CORETYPE=%s)\n",
                from, env.coretype ? env.coretype : "?");
    else if (env.coretype)
        fprintf(f, " (set by OPENBLAS_CORETYPE)\n");
    else
        fprintf(f, " (chosen by OpenBLAS)\n");
}
