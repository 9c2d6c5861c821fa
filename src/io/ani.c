/* Reader of ANI-style HDF5 files (ANI-1, Smith et al., Sci. Data 4, 170193
 * (2017), and the sets that copy its layout).
 *
 * Layout: /<group>/<molecule>/ with the datasets
 *   coordinates  (F, n, 3) float32 or float64, Å        required
 *   species      (n,) strings ("C", "H"; fixed or variable length), or
 *                integers (atomic numbers)               required
 *   energies     (F,) float, Hartree                     optional
 * and others (smiles, coordinatesHE, energiesHE, ...) that are ignored. A
 * molecule group may also sit directly under the root (/<molecule>/...), and
 * `atomic_numbers` stands in for `species` where that is absent (ANI-2x).
 * A group is a molecule when it holds coordinates, species, atomic_numbers or
 * energies; any other group under the root is a container of molecules.
 *
 * Each conformer becomes one open (non-periodic) frame with positions
 * x length_unit, "energy" = energies x energy_unit (Hartree -> eV unless the
 * caller says otherwise), and the per-frame string "molecule" =
 * "<group>/<molecule>" (or "<molecule>" at the root). Groups and molecules are
 * visited by name in increasing order (H5_INDEX_NAME), so frame order does not
 * depend on how the file was written.
 *
 * Choices: a molecule without `energies` gives frames without energy (the
 * column absent), because coordinates alone are still useful to predict on.
 * Coordinates and energies must be floating point (integers are refused as
 * UNSUPPORTED, as being more likely a mislabelled dataset than data), and
 * must be finite. A molecule needs at least one atom.
 *
 * HDF5 prints its error stack by default; the library must not print, so the
 * automatic error handler is switched off for the duration of the call and
 * restored afterwards. That handler is process-wide: two threads reading
 * HDF5 at once (with a thread-safe HDF5 build) would race on it. */
#include <errno.h>
#include <hdf5.h>
#include <math.h>
#include <string.h>

#include "io.h"

/* Conformers read per H5Dread: bounds the scratch memory to about 512 KiB
 * of coordinates whatever the size of the dataset. */
#define ANI_BLOCK_VALUES 65536
/* Longest element symbol field accepted in a fixed-length species string. */
#define ANI_SYMBOL_MAX 16

typedef struct ani_reader {
  tn_dataset *ds;
  const char *path;
  double energy_unit, length_unit;
  int64_t n_molecules;
} ani_reader;

#define ANI_ERR(r) (r)->ds->errmsg, sizeof(r)->ds->errmsg

static tn_status cannot_read(ani_reader *r, const char *mpath, const char *member) {
  return tn_fail(ANI_ERR(r), TN_STATUS_IO, "%s: /%s/%s: cannot read", r->path, mpath, member);
}

static tn_status no_memory(ani_reader *r, const char *mpath, const char *member) {
  return tn_fail(ANI_ERR(r), TN_STATUS_NO_MEMORY, "%s: /%s/%s: out of memory", r->path, mpath,
                 member);
}

static int has_member(hid_t g, const char *name) { return H5Lexists(g, name, H5P_DEFAULT) > 0; }

static int is_molecule(hid_t g) {
  return has_member(g, "coordinates") || has_member(g, "species") ||
         has_member(g, "atomic_numbers") || has_member(g, "energies");
}

/* Name of link idx of g in name order; caller frees. NULL on failure. */
static char *link_name(hid_t g, hsize_t idx) {
  ssize_t n = H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, idx, NULL, 0, H5P_DEFAULT);
  if (n < 0) return NULL;
  char *s = malloc((size_t)n + 1);
  if (!s) return NULL;
  if (H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, idx, s, (size_t)n + 1, H5P_DEFAULT) <
      0) {
    free(s);
    return NULL;
  }
  return s;
}

/* Opens member name of parent if it is a group; *out stays invalid (and 0 is
 * returned) for datasets and other objects. -1 if it cannot be opened. */
