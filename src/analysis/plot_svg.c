/* SVG plots written without dependencies: parity plots, learning curves,
 * RDFs and decay curves. Two passes over the data, no allocation: the first
 * finds ranges and counts skipped points, the second writes the file.
 * Coordinates are pixels (1 px = 1 SVG user unit), printed to 0.1 px. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "../core/core.h"

#define PLOT_MAX_ABS   1e300 /* larger magnitudes are skipped like non-finite ones */
#define PLOT_MAX_TICKS 32
#define PLOT_FONT      12.0 /* px, tick labels and legend */
#define PLOT_SUP_FONT  9.0  /* px, exponents of 10^k labels */
#define PLOT_GLYPH     0.6  /* average sans-serif glyph width, in em (for layout) */
#define PLOT_PAD       0.05 /* axis margin beyond the data, fraction of the range */

/* Okabe & Ito (2008), "Color universal design": distinguishable with every
 * common colour-vision deficiency. Yellow and black last: yellow is faint on
 * white, black reads as the frame. */
static const char *const plot_palette[] = {"#0072B2", "#D55E00", "#009E73", "#E69F00",
                                           "#CC79A7", "#56B4E9", "#F0E442", "#000000"};
#define PLOT_N_COLOURS ((int)(sizeof plot_palette / sizeof plot_palette[0]))

enum { PLOT_MINOR_NONE, PLOT_MINOR_MANTISSA /* 2..9 x 10^k */, PLOT_MINOR_DECADE };

typedef struct plot_axis {
  int log;                       /* base 10: coordinates u are log10 of values */
  int have;                      /* any data seen */
  double lo, hi;                 /* data range, then axis range, in u */
  double p0, p1;                 /* pixels of lo and hi */
  int n_ticks;                   /* labelled (major) ticks */
  double tick[PLOT_MAX_TICKS];   /* u of each */
  char text[PLOT_MAX_TICKS][32]; /* label, or the exponent when power */
  int power;                     /* labels are 10^text */
  int minor;                     /* log axes: PLOT_MINOR_* */
} plot_axis;

typedef struct plot_counts {
  int64_t nonfinite;   /* points with a NaN, Inf or |v| > PLOT_MAX_ABS */
  int64_t nonpositive; /* points <= 0 on a log axis */
  int64_t thin_total;  /* points of thinned series */
  int64_t thin_shown;  /* of those, points kept */
  int any_label;       /* a legend is needed */
  double label_w;      /* px, widest legend label */
  int n_labels;
} plot_counts;

typedef struct plot_layout {
  double left, top, w, h; /* plot area */
  double width, height;   /* whole picture */
  double legend_x;        /* left edge of the legend */
} plot_layout;

/* ------------------------------------------------------------- text output */

/* Bytes in the well-formed UTF-8 sequence at p that XML 1.0 allows, or 0.
 * Rejects overlong forms, surrogates, U+FFFE/U+FFFF and code points beyond
 * U+10FFFF; the NUL terminator fails every continuation test, so this never
 * reads past the string. */
static int plot_utf8_len(const unsigned char *p) {
  unsigned c = p[0];
  if (c < 0x80) return 1;
  if (c < 0xC2 || c > 0xF4) return 0;
  unsigned lo = 0x80, hi = 0xBF;
  if (c == 0xE0) lo = 0xA0;
  if (c == 0xED) hi = 0x9F;
  if (c == 0xF0) lo = 0x90;
  if (c == 0xF4) hi = 0x8F;
  if (p[1] < lo || p[1] > hi) return 0;
  if (c < 0xE0) return 2;
  if (p[2] < 0x80 || p[2] > 0xBF) return 0;
  if (c < 0xF0) return c == 0xEF && p[1] == 0xBF && p[2] >= 0xBE ? 0 : 3;
  return p[3] >= 0x80 && p[3] <= 0xBF ? 4 : 0;
}

/* Writes s as XML character data: markup characters escaped, control
 * characters and invalid UTF-8 replaced by '?', so any caller string gives a
 * well-formed file. */
