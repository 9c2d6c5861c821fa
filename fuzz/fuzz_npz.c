/* libFuzzer target for the npz reader (zip + npy + key mapping).
 *
 * Two modes, by the first byte:
 *   'P'   the input is the archive itself (zip-level fuzzing);
 *   else  the input is a list of arrays, each [key index: 1 byte][length:
 *         2 bytes little-endian][.npy image], which this target packs into a
 *         stored zip with correct CRCs, so that mutations reach the npy
 *         header parser and the key mapping instead of failing the CRC.
 * Every input must return a status without crashing, leaking or reading
 * outside the buffer; a failed read must leave a message. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <zlib.h>

#include "../src/io/io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const keys[] = {
    "z.npy",
    "R.npy",
    "E.npy",
    "F.npy",
    "Z.npy",
    "N.npy",
    "Q.npy",
    "D.npy",
    "coords.npy",
    "nuclear_charges.npy",
    "energies.npy",
    "forces.npy",
    "old_energies.npy",
    "old_forces.npy",
    "name.npy",
    "energy.npy",
};
#define N_KEYS      (sizeof keys / sizeof *keys)
#define MAX_ENTRIES 16

static void put_le(unsigned char *p, uint32_t v, int n) {
  for (int k = 0; k < n; k++) p[k] = (unsigned char)(v >> (8 * k));
}

/* Packs the arrays of `in` into a stored zip in out (which must hold
 * 2 * in_len + 128 * MAX_ENTRIES + 22 bytes). Returns the archive size. */
static size_t pack(unsigned char *out, const uint8_t *in, size_t in_len) {
  size_t off[MAX_ENTRIES], len[MAX_ENTRIES], at[MAX_ENTRIES];
  int key[MAX_ENTRIES], n = 0;
  size_t p = 1, o = 0;
  while (n < MAX_ENTRIES && p < in_len && in_len - p >= 3) {
    key[n] = in[p] % N_KEYS;
    size_t l = (size_t)in[p + 1] | ((size_t)in[p + 2] << 8);
    p += 3;
    if (l > in_len - p) l = in_len - p;
    off[n] = p;
    len[n] = l;
    p += l;
    n++;
  }
  for (int k = 0; k < n; k++) { /* local headers and data */
    size_t nl = strlen(keys[key[k]]);
    uint32_t crc = (uint32_t)crc32(0, in + off[k], (uInt)len[k]);
    at[k] = o;
    memset(out + o, 0, 30);
    put_le(out + o, 0x04034b50, 4);
    put_le(out + o + 14, crc, 4);
    put_le(out + o + 18, (uint32_t)len[k], 4);
    put_le(out + o + 22, (uint32_t)len[k], 4);
    put_le(out + o + 26, (uint32_t)nl, 2);
    memcpy(out + o + 30, keys[key[k]], nl);
    memcpy(out + o + 30 + nl, in + off[k], len[k]);
    o += 30 + nl + len[k];
  }
  size_t cd = o;
  for (int k = 0; k < n; k++) { /* central directory */
    size_t nl = strlen(keys[key[k]]);
    memset(out + o, 0, 46);
    put_le(out + o, 0x02014b50, 4);
    put_le(out + o + 16, (uint32_t)crc32(0, in + off[k], (uInt)len[k]), 4);
    put_le(out + o + 20, (uint32_t)len[k], 4);
    put_le(out + o + 24, (uint32_t)len[k], 4);
    put_le(out + o + 28, (uint32_t)nl, 2);
    put_le(out + o + 42, (uint32_t)at[k], 4);
    memcpy(out + o + 46, keys[key[k]], nl);
    o += 46 + nl;
  }
  memset(out + o, 0, 22);
  put_le(out + o, 0x06054b50, 4);
  put_le(out + o + 8, (uint32_t)n, 2);
  put_le(out + o + 10, (uint32_t)n, 2);
  put_le(out + o + 12, (uint32_t)(o - cd), 4);
  put_le(out + o + 16, (uint32_t)cd, 4);
  return o + 22;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tn_dataset *ds = tn_dataset_create();
  if (!ds) return 0;
  tn_read_options opt = tn_read_options_default();
  opt.format = TN_FORMAT_NPZ;
  opt.energy_unit = tn_energy_unit("kcal/mol");
  opt.length_unit = 1.0;
  unsigned char *packed = NULL;
  const unsigned char *buf = data;
  size_t len = size;
  if (size > 0 && data[0] != 'P') {
    packed = malloc(2 * size + 128 * MAX_ENTRIES + 22);
    if (!packed) goto done;
    len = pack(packed, data, size);
    buf = packed;
  }
  tn_status st = npz_read_buffer(ds, "fuzz.npz", buf, len, &opt);
  if (st != TN_STATUS_OK) TN_ASSERT(ds->errmsg[0] != '\0');
done:
  free(packed);
  tn_dataset_free(ds);
  return 0;
}
