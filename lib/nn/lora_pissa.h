/*
 * lora_pissa.h — PiSSA initialisation of LoRA adapters (library-internal).
 *
 * Kept apart from lora.c because it is the one part of lib/nn that needs the
 * double-precision SVD of lib/linalg.
 */
#ifndef RK_NN_LORA_PISSA_H
#define RK_NN_LORA_PISSA_H

#include "../core/status.h"
#include "lora.h"
#include "mlp.h"

/**
 * For every adapted layer of @p lo, with W (Out, In) = U·S·Vᵀ (double SVD)
 * and the adapter's scale @p s (rk_lora_scale(), in double, passed in by
 * rk_lora_create so that this file needs nothing back from lora.c):
 *   A = √(S_R/s)·V_Rᵀ  (R, In),   B = U_R·√(S_R/s)  (Out, R)
 * and then W ← fl(W − s·B·A), computed in double from the float A and B, so
 * that W_base + s·B·A reproduces W up to one float rounding per entry.
 * All SVDs are done before any weight is written: on error @p net is unchanged.
 * @return RK_OK; RK_ENOMEM; the SVD's errors (RK_ENONFINITE, RK_ECONVERGE, …).
 */
rk_status rk_lora_pissa_init(rk_lora *lo, rk_mlp *net, double s);

#endif