static void plot_put_text(FILE *f, const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  while (*p) {
    int len = plot_utf8_len(p);
    if (len == 0) {
      fputc('?', f);
      p++;
      continue;
    }
    if (len > 1) {
      fwrite(p, 1, (size_t)len, f);
    } else {
      switch (*p) {
      case '&': fputs("&amp;", f); break;
      case '<': fputs("&lt;", f); break;
      case '>': fputs("&gt;", f); break;
      case '"': fputs("&quot;", f); break;
      case '\'': fputs("&apos;", f); break;
      default: fputc(*p < 0x20 && *p != '\t' && *p != '\n' ? '?' : *p, f);
      }
    }
    p += len;
  }
}

/* Estimated width in px of s at font size px: code points times an average
 * glyph width (there is no font metric without a renderer). */
static double plot_text_width(const char *s, double px) {
  double n = 0;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) n += (*p & 0xC0) != 0x80;
  return n * PLOT_GLYPH * px;
}

/* A pixel coordinate to 0.1 px, without trailing ".0". */
static void plot_put_num(FILE *f, double v) {
  if (!(v > -1e6)) v = -1e6;
  if (!(v < 1e6)) v = 1e6;
  long r = lround(v * 10);
  if (r < 0) fputc('-', f), r = -r;
  if (r % 10)
    fprintf(f, "%ld.%ld", r / 10, r % 10);
  else
    fprintf(f, "%ld", r / 10);
}

static void plot_put_xy(FILE *f, double x, double y) {
  plot_put_num(f, x);
  fputc(',', f);
  plot_put_num(f, y);
}

/* ------------------------------------------------------------------- axes */

/* u of a data value: 0, or 1 if non-finite or beyond PLOT_MAX_ABS, or 2 if
 * not positive on a log axis. */
static int plot_coord(const plot_axis *a, double v, double *u) {
  if (!(fabs(v) <= PLOT_MAX_ABS)) return 1; /* NaN fails here too */
  if (!a->log) {
    *u = v;
    return 0;
  }
  if (v <= 0) return 2;
  *u = log10(v);
  return 0;
}

static void plot_extend(plot_axis *a, double u) {
  if (!a->have || u < a->lo) a->lo = u;
  if (!a->have || u > a->hi) a->hi = u;
  a->have = 1;
}

/* Pads the data range into the axis range. A range that is empty or
 * degenerate (one value, or spread below 1e-12 of the magnitude, beyond what
 * tick labels can resolve) is widened around its centre. */
static void plot_axis_range(plot_axis *a) {
  if (!a->have) a->lo = 0, a->hi = 1; /* log axis: 1 to 10 */
  double mid = 0.5 * a->lo + 0.5 * a->hi, half = 0.5 * (a->hi - a->lo);
  double scale = fmax(fabs(a->lo), fabs(a->hi));
  if (!(half > 1e-12 * scale)) {
    if (a->log)
      half = 0.5; /* half a decade each side */
    else
      half = mid != 0 ? 0.1 * fabs(mid) : 1.0;
  } else {
    half *= 1.0 + PLOT_PAD;
  }
  if (!(half >= 1e-300)) half = 1e-300; /* subnormal data: keep lo < hi and steps normal */
  a->lo = mid - half;
  a->hi = mid + half;
}

static double plot_px(const plot_axis *a, double u) {
  return a->p0 + (u - a->lo) / (a->hi - a->lo) * (a->p1 - a->p0);
}

/* 1, 2 or 5 times a power of ten, near raw (> 0). */
static double plot_nice_step(double raw) {
  double mag = pow(10.0, floor(log10(raw)));
  double m = raw / mag;
  return (m < 1.5 ? 1.0 : m < 3.0 ? 2.0 : m < 7.0 ? 5.0 : 10.0) * mag;
}

/* A tick label with enough digits to tell ticks step apart: "0.25", "-3",
 * "12345.5", "2e-5", "1.2e5". */
