/*
 * hil_report.c — the report of a hardware-in-the-loop run (hil.h): one self-contained XHTML
 * file with inline SVG plots, and a CSV with one row per step.
 *
 * Both are built in memory and written with xpnn_write_file_atomic, so a report rewritten
 * after a resumed run is never seen half-written. The HTML is well-formed XML so that tests
 * and tools can parse it, and it loads nothing (no scripts, fonts or images), so it reads the
 * same offline and years later. Everything printed is a function of the result alone (fixed
 * number formats, no dates, no pointers), so the same run gives a byte-identical report.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "hil.h"
#include "safetensors.h"
#include "util.h"

/* Layout of every plot, in SVG pixels. The plot area is PLOT_W wide; a polyline never needs
 * more than two points (min and max) per pixel column of it. */
#define SVG_W 800
#define PLOT_L 64 /* left margin: y tick labels and the y axis title */
#define PLOT_R 16
#define PLOT_W (SVG_W - PLOT_L - PLOT_R)
#define PLOT_H 240
#define PLOT_B 46 /* bottom margin: x tick labels and the x axis title */
#define LEG_TOP 10
#define LEG_ROW 16
#define LEG_COLS 3

/* Moving average over 1 % of the steps, but never fewer than this: per-step values are single
 * batches and too noisy to read on their own. */
#define MA_MIN 20

#define C_BOARD "#1f77b4"
#define C_TWIN "#ff7f0e"
#define C_BEFORE "#7f7f7f"
#define C_AFTER "#1f77b4"
#define C_CELLS "#2ca02c"
#define C_CHANGED "#9467bd"

#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD */

/* ---- text ---- */

/* Length of the valid UTF-8 sequence at p (its code point in *cp), or 0. Overlong forms,
 * surrogates and values beyond U+10FFFF are invalid; a NUL fails the continuation test, so
 * this never reads past the end of the string. */
static size_t utf8_seq(const unsigned char *p, uint32_t *cp)
{
	unsigned c = p[0];
	uint32_t v, min;
	size_t len, i;

	if (c >= 0xc2 && c <= 0xdf) {
		len = 2, v = c & 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3, v = c & 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4, v = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (p[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

/*
 * Print data as XML text or a double-quoted attribute value: the specials escaped, and what
 * XML 1.0 cannot carry at all (control characters other than tab and newlines, invalid UTF-8,
 * U+FFFE, U+FFFF) replaced by U+FFFD, so that one stray byte in a configuration string cannot
 * make the whole report unparseable. s may be NULL.
 */
static void put_esc(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;
	size_t len;

	while (p && *p) {
		if (*p < 0x80) {
			switch (*p) {
			case '&': fputs("&amp;", f); break;
			case '<': fputs("&lt;", f); break;
			case '>': fputs("&gt;", f); break;
			case '"': fputs("&quot;", f); break;
			default:
				if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
					fputs(REPLACEMENT, f);
				else
					fputc(*p, f);
			}
			p++;
			continue;
		}
		len = utf8_seq(p, &cp);
		if (!len || cp == 0xfffe || cp == 0xffff)
			fputs(REPLACEMENT, f);
		else
			fwrite(p, 1, len, f);
		p += len ? len : 1;
	}
}

/* A summary row; fmt prints numbers only, which need no escaping. */
__attribute__((format(printf, 3, 4))) static void kv(FILE *f, const char *key, const char *fmt,
						     ...)
{
	va_list ap;

	fprintf(f, "<tr><th>%s</th><td class=\"n\">", key);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputs("</td></tr>\n", f);
}

/* ---- plot frame: axes, ticks, legend ---- */

struct plot {
	FILE *f;
	double x0, x1, y0, y1; /* data range shown */
	double px, py;         /* top left of the plot area */
};

static double sx(const struct plot *p, double x)
{
	return p->px + (x - p->x0) / (p->x1 - p->x0) * PLOT_W;
}

static double sy(const struct plot *p, double y)
{
	return p->py + PLOT_H - (y - p->y0) / (p->y1 - p->y0) * PLOT_H;
}

enum leg_kind { LEG_LINE, LEG_FAINT, LEG_DOT, LEG_SQUARE, LEG_BAR };

struct leg {
	enum leg_kind kind;
	const char *color;
	char label[80];
};

__attribute__((format(printf, 5, 6))) static void leg_add(struct leg *l, int *n,
							  enum leg_kind kind, const char *color,
							  const char *fmt, ...)
{
	va_list ap;

	l[*n].kind = kind;
	l[*n].color = color;
	va_start(ap, fmt);
	vsnprintf(l[*n].label, sizeof(l[*n].label), fmt, ap);
	va_end(ap);
	(*n)++;
}

/* Markers are shapes, not colours alone, so that board and twin stay apart in grey print. */
static void put_marker(FILE *f, enum leg_kind kind, const char *color, double x, double y)
{
	if (kind == LEG_SQUARE)
		fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"7\" height=\"7\" fill=\"%s\" "
			"stroke=\"#000\" stroke-width=\"0.6\"/>\n", x - 3.5, y - 3.5, color);
	else
		fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\" stroke=\"#000\" "
			"stroke-width=\"0.6\"/>\n", x, y, color);
}

/* Open the svg element: its <title>, the legend above the plot area, and p's geometry. */
static void svg_open(FILE *f, struct plot *p, const char *id, const char *title,
		     const struct leg *leg, int nleg)
{
	int rows = (nleg + LEG_COLS - 1) / LEG_COLS, h, i;
	double x, y;

	p->f = f;
	p->px = PLOT_L;
	p->py = LEG_TOP + rows * LEG_ROW + 10;
	h = (int)p->py + PLOT_H + PLOT_B;
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"%s\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"11\">\n<title>",
		id, SVG_W, h, SVG_W, h);
	put_esc(f, title);
	fputs("</title>\n", f);
	for (i = 0; i < nleg; i++) {
		x = PLOT_L + (i % LEG_COLS) * (PLOT_W / LEG_COLS);
		y = LEG_TOP + (i / LEG_COLS) * LEG_ROW + 6;
		switch (leg[i].kind) {
		case LEG_LINE:
		case LEG_FAINT:
			fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
				"stroke=\"%s\" stroke-width=\"%d\" stroke-opacity=\"%s\"/>\n", x, y,
				x + 22, y, leg[i].color, leg[i].kind == LEG_LINE ? 2 : 1,
				leg[i].kind == LEG_LINE ? "1" : "0.35");
			break;
		case LEG_BAR:
			fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"22\" height=\"9\" "
				"fill=\"%s\"/>\n", x, y - 4.5, leg[i].color);
			break;
		default:
			put_marker(f, leg[i].kind, leg[i].color, x + 11, y);
		}
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">", x + 28, y + 4);
		put_esc(f, leg[i].label);
		fputs("</text>\n", f);
	}
}