static int open_if_group(hid_t parent, const char *name, hid_t *out) {
  *out = H5I_INVALID_HID;
  hid_t obj = H5Oopen(parent, name, H5P_DEFAULT);
  if (obj < 0) return -1;
  if (H5Iget_type(obj) == H5I_GROUP) {
    *out = obj;
    return 0;
  }
  H5Oclose(obj);
  return 0;
}

/* Opens dataset member of molecule mol (path mpath) and checks its rank;
 * gives its dims and type class. */
static tn_status open_dataset(ani_reader *r, hid_t mol, const char *mpath, const char *member,
                              int rank, hsize_t *dims, H5T_class_t *cls, hid_t *out) {
  *out = H5I_INVALID_HID;
  hid_t d = H5Dopen2(mol, member, H5P_DEFAULT);
  if (d < 0)
    return tn_fail(ANI_ERR(r), TN_STATUS_BAD_INPUT, "%s: /%s/%s: not a readable dataset", r->path,
                   mpath, member);
  hid_t space = H5Dget_space(d), type = H5Dget_type(d);
  int got = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
  *cls = type >= 0 ? H5Tget_class(type) : H5T_NO_CLASS;
  if (got == rank) H5Sget_simple_extent_dims(space, dims, NULL);
  if (space >= 0) H5Sclose(space);
  if (type >= 0) H5Tclose(type);
  if (got != rank) {
    H5Dclose(d);
    if (got < 0)
      return tn_fail(ANI_ERR(r), TN_STATUS_IO, "%s: /%s/%s: cannot read the shape", r->path, mpath,
                     member);
    return tn_fail(ANI_ERR(r), TN_STATUS_BAD_INPUT, "%s: /%s/%s: %d dimensions, expected %d",
                   r->path, mpath, member, got, rank);
  }
  *out = d;
  return TN_STATUS_OK;
}

/* Element symbol s (not NUL-terminated, at most len bytes, padded with NULs
 * or spaces) to an atomic number; 0 if unknown. */
static int symbol_number(const char *s, size_t len) {
  char sym[ANI_SYMBOL_MAX + 1];
  size_t n = 0;
  while (n < len && n < ANI_SYMBOL_MAX && s[n] != '\0') n++;
  memcpy(sym, s, n);
  while (n > 0 && sym[n - 1] == ' ') n--;
  sym[n] = '\0';
  return tn_element_number(sym);
}

/* Reads the species of a molecule into *z ([n] atomic numbers, caller
 * frees). */