static void plot_format(char *buf, size_t len, double v, double step) {
  if (fabs(v) < 1e-9 * step) v = 0; /* k * step rounding around zero */
  int digits = (int)floor(log10(fmax(fabs(v), step))) - (int)floor(log10(step)) + 1;
  int whole = v != 0 ? (int)floor(log10(fabs(v))) + 1 : 1;
  if (fabs(v) < 1e6 && whole > digits) digits = whole; /* "40000", not "4e+04" */
  if (digits < 1) digits = 1;
  if (digits > 15) digits = 15;
  char tmp[64];
  snprintf(tmp, sizeof tmp, "%.*g", digits, v);
  /* "1.2e+05" -> "1.2e5", "2e-05" -> "2e-5". */
  size_t o = 0;
  for (const char *p = tmp; *p && o + 1 < len; p++) {
    buf[o++] = *p;
    if (*p != 'e') continue;
    if (p[1] == '+')
      p++;
    else if (p[1] == '-')
      buf[o++] = *++p;
    while (p[1] == '0' && p[2]) p++;
  }
  buf[o] = '\0';
}

static void plot_add_tick(plot_axis *a, double u, double value, double step) {
  if (a->n_ticks >= PLOT_MAX_TICKS) return;
  a->tick[a->n_ticks] = u;
  plot_format(a->text[a->n_ticks], sizeof a->text[0], value, step);
  a->n_ticks++;
}

/* Ticks at multiples of a 1-2-5 step, about `target` intervals across
 * [lo, hi] of values; on a log axis placed at log10 of the value. */
static void plot_linear_ticks(plot_axis *a, double lo, double hi, double target) {
  double step = plot_nice_step((hi - lo) / target);
  double k0 = ceil(lo / step), k1 = floor(hi / step);
  a->n_ticks = 0;
  if (!(k1 - k0 <= PLOT_MAX_TICKS)) return; /* also when the step came out 0 or NaN */
  for (double k = k0; k <= k1 && a->n_ticks < PLOT_MAX_TICKS; k++) {
    double v = k * step;
    if (a->log && !(v > 0)) continue;
    plot_add_tick(a, a->log ? log10(v) : v, v, step);
  }
}

static void plot_log_ticks(plot_axis *a) {
  double k0 = ceil(a->lo), k1 = floor(a->hi);
  a->n_ticks = 0;
  if (k1 - k0 >= 1) {
    /* Two or more decades: label powers of ten, every 1, 2, 5, 10, ...
     * decades so that at most 8 are labelled. */
    double every = 1;
    while ((k1 - k0) / every >= 8) every = plot_nice_step(every * 1.6);
    for (double k = ceil(k0 / every) * every; k <= k1 && a->n_ticks < PLOT_MAX_TICKS; k += every) {
      a->tick[a->n_ticks] = k;
      snprintf(a->text[a->n_ticks], sizeof a->text[0], "%d", (int)k);
      a->n_ticks++;
    }
    a->power = 1;
    a->minor = every > 1 ? PLOT_MINOR_DECADE : PLOT_MINOR_MANTISSA;
    return;
  }
  /* Under two decades: 1-2-5 times powers of ten if that gives two ticks,
   * else plain linear ticks (a range like 3.01 to 3.02). */
  for (double e = floor(a->lo); e <= ceil(a->hi); e++) {
    static const double mant[3] = {1, 2, 5};
    for (int m = 0; m < 3; m++) {
      double u = log10(mant[m]) + e;
      if (u >= a->lo && u <= a->hi) plot_add_tick(a, u, mant[m] * pow(10.0, e), pow(10.0, e));
    }
  }
  if (a->n_ticks < 2) plot_linear_ticks(a, pow(10.0, a->lo), pow(10.0, a->hi), 5);
}

