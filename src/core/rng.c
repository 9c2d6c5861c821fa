/* xoshiro256** (Blackman & Vigna, 2018), seeded through splitmix64, so that
 * any 64-bit seed gives a well-mixed state. */
#include <math.h>

#include "core.h"

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void tn_rng_seed(tn_rng *rng, uint64_t seed) {
  uint64_t x = seed;
  for (int k = 0; k < 4; k++) rng->s[k] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t tn_rng_next(tn_rng *rng) {
  uint64_t *s = rng->s;
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

double tn_rng_uniform(tn_rng *rng) { return (double)(tn_rng_next(rng) >> 11) * 0x1.0p-53; }

/* Box-Muller without caching the second value, so the stream of draws does
 * not depend on how many normals were asked for before. */
double tn_rng_normal(tn_rng *rng) {
  double u1 = 1.0 - tn_rng_uniform(rng); /* (0, 1]: log stays finite */
  double u2 = tn_rng_uniform(rng);
  return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}
