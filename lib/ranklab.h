/*
 * ranklab.h — the whole public API in one include.
 *
 * Layers (each uses only those above it):
 *   core/      status codes, allocation, RNG, the row-major matrix
 *   linalg/    SVD, QR, randomized SVD, rank, spectrum metrics, low-rank
 *              approximation, subspace similarity (double)
 *   io/        .npy, safetensors and PEFT adapters, IDX datasets
 *   nn/        MLP, LoRA adapters, training (float32, CBLAS sgemm)
 *   plot/      gnuplot through a pipe
 *   analysis/  LoRA ΔW against the truncated SVD of the full delta
 */
#ifndef RANKLAB_H
#define RANKLAB_H

#include "core/alloc.h"
#include "core/blas.h"
#include "core/cpu.h"
#include "core/mat.h"
#include "core/parallel.h"
#include "core/rng.h"
#include "core/status.h"
#include "io/dtype.h"
#include "io/file.h"
#include "io/output.h"
#include "linalg/qr.h"
#include "linalg/rsvd.h"
#include "linalg/subspace.h"
#include "io/idx.h"
#include "io/matrix_file.h"
#include "io/npy.h"
#include "io/peft.h"
#include "io/safetensors.h"
#include "io/shards.h"
#include "linalg/factored.h"
#include "linalg/lowrank.h"
#include "linalg/rank.h"
#include "linalg/rankrule.h"
#include "linalg/spectrum.h"
#include "linalg/svd.h"
#include "analysis/amplify.h"
#include "analysis/delta.h"
#include "analysis/experiment.h"
#include "analysis/experiment_analysis.h"
#include "analysis/experiment_output.h"
#include "analysis/intruders.h"
#include "analysis/learn_forget.h"
#include "nn/data.h"
#include "nn/metrics.h"
#include "nn/eval.h"
#include "nn/layers.h"
#include "nn/lora.h"
#include "nn/mlp.h"
#include "nn/optim.h"
#include "nn/train.h"
#include "nn/checkpoint.h"
#include "analysis/truncation.h"
#include "analysis/tensor_pairs.h"
#include "plot/plot.h"

#endif