/* Widest tick label in px. */
static double plot_tick_width(const plot_axis *a) {
  double w = 0;
  for (int t = 0; t < a->n_ticks; t++) {
    double tw = a->power ? 2 * PLOT_GLYPH * PLOT_FONT + plot_text_width(a->text[t], PLOT_SUP_FONT)
                         : plot_text_width(a->text[t], PLOT_FONT);
    if (tw > w) w = tw;
  }
  return w;
}

/* Ticks of a horizontal axis `length` px long: fewer, wider-spaced ticks
 * while labels would touch. */
static void plot_axis_ticks(plot_axis *a, double length, int horizontal) {
  if (a->log) {
    plot_log_ticks(a);
    return;
  }
  static const double targets[3] = {5, 3, 1.5};
  for (int t = 0; t < 3; t++) {
    plot_linear_ticks(a, a->lo, a->hi, targets[t]);
    if (!horizontal || a->n_ticks < 2) return;
    double spacing = length * fabs(a->tick[1] - a->tick[0]) / (a->hi - a->lo);
    if (plot_tick_width(a) + 8 <= spacing) return;
  }
}

/* ------------------------------------------------------------- data pass */

static int64_t plot_stride(int64_t n) {
  return n > TN_PLOT_MAX_POINTS ? n / TN_PLOT_MAX_POINTS + (n % TN_PLOT_MAX_POINTS != 0) : 1;
}

static int64_t plot_visited(int64_t n) {
  int64_t s = plot_stride(n);
  return n / s + (n % s != 0);
}

static void plot_scan(const tn_plot *plot, plot_axis *ax, plot_axis *ay, plot_counts *c) {
  for (int s = 0; s < plot->n_series; s++) {
    const tn_plot_series *sr = &plot->series[s];
    int64_t stride = plot_stride(sr->n);
    if (stride > 1) c->thin_total += sr->n, c->thin_shown += plot_visited(sr->n);
    if (sr->label && sr->label[0]) {
      c->any_label = 1;
      c->n_labels++;
      c->label_w = fmax(c->label_w, plot_text_width(sr->label, PLOT_FONT));
    }
    for (int64_t i = 0; i < sr->n; i += stride) {
      double u = 0, v = 0;
      int bx = plot_coord(ax, sr->x[i], &u), by = plot_coord(ay, sr->y[i], &v);
      if (bx == 1 || by == 1) {
        c->nonfinite++;
        continue;
      }
      if (bx || by) {
        c->nonpositive++;
        continue;
      }
      plot_extend(ax, u);
      plot_extend(ay, v);
      double e = sr->y_err ? sr->y_err[i] : -1;
      if (!(e >= 0 && e <= PLOT_MAX_ABS)) continue;
      if (plot_coord(ay, sr->y[i] + e, &v) == 0) plot_extend(ay, v);
      if (plot_coord(ay, sr->y[i] - e, &v) == 0) plot_extend(ay, v);
    }
  }
}

/* ----------------------------------------------------------------- writing */

