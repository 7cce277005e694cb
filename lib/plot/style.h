/**
 * @file
 * @ingroup plot
 * style.h — how every plot of ranklab looks: one fixed palette, dash
 * patterns and point types, grey for reference series, and text that
 * gnuplot's enhanced mode renders (σ_k, ‖A‖_F², ΔW_{full}).
 *
 * Series are numbered by slot 0, 1, 2, …. Slot k is drawn in colour
 * k mod 7 of the Okabe–Ito palette (safe for the common colour-vision
 * deficiencies; its yellow is left out: it cannot be read on white), with
 * dash pattern 1 + ⌊k / 7⌋ and its own point type, so that no two of the
 * first 35 slots share colour and dash. Reference series (W0
 * beside the updates of W0) and reference lines (tolerances, thresholds,
 * baselines) are in greys of their own, never a series' colour: no reference
 * series or line looks like any of the first 35 slots.
 *
 *   slot:    0 blue  1 vermillion  2 green  3 orange  4 purple  5 sky  6 black
 *   dash:    1 solid (slots 0–6), 2 dashed (7–13), 3 dotted (14–20), …
 *
 * Text: every title, label and legend entry is gnuplot enhanced text:
 * `_x` or `_{xy}` a subscript, `^x` a superscript, `{…}` a group, and
 * `\` before one of `_ ^ { } @ & ~ \` prints that character itself.
 * Text that comes from outside (a file or tensor name) goes through
 * rk_plot_text_literal() first. The terminal (dumb) shows the same text
 * with the braces and escapes taken out (`ΔW_full`).
 */
#ifndef RK_PLOT_STYLE_H
#define RK_PLOT_STYLE_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** How one series or line is drawn: colour, gnuplot dashtype, gnuplot pointtype. */
typedef struct rk_plot_look {
    const char *rgb;    /**< "#rrggbb" */
    int dash;           /**< gnuplot dashtype: 1 solid, 2 dashed, 3 dotted, 4 dash-dot, 5 dash-dot-dot */
    int point;          /**< gnuplot pointtype (pngcairo/svg: 4 □, 5 ■, 6 ○, 7 ●, 8 △, 9 ▲, …) */
} rk_plot_look;

/** Colours of the palette (slot k takes colour k mod RK_PLOT_COLORS). */
enum { RK_PLOT_COLORS = 7, RK_PLOT_DASHES = 5 };

/** The look of series slot @p slot (0, 1, …): colour, dash and point as in the table above. */
rk_plot_look rk_plot_look_series(size_t slot);

/** The look of the @p i-th reference series (W0, a baseline curve): greys, solid then dashed. */
rk_plot_look rk_plot_look_reference(size_t i);

/**
 * The look of the @p i-th reference line (a tolerance, a threshold, a
 * baseline level): dark greys, dashed, dotted, dash-dot (never solid);
 * distinct from every series slot and reference series for i < 8.
 */
rk_plot_look rk_plot_look_line(size_t i);

/** The dash pattern series drawn as a companion of another (a spectrum's energy curve) use. */
enum { RK_PLOT_DASH_COMPANION = 2 };

/**
 * Copy @p s into @p buf (capacity @p cap ≥ 1) so that enhanced text shows it
 * literally: a backslash before each of `_ ^ { } @ & ~ \`. Truncated (at a
 * character boundary of the escapes) when it does not fit; always
 * NUL-terminated.
 * @return @p buf.
 */
char *rk_plot_text_literal(char *buf, size_t cap, const char *s);

/**
 * Copy enhanced text @p s into @p buf as plain text for the terminal and for
 * comments: braces of groups dropped, escaped characters kept without their
 * backslash, `_` and `^` kept (`ΔW_{full}` → `ΔW_full`). Always NUL-terminated.
 * @return @p buf.
 */
char *rk_plot_text_plain(char *buf, size_t cap, const char *s);

#ifdef __cplusplus
}
#endif

#endif