static tn_status read_species(ani_reader *r, hid_t mol, const char *mpath, const char *member,
                              int32_t **z_out, hsize_t *n_out) {
  tn_status st = TN_STATUS_OK;
  hid_t d = H5I_INVALID_HID, ftype = H5I_INVALID_HID, mtype = H5I_INVALID_HID;
  hid_t space = H5I_INVALID_HID;
  int32_t *z = NULL;
  char **vstr = NULL, *fixed = NULL;
  int *ints = NULL;
  hsize_t n = 0;
  H5T_class_t cls;
  *z_out = NULL;
  if ((st = open_dataset(r, mol, mpath, member, 1, &n, &cls, &d)) != TN_STATUS_OK) goto fail;
  if (n == 0 || n > (hsize_t)INT32_MAX) {
    st = tn_fail(ANI_ERR(r), TN_STATUS_BAD_INPUT, "%s: /%s/%s: %llu atoms", r->path, mpath, member,
                 (unsigned long long)n);
    goto fail;
  }
  if (!(z = malloc((size_t)n * sizeof *z))) {
    st = no_memory(r, mpath, member);
    goto fail;
  }
  if ((ftype = H5Dget_type(d)) < 0 || (space = H5Dget_space(d)) < 0) {
    st = cannot_read(r, mpath, member);
    goto fail;
  }
  if (cls == H5T_INTEGER) {
    if (!(ints = malloc((size_t)n * sizeof *ints))) {
      st = no_memory(r, mpath, member);
      goto fail;
    }
    if (H5Dread(d, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, ints) < 0) {
      st = cannot_read(r, mpath, member);
      goto fail;
    }
    for (hsize_t i = 0; i < n; i++) {
      if (ints[i] < 1 || ints[i] > 118) {
        st =
            tn_fail(ANI_ERR(r), TN_STATUS_BAD_INPUT, "%s: /%s/%s[%llu]: %d is not an atomic number",
                    r->path, mpath, member, (unsigned long long)i, ints[i]);
        goto fail;
      }
      z[i] = ints[i];
    }
  } else if (cls == H5T_STRING) {
    htri_t var = H5Tis_variable_str(ftype);
    size_t size = H5Tget_size(ftype);
    if (var < 0 || (!var && (size == 0 || size > ANI_SYMBOL_MAX))) {
      st = tn_fail(ANI_ERR(r), TN_STATUS_BAD_INPUT,
                   "%s: /%s/%s: strings of %zu bytes cannot be element symbols", r->path, mpath,
                   member, size);
      goto fail;
    }
    /* Read in the file's character set: HDF5 does not convert between
     * ASCII and UTF-8 strings. */
    if ((mtype = H5Tcopy(H5T_C_S1)) < 0 || H5Tset_cset(mtype, H5Tget_cset(ftype)) < 0 ||
        H5Tset_size(mtype, var ? H5T_VARIABLE : size) < 0) {
      st = cannot_read(r, mpath, member);
      goto fail;
    }
    if (var) {
      if (!(vstr = calloc((size_t)n, sizeof *vstr))) {
        st = no_memory(r, mpath, member);
        goto fail;
      }
      if (H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, vstr) < 0) {
        free(vstr); /* a failed read leaves nothing to reclaim */
        vstr = NULL;
        st = cannot_read(r, mpath, member);
        goto fail;
      }
    } else {
      if (H5Tset_strpad(mtype, H5T_STR_NULLPAD) < 0) {
        st = cannot_read(r, mpath, member);
        goto fail;
      }
      if (!(fixed = malloc((size_t)n * size))) {
        st = no_memory(r, mpath, member);
        goto fail;
      }
      if (H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, fixed) < 0) {
        st = cannot_read(r, mpath, member);
        goto fail;
      }
    }
    for (hsize_t i = 0; i < n; i++) {
      const char *s = var ? vstr[i] : fixed + i * size;
      size_t len = var ? (s ? strlen(s) : 0) : size;
      z[i] = s ? symbol_number(s, len) : 0;
      if (z[i] == 0) {
        st = tn_fail(ANI_ERR(r), TN_STATUS_BAD_INPUT, "%s: /%s/%s[%llu]: unknown element '%.*s'",
                     r->path, mpath, member, (unsigned long long)i,
                     (int)(len < ANI_SYMBOL_MAX ? len : ANI_SYMBOL_MAX), s ? s : "");
        goto fail;
      }
    }
  } else {
    st = tn_fail(ANI_ERR(r), TN_STATUS_UNSUPPORTED,
                 "%s: /%s/%s: element symbols must be strings or atomic numbers (integers)",
                 r->path, mpath, member);
    goto fail;
  }
  *z_out = z;
  *n_out = n;
  z = NULL;
fail:
  if (vstr) {
#if H5_VERSION_GE(1, 12, 0)
    H5Treclaim(mtype, space, H5P_DEFAULT, vstr);
#else
    H5Dvlen_reclaim(mtype, space, H5P_DEFAULT, vstr);
#endif
    free(vstr);
  }
  free(fixed);
  free(ints);
  free(z);
  if (mtype >= 0) H5Tclose(mtype);
  if (ftype >= 0) H5Tclose(ftype);
  if (space >= 0) H5Sclose(space);
  if (d >= 0) H5Dclose(d);
  return st;
}