static void plot_write_axes(FILE *f, const plot_layout *L, const plot_axis *ax,
                            const plot_axis *ay) {
  double x0 = L->left, x1 = L->left + L->w, y0 = L->top + L->h, y1 = L->top;
  /* Grid at major ticks, then the frame, then tick marks (5 px outwards). */
  fputs("<path fill=\"none\" stroke=\"#e6e6e6\" d=\"", f);
  for (int t = 0; t < ax->n_ticks; t++) {
    fputs("M", f), plot_put_xy(f, plot_px(ax, ax->tick[t]), y0);
    fputs("V", f), plot_put_num(f, y1);
  }
  for (int t = 0; t < ay->n_ticks; t++) {
    fputs("M", f), plot_put_xy(f, x0, plot_px(ay, ay->tick[t]));
    fputs("H", f), plot_put_num(f, x1);
  }
  fputs("\"/>\n<rect fill=\"none\" stroke=\"#333\" x=\"", f);
  plot_put_num(f, x0);
  fputs("\" y=\"", f), plot_put_num(f, y1);
  fputs("\" width=\"", f), plot_put_num(f, L->w);
  fputs("\" height=\"", f), plot_put_num(f, L->h);
  fputs("\"/>\n<path fill=\"none\" stroke=\"#333\" d=\"", f);
  for (int t = 0; t < ax->n_ticks; t++) {
    fputs("M", f), plot_put_xy(f, plot_px(ax, ax->tick[t]), y0);
    fputs("v5", f);
  }
  for (int t = 0; t < ay->n_ticks; t++) {
    fputs("M", f), plot_put_xy(f, x0, plot_px(ay, ay->tick[t]));
    fputs("h-5", f);
  }
  /* Minor ticks (3 px) of log axes. */
  for (int k = 0; k < 2; k++) {
    const plot_axis *a = k ? ay : ax;
    if (a->minor == PLOT_MINOR_NONE) continue;
    int mantissa = a->minor == PLOT_MINOR_MANTISSA;
    for (double e = floor(a->lo); e <= ceil(a->hi); e++) {
      for (int m = mantissa ? 2 : 1; m <= (mantissa ? 9 : 1); m++) {
        double u = e + log10((double)m);
        if (u < a->lo || u > a->hi) continue;
        fputs("M", f);
        if (k)
          plot_put_xy(f, x0, plot_px(a, u)), fputs("h-3", f);
        else
          plot_put_xy(f, plot_px(a, u), y0), fputs("v3", f);
      }
    }
  }
  fputs("\"/>\n", f);

  /* Tick labels: x centred below, y right-aligned to the left. */
  for (int k = 0; k < 2; k++) {
    const plot_axis *a = k ? ay : ax;
    fprintf(f, "<g font-size=\"%g\" fill=\"#222\" text-anchor=\"%s\">\n", PLOT_FONT,
            k ? "end" : "middle");
    for (int t = 0; t < a->n_ticks; t++) {
      fputs("<text x=\"", f);
      plot_put_num(f, k ? x0 - 8 : plot_px(a, a->tick[t]));
      fputs("\" y=\"", f);
      plot_put_num(f, k ? plot_px(a, a->tick[t]) + 4 : y0 + 5 + 4 + PLOT_FONT);
      fputs("\">", f);
      if (a->power)
        fprintf(f, "10<tspan dy=\"-5\" font-size=\"%g\">%s</tspan>", PLOT_SUP_FONT, a->text[t]);
      else
        plot_put_text(f, a->text[t]);
      fputs("</text>\n", f);
    }
    fputs("</g>\n", f);
  }
}

static void plot_marker_style(const tn_plot_series *sr, double *radius, double *opacity) {
  /* Smaller, fainter points as they get dense, so overlaps show as shade. */
  int64_t m = plot_visited(sr->n);
  *radius = m <= 200 ? 3.0 : m <= 2000 ? 2.0 : 1.5;
  *opacity = m <= 200 ? 0.9 : m <= 2000 ? 0.6 : 0.35;
}