static void svg_close(FILE *f)
{
	fputs("</svg>\n", f);
}

/* The ids must exist whatever the run did (tests and readers look for them), so a plot with
 * nothing to show is still an svg, saying so. */
static void svg_nodata(FILE *f, const char *id, const char *title)
{
	struct plot p;

	svg_open(f, &p, id, title, NULL, 0);
	fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%d\" height=\"%d\" fill=\"none\" "
		"stroke=\"#999\"/>\n<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
		"font-size=\"16\" fill=\"#666\">no data</text>\n", p.px, p.py, PLOT_W, PLOT_H,
		p.px + PLOT_W / 2.0, p.py + PLOT_H / 2.0);
	svg_close(f);
}

struct axis {
	double lo, hi, step;
	int dec; /* decimals of the tick labels */
};

/* Tick spacing of 1, 2 or 5 × 10^k giving about n intervals over span. */
static double nice_step(double span, int n)
{
	double raw = span / n, mag, m;

	if (!(raw > 0) || !isfinite(raw))
		return 1;
	mag = pow(10, floor(log10(raw)));
	m = raw / mag;
	return (m < 1.5 ? 1 : m < 3 ? 2 : m < 7 ? 5 : 10) * mag;
}

/* An axis over [lo, hi] (lo > hi: no finite data) with about n tick intervals; expand: round
 * the ends out to ticks (y axes), else keep them (x axes, where the data should fill the
 * width). */
static void axis_fit(struct axis *a, double lo, double hi, int n, int expand)
{
	double d;

	if (!(lo <= hi)) {
		lo = 0;
		hi = 1;
	}
	if (hi - lo < 1e-9 * fmax(1, fabs(hi))) {
		d = fmax(1e-3, fabs(hi) * 0.05);
		lo -= d;
		hi += d;
	}
	a->step = nice_step(hi - lo, n);
	a->lo = expand ? floor(lo / a->step + 1e-9) * a->step : lo;
	a->hi = expand ? ceil(hi / a->step - 1e-9) * a->step : hi;
	a->dec = a->step >= 1 ? 0 : (int)ceil(-log10(a->step) - 1e-9);
	if (a->dec > 9)
		a->dec = 9;
}

/* Steps and epochs are whole numbers: no tick between them. */
static void axis_whole(struct axis *a)
{
	if (a->step < 1) {
		a->step = 1;
		a->dec = 0;
	}
}

static void frame(const struct plot *p)
{
	fprintf(p->f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%d\" height=\"%d\" fill=\"none\" "
		"stroke=\"#444\"/>\n", p->px, p->py, PLOT_W, PLOT_H);
}

static void xtick(const struct plot *p, double x, const char *label)
{
	double X = sx(p, x), Y = p->py + PLOT_H;

	fprintf(p->f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#444\"/>\n"
		"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
		X, Y, X, Y + 4, X, Y + 16, label);
}

/* A y tick with a light grid line across the plot area. */
static void ytick(const struct plot *p, double y, const char *label)
{
	double Y = sy(p, y);

	fprintf(p->f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n"
		"<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#444\"/>\n"
		"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
		p->px, Y, p->px + PLOT_W, Y, p->px - 4, Y, p->px, Y, p->px - 7, Y + 4, label);
}