/* Reads energies (F,) in Hartree (or the file's unit) into *e_out [F] eV. */
static tn_status read_energies(ani_reader *r, hid_t mol, const char *mpath, hsize_t n_conf,
                               double **e_out) {
  tn_status st = TN_STATUS_OK;
  hid_t d = H5I_INVALID_HID;
  double *e = NULL;
  hsize_t n = 0;
  H5T_class_t cls;
  *e_out = NULL;
  if ((st = open_dataset(r, mol, mpath, "energies", 1, &n, &cls, &d)) != TN_STATUS_OK) goto fail;
  if (cls != H5T_FLOAT) {
    st = tn_fail(ANI_ERR(r), TN_STATUS_UNSUPPORTED, "%s: /%s/energies: not floating point", r->path,
                 mpath);
    goto fail;
  }
  if (n != n_conf) {
    st = tn_fail(ANI_ERR(r), TN_STATUS_BAD_INPUT,
                 "%s: /%s/energies: %llu values, but coordinates has %llu conformers", r->path,
                 mpath, (unsigned long long)n, (unsigned long long)n_conf);
    goto fail;
  }
  if (n > 0 && !(e = malloc((size_t)n * sizeof *e))) {
    st =
        tn_fail(ANI_ERR(r), TN_STATUS_NO_MEMORY, "%s: /%s/energies: out of memory", r->path, mpath);
    goto fail;
  }
  if (n > 0 && H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, e) < 0) {
    st = tn_fail(ANI_ERR(r), TN_STATUS_IO, "%s: /%s/energies: cannot read", r->path, mpath);
    goto fail;
  }
  for (hsize_t f = 0; f < n; f++) {
    if (!isfinite(e[f])) {
      st = tn_fail(ANI_ERR(r), TN_STATUS_BAD_INPUT, "%s: /%s/energies[%llu]: not a finite number",
                   r->path, mpath, (unsigned long long)f);
      goto fail;
    }
    e[f] *= r->energy_unit;
  }
  *e_out = e;
  e = NULL;
fail:
  free(e);
  if (d >= 0) H5Dclose(d);
  return st;
}