static void plot_write_series(FILE *f, const tn_plot_series *sr, const char *colour,
                              const plot_axis *ax, const plot_axis *ay, const plot_layout *L) {
  int64_t stride = plot_stride(sr->n);
  double u = 0, v = 0;

  /* Error bars, one path; ends beyond the axis (or <= 0 on a log axis) are
   * drawn to the edge and cut by the clip path. */
  int open = 0;
  for (int64_t i = 0; sr->y_err && i < sr->n; i += stride) {
    double e = sr->y_err[i];
    if (!(e >= 0 && e <= PLOT_MAX_ABS)) continue;
    if (plot_coord(ax, sr->x[i], &u) || plot_coord(ay, sr->y[i], &v)) continue;
    double ylo = L->top + L->h + 1, yhi = L->top - 1;
    if (plot_coord(ay, sr->y[i] - e, &v) == 0) ylo = plot_px(ay, v);
    if (plot_coord(ay, sr->y[i] + e, &v) == 0) yhi = plot_px(ay, v);
    if (!open) fprintf(f, "<path fill=\"none\" stroke=\"%s\" d=\"", colour), open = 1;
    fputs("M", f), plot_put_xy(f, plot_px(ax, u), ylo);
    fputs("V", f), plot_put_num(f, yhi);
  }
  if (open) fputs("\"/>\n", f);

  /* Lines: one polyline per run of drawable points; a skipped point breaks
   * the line rather than bridging the gap. */
  if (sr->style & TN_PLOT_LINE) {
    int64_t run = 0;
    double px = 0, py = 0;
    for (int64_t i = 0;; i += stride) {
      int end = i >= sr->n;
      if (end || plot_coord(ax, sr->x[i], &u) || plot_coord(ay, sr->y[i], &v)) {
        if (run >= 2) fputs("\"/>\n", f);
        run = 0;
        if (end) break;
        continue;
      }
      double qx = plot_px(ax, u), qy = plot_px(ay, v);
      if (run == 1) {
        fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"", colour);
        plot_put_xy(f, px, py);
      }
      if (run >= 1) fputc(' ', f), plot_put_xy(f, qx, qy);
      px = qx, py = qy;
      run++;
    }
  }

  if (sr->style & TN_PLOT_POINTS) {
    double r, op;
    plot_marker_style(sr, &r, &op);
    fprintf(f, "<g fill=\"%s\" fill-opacity=\"%g\">\n", colour, op);
    for (int64_t i = 0; i < sr->n; i += stride) {
      if (plot_coord(ax, sr->x[i], &u) || plot_coord(ay, sr->y[i], &v)) continue;
      fputs("<circle cx=\"", f);
      plot_put_num(f, plot_px(ax, u));
      fputs("\" cy=\"", f);
      plot_put_num(f, plot_px(ay, v));
      fprintf(f, "\" r=\"%g\"/>\n", r);
    }
    fputs("</g>\n", f);
  }
}

static void plot_write_legend(FILE *f, const tn_plot *plot, const plot_layout *L) {
  double y = L->top + 12;
  fprintf(f, "<g font-size=\"%g\" fill=\"#222\">\n", PLOT_FONT);
  for (int s = 0; s < plot->n_series; s++) {
    const tn_plot_series *sr = &plot->series[s];
    if (!sr->label || !sr->label[0]) continue;
    const char *colour = plot_palette[s % PLOT_N_COLOURS];
    double x = L->legend_x;
    if (sr->style & TN_PLOT_LINE) {
      fprintf(f, "<path stroke=\"%s\" stroke-width=\"1.5\" d=\"M", colour);
      plot_put_xy(f, x, y);
      fputs("h24\"/>\n", f);
    }
    if (sr->style & TN_PLOT_POINTS) {
      fprintf(f, "<circle fill=\"%s\" cx=\"", colour);
      plot_put_num(f, x + 12);
      fputs("\" cy=\"", f), plot_put_num(f, y);
      fputs("\" r=\"3\"/>\n", f);
    }
    fputs("<text x=\"", f), plot_put_num(f, x + 30);
    fputs("\" y=\"", f), plot_put_num(f, y + 4);
    fputs("\">", f), plot_put_text(f, sr->label);
    fputs("</text>\n", f);
    y += 20;
  }
  fputs("</g>\n", f);
}

/* The note on thinned and skipped points, "" when there is none. */
static void plot_note(char *buf, size_t len, const plot_counts *c) {
  /* Three short clauses; len (256) holds them all, so none is cut. */
  int o = 0;
  const char *sep = "note: ";
  buf[0] = '\0';
  if (c->thin_total) {
    o += snprintf(buf + o, len - (size_t)o, "%s%lld of %lld points shown (thinned)", sep,
                  (long long)c->thin_shown, (long long)c->thin_total);
    sep = "; ";
  }
  if (c->nonpositive && o >= 0 && (size_t)o < len) {
    o += snprintf(buf + o, len - (size_t)o, "%s%lld with values <= 0 skipped (log axis)", sep,
                  (long long)c->nonpositive);
    sep = "; ";
  }
  if (c->nonfinite && o >= 0 && (size_t)o < len)
    snprintf(buf + o, len - (size_t)o, "%s%lld non-finite skipped", sep, (long long)c->nonfinite);
}

