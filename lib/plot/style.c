/* style.c — the palette, dashes and point types of every plot; enhanced-text escapes. */
#include "plot/style.h"

#include <string.h>

/* Okabe & Ito (2008), "Color Universal Design", without the yellow #F0E442. */
static const char *const palette[RK_PLOT_COLORS] = {
    "#0072B2", "#D55E00", "#009E73", "#E69F00", "#CC79A7", "#56B4E9", "#000000",
};

/* Filled and open shapes first; 13 is coprime to 7, so colour and shape repeat together only after 91 slots. */
static const int points[13] = { 7, 5, 9, 13, 11, 6, 4, 8, 12, 10, 1, 2, 3 };

rk_plot_look rk_plot_look_series(size_t slot)
{
    return (rk_plot_look){ palette[slot % RK_PLOT_COLORS],
                           1 + (int)((slot / RK_PLOT_COLORS) % RK_PLOT_DASHES),
                           points[slot % 13] };
}

rk_plot_look rk_plot_look_reference(size_t i)
{
    static const char *const greys[2] = { "#8C8C8C", "#B4B4B4" };
    return (rk_plot_look){ greys[i % 2], 1 + (int)((i / 2) % RK_PLOT_DASHES), 1 + (int)(i % 3) };
}

rk_plot_look rk_plot_look_line(size_t i)
{
    /* Never solid: a reference line must not read as a series. */
    static const char *const inks[2] = { "#404040", "#666666" };
    return (rk_plot_look){ inks[(i / 4) % 2], 2 + (int)(i % 4), 0 };
}

static bool special(char c)
{
    return c && strchr("_^{}@&~\\", c) != NULL;
}

char *rk_plot_text_literal(char *buf, size_t cap, const char *s)
{
    size_t n = 0;
    for (const char *p = s ? s : ""; *p; p++) {
        size_t need = special(*p) ? 2 : 1;
        if (n + need + 1 > cap)
            break;
        if (need == 2)
            buf[n++] = '\\';
        buf[n++] = *p;
    }
    buf[n] = '\0';
    return buf;
}

char *rk_plot_text_plain(char *buf, size_t cap, const char *s)
{
    size_t n = 0;
    for (const char *p = s ? s : ""; *p && n + 1 < cap; p++) {
        if (*p == '\\' && special(p[1]))
            p++;            /* an escaped character: itself */
        else if (*p == '{' || *p == '}')
            continue;       /* a group's braces */
        buf[n++] = *p;
    }
    buf[n] = '\0';
    return buf;
}