static void axis_titles(const struct plot *p, const char *xtitle, const char *ytitle)
{
	fprintf(p->f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", p->px + PLOT_W / 2.0,
		p->py + PLOT_H + 36);
	put_esc(p->f, xtitle);
	fprintf(p->f, "</text>\n<text transform=\"translate(%.1f,%.1f) rotate(-90)\" "
		"text-anchor=\"middle\">", 16.0, p->py + PLOT_H / 2.0);
	put_esc(p->f, ytitle);
	fputs("</text>\n", p->f);
}

/* Ticks at the multiples of a's step inside [a->lo, a->hi]. */
static void ticks(const struct plot *p, const struct axis *a, int is_x)
{
	char label[48];
	double v;
	long k, k1;

	k = (long)ceil(a->lo / a->step - 1e-9);
	k1 = (long)floor(a->hi / a->step + 1e-9);
	for (; k <= k1 && k1 - k < 100; k++) {
		v = k * a->step;
		snprintf(label, sizeof(label), "%.*f", a->dec, v);
		if (is_x)
			xtick(p, v, label);
		else
			ytick(p, v, label);
	}
}

/* ---- series ---- */

/* One vertex, skipped when it lands on the previous one at the printed resolution. */
static void put_pt(FILE *f, char *last, double x, double y)
{
	char s[48];

	snprintf(s, sizeof(s), "%.1f,%.1f ", x, y);
	if (strcmp(s, last)) {
		fputs(s, f);
		strcpy(last, s);
	}
}

/*
 * A polyline through the finite (x[i], y[i]). More points than the plot area has pixel
 * columns are cut into one bucket per column: minmax keeps each bucket's lowest and highest
 * point in their order, so the spikes of noisy per-step values survive; otherwise (smooth
 * series) the bucket's first point and the very last point stand for it.
 */
static void put_line(const struct plot *p, const double *x, const double *y, size_t n,
		     int minmax, const char *attrs)
{
	size_t nb = PLOT_W, b, i, i0, i1, lo, hi;
	char last[48] = "";

	fprintf(p->f, "<polyline fill=\"none\" %s points=\"", attrs);
	if (n <= (minmax ? 2 * nb : nb)) {
		for (i = 0; i < n; i++)
			if (isfinite(y[i]))
				put_pt(p->f, last, sx(p, x[i]), sy(p, y[i]));
	} else {
		for (b = 0; b < nb; b++) {
			i0 = b * n / nb;
			i1 = (b + 1) * n / nb;
			if (!minmax) {
				for (i = i0; i < i1 && !isfinite(y[i]); i++)
					;
				if (i < i1)
					put_pt(p->f, last, sx(p, x[i]), sy(p, y[i]));
				continue;
			}
			lo = hi = n;
			for (i = i0; i < i1; i++) {
				if (!isfinite(y[i]))
					continue;
				if (lo == n || y[i] < y[lo])
					lo = i;
				if (hi == n || y[i] > y[hi])
					hi = i;
			}
			if (lo == n)
				continue;
			i = lo < hi ? lo : hi;
			put_pt(p->f, last, sx(p, x[i]), sy(p, y[i]));
			i = lo < hi ? hi : lo;
			put_pt(p->f, last, sx(p, x[i]), sy(p, y[i]));
		}
		if (!minmax && isfinite(y[n - 1]))
			put_pt(p->f, last, sx(p, x[n - 1]), sy(p, y[n - 1]));
	}
	fputs("\"/>\n", p->f);
}

/* Centred moving average of the finite values over w points (fewer at the ends). */
static int moving_avg(const double *y, size_t n, size_t w, double *out)
{
	double *s = malloc((n + 1) * sizeof(*s));
	size_t *c = malloc((n + 1) * sizeof(*c));
	size_t i, a, b;

	if (!s || !c) {
		free(s);
		free(c);
		return -1;
	}
	s[0] = 0;
	c[0] = 0;
	for (i = 0; i < n; i++) {
		s[i + 1] = s[i] + (isfinite(y[i]) ? y[i] : 0);
		c[i + 1] = c[i] + !!isfinite(y[i]);
	}
	for (i = 0; i < n; i++) {
		a = i >= w / 2 ? i - w / 2 : 0;
		b = i + w - w / 2 < n ? i + w - w / 2 : n;
		out[i] = c[b] > c[a] ? (s[b] - s[a]) / (double)(c[b] - c[a]) : NAN;
	}
	free(s);
	free(c);
	return 0;
}

static void minmax_update(double v, double *lo, double *hi)
{
	if (!isfinite(v))
		return;
	if (v < *lo)
		*lo = v;
	if (v > *hi)
		*hi = v;
}

/* ---- the plots ---- */

enum { CURVE_ACC, CURVE_LOSS };

