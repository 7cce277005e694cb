/**
 * @file
 * @ingroup nn
 * checkpoint.h — model weights, LoRA adapters and weight deltas on disk.
 *
 * Model file: safetensors with PyTorch state_dict names, F32, so that
 * `net.load_state_dict(safetensors.torch.load_file(path))` works on the
 * PyTorch version of the same network (modules linear1, linear2, …):
 *
 *   linear1.weight (sizes[1], sizes[0])   linear1.bias (sizes[1])
 *   linear2.weight (sizes[2], sizes[1])   linear2.bias (sizes[2])   …
 *
 * Layer l of an rk_mlp (0-based) is module "linear<l+1>". The layer sizes
 * can be read back from the shapes alone (rk_checkpoint_read_config).
 *
 * Adapter: a folder in Hugging Face PEFT's layout (io/peft.h), modules
 * linear1 …, A (R, In) and B (Out, R) in F32, config r, lora_alpha,
 * target_modules, use_rslora, peft_type LORA, task_type null.
 *
 * Delta file: safetensors with F64 tensors linear1.weight … holding a
 * weight change ΔW (Out, In) per layer: W_ft − W0 for a full fine-tune, or
 * s·B·A for LoRA.
 *
 * Every file is written atomically (a temporary file renamed into place).
 */
#ifndef RK_NN_CHECKPOINT_H
#define RK_NN_CHECKPOINT_H

#include <stddef.h>

#include "../core/mat.h"
#include "../core/status.h"
#include "lora.h"
#include "mlp.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Write the weights and biases of @p net to @p path (safetensors, F32,
 * PyTorch state_dict names, metadata {"format": "pt"}), atomically.
 * @return RK_OK; RK_EINVAL (NULL, no parameters); RK_ENOMEM; RK_EIO (reason in err).
 */
rk_status rk_checkpoint_save(const rk_mlp *net, const char *path, rk_err *err);

/**
 * Infer the layer sizes of the model file at @p path from its tensor shapes:
 * linear1 … linearL (consecutive, each with weight and bias), sizes[0] =
 * the inputs of linear1.weight, sizes[l+1] = the outputs of layer l.
 * @return RK_OK; the errors of rk_st_open; RK_ENOTFOUND (no linear1.weight,
 *         or a weight without its bias, named in err); RK_ESHAPE (a tensor
 *         that is not 2-d / 1-d, or a layer whose inputs do not match the
 *         previous layer's outputs, named with both shapes); RK_ERANGE (more
 *         than RK_MLP_MAX_LAYERS layers, or more than 256 classes).
 */
rk_status rk_checkpoint_read_config(const char *path, rk_mlp_config *cfg, rk_err *err);

/**
 * Load the model file at @p path into @p net, whose shape must match: every
 * tensor the net needs must be present with its exact shape, and the file
 * may hold no other tensor. All checks are made before @p net is written,
 * so on error it is unchanged.
 * @return RK_OK; the errors of rk_st_open; RK_ENOTFOUND ("linear2.bias is
 *         missing …"); RK_ESHAPE ("linear2.weight has shape (1000, 784), the
 *         net expects (2000, 1000)"); RK_ECONFIG (an unexpected tensor);
 *         RK_EDTYPE (a dtype that does not convert to float);
 *         RK_ENONFINITE (a NaN or Inf value, tensor named); RK_ENOMEM.
 */
rk_status rk_checkpoint_load(rk_mlp *net, const char *path, rk_err *err);

/**
 * Create @p net with the shape read from the file at @p path (activations
 * for @p max_batch rows) and load its weights: rk_checkpoint_read_config,
 * rk_mlp_create, rk_checkpoint_load. On error *net is empty.
 * @return as those three.
 */
rk_status rk_checkpoint_open(rk_mlp *net, const char *path, size_t max_batch, rk_err *err);

/**
 * Write the adapters of @p lo to the folder @p dir in PEFT's layout (created
 * if missing). With @p init NULL the adapter is A, B, α as they are, so a
 * base of the current weights plus s·B·A gives the fine-tuned net.
 *
 * PiSSA changes the base (W_res = W − s·B0·A0). Pass its state at
 * initialisation as @p init (same config; A0 = init's A, B0 = init's B) and
 * the adapter is written relative to the ORIGINAL W instead, as PEFT's
 * PiSSA-to-LoRA conversion does: with rank 2R,
 *   A' = [A; A0] (2R, In),  B' = [B, −B0] (Out, 2R),  s' = s,
 *   s'·B'·A' = s·B·A − s·B0·A0,  so W + s'·B'·A' = W_res + s·B·A,
 * and lora_alpha' = s·2R (or s·√(2R) with rsLoRA) keeps the scale.
 * @param base_model base_model_name_or_path to record, or NULL (JSON null)
 * @return RK_OK; RK_EINVAL (NULL, merged, biases trained by the adapter —
 *         PEFT's layout has no place for them — or @p init of another shape);
 *         RK_ENOMEM; RK_EIO.
 */
rk_status rk_checkpoint_save_adapter(const rk_lora *lo, const rk_lora *init, const char *dir,
                                     const char *base_model, rk_err *err);

/**
 * Read the PEFT adapter at @p dir (folder or its .safetensors file) and
 * create @p lo for @p net from it: modules must be named linear1 …
 * linearL, all with the same rank and scale, not fan_in_fan_out, with
 * A (R, In) and B (Out, R) matching the layer (otherwise err names the
 * module and both shapes). The adapter starts enabled and unmerged;
 * @p net is not changed.
 * @return RK_OK; the errors of rk_peft_read; RK_ENOTFOUND (a module that is
 *         not a layer of @p net); RK_ESHAPE; RK_ECONFIG (ranks or scales
 *         differ between modules, fan_in_fan_out, full tensors beside the
 *         factors); RK_ENOMEM. On error *lo is empty.
 */
rk_status rk_checkpoint_load_adapter(rk_lora *lo, rk_mlp *net, const char *dir, rk_err *err);

/**
 * Write @p n weight deltas to @p path as F64 tensors linear1.weight …
 * (deltas[l] is layer l's (Out, In) change; a matrix with 0 rows is
 * skipped, for a layer without an adapter). Atomic.
 * @return RK_OK; RK_EINVAL (NULL, n 0 or > RK_MLP_MAX_LAYERS); RK_ENOMEM; RK_EIO.
 */
rk_status rk_checkpoint_save_deltas(const char *path, const rk_mat *deltas, size_t n, rk_err *err);

#ifdef __cplusplus
}
#endif

#endif
