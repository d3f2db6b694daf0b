/* svg_plot.c — line charts as standalone SVG (see svg_plot.h). The whole chart is built in a
 * buffer, then written to PATH.tmp and renamed, so a reader never sees half a file. */
#include "svg_plot.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define W 640.0
#define H 400.0
#define LEFT 70.0   /* plot area margins, pixels */
#define RIGHT 20.0
#define TOP 40.0
#define BOTTOM 55.0

static const char *COLORS[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};

/* A "nice" tick step (1, 2 or 5 times a power of ten) giving about `want` intervals. */
static double nice_step(double span, int want) {
    double raw = span / want, p = pow(10, floor(log10(raw))), f = raw / p;
    return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}

/* XML-escapes s into b. */
static int put_text(svs_buf *b, const char *s, svs_err *err) {
    for (; *s; s++) {
        const char *e = *s == '<' ? "&lt;" : *s == '>' ? "&gt;" : *s == '&' ? "&amp;" : NULL;
        if (e ? svs_buf_puts(b, e, err) : svs_buf_putc(b, *s, err)) return -1;
    }
    return 0;
}

typedef struct { double x0, x1, y0, y1; int log2_x; } frame;

static double px(const frame *f, double x) {
    double t = f->log2_x ? (log2(x) - log2(f->x0)) / (log2(f->x1) - log2(f->x0)) : (x - f->x0) / (f->x1 - f->x0);
    return LEFT + t * (W - LEFT - RIGHT);
}
static double py(const frame *f, double y) { return H - BOTTOM - (y - f->y0) / (f->y1 - f->y0) * (H - TOP - BOTTOM); }

/* Data ranges (finite points only); a flat range is widened so the axes stay drawable. */
static void find_frame(const svg_chart *c, frame *f) {
    f->x0 = f->y0 = INFINITY, f->x1 = f->y1 = -INFINITY, f->log2_x = c->log2_x;
    for (size_t s = 0; s < c->n_series; s++)
        for (size_t i = 0; i < c->series[s].n; i++) {
            double x = c->series[s].x[i], y = c->series[s].y[i];
            if (!isfinite(x) || !isfinite(y) || (c->log2_x && x <= 0)) continue;
            f->x0 = fmin(f->x0, x), f->x1 = fmax(f->x1, x), f->y0 = fmin(f->y0, y), f->y1 = fmax(f->y1, y);
        }
    if (!(f->x0 <= f->x1)) f->x0 = 1, f->x1 = 2;
    if (f->x0 == f->x1) f->x1 = f->x0 * (c->log2_x ? 2 : 1) + (c->log2_x ? 0 : 1);
    if (c->y_min < c->y_max) f->y0 = c->y_min, f->y1 = c->y_max;
    if (!(f->y0 <= f->y1)) f->y0 = 0, f->y1 = 1;
    if (f->y0 == f->y1) f->y0 -= 0.5, f->y1 += 0.5;
}

static int draw_axes(svs_buf *b, const svg_chart *c, const frame *f, svs_err *err) {
    if (svs_buf_printf(b, err, "<rect x='%g' y='%g' width='%g' height='%g' fill='none' stroke='#444'/>\n", LEFT, TOP,
                       W - LEFT - RIGHT, H - TOP - BOTTOM))
        return -1;
    double ys = nice_step(f->y1 - f->y0, 5);
    for (double y = ceil(f->y0 / ys) * ys; y <= f->y1 + 1e-9 * ys; y += ys)
        if (svs_buf_printf(b, err,
                           "<line x1='%g' x2='%g' y1='%.1f' y2='%.1f' stroke='#ddd'/>"
                           "<text x='%g' y='%.1f' text-anchor='end' font-size='12'>%g</text>\n",
                           LEFT, W - RIGHT, py(f, y), py(f, y), LEFT - 6, py(f, y) + 4, fabs(y) < 1e-12 ? 0 : y))
            return -1;
    if (f->log2_x) { /* ticks at powers of two */
        for (double x = pow(2, ceil(log2(f->x0))); x <= f->x1 * (1 + 1e-12); x *= 2)
            if (svs_buf_printf(b, err, "<text x='%.1f' y='%g' text-anchor='middle' font-size='12'>%g</text>\n",
                               px(f, x), H - BOTTOM + 18, x))
                return -1;
    } else {
        double xs = nice_step(f->x1 - f->x0, 8);
        for (double x = ceil(f->x0 / xs) * xs; x <= f->x1 + 1e-9 * xs; x += xs)
            if (svs_buf_printf(b, err, "<text x='%.1f' y='%g' text-anchor='middle' font-size='12'>%g</text>\n",
                               px(f, x), H - BOTTOM + 18, x))
                return -1;
    }
    if (svs_buf_printf(b, err, "<text x='%g' y='24' text-anchor='middle' font-size='16'>", W / 2) ||
        put_text(b, c->title, err) ||
        svs_buf_printf(b, err, "</text>\n<text x='%g' y='%g' text-anchor='middle' font-size='13'>",
                       (LEFT + W - RIGHT) / 2, H - 14) ||
        put_text(b, c->x_label, err) ||
        svs_buf_printf(b, err, "</text>\n<text transform='translate(16,%g) rotate(-90)' text-anchor='middle' "
                               "font-size='13'>", (TOP + H - BOTTOM) / 2) ||
        put_text(b, c->y_label, err) || svs_buf_puts(b, "</text>\n", err))
        return -1;
    return 0;
}