/*
 * Board and twin accuracy (percent) or loss per step: the raw batch values faint, their
 * moving averages bold, and the held-out evaluations as markers. A run without steps
 * (insilico) still has evaluations; they are then plotted against the epoch.
 */
static int plot_curves(FILE *f, const xpnn_hil_result *r, int what)
{
	const char *id = what == CURVE_ACC ? "plot-accuracy" : "plot-loss";
	const char *title = what == CURVE_ACC ? "Accuracy per step: board and twin, batch and "
		"held-out" : "Loss per step: board and twin, batch and held-out";
	size_t n = r->nsteps, ne = r->nevals, w = n / 100 > MA_MIN ? n / 100 : MA_MIN, i;
	double scale = what == CURVE_ACC ? 100 : 1, lo = INFINITY, hi = -INFINITY, xmax = 0, ex;
	double *x, *yb, *yt, *mb, *mt, *buf;
	struct axis ax, ay;
	struct leg leg[6] = { { 0 } }; /* zeroed for gcc, which cannot see that nleg >= 1 */
	struct plot p;
	int nleg = 0, by_epoch = n == 0;
	const xpnn_hil_eval *e;

	if (!n && !ne) {
		svg_nodata(f, id, title);
		return 0;
	}
	buf = malloc((5 * n + 1) * sizeof(*buf));
	if (!buf)
		return -1;
	x = buf, yb = x + n, yt = yb + n, mb = yt + n, mt = mb + n;
	for (i = 0; i < n; i++) {
		const xpnn_hil_step *s = &r->steps[i];

		x[i] = s->step;
		yb[i] = scale * (what == CURVE_ACC ? s->board_acc : s->board_loss);
		yt[i] = scale * (what == CURVE_ACC ? s->twin_acc : s->twin_loss);
		if (x[i] > xmax)
			xmax = x[i];
		minmax_update(yb[i], &lo, &hi);
		minmax_update(yt[i], &lo, &hi);
	}
	if (moving_avg(yb, n, w, mb) < 0 || moving_avg(yt, n, w, mt) < 0) {
		free(buf);
		return -1;
	}
	for (i = 0; i < ne; i++) {
		e = &r->evals[i];
		ex = by_epoch ? e->epoch : e->step;
		if (ex > xmax)
			xmax = ex;
		minmax_update(scale * (what == CURVE_ACC ? e->board_acc : e->board_loss), &lo, &hi);
		if (what == CURVE_ACC)
			minmax_update(scale * e->twin_acc, &lo, &hi);
	}

	if (n) {
		leg_add(leg, &nleg, LEG_FAINT, C_BOARD, "board, per batch");
		leg_add(leg, &nleg, LEG_LINE, C_BOARD, "board, mean of %zu steps", w);
	}
	if (ne)
		leg_add(leg, &nleg, LEG_DOT, C_BOARD, "board, held-out");
	if (n) {
		leg_add(leg, &nleg, LEG_FAINT, C_TWIN, "twin, per batch");
		leg_add(leg, &nleg, LEG_LINE, C_TWIN, "twin, mean of %zu steps", w);
	}
	if (ne && what == CURVE_ACC)
		leg_add(leg, &nleg, LEG_SQUARE, C_TWIN, "twin, held-out");
	svg_open(f, &p, id, title, leg, nleg);
	if (by_epoch)
		axis_fit(&ax, -0.5, xmax + 0.5, 8, 0);
	else
		axis_fit(&ax, 0, xmax > 0 ? xmax : 1, 8, 0);
	axis_whole(&ax);
	axis_fit(&ay, lo, hi, 6, 1);
	if (what == CURVE_ACC) {
		ay.lo = fmax(ay.lo, 0);
		ay.hi = fmin(ay.hi, 100);
	} else if (lo >= 0) {
		ay.lo = fmax(ay.lo, 0);
	}
	p.x0 = ax.lo, p.x1 = ax.hi, p.y0 = ay.lo, p.y1 = ay.hi;
	ticks(&p, &ay, 0);
	ticks(&p, &ax, 1);
	frame(&p);
	axis_titles(&p, by_epoch ? "epoch (the method takes no training steps on the board)" :
		    "training step", what == CURVE_ACC ? "accuracy (%)" : "cross-entropy loss");
	if (n) {
		put_line(&p, x, yb, n, 1, "stroke=\"" C_BOARD "\" stroke-opacity=\"0.35\" "
			 "stroke-width=\"1\"");
		put_line(&p, x, yt, n, 1, "stroke=\"" C_TWIN "\" stroke-opacity=\"0.35\" "
			 "stroke-width=\"1\"");
		put_line(&p, x, mb, n, 0, "stroke=\"" C_BOARD "\" stroke-width=\"2\"");
		put_line(&p, x, mt, n, 0, "stroke=\"" C_TWIN "\" stroke-width=\"2\"");
	}
	for (i = 0; i < ne; i++) {
		double v;

		e = &r->evals[i];
		ex = sx(&p, by_epoch ? e->epoch : e->step);
		v = scale * (what == CURVE_ACC ? e->board_acc : e->board_loss);
		if (isfinite(v))
			put_marker(f, LEG_DOT, C_BOARD, ex, sy(&p, v));
		v = scale * e->twin_acc;
		if (what == CURVE_ACC && isfinite(v))
			put_marker(f, LEG_SQUARE, C_TWIN, ex, sy(&p, v));
	}
	svg_close(f);
	free(buf);
	return 0;
}

