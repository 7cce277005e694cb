/*
 * remedy.h — the OpenBLAS kernel-core remedy for ranklab's executables: the
 * `ranklab` command (tools/ranklab.c) and the tutorial lessons
 * (tutorials/runner.c, tut_main()) call blas_core_remedy() first thing in
 * main(). The decision is lib/core/blas.h's rk_blas_remedy_core().
 */
#ifndef RK_TOOLS_REMEDY_H
#define RK_TOOLS_REMEDY_H

#include <stdio.h>

/**
 * When OpenBLAS did not recognise the CPU and loaded a generic core (e.g.
 * Prescott on a CPU with AVX2 or AVX-512), run this same program again
 * (/proc/self/exe with @p argv) with OPENBLAS_CORETYPE set to the core the
 * CPU can run: OpenBLAS reads the variable only when it is loaded. Never when
 * the user set OPENBLAS_CORETYPE or RANKLAB_NO_REEXEC, and never twice: the
 * new process gets RANKLAB_NO_REEXEC=1. RANKLAB_BLAS_REMEDY records the core
 * OpenBLAS had picked (for `ranklab info` and blas_core_print()).
 * RANKLAB_FAKE_GENERIC_CORE=1 takes the current core as generic (tests).
 * Returns only when there is nothing to do or exec failed (then the generic
 * kernels run, and the variables it set are removed again).
 */
void blas_core_remedy(char **argv);

/**
 * blas_core_remedy() also re-executes with OPENBLAS_NUM_THREADS=1 when the
 * address-space limit (ulimit -v) leaves room for one BLAS thread's buffer
 * but not for all of them (lib/core/blas.h, rk_blas_memory_plan(): OpenBLAS
 * 0.3.21 would hang), saying so on stderr; RANKLAB_BLAS_ONE_THREAD=1 marks
 * the new process. When even one thread does not fit, this function prints
 * why ("PROG: the address-space limit ... raise the limit to at least N MiB")
 * and returns 1: the caller exits with status 1 before any BLAS call.
 * Returns 0 when the limit is fine or the BLAS is not OpenBLAS.
 */
int blas_memory_refuse(const char *prog);

/**
 * Print one line to @p f: "BLAS kernel core: CORE" and how it came to be —
 * "(remedy applied: OpenBLAS picked FROM; re-executed with
 * OPENBLAS_CORETYPE=CORE)", "(remedy tried: …, but OpenBLAS kept CORE)",
 * "(set by OPENBLAS_CORETYPE)" or "(chosen by OpenBLAS)"; or
 * "BLAS kernel core: none (NAME, not OpenBLAS)".
 */
void blas_core_print(FILE *f);

#endif