/* One polyline per run of finite points, a dot per point, and a legend entry. */
static int draw_series(svs_buf *b, const svg_series *s, const frame *f, int idx, svs_err *err) {
    const char *col = COLORS[s->color % (int)(sizeof COLORS / sizeof *COLORS)];
    int open = 0;
    for (size_t i = 0; i <= s->n; i++) {
        int ok = i < s->n && isfinite(s->x[i]) && isfinite(s->y[i]) && !(f->log2_x && s->x[i] <= 0);
        if (ok && !open && svs_buf_printf(b, err, "<polyline fill='none' stroke='%s' stroke-width='2' points='", col))
            return -1;
        if (ok && svs_buf_printf(b, err, "%.1f,%.1f ", px(f, s->x[i]), py(f, s->y[i]))) return -1;
        if (!ok && open && svs_buf_puts(b, "'/>\n", err)) return -1;
        open = ok;
    }
    for (size_t i = 0; i < s->n && s->n <= 64; i++)
        if (isfinite(s->x[i]) && isfinite(s->y[i]) && !(f->log2_x && s->x[i] <= 0) &&
            svs_buf_printf(b, err, "<circle cx='%.1f' cy='%.1f' r='3' fill='%s'/>\n", px(f, s->x[i]), py(f, s->y[i]), col))
            return -1;
    double ly = TOP + 16 + 18 * idx;
    if (svs_buf_printf(b, err,
                       "<line x1='%g' x2='%g' y1='%g' y2='%g' stroke='%s' stroke-width='3'/>"
                       "<text x='%g' y='%g' font-size='12'>",
                       LEFT + 12, LEFT + 36, ly, ly, col, LEFT + 42, ly + 4) ||
        put_text(b, s->label, err) || svs_buf_puts(b, "</text>\n", err))
        return -1;
    return 0;
}

int svg_write_chart(const char *path, const svg_chart *c, svs_err *err) {
    svs_buf b = {0};
    frame f;
    find_frame(c, &f);
    int rc = svs_buf_printf(&b, err,
                            "<?xml version='1.0' encoding='UTF-8'?>\n"
                            "<svg xmlns='http://www.w3.org/2000/svg' width='%g' height='%g' "
                            "font-family='sans-serif'>\n<rect width='100%%' height='100%%' fill='white'/>\n",
                            W, H) ||
             draw_axes(&b, c, &f, err);
    for (size_t s = 0; !rc && s < c->n_series; s++) rc = draw_series(&b, &c->series[s], &f, (int)s, err);
    if (!rc) rc = svs_buf_puts(&b, "</svg>\n", err);
    if (!rc) {
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        FILE *fp = fopen(tmp, "wb");
        if (!fp) rc = svs_errf(err, "%s: cannot create", tmp);
        else {
            int bad = fwrite(b.data, 1, b.len, fp) != b.len;
            bad |= fclose(fp) != 0;
            if (bad || rename(tmp, path)) rc = svs_errf(err, "%s: write failed", path);
        }
    }
    svs_buf_free(&b);
    return rc;
}