/* Appends every conformer of molecule group mol; mpath is "<group>/<mol>". */
static tn_status read_molecule(ani_reader *r, hid_t mol, const char *mpath) {
  tn_status st = TN_STATUS_OK;
  hid_t d = H5I_INVALID_HID, fspace = H5I_INVALID_HID, mspace = H5I_INVALID_HID;
  int32_t *z = NULL;
  double *energy = NULL, *xyz = NULL; /* energy [F] eV; xyz [block][n][3] */
  hsize_t n_atoms = 0, dims[3] = {0, 0, 0};
  H5T_class_t cls;
  r->n_molecules++;
  const char *species = has_member(mol, "species")          ? "species"
                        : has_member(mol, "atomic_numbers") ? "atomic_numbers"
                                                            : NULL;
  int has_coordinates = has_member(mol, "coordinates");
  if (!has_coordinates || !species) {
    st = tn_fail(ANI_ERR(r), TN_STATUS_NOT_FOUND, "%s: /%s: no '%s' dataset in the molecule group",
                 r->path, mpath, has_coordinates ? "species" : "coordinates");
    goto fail;
  }
  if ((st = read_species(r, mol, mpath, species, &z, &n_atoms)) != TN_STATUS_OK) goto fail;
  if ((st = open_dataset(r, mol, mpath, "coordinates", 3, dims, &cls, &d)) != TN_STATUS_OK)
    goto fail;
  if (cls != H5T_FLOAT) {
    st = tn_fail(ANI_ERR(r), TN_STATUS_UNSUPPORTED, "%s: /%s/coordinates: not floating point",
                 r->path, mpath);
    goto fail;
  }
  if (dims[1] != n_atoms || dims[2] != 3) {
    st = tn_fail(ANI_ERR(r), TN_STATUS_BAD_INPUT,
                 "%s: /%s/coordinates: shape (%llu, %llu, %llu), expected (F, %llu, 3) to match "
                 "%s",
                 r->path, mpath, (unsigned long long)dims[0], (unsigned long long)dims[1],
                 (unsigned long long)dims[2], (unsigned long long)n_atoms, species);
    goto fail;
  }
  if (has_member(mol, "energies") &&
      (st = read_energies(r, mol, mpath, dims[0], &energy)) != TN_STATUS_OK)
    goto fail;

  hsize_t per_conf = n_atoms * 3;
  hsize_t block = per_conf < ANI_BLOCK_VALUES ? ANI_BLOCK_VALUES / per_conf : 1;
  if (block > dims[0]) block = dims[0];
  if (block == 0) goto fail; /* no conformers: nothing to add */
  if (!(xyz = malloc((size_t)(block * per_conf) * sizeof *xyz))) {
    st = tn_fail(ANI_ERR(r), TN_STATUS_NO_MEMORY, "%s: /%s/coordinates: out of memory", r->path,
                 mpath);
    goto fail;
  }
  if ((fspace = H5Dget_space(d)) < 0) {
    st = cannot_read(r, mpath, "coordinates");
    goto fail;
  }
  tn_frame_column cols[2];
  cols[0] =
      (tn_frame_column){"molecule", TN_COLUMN_SCOPE_FRAME, TN_COLUMN_TYPE_STRING, 0, NULL, mpath};
  tn_frame fr;
  memset(&fr, 0, sizeof fr);
  fr.n_atoms = (int)n_atoms;
  fr.species = z;
  fr.columns = cols;
  for (hsize_t f0 = 0; f0 < dims[0]; f0 += block) {
    hsize_t start[3] = {f0, 0, 0}, count[3] = {block, n_atoms, 3};
    if (count[0] > dims[0] - f0) count[0] = dims[0] - f0;
    if (mspace >= 0) H5Sclose(mspace);
    if ((mspace = H5Screate_simple(3, count, NULL)) < 0 ||
        H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
        H5Dread(d, H5T_NATIVE_DOUBLE, mspace, fspace, H5P_DEFAULT, xyz) < 0) {
      st = cannot_read(r, mpath, "coordinates");
      goto fail;
    }
    for (hsize_t k = 0; k < count[0]; k++) {
      double *p = xyz + k * per_conf;
      for (hsize_t v = 0; v < per_conf; v++) {
        if (!isfinite(p[v])) {
          st = tn_fail(ANI_ERR(r), TN_STATUS_BAD_INPUT,
                       "%s: /%s/coordinates[%llu][%llu][%llu]: not a finite number", r->path, mpath,
                       (unsigned long long)(f0 + k), (unsigned long long)(v / 3),
                       (unsigned long long)(v % 3));
          goto fail;
        }
        p[v] *= r->length_unit;
      }
      fr.pos = (const double(*)[3])p;
      fr.n_columns = 1;
      if (energy)
        cols[fr.n_columns++] = (tn_frame_column){
            TN_LABEL_ENERGY, TN_COLUMN_SCOPE_FRAME, TN_COLUMN_TYPE_REAL, 1, &energy[f0 + k], NULL};
      if ((st = tn_dataset_append(r->ds, &fr)) != TN_STATUS_OK) {
        char why[sizeof r->ds->errmsg];
        memcpy(why, r->ds->errmsg, sizeof why);
        st = tn_fail(ANI_ERR(r), st, "%s: /%s: %s", r->path, mpath, why);
        goto fail;
      }
    }
  }
fail:
  free(z);
  free(energy);
  free(xyz);
  if (mspace >= 0) H5Sclose(mspace);
  if (fspace >= 0) H5Sclose(fspace);
  if (d >= 0) H5Dclose(d);
  return st;
}

/* Visits the member groups of g in name order: molecules are read, other
 * groups are containers of molecules when depth allows (depth 0: the root). */