/* Title above, axis labels, and the note on thinned or skipped points. */
static void plot_write_labels(FILE *f, const tn_plot *plot, const plot_layout *L, const char *note,
                              double note_y) {
  double cx = L->left + 0.5 * L->w;
  if (plot->title && plot->title[0]) {
    fputs("<text font-size=\"15\" text-anchor=\"middle\" x=\"", f), plot_put_num(f, cx);
    fputs("\" y=\"22\">", f), plot_put_text(f, plot->title), fputs("</text>\n", f);
  }
  if (plot->x_label && plot->x_label[0]) {
    fputs("<text font-size=\"13\" text-anchor=\"middle\" x=\"", f), plot_put_num(f, cx);
    fputs("\" y=\"", f), plot_put_num(f, L->top + L->h + 44);
    fputs("\">", f), plot_put_text(f, plot->x_label), fputs("</text>\n", f);
  }
  if (plot->y_label && plot->y_label[0]) {
    fputs("<text font-size=\"13\" text-anchor=\"middle\" transform=\"translate(22,", f);
    plot_put_num(f, L->top + 0.5 * L->h);
    fputs(") rotate(-90)\">", f), plot_put_text(f, plot->y_label), fputs("</text>\n", f);
  }
  if (note[0]) {
    fputs("<text font-size=\"10\" fill=\"#666\" x=\"", f), plot_put_num(f, L->left);
    fputs("\" y=\"", f), plot_put_num(f, note_y), fputs("\">", f);
    plot_put_text(f, note);
    fputs("</text>\n", f);
  }
}

static tn_status plot_check(const tn_plot *plot, const char *path, char *err, size_t err_len) {
  if (!plot || !path)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "tn_plot_write_svg: %s is NULL",
                   plot ? "path" : "plot");
  if (plot->n_series <= 0 || !plot->series)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG,
                   "%s: field 'series': no series to plot (n_series %d)", path, plot->n_series);
  if (plot->parity && !plot->log_x != !plot->log_y)
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG,
                   "%s: field 'parity': needs log_x == log_y (the diagonal y = x)", path);
  for (int s = 0; s < plot->n_series; s++) {
    const tn_plot_series *sr = &plot->series[s];
    if (sr->n < 0)
      return tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "%s: series[%d] field 'n': %lld < 0",
                     path, s, (long long)sr->n);
    if (sr->n > 0 && (!sr->x || !sr->y))
      return tn_fail(err, err_len, TN_STATUS_INVALID_ARG,
                     "%s: series[%d] field '%s': NULL with n = %lld", path, s, sr->x ? "y" : "x",
                     (long long)sr->n);
    if (sr->style <= 0 || (sr->style & ~(TN_PLOT_POINTS | TN_PLOT_LINE)))
      return tn_fail(err, err_len, TN_STATUS_INVALID_ARG,
                     "%s: series[%d] field 'style': %d (want TN_PLOT_POINTS and/or TN_PLOT_LINE)",
                     path, s, sr->style);
  }
  return TN_STATUS_OK;
}

