/* Format detection and the read entry point shared by all formats. */
#include <string.h>

#include "io.h"

const char *tn_format_name(tn_format format) {
  switch (format) {
  case TN_FORMAT_AUTO: return "auto";
  case TN_FORMAT_EXTXYZ: return "extxyz";
  case TN_FORMAT_NPZ: return "npz";
  case TN_FORMAT_N2P2: return "n2p2";
  case TN_FORMAT_ANI_HDF5: return "ani";
  }
  return "unknown";
}

tn_format tn_format_from_name(const char *name) {
  static const tn_format all[] = {TN_FORMAT_EXTXYZ, TN_FORMAT_NPZ, TN_FORMAT_N2P2,
                                  TN_FORMAT_ANI_HDF5};
  for (size_t k = 0; k < sizeof all / sizeof *all; k++)
    if (name && strcmp(name, tn_format_name(all[k])) == 0) return all[k];
  return TN_FORMAT_AUTO;
}

tn_read_options tn_read_options_default(void) {
  tn_read_options opt = {TN_FORMAT_AUTO, 0.0, 0.0};
  return opt;
}

static int ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Extension first; then magic bytes (zip "PK\3\4", HDF5 "\x89HDF"); then
 * "input.data" in the name or a first keyword "begin" for n2p2. */
static tn_format detect(const char *path, const unsigned char *head, size_t n) {
  if (ends_with(path, ".xyz") || ends_with(path, ".extxyz")) return TN_FORMAT_EXTXYZ;
  if (ends_with(path, ".npz")) return TN_FORMAT_NPZ;
  if (ends_with(path, ".h5") || ends_with(path, ".hdf5")) return TN_FORMAT_ANI_HDF5;
  if (n >= 4 && memcmp(head, "PK\3\4", 4) == 0) return TN_FORMAT_NPZ;
  if (n >= 4 && memcmp(head, "\x89HDF", 4) == 0) return TN_FORMAT_ANI_HDF5;
  if (strstr(path, "input.data")) return TN_FORMAT_N2P2;
  size_t k = 0;
  while (k < n && memchr(" \t\r\n", head[k], 4)) k++; /* not strchr: NUL is no space */
  if (n - k >= 5 && memcmp(head + k, "begin", 5) == 0) return TN_FORMAT_N2P2;
  return TN_FORMAT_EXTXYZ;
}

static void resolve_units(tn_read_options *opt) {
  if (opt->energy_unit == 0.0) {
    switch (opt->format) {
    case TN_FORMAT_NPZ: opt->energy_unit = tn_energy_unit("kcal/mol"); break;
    case TN_FORMAT_ANI_HDF5: opt->energy_unit = tn_energy_unit("Hartree"); break;
    default: opt->energy_unit = 1.0; break;
    }
  }
  if (opt->length_unit == 0.0) opt->length_unit = 1.0;
}

tn_status tn_dataset_read(tn_dataset *ds, const char *path, const tn_read_options *opt_in) {
  tn_read_options opt = opt_in ? *opt_in : tn_read_options_default();
  char *err = ds->errmsg;
  size_t err_len = sizeof ds->errmsg;
  if (!(opt.energy_unit >= 0.0) || !(opt.length_unit >= 0.0))
    return tn_fail(err, err_len, TN_STATUS_INVALID_ARG, "%s: units must be positive", path);
  int64_t start = ds->n_frames;
  tn_status st;
  if (opt.format == TN_FORMAT_ANI_HDF5) {
    resolve_units(&opt);
    st = ani_read(ds, path, &opt);
  } else {
    char *data;
    size_t len;
    st = tn_read_file(path, &data, &len, err, err_len);
    if (st != TN_STATUS_OK) return st;
    if (opt.format == TN_FORMAT_AUTO)
      opt.format = detect(path, (const unsigned char *)data, len < 64 ? len : 64);
    resolve_units(&opt);
    switch (opt.format) {
    case TN_FORMAT_NPZ:
      st = npz_read_buffer(ds, path, (const unsigned char *)data, len, &opt);
      break;
    case TN_FORMAT_N2P2: st = n2p2_read_buffer(ds, path, data, len, &opt); break;
    case TN_FORMAT_ANI_HDF5: st = ani_read(ds, path, &opt); break;
    default: st = xyz_read_buffer(ds, path, data, len, &opt); break;
    }
    free(data);
  }
  if (st != TN_STATUS_OK) {
    char keep[sizeof ds->errmsg];
    memcpy(keep, ds->errmsg, sizeof keep);
    tn_dataset_truncate(ds, start);
    memcpy(ds->errmsg, keep, sizeof keep);
  }
  return st;
}

tn_status tn_dataset_write_extxyz(tn_dataset *ds, const char *path) { return xyz_write(ds, path); }