static tn_status read_group(ani_reader *r, hid_t g, const char *gpath, int depth) {
  tn_status st = TN_STATUS_OK;
  char *name = NULL, *path = NULL;
  hid_t child = H5I_INVALID_HID;
  H5G_info_t info;
  if (H5Gget_info(g, &info) < 0) {
    st = tn_fail(ANI_ERR(r), TN_STATUS_IO, "%s: /%s: cannot list the group", r->path, gpath);
    goto fail;
  }
  for (hsize_t k = 0; k < info.nlinks; k++) {
    if (!(name = link_name(g, k))) {
      st = tn_fail(ANI_ERR(r), TN_STATUS_IO, "%s: /%s: cannot read link %llu", r->path, gpath,
                   (unsigned long long)k);
      goto fail;
    }
    size_t need = strlen(gpath) + strlen(name) + 2;
    if (!(path = malloc(need))) {
      st = tn_fail(ANI_ERR(r), TN_STATUS_NO_MEMORY, "%s: out of memory", r->path);
      goto fail;
    }
    snprintf(path, need, "%s%s%s", gpath, gpath[0] ? "/" : "", name);
    if (open_if_group(g, name, &child) < 0) {
      st = tn_fail(ANI_ERR(r), TN_STATUS_BAD_INPUT, "%s: /%s: cannot open (a dangling link?)",
                   r->path, path);
      goto fail;
    }
    if (child >= 0) {
      if (depth == 1 || is_molecule(child))
        st = read_molecule(r, child, path);
      else
        st = read_group(r, child, path, depth + 1);
      H5Gclose(child);
      child = H5I_INVALID_HID;
      if (st != TN_STATUS_OK) goto fail;
    }
    free(name);
    free(path);
    name = path = NULL;
  }
fail:
  free(name);
  free(path);
  return st;
}

tn_status ani_read(tn_dataset *ds, const char *path, const tn_read_options *opt) {
  TN_ASSERT(ds && path && opt && opt->energy_unit != 0.0 && opt->length_unit != 0.0);
  ani_reader r = {ds, path, opt->energy_unit, opt->length_unit, 0};
  tn_status st = TN_STATUS_OK;
  hid_t file = H5I_INVALID_HID, root = H5I_INVALID_HID;
  H5E_auto2_t old_fn = NULL;
  void *old_data = NULL;
  int restore = H5Eget_auto2(H5E_DEFAULT, &old_fn, &old_data) >= 0;
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);

  /* fopen first, for the system's reason when the file cannot be opened. */
  FILE *probe = fopen(path, "rb");
  if (!probe) {
    st = tn_fail(ANI_ERR(&r), TN_STATUS_IO, "%s: cannot open: %s", path, strerror(errno));
    goto fail;
  }
  fclose(probe);
  htri_t is_hdf5 = H5Fis_hdf5(path);
  if (is_hdf5 <= 0) {
    st = is_hdf5 == 0 ? tn_fail(ANI_ERR(&r), TN_STATUS_BAD_INPUT, "%s: not an HDF5 file", path)
                      : tn_fail(ANI_ERR(&r), TN_STATUS_IO, "%s: cannot be read as HDF5", path);
    goto fail;
  }
  if ((file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT)) < 0 ||
      (root = H5Gopen2(file, "/", H5P_DEFAULT)) < 0) {
    st = tn_fail(ANI_ERR(&r), TN_STATUS_IO, "%s: cannot open as HDF5", path);
    goto fail;
  }
  if ((st = read_group(&r, root, "", 0)) != TN_STATUS_OK) goto fail;
  if (r.n_molecules == 0)
    st = tn_fail(ANI_ERR(&r), TN_STATUS_NOT_FOUND,
                 "%s: no molecule groups (expected /<group>/<molecule>/coordinates)", path);
fail:
  if (root >= 0) H5Gclose(root);
  if (file >= 0) H5Fclose(file);
  if (restore) H5Eset_auto2(H5E_DEFAULT, old_fn, old_data);
  return st;
}
