/**
 * @file
 * @ingroup analysis
 * experiment_output.h — everything the main experiment writes and reads
 * back: results.json, the plots with their data, report.md, and the models
 * on disk (base, ΔW_full, every adapter) so that `ranklab compare` can
 * analyse a run again.
 */
#ifndef RK_ANALYSIS_EXPERIMENT_OUTPUT_H
#define RK_ANALYSIS_EXPERIMENT_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "experiment.h"
#include "experiment_analysis.h"
#include "../core/status.h"
#include "../plot/plot.h"

#ifdef __cplusplus
extern "C" {
#endif

struct json_t;

/**
 * The results as a JSON object (the layout of results.json, see
 * docs/experiment.md): config, pretrain, target_class, full, lora (one entry
 * per rank with its layers), lora_extra (N(0,1) init, second seed),
 * svd_extracted, layers (spectra, φ pair and seed tables). NaN and ±Inf are
 * written as null. Returns a new reference (json_decref), NULL on ENOMEM.
 */
struct json_t *rk_exp_results_json(const rk_exp_config *cfg, const rk_exp_models *m,
                                   const rk_exp_analysis *a);

/**
 * results.json's "learn_forget" object (results_learn_forget.c): the
 * records of every fine-tune of @p m with its final accuracies on the test
 * set; JSON null when nothing was recorded. A new reference, NULL on ENOMEM.
 */
struct json_t *rk_exp_lf_json(const rk_exp_models *m);

/** Write rk_exp_results_json() to @p path (indented), atomically. */
rk_status rk_exp_results_write(const char *path, const rk_exp_config *cfg, const rk_exp_models *m,
                               const rk_exp_analysis *a, rk_err *err);

/** Most plots one report draws. */
#define RK_EXP_MAX_PLOTS 48

/** One plot of the report: its image, data file, and whether the image was drawn. */
typedef struct rk_exp_plot {
    char file[64];      /**< image name relative to the output folder ("error_linear2.png") */
    char data[64];      /**< data file beside it ("error_linear2.dat") */
    rk_status status;   /**< RK_OK: drawn; RK_EPLOT: gnuplot missing or failed (data written) */
} rk_exp_plot;

/** The plots drawn by rk_exp_plots_write(). */
typedef struct rk_exp_plots {
    size_t n;                              /**< plots attempted */
    rk_exp_plot plots[RK_EXP_MAX_PLOTS];   /**< in drawing order */
    char gnuplot_error[RK_ERRMSG_MAX];     /**< first gnuplot problem, empty if none */
} rk_exp_plots;

/**
 * Draw the report's plots into folder @p dir (created if missing) as PNG or
 * SVG (@p format RK_PLOT_PNG or RK_PLOT_SVG): accuracy.EXT (accuracy
 * against r for LoRA and the SVD-extracted adapters), and per layer
 * error_L.EXT (rel_err and the Eckart–Young bound against r), spectra_L.EXT
 * (scree of W0, ΔW_full and every ΔW_lora), energy_L.EXT (cumulative
 * energy of W0 and ΔW_full),
 * phi_L_rR_left/right.EXT (φ(i, j) of ΔW_lora(R) vs ΔW_full),
 * phi_L_pair.EXT and phi_L_seeds.EXT. A missing gnuplot is not an error:
 * the data files are written and each plot's status says RK_EPLOT.
 * @return RK_OK; RK_EIO/RK_ENOMEM/RK_EINVAL when a data file cannot be written.
 */
rk_status rk_exp_plots_write(const char *dir, rk_plot_format format, const rk_exp_config *cfg,
                             const rk_exp_models *m, const rk_exp_analysis *a, rk_exp_plots *plots,
                             rk_err *err);

/**
 * Draw @p spec as @p name.EXT into @p dir and add it to @p plots (as
 * rk_exp_plots_write() does for each of its plots).
 * @return as rk_exp_plots_write().
 */
rk_status rk_exp_plot_draw(const char *dir, rk_plot_format format, rk_exp_plots *plots,
                           const char *name, const rk_plot_spec *spec, rk_err *err);

/** As rk_exp_plot_draw(), for a scree plot of @p n spectra (rk_plot_spectra_with()). */
rk_status rk_exp_plot_draw_spectra(const char *dir, rk_plot_format format, rk_exp_plots *plots,
                                   const char *name, const rk_plot_spectrum *spectra, size_t n,
                                   const rk_plot_scree_opts *so, rk_err *err);

/**
 * The plots of learning against forgetting and of intruders
 * (experiment_plots_lf.c), called by rk_exp_plots_write(): learn_forget.EXT
 * (every fine-tune's records, accuracy on the target class against that on
 * the others), rank90_full.EXT (the rank holding 90% of ΔW_full's energy per
 * layer against the step) and intruders_heatmap.EXT (|U'ᵀU0| of the run and
 * layer of rk_exp_analysis.heat).
 * @return as rk_exp_plots_write().
 */
rk_status rk_exp_plots_learn_forget(const char *dir, rk_plot_format format, const rk_exp_models *m,
                                    const rk_exp_analysis *a, rk_exp_plots *plots, rk_err *err);

/**
 * The markdown of one plot of @p plots whose image is @p base.EXT, into @p f:
 * the image when it was drawn and exists in @p dir, and its data file; nothing
 * when there is no such plot.
 */
void rk_exp_report_figure(FILE *f, const char *dir, const rk_exp_plots *plots, const char *base,
                          const char *alt);

/** Whether @p dir/@p name exists (the report links only files that do). */
bool rk_exp_file_exists(const char *dir, const char *name);

/** Facts about the run that the report prints but the results do not hold. */
typedef struct rk_exp_report_info {
    const char *command;       /**< command line that produced the run ("ranklab demo …") */
    const char *data_dir;      /**< dataset folder, or NULL */
    double total_seconds;      /**< wall time of the whole run */
    int threads;               /**< BLAS threads */
    bool ftz;                  /**< flush-to-zero was on during training */
} rk_exp_report_info;

/**
 * The report's sections on intruder dimensions and the λ sweep, written to
 * @p f (lib/analysis/report_intruders.c): tables, a paragraph from the
 * numbers, and where the paper's claims do or do not hold on this run.
 */
void rk_exp_report_intruders(FILE *f, const char *dir, const rk_exp_plots *plots,
                             const rk_exp_models *m, const rk_exp_analysis *a);

/** report.md's time table: wall and CPU seconds of each phase in m->timing (experiment_timing.c); nothing when empty. */
void rk_exp_report_timing(FILE *f, const rk_exp_models *m);

/** results.json's "timing": [{"phase", "wall_seconds", "cpu_seconds"}] in the order the phases ran. */
struct json_t *rk_exp_timing_json(const rk_exp_models *m);

/** report.md's section on the rank rules (experiment_rules.c); nothing when they were not compared. */
void rk_exp_report_rules(FILE *f, const rk_exp_models *m, const rk_exp_analysis *a);

/** results.json's "rank_rules": one object per rule (rule, ranks, energy_kept, rel_err, params, accuracies); null when not compared. */
struct json_t *rk_exp_rules_json(const rk_exp_models *m, const rk_exp_analysis *a);

/**
 * The report's section on learning against forgetting along training,
 * written to @p f (lib/analysis/report_learn_forget.c): every fine-tune's
 * records as a table, the full fine-tune's update step by step, and where
 * the paper's claims do or do not hold on this run. Nothing without records.
 */
void rk_exp_report_learn_forget(FILE *f, const char *dir, const rk_exp_plots *plots,
                                const rk_exp_models *m, const rk_exp_analysis *a);

/**
 * Write @p dir/report.md: the tables (accuracy, cost, rel_err against the
 * Eckart–Young bound, amplification, per class), every plot of @p plots
 * with a paragraph generated from the measured numbers, and a pointer to
 * the lib/ function behind each number. Only files that exist in @p dir
 * are linked (checked when writing).
 * @return RK_OK; RK_EIO; RK_ENOMEM.
 */
rk_status rk_exp_report_write(const char *dir, const rk_exp_config *cfg, const rk_exp_models *m,
                              const rk_exp_analysis *a, const rk_exp_plots *plots,
                              const rk_exp_report_info *info, rk_err *err);

/** Folder name of a LoRA run under adapters/: "lora_r8", "lora_r8_normal", "lora_r8_seed2". */
void rk_exp_run_dirname(const rk_exp_lora_run *run, char *buf, size_t n);

/**
 * Save a run under @p dir: weights/base.safetensors (the pretrained @p net,
 * rk_checkpoint_save), full/delta.safetensors (ΔW_full, F64,
 * rk_checkpoint_save_deltas), adapters/lora_rR…/ for every LoRA run and,
 * when @p a is not NULL, adapters/extracted_rR/ for every SVD-extracted
 * adapter of the analysis (its float32 factors as they are, scale 1), all
 * in PEFT's layout. Factors are written as held, without conversion.
 * @return RK_OK; RK_EIO; RK_ENOMEM.
 */
rk_status rk_exp_save(const char *dir, const rk_mlp *net, const rk_exp_models *m,
                      const rk_exp_analysis *a, rk_err *err);

/**
 * Read a run back for the analysis: the base model @p base (safetensors,
 * PyTorch names; created into @p net, free with rk_mlp_free), the full
 * update @p full (a delta .safetensors file, or a folder holding
 * delta.safetensors) and @p n_lora PEFT adapters (modules linear1 …, one
 * rank and scale each). A second adapter with a rank already seen becomes
 * the "second seed" run. Accuracies and costs are left empty.
 * @return RK_OK; the readers' errors; RK_ENOTFOUND, RK_ESHAPE, RK_ECONFIG
 *         (an adapter or delta that does not fit the base; err says which).
 */
rk_status rk_exp_load(rk_exp_models *m, rk_mlp *net, const char *base, const char *full,
                      const char *const *lora, size_t n_lora, rk_err *err);

#ifdef __cplusplus
}
#endif

#endif
