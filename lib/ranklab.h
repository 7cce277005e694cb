/**
 * @file
 * ranklab.h — the whole public API in one include: `#include <ranklab/ranklab.h>`
 * and compile with `$(pkg-config --cflags --libs ranklab)`.
 *
 * Layers (each uses only those above it):
 *   core/      status codes, allocation, RNG, the row-major matrix
 *   linalg/    SVD, QR, randomized SVD, rank, spectrum metrics, low-rank
 *              approximation, subspace similarity (double)
 *   io/        .npy, safetensors and PEFT adapters, IDX datasets
 *   nn/        MLP, LoRA adapters, training (float32, CBLAS sgemm)
 *   plot/      gnuplot through a pipe
 *   analysis/  LoRA ΔW against the truncated SVD of the full delta
 *
 * Each module header can also be included alone, e.g. <ranklab/linalg/svd.h>.
 */

/** @defgroup core core: status codes, allocation, RNG, the row-major matrix, CPU and BLAS
 *  The bottom layer: everything else uses it. Double precision. */
/** @defgroup linalg linalg: SVD, rank, low-rank approximation, QR, randomized SVD, subspaces
 *  Linear algebra in double precision over core's rk_mat, through LAPACKE and CBLAS. */
/** @defgroup io io: files — atomic writes, .npy, safetensors, PEFT adapters, IDX
 *  Readers validate every header field before reading data; writers are atomic. */
/** @defgroup nn nn: the float32 MLP, LoRA adapters, optimizers, training, datasets
 *  Training in float32 with CBLAS sgemm; uses core and io. */
/** @defgroup plot plot: gnuplot as a child process
 *  PNG, SVG and terminal plots of series, heatmaps and images, each with its data file. */
/** @defgroup analysis analysis: the learned LoRA update against the truncated full update
 *  The experiment and the weight-difference tools; uses every layer above. */
#ifndef RANKLAB_H
#define RANKLAB_H

#include "core/alloc.h"
#include "core/blas.h"
#include "core/cpu.h"
#include "core/mat.h"
#include "core/parallel.h"
#include "core/rng.h"
#include "core/status.h"
#include "core/version.h"
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
#include "linalg/gram.h"
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
#include "analysis/intruders_plot.h"
#include "analysis/learn_forget.h"
#include "analysis/rank_choice.h"
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
