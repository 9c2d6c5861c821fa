/* SVG plots: well-formed XML, escaping, log axes, thinning, parity plots,
 * degenerate ranges and errors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

/* ------------------------------------------------------------- helpers */

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap + 1);
  for (size_t got; buf && (got = fread(buf + n, 1, cap - n, f)) > 0;) {
    n += got;
    if (n == cap) {
      char *p = realloc(buf, 2 * cap + 1);
      if (!p) free(buf);
      buf = p;
      cap *= 2;
    }
  }
  fclose(f);
  if (buf) buf[n] = '\0';
  return buf;
}

/* Length of an entity at s ("&amp;", "&#38;", ...), or 0 if not one. */
static size_t entity_len(const char *s) {
  static const char *const named[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
  for (int k = 0; k < 5; k++)
    if (strncmp(s, named[k], strlen(named[k])) == 0) return strlen(named[k]);
  if (s[1] != '#') return 0;
  size_t i = 2;
  while (s[i] >= '0' && s[i] <= '9') i++;
  return i > 2 && s[i] == ';' ? i + 1 : 0;
}

static int is_name(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == ':' || c == '.';
}

/* A small, strict checker of the XML subset our SVG uses: an optional
 * <?xml ...?> prolog, one root element, balanced tags, quoted attributes,
 * character data with '<', '>' and '&' only as markup or entities, and no
 * control characters. Returns 1 if s passes. */
static int xml_ok(const char *s) {
  char stack[64][32];
  int depth = 0, roots = 0;
  const char *p = s;
  if (strncmp(p, "<?xml", 5) == 0) {
    p = strstr(p, "?>");
    if (!p) return 0;
    p += 2;
  }
  while (*p) {
    if ((unsigned char)*p < 0x20 && *p != '\n' && *p != '\t' && *p != '\r') return 0;
    if (*p == '&') {
      size_t e = entity_len(p);
      if (!e || depth == 0) return 0;
      p += e;
      continue;
    }
    if (*p == '>') return 0; /* we escape it in text, so a bare one is a bug */
    if (*p != '<') {
      if (depth == 0 && *p != '\n' && *p != ' ') return 0; /* text outside the root */
      p++;
      continue;
    }
    p++;
    int closing = *p == '/';
    if (closing) p++;
    char name[32];
    size_t n = 0;
    while (is_name(*p) && n + 1 < sizeof name) name[n++] = *p++;
    name[n] = '\0';
    if (n == 0) return 0;
    if (closing) {
      if (*p++ != '>' || depth == 0 || strcmp(stack[--depth], name) != 0) return 0;
      continue;
    }
    /* Attributes: name="value", value without '<' and with valid entities. */
    for (;;) {
      while (*p == ' ' || *p == '\n') p++;
      if (*p == '>' || (p[0] == '/' && p[1] == '>')) break;
      if (!is_name(*p)) return 0;
      while (is_name(*p)) p++;
      if (p[0] != '=' || p[1] != '"') return 0;
      for (p += 2; *p != '"'; p++) {
        if (!*p || *p == '<') return 0;
        if (*p == '&' && !entity_len(p)) return 0;
      }
      p++;
    }
    if (depth == 0 && roots++) return 0;
    if (*p == '/') {
      p += 2;
      continue;
    }
    p++;
    if (depth == 64) return 0;
    strcpy(stack[depth++], name);
  }
  return depth == 0 && roots == 1;
}

/* Elements <name ...> in s. */
static int count_elements(const char *s, const char *name) {
  int count = 0;
  size_t n = strlen(name);
  for (const char *p = s; (p = strchr(p, '<')) != NULL; p++)
    if (strncmp(p + 1, name, n) == 0 && (p[1 + n] == ' ' || p[1 + n] == '>' || p[1 + n] == '/'))
      count++;
  return count;
}

/* The number in attribute `attr` of the first element after `anchor`. */
static double attr_after(const char *s, const char *anchor, const char *attr) {
  const char *p = strstr(s, anchor);
  if (!p) return NAN;
  char key[64];
  snprintf(key, sizeof key, " %s=\"", attr);
  p = strstr(p, key);
  return p ? strtod(p + strlen(key), NULL) : NAN;
}

static char err[512];

/* Writes the plot, checks it parses, returns its text (caller frees). */
static char *write_and_read(const tn_plot *plot, const char *name) {
  const char *path = harness_tmp(name);
  tn_status st = tn_plot_write_svg(plot, path, err, sizeof err);
  if (st != TN_STATUS_OK) fprintf(stderr, "  %s\n", err);
  CHECK(st == TN_STATUS_OK);
  char *svg = slurp(path);
  CHECK(svg != NULL);
  if (!svg) return NULL;
  CHECK(xml_ok(svg));
  /* Every number is printed from finite values. */
  CHECK(strstr(svg, "nan") == NULL && strstr(svg, "inf") == NULL);
  CHECK(strstr(svg, "NaN") == NULL && strstr(svg, "Inf") == NULL);
  return svg;
}

static tn_plot one_series(const tn_plot_series *s) {
  tn_plot p;
  memset(&p, 0, sizeof p);
  p.n_series = 1;
  p.series = s;
  return p;
}

/* ------------------------------------------------------------------ tests */

/* The checker itself must reject what it exists to catch. */
static void test_checker_rejects(void) {
  CHECK(xml_ok("<?xml version=\"1.0\"?>\n<a x=\"1\"><b/>t &amp; u</a>\n"));
  CHECK(!xml_ok("<a><b></a></b>"));
  CHECK(!xml_ok("<a>x & y</a>"));
  CHECK(!xml_ok("<a>x < y</a>"));
  CHECK(!xml_ok("<a>x > y</a>"));
  CHECK(!xml_ok("<a t=\"<\"/>"));
  CHECK(!xml_ok("<a/><b/>"));
  CHECK(!xml_ok("<a>"));
  CHECK(!xml_ok("<a>\x01</a>"));
  CHECK(count_elements("<g><circle r=\"1\"/><circle/><circles/></g>", "circle") == 2);
}

static void test_circle_count(void) {
  double x[7] = {1, 2, 3, 4, 5, 6, 7}, y[7] = {3, 1, 4, 1, 5, 9, 2};
  tn_plot_series s = {NULL, x, y, NULL, 7, TN_PLOT_POINTS};
  tn_plot p = one_series(&s);
  char *svg = write_and_read(&p, "count.svg");
  if (svg) {
    CHECK(count_elements(svg, "circle") == 7);
    CHECK(count_elements(svg, "polyline") == 0);
    CHECK(strstr(svg, "note") == NULL); /* nothing skipped or thinned */
  }
  free(svg);

  /* A labelled series adds one legend marker. */
  s.label = "train";
  svg = write_and_read(&p, "count_label.svg");
  if (svg) CHECK(count_elements(svg, "circle") == 8 && strstr(svg, ">train</text>"));
  free(svg);

  /* A line only: one polyline through all 7 points, no circles. */
  s.style = TN_PLOT_LINE;
  svg = write_and_read(&p, "count_line.svg");
  if (svg) {
    CHECK(count_elements(svg, "circle") == 0 && count_elements(svg, "polyline") == 1);
    const char *pts = strstr(svg, "points=\"");
    int commas = 0;
    for (const char *q = pts ? pts + 8 : ""; *q && *q != '"'; q++) commas += *q == ',';
    CHECK(commas == 7);
  }
  free(svg);

  /* Error bars: one path with a segment per point that has a valid error. */
  double e[7] = {0.5, 0.5, -1, NAN, 0.5, 0.5, 0.5};
  s.style = TN_PLOT_POINTS | TN_PLOT_LINE;
  s.y_err = e;
  s.label = NULL;
  svg = write_and_read(&p, "count_err.svg");
  if (svg) {
    CHECK(count_elements(svg, "circle") == 7 && count_elements(svg, "polyline") == 1);
    const char *bars = strstr(svg, "<g clip-path");
    int segments = 0;
    bars = bars ? strstr(bars, " d=\"") : NULL;
    for (const char *q = bars ? bars + 4 : ""; *q && *q != '"'; q++) segments += *q == 'M';
    CHECK(segments == 5);
  }
  free(svg);
}

static void test_escaping(void) {
  double x[2] = {0, 1}, y[2] = {1, 0};
  tn_plot_series s = {"E < 1 & \"F\" > 2", x, y, NULL, 2, TN_PLOT_POINTS};
  tn_plot p = one_series(&s);
  p.title = "a <&> \"b\" 'c'";
  p.x_label = "bad \xff\xfe utf-8 \x01 and \xe2\x82 cut"; /* invalid bytes, a control char */
  p.y_label = "r (\xc3\x85) \xf0\x9f\x98\x80";            /* Å and an emoji, valid UTF-8 */
  char *svg = write_and_read(&p, "escape.svg");
  if (svg) {
    CHECK(strstr(svg, ">a &lt;&amp;&gt; &quot;b&quot; &apos;c&apos;</text>") != NULL);
    CHECK(strstr(svg, ">E &lt; 1 &amp; &quot;F&quot; &gt; 2</text>") != NULL);
    CHECK(strstr(svg, ">bad ?? utf-8 ? and ?? cut</text>") != NULL);
    CHECK(strstr(svg, "r (\xc3\x85) \xf0\x9f\x98\x80") != NULL);
    CHECK(strchr(svg, '\x01') == NULL && strchr(svg, '\xff') == NULL);
  }
  free(svg);
}

static void test_log_axes(void) {
  /* Two points with x <= 0 are skipped and break the line in two. */
  double x[6] = {1, 10, -5, 100, 1000, 0}, y[6] = {1e-3, 1e-2, 1, 1e-1, 1, 2};
  tn_plot_series s = {NULL, x, y, NULL, 6, TN_PLOT_POINTS | TN_PLOT_LINE};
  tn_plot p = one_series(&s);
  p.log_x = p.log_y = 1;
  char *svg = write_and_read(&p, "log.svg");
  if (svg) {
    CHECK(count_elements(svg, "circle") == 4);
    CHECK(count_elements(svg, "polyline") == 2);
    CHECK(strstr(svg, "note: 2 with values &lt;= 0 skipped (log axis)") != NULL);
    /* Decades labelled as powers of ten: x 10^0..10^3, y 10^-3..10^0. */
    CHECK(strstr(svg, ">10<tspan dy=\"-5\" font-size=\"9\">3</tspan>") != NULL);
    CHECK(strstr(svg, ">10<tspan dy=\"-5\" font-size=\"9\">-3</tspan>") != NULL);
    CHECK(count_elements(svg, "tspan") == 4 + 4);
    /* The points are a decade apart on both axes, so equally spaced in
     * pixels, and the 10^1 label sits above the point at x = 10. */
    double cx[4], cy[4];
    const char *c = svg;
    for (int k = 0; k < 4; k++) {
      c = c ? strstr(c + 1, "<circle") : NULL;
      cx[k] = c ? attr_after(c, "<circle", "cx") : NAN;
      cy[k] = c ? attr_after(c, "<circle", "cy") : NAN;
    }
    for (int k = 1; k < 3; k++) {
      CHECK_NEAR(cx[k + 1] - cx[k], cx[1] - cx[0], 0, 0.15);
      CHECK_NEAR(cy[k + 1] - cy[k], cy[1] - cy[0], 0, 0.15);
    }
    CHECK(cx[1] - cx[0] > 100 && cy[1] - cy[0] < -50);
    const char *label = strstr(svg, "font-size=\"9\">1</tspan>");
    const char *text = label;
    while (text && text > svg && strncmp(text, "<text", 5) != 0) text--;
    CHECK(text && label);
    if (text) CHECK_NEAR(attr_after(text, "<text", "x"), cx[1], 0, 0.11);
  }
  free(svg);

  /* Twenty decades: labels every fifth power. */
  double wx[2] = {1e-10, 1e10}, wy[2] = {1, 2};
  tn_plot_series w = {NULL, wx, wy, NULL, 2, TN_PLOT_POINTS};
  p = one_series(&w);
  p.log_x = 1;
  svg = write_and_read(&p, "log_wide.svg");
  if (svg) {
    CHECK(strstr(svg, ">-10</tspan>") && strstr(svg, ">-5</tspan>") && strstr(svg, ">5</tspan>"));
    CHECK(count_elements(svg, "tspan") == 5);
  }
  free(svg);

  /* Under two decades: 1-2-5 ticks in plain numbers. */
  double ny[3] = {0.02, 0.1, 0.8}, nx[3] = {1, 2, 3};
  tn_plot_series nr = {NULL, nx, ny, NULL, 3, TN_PLOT_POINTS};
  p = one_series(&nr);
  p.log_y = 1;
  svg = write_and_read(&p, "log_narrow.svg");
  if (svg) {
    CHECK(strstr(svg, ">0.02</text>") && strstr(svg, ">0.05</text>") && strstr(svg, ">0.5</text>"));
    CHECK(count_elements(svg, "tspan") == 0);
  }
  free(svg);
}

static void test_thinning(void) {
  enum { N = 50001 };
  double *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
  CHECK(x && y);
  if (!x || !y) goto done;
  for (int i = 0; i < N; i++) x[i] = i, y[i] = sin(0.001 * i);
  tn_plot_series s = {NULL, x, y, NULL, TN_PLOT_MAX_POINTS, TN_PLOT_POINTS};
  tn_plot p = one_series(&s);
  char *svg = write_and_read(&p, "thin_none.svg");
  if (svg) CHECK(count_elements(svg, "circle") == 20000 && !strstr(svg, "note"));
  free(svg);

  /* One over the cap: every 2nd point, 10001 of them. */
  s.n = TN_PLOT_MAX_POINTS + 1;
  svg = write_and_read(&p, "thin_2.svg");
  if (svg) {
    CHECK(count_elements(svg, "circle") == 10001);
    CHECK(strstr(svg, "note: 10001 of 20001 points shown (thinned)") != NULL);
  }
  free(svg);

  /* 50001 points: stride 3, points 0, 3, ..., 50001 - 3 = 49998: 16667. */
  s.n = N;
  s.style = TN_PLOT_POINTS | TN_PLOT_LINE;
  svg = write_and_read(&p, "thin_3.svg");
  if (svg) {
    CHECK(count_elements(svg, "circle") == 16667);
    CHECK(strstr(svg, "note: 16667 of 50001 points shown (thinned)") != NULL);
  }
  /* Deterministic: the same input gives the same bytes. */
  char *again = write_and_read(&p, "thin_3b.svg");
  CHECK(svg && again && strcmp(svg, again) == 0);
  free(svg);
  free(again);
done:
  free(x);
  free(y);
}

static void test_parity(void) {
  /* x spans 0..10, y spans -5..3: one range -5..10 for both. */
  double x[4] = {0, 10, 5, 2}, y[4] = {-5, 3, 5, 2};
  tn_plot_series s = {NULL, x, y, NULL, 4, TN_PLOT_POINTS};
  tn_plot p = one_series(&s);
  p.parity = 1;
  char *svg = write_and_read(&p, "parity.svg");
  if (!svg) return;
  const char *clip = "<clipPath id=\"area\"><rect";
  double rx = attr_after(svg, clip, "x"), ry = attr_after(svg, clip, "y");
  double rw = attr_after(svg, clip, "width"), rh = attr_after(svg, clip, "height");
  CHECK(rw > 100 && rw == rh); /* square */
  /* The diagonal joins the bottom-left and top-right corners. */
  double x0 = NAN, y0 = NAN, x1 = NAN, y1 = NAN;
  const char *d = strstr(svg, "stroke-dasharray=\"4 3\" d=\"M");
  CHECK(d && sscanf(d + strlen("stroke-dasharray=\"4 3\" d=\"M"), "%lf,%lfL%lf,%lf", &x0, &y0, &x1,
                    &y1) == 4);
  CHECK_NEAR(x0, rx, 0, 0.051);
  CHECK_NEAR(y0, ry + rh, 0, 0.051);
  CHECK_NEAR(x1, rx + rw, 0, 0.051);
  CHECK_NEAR(y1, ry, 0, 0.051);
  /* Points with y == x lie on it: (5, 5) and (2, 2) are circles 3 and 4. */
  const char *c = svg;
  for (int k = 0; k < 3 && c; k++) c = strstr(c + 1, "<circle");
  for (int k = 0; k < 2 && c; k++, c = strstr(c + 1, "<circle")) {
    double cx = attr_after(c, "<circle", "cx"), cy = attr_after(c, "<circle", "cy");
    CHECK_NEAR(cx - rx, ry + rh - cy, 0, 0.11);
  }
  CHECK(c == NULL); /* exactly four circles */
  /* Same ticks on both axes: each label appears twice. */
  CHECK(strstr(svg, ">-5</text>") && strstr(strstr(svg, ">-5</text>") + 1, ">-5</text>"));
  free(svg);

  /* Mixed log and linear axes cannot show y = x as a line. */
  p.log_x = 1;
  CHECK(tn_plot_write_svg(&p, harness_tmp("parity_mixed.svg"), err, sizeof err) ==
        TN_STATUS_INVALID_ARG);
  CHECK(strstr(err, "parity") != NULL);
  /* Both log: fine. */
  p.log_y = 1;
  double lx[3] = {1, 10, 100}, ly[3] = {2, 9, 120};
  s.x = lx, s.y = ly, s.n = 3;
  svg = write_and_read(&p, "parity_log.svg");
  free(svg);
}

static void test_degenerate(void) {
  const char *clip = "<clipPath id=\"area\"><rect";
  /* One point: drawn in the middle of the plot area. */
  double one = -12345.678;
  tn_plot_series s = {"single", &one, &one, NULL, 1, TN_PLOT_POINTS | TN_PLOT_LINE};
  tn_plot p = one_series(&s);
  char *svg = write_and_read(&p, "single.svg");
  if (svg) {
    double rx = attr_after(svg, clip, "x"), rw = attr_after(svg, clip, "width");
    double ry = attr_after(svg, clip, "y"), rh = attr_after(svg, clip, "height");
    CHECK_NEAR(attr_after(svg, "<g fill=", "cx"), rx + rw / 2, 0, 0.11);
    CHECK_NEAR(attr_after(svg, "<g fill=", "cy"), ry + rh / 2, 0, 0.11);
    CHECK(count_elements(svg, "polyline") == 0); /* a line needs two points */
  }
  free(svg);

  /* All x equal, y varying; then everything zero. */
  double x[3] = {2, 2, 2}, y[3] = {1, 2, 3}, z[3] = {0, 0, 0};
  s.x = x, s.y = y, s.n = 3;
  svg = write_and_read(&p, "equal_x.svg");
  if (svg) CHECK(count_elements(svg, "circle") == 3 + 1);
  free(svg);
  s.x = s.y = z;
  svg = write_and_read(&p, "zeros.svg");
  free(svg);

  /* No drawable point at all: empty, all-NaN, all skipped on log axes. */
  double nan3[3] = {NAN, INFINITY, -INFINITY}, big[3] = {1e301, -1e305, 5};
  s.n = 0;
  s.x = s.y = NULL;
  svg = write_and_read(&p, "empty.svg");
  if (svg) CHECK(count_elements(svg, "circle") == 1); /* the legend marker */
  free(svg);
  s.x = nan3, s.y = y, s.n = 3;
  svg = write_and_read(&p, "nan.svg");
  if (svg) CHECK(strstr(svg, "note: 3 non-finite skipped") != NULL);
  free(svg);
  s.x = big; /* beyond 1e300 counts as non-finite */
  svg = write_and_read(&p, "big.svg");
  if (svg) CHECK(strstr(svg, "note: 2 non-finite skipped") && count_elements(svg, "circle") == 2);
  free(svg);
  s.x = z;
  p.log_x = 1;
  svg = write_and_read(&p, "log_zero.svg");
  if (svg) CHECK(strstr(svg, "note: 3 with values &lt;= 0 skipped") != NULL);
  free(svg);
  /* One value on a log axis. */
  double three[3] = {3, 3, 3};
  s.x = three;
  svg = write_and_read(&p, "log_one.svg");
  free(svg);

  /* Subnormal numbers: distinct, equal, and on a log axis. */
  double sub[2] = {5e-324, 1e-323}, sub_same[2] = {5e-324, 5e-324}, y2[2] = {1e-320, 2e-320};
  s.x = sub, s.y = sub_same, s.n = 2;
  p.log_x = 0;
  svg = write_and_read(&p, "subnormal.svg");
  if (svg) CHECK(count_elements(svg, "circle") == 3);
  free(svg);
  s.y = y2;
  p.log_y = 1;
  svg = write_and_read(&p, "subnormal_log.svg");
  if (svg) CHECK(count_elements(svg, "circle") == 3);
  free(svg);
}

static void test_tick_labels(void) {
  /* 0..1 pads to -0.05..1.05: step 0.2, labels without rounding noise. */
  double x[2] = {0, 1}, y[2] = {-12345.5, -12344.5};
  tn_plot_series s = {NULL, x, y, NULL, 2, TN_PLOT_POINTS};
  tn_plot p = one_series(&s);
  char *svg = write_and_read(&p, "ticks.svg");
  if (svg) {
    CHECK(strstr(svg, ">0</text>") && strstr(svg, ">0.2</text>") && strstr(svg, ">1</text>"));
    CHECK(strstr(svg, ">0.6</text>") && !strstr(svg, "0000000"));
    /* y: -12345.525..-12344.475, step 0.2. */
    CHECK(strstr(svg, ">-12345.4</text>") && strstr(svg, ">-12344.6</text>"));
    CHECK(strstr(svg, ">-12345</text>") != NULL);
  }
  free(svg);

  /* Large and small values in short exponent form. */
  double bx[2] = {0, 1.1e6}, by[2] = {0, 4e-5};
  s.x = bx, s.y = by;
  svg = write_and_read(&p, "ticks_exp.svg");
  if (svg) {
    CHECK(strstr(svg, ">200000</text>") && strstr(svg, ">1e6</text>"));
    CHECK(strstr(svg, ">1e-5</text>") && strstr(svg, ">4e-5</text>"));
  }
  free(svg);
}

static void test_palette_and_legend(void) {
  /* Nine series: colours cycle through the eight of Okabe-Ito. */
  double x[2] = {0, 1}, y[2] = {0, 1};
  tn_plot_series s[9];
  char names[9][16];
  for (int k = 0; k < 9; k++) {
    snprintf(names[k], sizeof names[k], "s%d", k);
    tn_plot_series t = {names[k], x, y, NULL, 2, TN_PLOT_LINE};
    s[k] = t;
  }
  tn_plot p = {"nine", "x", "y", 0, 0, 0, 9, s};
  char *svg = write_and_read(&p, "nine.svg");
  if (svg) {
    int blue = 0;
    for (const char *q = svg; (q = strstr(q, "stroke=\"#0072B2\"")) != NULL; q++) blue++;
    CHECK(blue == 4); /* series 0 and 8, line and legend each */
    CHECK(count_elements(svg, "polyline") == 9);
    CHECK(strstr(svg, ">s8</text>") != NULL);
  }
  free(svg);
}

static void test_errors(void) {
  double x[2] = {0, 1}, y[2] = {0, 1};
  tn_plot_series s = {NULL, x, y, NULL, 2, TN_PLOT_POINTS};
  tn_plot p = one_series(&s);
  const char *path = harness_tmp("bad.svg");

  CHECK(tn_plot_write_svg(NULL, path, err, sizeof err) == TN_STATUS_INVALID_ARG);
  CHECK(strstr(err, "plot") != NULL);
  CHECK(tn_plot_write_svg(&p, NULL, err, sizeof err) == TN_STATUS_INVALID_ARG);
  CHECK(strstr(err, "path") != NULL);

  p.n_series = 0;
  CHECK(tn_plot_write_svg(&p, path, err, sizeof err) == TN_STATUS_INVALID_ARG);
  CHECK(strstr(err, "bad.svg") && strstr(err, "'series'"));
  p.n_series = 1;
  p.series = NULL;
  CHECK(tn_plot_write_svg(&p, path, err, sizeof err) == TN_STATUS_INVALID_ARG);
  p.series = &s;

  s.n = -1;
  CHECK(tn_plot_write_svg(&p, path, err, sizeof err) == TN_STATUS_INVALID_ARG);
  CHECK(strstr(err, "series[0] field 'n'") != NULL);
  s.n = 2;
  s.x = NULL;
  CHECK(tn_plot_write_svg(&p, path, err, sizeof err) == TN_STATUS_INVALID_ARG);
  CHECK(strstr(err, "series[0] field 'x'") != NULL);
  s.x = x;
  s.y = NULL;
  CHECK(tn_plot_write_svg(&p, path, err, sizeof err) == TN_STATUS_INVALID_ARG);
  CHECK(strstr(err, "series[0] field 'y'") != NULL);
  s.y = y;
  s.style = 0;
  CHECK(tn_plot_write_svg(&p, path, err, sizeof err) == TN_STATUS_INVALID_ARG);
  CHECK(strstr(err, "'style'") != NULL);
  s.style = TN_PLOT_LINE | 4;
  CHECK(tn_plot_write_svg(&p, path, err, sizeof err) == TN_STATUS_INVALID_ARG);
  s.style = TN_PLOT_POINTS;
  CHECK(access(path, F_OK) != 0); /* nothing written on a refused call */

  /* NULL err is allowed. */
  CHECK(tn_plot_write_svg(NULL, path, NULL, 0) == TN_STATUS_INVALID_ARG);

  /* A folder that does not exist, and a path too long to be one. */
  CHECK(tn_plot_write_svg(&p, "/nonexistent-tanne-dir/x.svg", err, sizeof err) == TN_STATUS_IO);
  CHECK(strstr(err, "/nonexistent-tanne-dir/x.svg") != NULL);
  static char longpath[5000];
  memset(longpath, 'a', sizeof longpath - 1);
  CHECK(tn_plot_write_svg(&p, longpath, err, sizeof err) == TN_STATUS_IO);
  CHECK(strstr(err, "too long") != NULL);

  /* The rename fails when path is a folder; the temporary goes away. */
  const char *dir = harness_tmp("a_folder.svg");
  CHECK(mkdir(dir, 0700) == 0);
  CHECK(tn_plot_write_svg(&p, dir, err, sizeof err) == TN_STATUS_IO);
  CHECK(strstr(err, "a_folder.svg") && strstr(err, "rename"));
  char tmp[600];
  snprintf(tmp, sizeof tmp, "%s.tmp.%ld", dir, (long)getpid());
  CHECK(access(tmp, F_OK) != 0);
}

static void test_atomic_overwrite(void) {
  const char *path = harness_tmp("over.svg");
  FILE *f = fopen(path, "w");
  CHECK(f != NULL);
  if (!f) return;
  fputs("old", f);
  fclose(f);
  double x[2] = {0, 1}, y[2] = {0, 1};
  tn_plot_series s = {NULL, x, y, NULL, 2, TN_PLOT_POINTS};
  tn_plot p = one_series(&s);
  CHECK_OK(tn_plot_write_svg(&p, path, err, sizeof err));
  char *svg = slurp(path);
  CHECK(svg && strncmp(svg, "<?xml", 5) == 0 && xml_ok(svg));
  free(svg);
  char tmp[600];
  snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
  CHECK(access(tmp, F_OK) != 0); /* no temporary left behind */
}

/* A value from a nasty mix: every magnitude double has, zeros, negatives,
 * repeats, NaN and infinities. */
static double nasty(tn_rng *rng) {
  double r = tn_rng_uniform(rng);
  if (r < 0.05) return NAN;
  if (r < 0.08) return tn_rng_uniform(rng) < 0.5 ? INFINITY : -INFINITY;
  if (r < 0.15) return 0;
  if (r < 0.25) return 3.0;
  double mag = pow(10.0, -323 + 631 * tn_rng_uniform(rng));
  if (r < 0.5) return (tn_rng_uniform(rng) < 0.5 ? -1 : 1) * mag;
  return 1e5 + tn_rng_normal(rng); /* total-energy-like */
}

/* Random plots of nasty values: every one must be written, parse, and hold
 * only finite numbers. */
static void test_random_plots(void) {
  tn_rng rng;
  tn_rng_seed(&rng, 2024);
  enum { MAXN = 40 };
  static double x[3][MAXN], y[3][MAXN], e[3][MAXN];
  int bad = 0;
  for (int trial = 0; trial < 300 && !bad; trial++) {
    tn_plot_series s[3];
    int n_series = 1 + (int)(tn_rng_next(&rng) % 3);
    for (int k = 0; k < n_series; k++) {
      int64_t n = (int64_t)(tn_rng_next(&rng) % MAXN);
      for (int64_t i = 0; i < n; i++) {
        x[k][i] = nasty(&rng), y[k][i] = nasty(&rng), e[k][i] = nasty(&rng);
        if (trial % 3 == 0) x[k][i] = i; /* a plain abscissa now and then */
      }
      tn_plot_series t = {k == 1 ? "label" : NULL, x[k], y[k],
                          trial % 2 ? e[k] : NULL, n,    1 + (int)(tn_rng_next(&rng) % 3)};
      s[k] = t;
    }
    int log_x = trial % 4 == 1, log_y = trial % 5 < 2;
    tn_plot p = {"random", "x", "y", log_x, log_y, log_x == log_y && trial % 7 == 0, n_series, s};
    int before = harness_failures;
    char *svg = write_and_read(&p, "random.svg");
    free(svg);
    if (harness_failures != before) {
      fprintf(stderr, "  trial %d failed\n", trial);
      bad = 1;
    }
  }
}

int main(void) {
  RUN(test_checker_rejects);
  RUN(test_circle_count);
  RUN(test_escaping);
  RUN(test_log_axes);
  RUN(test_thinning);
  RUN(test_parity);
  RUN(test_degenerate);
  RUN(test_tick_labels);
  RUN(test_palette_and_legend);
  RUN(test_random_plots);
  RUN(test_errors);
  RUN(test_atomic_overwrite);
  return harness_finish();
}
