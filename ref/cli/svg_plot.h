/* svg_plot.h — line charts as standalone SVG files (no plotting library): a few series of
 * (x, y) points, linear axes with "nice" ticks (x optionally log2), a legend, a title.
 * Used by `svs report` for the demo's plots. */
#ifndef SVS_SVG_PLOT_H
#define SVS_SVG_PLOT_H

#include <stddef.h>

#include "../common.h"

typedef struct svg_series {
    const char *label;
    const double *x, *y; /* n points; non-finite y values are gaps */
    size_t n;
    int color;                /* palette index (the same label keeps its colour across charts) */
} svg_series;

typedef struct svg_chart {
    const char *title, *x_label, *y_label;
    int log2_x;               /* x axis in log2 scale (pass@k: k = 1, 2, 4, ...) */
    double y_min, y_max;      /* fixed y range when y_min < y_max, else from the data */
    const svg_series *series;
    size_t n_series;
} svg_chart;

/* Writes the chart to `path` (temp file + rename). Returns 0, or -1 with err set. */
int svg_write_chart(const char *path, const svg_chart *c, svs_err *err);

#endif