/* Cells written and devices changed per step: where the programming budget went. */
static int plot_cells(FILE *f, const xpnn_hil_result *r)
{
	const char *id = "plot-cells", *title = "Cells written and devices changed per step";
	size_t n = r->nsteps, i;
	double *x, *yc, *yd, xmax = 1, hi = 0;
	struct axis ax, ay;
	struct leg leg[2];
	struct plot p;
	int nleg = 0;

	if (!n) {
		svg_nodata(f, id, title);
		return 0;
	}
	x = malloc(3 * n * sizeof(*x));
	if (!x)
		return -1;
	yc = x + n, yd = yc + n;
	for (i = 0; i < n; i++) {
		x[i] = r->steps[i].step;
		yc[i] = r->steps[i].cells;
		yd[i] = r->steps[i].changed;
		xmax = fmax(xmax, x[i]);
		hi = fmax(hi, fmax(yc[i], yd[i]));
	}
	leg_add(leg, &nleg, LEG_LINE, C_CELLS, "cells written");
	leg_add(leg, &nleg, LEG_LINE, C_CHANGED, "devices changed");
	svg_open(f, &p, id, title, leg, nleg);
	axis_fit(&ax, 0, xmax, 8, 0);
	axis_whole(&ax);
	axis_fit(&ay, 0, hi > 0 ? hi : 1, 6, 1);
	p.x0 = ax.lo, p.x1 = ax.hi, p.y0 = ay.lo, p.y1 = ay.hi;
	ticks(&p, &ay, 0);
	ticks(&p, &ax, 1);
	frame(&p);
	axis_titles(&p, "training step", "count per step");
	put_line(&p, x, yc, n, 1, "stroke=\"" C_CELLS "\" stroke-width=\"1\"");
	put_line(&p, x, yd, n, 1, "stroke=\"" C_CHANGED "\" stroke-width=\"1\"");
	svg_close(f);
	free(x);
	return 0;
}

/* One histogram as a closed step outline, filled faintly so that both stay visible. */
static void put_hist(const struct plot *p, const uint32_t *h, const char *color)
{
	int i;

	fprintf(p->f, "<path fill=\"%s\" fill-opacity=\"0.18\" stroke=\"%s\" stroke-width=\"1.2\" "
		"d=\"M%.1f,%.1f", color, color, sx(p, 0), sy(p, 0));
	for (i = 0; i < 256; i++)
		fprintf(p->f, "V%.1fH%.1f", sy(p, log10(1.0 + h[i])), sx(p, i + 1));
	fprintf(p->f, "V%.1fZ\"/>\n", sy(p, 0));
}

/*
 * Stored conductances before and after, on log10(1 + count): the devices at zero conductance
 * outnumber the rest by orders of magnitude and would flatten a linear plot.
 */
static void plot_histogram(FILE *f, const xpnn_hil_result *r)
{
	const char *id = "plot-histogram", *title = "Stored conductance histograms before and "
		"after training";
	uint64_t n0 = 0, n1 = 0;
	uint32_t max = 0;
	struct axis ax;
	struct leg leg[2];
	struct plot p;
	char label[32];
	int nleg = 0, i, k, top;

	for (i = 0; i < 256; i++) {
		n0 += r->hist0[i];
		n1 += r->hist1[i];
		max = r->hist0[i] > max ? r->hist0[i] : max;
		max = r->hist1[i] > max ? r->hist1[i] : max;
	}
	if (!max) {
		svg_nodata(f, id, title);
		return;
	}
	leg_add(leg, &nleg, LEG_BAR, C_BEFORE, "before (%" PRIu64 " devices)", n0);
	leg_add(leg, &nleg, LEG_BAR, C_AFTER, "after (%" PRIu64 " devices)", n1);
	svg_open(f, &p, id, title, leg, nleg);
	top = (int)ceil(log10(1.0 + max));
	p.x0 = 0, p.x1 = 256, p.y0 = 0, p.y1 = top;
	/* decades: 0, (1 when there is room), 10, 100, … */
	ytick(&p, 0, "0");
	for (k = top > 3; k <= top; k++) {
		if (k <= 5)
			snprintf(label, sizeof(label), "%.0f", pow(10, k));
		else
			snprintf(label, sizeof(label), "1e%d", k);
		ytick(&p, log10(1 + pow(10, k)), label);
	}
	ax.lo = 0, ax.hi = 256, ax.step = 32, ax.dec = 0;
	ticks(&p, &ax, 1);
	frame(&p);
	axis_titles(&p, "stored conductance (LSB)", "devices (log scale)");
	put_hist(&p, r->hist0, C_BEFORE);
	put_hist(&p, r->hist1, C_AFTER);
	svg_close(f);
}