tn_status tn_plot_write_svg(const tn_plot *plot, const char *path, char *err, size_t err_len) {
  tn_status st = plot_check(plot, path, err, err_len);
  if (st != TN_STATUS_OK) return st;

  plot_axis ax, ay;
  memset(&ax, 0, sizeof ax);
  memset(&ay, 0, sizeof ay);
  ax.log = plot->log_x != 0;
  ay.log = plot->log_y != 0;
  plot_counts c;
  memset(&c, 0, sizeof c);
  plot_scan(plot, &ax, &ay, &c);
  if (plot->parity && (ax.have || ay.have)) {
    /* One range for both axes, so y = x is the diagonal of a square. */
    double lo = fmin(ax.have ? ax.lo : ay.lo, ay.have ? ay.lo : ax.lo);
    double hi = fmax(ax.have ? ax.hi : ay.hi, ay.have ? ay.hi : ax.hi);
    ax.lo = ay.lo = lo, ax.hi = ay.hi = hi;
    ax.have = ay.have = 1;
  }
  plot_axis_range(&ax);
  plot_axis_range(&ay);

  plot_layout L;
  L.w = plot->parity ? 400 : 480;
  L.h = plot->parity ? 400 : 320;
  plot_axis_ticks(&ax, L.w, 1);
  if (plot->parity)
    ay = ax; /* same range and log flag, so the same ticks */
  else
    plot_axis_ticks(&ay, L.h, 0);

  char note[256];
  plot_note(note, sizeof note, &c);
  int has_ylabel = plot->y_label && plot->y_label[0];
  int has_xlabel = plot->x_label && plot->x_label[0];
  L.left = 12 + (has_ylabel ? 24 : 0) + plot_tick_width(&ay) + 10;
  L.top = plot->title && plot->title[0] ? 36 : 16;
  double last_x = ax.n_ticks ? plot_tick_width(&ax) / 2 + 4 : 0;
  double right = c.any_label ? 16 + 30 + fmin(c.label_w, 320) + 20 : fmax(20, last_x);
  L.legend_x = L.left + L.w + 16;
  L.width = ceil(fmax(L.left + L.w + right, L.left + plot_text_width(note, 10) + 12));
  double bottom = 5 + 4 + PLOT_FONT + 8 + (has_xlabel ? 22 : 0);
  double note_y = L.top + L.h + bottom + 8;
  L.height = ceil(L.top + L.h + bottom + (note[0] ? 16 : 0));
  if (c.any_label) L.height = fmax(L.height, ceil(L.top + 20.0 * c.n_labels + 8));
  ax.p0 = L.left, ax.p1 = L.left + L.w;
  ay.p0 = L.top + L.h, ay.p1 = L.top;

  char tmp[4096];
  if (strlen(path) + 32 > sizeof tmp)
    return tn_fail(err, err_len, TN_STATUS_IO, "%.64s...: cannot write: path too long (%zu bytes)",
                   path, strlen(path));
  FILE *f = tn_open_temp(path, tmp, sizeof tmp);
  if (!f) return tn_fail(err, err_len, TN_STATUS_IO, "%s: cannot write: %s", path, strerror(errno));
  fprintf(f,
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
          "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%g\" height=\"%g\" "
          "viewBox=\"0 0 %g %g\" font-family=\"Helvetica, Arial, sans-serif\">\n"
          "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n",
          L.width, L.height, L.width, L.height);
  fputs("<defs><clipPath id=\"area\"><rect x=\"", f);
  plot_put_num(f, L.left);
  fputs("\" y=\"", f), plot_put_num(f, L.top);
  fputs("\" width=\"", f), plot_put_num(f, L.w);
  fputs("\" height=\"", f), plot_put_num(f, L.h);
  fputs("\"/></clipPath></defs>\n", f);
  plot_write_axes(f, &L, &ax, &ay);
  fputs("<g clip-path=\"url(#area)\">\n", f);
  if (plot->parity) {
    fputs("<path stroke=\"#888\" stroke-dasharray=\"4 3\" d=\"M", f);
    plot_put_xy(f, ax.p0, ay.p0);
    fputs("L", f), plot_put_xy(f, ax.p1, ay.p1);
    fputs("\"/>\n", f);
  }
  for (int s = 0; s < plot->n_series; s++)
    plot_write_series(f, &plot->series[s], plot_palette[s % PLOT_N_COLOURS], &ax, &ay, &L);
  fputs("</g>\n", f);
  if (c.any_label) plot_write_legend(f, plot, &L);
  plot_write_labels(f, plot, &L, note, note_y);
  fputs("</svg>\n", f);
  return tn_commit_file(f, tmp, path, err, err_len);
}
