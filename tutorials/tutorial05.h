/*
 * tutorial05.h — the shared state of lesson 5, "LoRA vs SVD"
 * (tutorial05.c: data, training and the step table; tutorial05_analysis.c:
 * the comparisons of the learned updates). See docs/tutorials/05-lora-vs-svd.md.
 *
 * Shapes: the MLP of lessons 3 and 4 (lesson_nn.h: 784 → 200 → 400 → 10, or
 * 784 → 64 → 128 → 10 with --quick), layers l = 0, 1, 2 with weights W_l
 * (Out, In). ΔW matrices are double, (Out, In). The "main layer" (l = 1,
 * 400 × 200) gets the full analysis; the error table covers every layer.
 */
#ifndef RK_TUTORIAL05_H
#define RK_TUTORIAL05_H

#include "lesson_nn.h"
#include "runner.h"
#include "tut_plots.h"

#define DOC5 "docs/tutorials/05-lora-vs-svd.md"

enum {
    L5_LAYERS = 3,      /* linear layers of the lesson's net */
    L5_SEED_FT = 17,    /* added to --seed: the shuffling of every fine-tune's batches */
    L5_MAIN = 1,        /* the layer analysed in depth */
    L5_RANKS = 5,       /* LoRA ranks 1, 2, 4, 8, 16 */
    L5_SMALL = 1,       /* index of r = 2 in the ranks (the paper's r = 8) */
    L5_MID = 2,         /* index of r = 4 (the paper's Table 7 rank; the N(0,1) run) */
    L5_HEAT = 3,        /* index of r = 8 (the φ heatmap against the full delta) */
    L5_LARGE = 4        /* index of r = 16 (the paper's r = 64) */
};

/** What steps leave for later steps. */
typedef struct lesson5 {
    lesson_nn nn;            /* data, the pretrained (then frozen) net, the worst class */
    rk_mlp full;             /* full fine-tune of a copy of nn.base */
    double base_acc, base_target_acc, full_acc, full_target_acc;
    /* the updates */
    size_t ranks[L5_RANKS];
    rk_mat dfull[L5_LAYERS];             /* ΔW_full of each layer */
    rk_svd dfull_svd[L5_LAYERS];         /* its thin SVD */
    rk_mat dlora[L5_RANKS][L5_LAYERS];   /* ΔW_lora(r) of each layer (kaiming init) */
    rk_svd dlora_svd[L5_RANKS];          /* thin SVD of ΔW_lora(r), main layer */
    double lora_acc[L5_RANKS], lora_target_acc[L5_RANKS];
    size_t lora_params[L5_RANKS];
    rk_mat dnormal;                      /* ΔW_lora at ranks[L5_MID], N(0,1) init, main layer */
    double normal_acc, normal_target_acc;
    /* results the closing step compares */
    double rel_err[L5_RANKS][L5_LAYERS], ey[L5_RANKS][L5_LAYERS];
    double phi11_full[L5_RANKS];         /* φ(1,1), ΔW_lora(r) vs ΔW_full, left */
    double phi11_small_large;            /* φ(1,1), r = 2 vs r = 16, right */
    double phi_small_large_mean;         /* mean of that table's first row */
    rk_amplify amp_lora[2], amp_full[2]; /* at ranks[L5_MID] and ranks[L5_LARGE] */
    double normal_rel_err, normal_cos, normal_ratio;
    double kaiming_cos, kaiming_ratio;
} lesson5;

/* tutorial05_analysis.c: steps 4-9 */
rk_status l5_step_errors(tut_runner *t, void *ctx);
rk_status l5_step_phi_full(tut_runner *t, void *ctx);
rk_status l5_step_phi_ranks(tut_runner *t, void *ctx);
rk_status l5_step_amplify(tut_runner *t, void *ctx);
rk_status l5_step_init(tut_runner *t, void *ctx);
rk_status l5_step_paper(tut_runner *t, void *ctx);

/* tutorial05.c */
/** W0 of layer @p l of @p net as a double matrix (allocated). */
rk_status l5_weight(rk_mat *out, const rk_mlp *net, size_t l);
/** Draw @p spec in the terminal (tut_plot) and, with --out, as DIR/NAME.png. */
void l5_show_plot(tut_runner *t, rk_plot_spec *spec, const char *name);

#endif