/* Per-class held-out accuracy from a confusion matrix (row = label): NAN for a class without
 * samples; returns the overall accuracy, NAN when the matrix is empty or absent. */
static double class_acc(const uint32_t *cm, unsigned K, double *acc)
{
	uint64_t row, diag = 0, all = 0;
	unsigned k, j;

	for (k = 0; k < K; k++) {
		acc[k] = NAN;
		if (!cm)
			continue;
		for (row = 0, j = 0; j < K; j++)
			row += cm[(size_t)k * K + j];
		if (row)
			acc[k] = 100.0 * cm[(size_t)k * K + k] / row;
		diag += cm[(size_t)k * K + k];
		all += row;
	}
	return all ? 100.0 * diag / all : NAN;
}

/* Per-class held-out accuracy before and after, grouped bars. */
static int plot_classes(FILE *f, const xpnn_hil_result *r)
{
	const char *id = "plot-classes", *title = "Per-class held-out accuracy before and after";
	const uint32_t *cm[2] = { r->confusion0, r->confusion1 };
	const char *color[2] = { C_BEFORE, C_AFTER }, *name[2] = { "before", "after" };
	unsigned K = r->nclasses, k, every;
	double *acc, all, gw, bw, X;
	struct axis ay;
	struct leg leg[2];
	struct plot p;
	char label[32];
	int nleg = 0, s, ns = 0, series[2];

	if (!K || (!cm[0] && !cm[1])) {
		svg_nodata(f, id, title);
		return 0;
	}
	acc = malloc(2 * (size_t)K * sizeof(*acc));
	if (!acc)
		return -1;
	for (s = 0; s < 2; s++) {
		all = class_acc(cm[s], K, acc + (size_t)s * K);
		if (!cm[s])
			continue;
		series[ns++] = s;
		if (isfinite(all))
			leg_add(leg, &nleg, LEG_BAR, color[s], "%s (all classes %.2f %%)", name[s],
				all);
		else
			leg_add(leg, &nleg, LEG_BAR, color[s], "%s", name[s]);
	}
	svg_open(f, &p, id, title, leg, nleg);
	p.x0 = 0, p.x1 = K, p.y0 = 0, p.y1 = 100;
	ay.lo = 0, ay.hi = 100, ay.step = 20, ay.dec = 0;
	ticks(&p, &ay, 0);
	gw = (double)PLOT_W / K;
	every = (unsigned)nice_step(K, PLOT_W / 40); /* labels at least ~36 px apart */
	every = every ? every : 1;
	for (k = 0; k < K; k += every) {
		snprintf(label, sizeof(label), "%u", k);
		xtick(&p, k + 0.5, label);
	}
	frame(&p);
	axis_titles(&p, "class (true label)", "held-out accuracy (%)");
	bw = gw * 0.8 / ns;
	for (k = 0; k < K; k++) {
		for (s = 0; s < ns; s++) {
			double a = acc[(size_t)series[s] * K + k];

			if (!isfinite(a))
				continue;
			X = sx(&p, k) + gw * 0.1 + s * bw;
			fprintf(f, "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" "
				"fill=\"%s\"/>\n", X, sy(&p, a), bw, sy(&p, 0) - sy(&p, a),
				color[series[s]]);
		}
	}
	svg_close(f);
	free(acc);
	return 0;
}

/* ---- tables ---- */

static void put_pct(FILE *f, double frac)
{
	fprintf(f, "%.2f %%", 100 * frac);
}

static void summary(FILE *f, const xpnn_hil_result *r)
{
	const xpnn_hil_eval *e0 = r->nevals ? &r->evals[0] : NULL;
	const xpnn_hil_eval *e1 = r->nevals ? &r->evals[r->nevals - 1] : NULL;

	fputs("<h2>Summary</h2>\n<table>\n", f);
	if (e0) {
		kv(f, "held-out board accuracy before", "%.2f %%", 100.0 * e0->board_acc);
		kv(f, "held-out board accuracy after", "%.2f %% (%+.2f points)",
		   100.0 * e1->board_acc, 100.0 * e1->board_acc - 100.0 * e0->board_acc);
		kv(f, "held-out twin accuracy after", "%.2f %%", 100.0 * e1->twin_acc);
	} else {
		kv(f, "held-out accuracy", "%s", "no evaluation");
	}
	kv(f, "training steps", "%zu", r->nsteps);
	kv(f, "training forward passes", "%" PRIu64, r->train_forwards);
	kv(f, "evaluation forward passes", "%" PRIu64, r->eval_forwards);
	kv(f, "cells written", "%" PRIu64, r->cells_written);
	kv(f, "devices changed", "%" PRIu64, r->devices_changed);
	kv(f, "programming pulses", "%" PRIu64, r->pulses);
	kv(f, "restore pulses", "%" PRIu64, r->restore_pulses);
	kv(f, "pulses of the most-programmed cell", "%" PRIu32, r->max_cell_pulses);
	kv(f, "mean pulses per cell", "%.2f", r->mean_cell_pulses);
	kv(f, "cells used by the network", "%" PRIu64, r->cells);
	kv(f, "board restores", "%u", r->restores);
	kv(f, "resumed at step", "%u", r->resumed_at);
	kv(f, "devices verified", "%" PRIu64, r->verified);
	kv(f, "verified devices out of tolerance", "%" PRIu64, r->out_of_tol);
	kv(f, "wall time", "%.1f s", r->seconds);
	if (r->seconds > 0)
		kv(f, "board exchange time", "%.1f s (%.1f %% of wall time)", r->board_seconds,
		   100 * r->board_seconds / r->seconds);
	else
		kv(f, "board exchange time", "%.1f s", r->board_seconds);
	fputs("</table>\n", f);
}

static void evals_table(FILE *f, const xpnn_hil_result *r)
{
	const xpnn_hil_eval *e;
	size_t i;

	fputs("<h2>Held-out evaluations</h2>\n", f);
	if (!r->nevals) {
		fputs("<p>No held-out evaluation was recorded.</p>\n", f);
		return;
	}
	fputs("<p>Epoch 0 is the evaluation before training.</p>\n<table>\n<tr><th>epoch</th>"
	      "<th>step</th><th>board acc</th><th>twin acc</th><th>board loss</th>"
	      "<th>forwards</th><th>seconds</th></tr>\n", f);
	for (i = 0; i < r->nevals; i++) {
		e = &r->evals[i];
		fprintf(f, "<tr><td class=\"n\">%" PRIu32 "</td><td class=\"n\">%" PRIu32 "</td>"
			"<td class=\"n\">", e->epoch, e->step);
		put_pct(f, e->board_acc);
		fputs("</td><td class=\"n\">", f);
		put_pct(f, e->twin_acc);
		fprintf(f, "</td><td class=\"n\">%.4f</td><td class=\"n\">%" PRIu64 "</td>"
			"<td class=\"n\">%.1f</td></tr>\n", e->board_loss, e->forwards, e->seconds);
	}
	fputs("</table>\n", f);
}

/* The run's options as given (config_json, a JSON object), one row per key in the object's
 * order; anything else is shown verbatim rather than dropped. */
static int config_table(FILE *f, const xpnn_hil_result *r)
{
	json_error_t jerr;
	json_t *root, *v;
	const char *k;
	char *s;

	fputs("<h2>Configuration</h2>\n", f);
	if (!r->config_json) {
		fputs("<p>No configuration was recorded.</p>\n", f);
		return 0;
	}
	root = json_loads(r->config_json, 0, &jerr);
	if (!json_is_object(root)) {
		if (root)
			fputs("<p>The configuration is not a JSON object:</p>\n", f);
		else
			fprintf(f, "<p>The configuration is not valid JSON (line %d, column %d): ",
				jerr.line, jerr.column);
		if (!root) {
			put_esc(f, jerr.text);
			fputs("</p>\n", f);
		}
		fputs("<pre>", f);
		put_esc(f, r->config_json);
		fputs("</pre>\n", f);
		json_decref(root);
		return 0;
	}
	fputs("<table>\n", f);
	json_object_foreach(root, k, v) {
		fputs("<tr><th>", f);
		put_esc(f, k);
		fputs("</th><td><code>", f);
		if (json_is_string(v)) {
			put_esc(f, json_string_value(v));
		} else {
			s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
			if (!s) {
				json_decref(root);
				return -1;
			}
			put_esc(f, s);
			free(s);
		}
		fputs("</code></td></tr>\n", f);
	}
	fputs("</table>\n", f);
	json_decref(root);
	return 0;
}

/* ---- the documents ---- */

static const char css[] =
	"body{font-family:sans-serif;color:#222;max-width:840px;margin:1.5em auto;"
	"padding:0 1em}\n"
	"table{border-collapse:collapse;margin:0.5em 0 1.5em}\n"
	"th,td{border:1px solid #ccc;padding:2px 8px;text-align:left;vertical-align:top}\n"
	"td.n{text-align:right;white-space:nowrap}\n"
	"code{word-break:break-all}\n"
	"pre{white-space:pre-wrap;word-break:break-all}\n"
	"svg{display:block;margin:0.5em 0 1.5em;max-width:100%;height:auto}\n";

static int html(FILE *f, const xpnn_hil_result *r)
{
	const char *m = xpnn_hil_method_name(r->method);
	char other[32];

	if (!m) {
		snprintf(other, sizeof(other), "method %d", r->method);
		m = other;
	}
	fputs("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n"
	      "<head>\n<meta charset=\"utf-8\"/>\n<title>xpnn hardware-in-the-loop run: ", f);
	put_esc(f, m);
	fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n"
		"<h1>Hardware-in-the-loop fine-tuning: ", css);
	put_esc(f, m);
	fputs("</h1>\n", f);
	summary(f, r);
	evals_table(f, r);
	fputs("<h2>Accuracy</h2>\n", f);
	if (plot_curves(f, r, CURVE_ACC) < 0)
		return -1;
	fputs("<h2>Loss</h2>\n", f);
	if (plot_curves(f, r, CURVE_LOSS) < 0)
		return -1;
	fputs("<h2>Programming</h2>\n", f);
	if (plot_cells(f, r) < 0)
		return -1;
	fputs("<h2>Conductances</h2>\n", f);
	plot_histogram(f, r);
	fputs("<h2>Per-class accuracy</h2>\n", f);
	if (plot_classes(f, r) < 0)
		return -1;
	if (config_table(f, r) < 0)
		return -1;
	fputs("</body>\n</html>\n", f);
	return 0;
}

/* A CSV float: non-finite values spelled one way ("nan", "inf", "-inf") that every reader
 * parses, where printf could also give "-nan". */
static void csv_f(FILE *f, double v)
{
	if (isnan(v))
		fputs(",nan", f);
	else if (isinf(v))
		fputs(v > 0 ? ",inf" : ",-inf", f);
	else
		fprintf(f, ",%.6f", v);
}

/*
 * Held-out columns: an evaluation goes on the row of the step it ran at. Evaluations that
 * have no such row — the one before training (step 0), or a second one at the same step —
 * get a row of their own, in step order, so that none is lost. Steps are in increasing order
 * in a result, but the matching does not rely on it.
 */
static int csv(FILE *f, const xpnn_hil_result *r)
{
	size_t n = r->nsteps, ne = r->nevals, i, j, *at, *orphan, nor = 0, o = 0, t;
	const xpnn_hil_step *s;
	const xpnn_hil_eval *e;

	at = malloc((n + ne + 1) * sizeof(*at));
	if (!at)
		return -1;
	orphan = at + n;
	for (i = 0; i < n; i++)
		at[i] = ne;
	for (j = 0; j < ne; j++) {
		for (i = 0; i < n; i++)
			if (r->steps[i].step == r->evals[j].step && at[i] == ne)
				break;
		if (i < n)
			at[i] = j;
		else
			orphan[nor++] = j;
	}
	/* stable insertion sort by step: nevals is small */
	for (i = 1; i < nor; i++)
		for (j = i; j > 0 && r->evals[orphan[j - 1]].step > r->evals[orphan[j]].step; j--)
			t = orphan[j], orphan[j] = orphan[j - 1], orphan[j - 1] = t;

	fputs("step,epoch,forwards,seconds,board_loss,board_acc,twin_loss,twin_acc,cells_written,"
	      "devices_changed,heldout_board_acc,heldout_twin_acc\n", f);
	for (i = 0; i <= n; i++) {
		while (o < nor && (i == n || r->evals[orphan[o]].step < r->steps[i].step)) {
			e = &r->evals[orphan[o++]];
			fprintf(f, "%" PRIu32 ",,,,,,,,,", e->step);
			csv_f(f, e->board_acc);
			csv_f(f, e->twin_acc);
			fputc('\n', f);
		}
		if (i == n)
			break;
		s = &r->steps[i];
		fprintf(f, "%" PRIu32 ",%" PRIu32 ",%" PRIu64 ",%.3f", s->step, s->epoch,
			s->forwards, s->seconds);
		csv_f(f, s->board_loss);
		csv_f(f, s->board_acc);
		csv_f(f, s->twin_loss);
		csv_f(f, s->twin_acc);
		fprintf(f, ",%" PRIu32 ",%" PRIu32, s->cells, s->changed);
		if (at[i] < ne) {
			csv_f(f, r->evals[at[i]].board_acc);
			csv_f(f, r->evals[at[i]].twin_acc);
			fputc('\n', f);
		} else {
			fputs(",,\n", f);
		}
	}
	free(at);
	return 0;
}

/* Build a document with gen in memory and write it atomically. */
static int report(const xpnn_hil_result *r, const char *path, int (*gen)(FILE *,
		  const xpnn_hil_result *), char *err, size_t errlen)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f;
	int rc = -1, bad;

	f = open_memstream(&buf, &n);
	if (!f) {
		xpnn_errf(err, errlen, "%s: cannot build the report: %s", path, strerror(errno));
		return -1;
	}
	bad = gen(f, r) < 0;
	bad |= ferror(f);
	if (fclose(f) || bad) {
		xpnn_errf(err, errlen, "%s: cannot build the report: out of memory", path);
		goto fail;
	}
	rc = xpnn_write_file_atomic(path, buf, n, err, errlen);
fail:
	free(buf);
	return rc;
}

int xpnn_hil_report_html(const xpnn_hil_result *r, const char *path, char *err, size_t errlen)
{
	return report(r, path, html, err, errlen);
}

int xpnn_hil_report_csv(const xpnn_hil_result *r, const char *path, char *err, size_t errlen)
{
	return report(r, path, csv, err, errlen);
}
