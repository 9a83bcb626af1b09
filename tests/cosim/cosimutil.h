// cosimutil.h — what the co-simulation harnesses share: their seeded randomness (splitmix64;
// the board's own randomness is Threefry, numerics §4) and the XP_SEED convention.
#ifndef XP_COSIMUTIL_H
#define XP_COSIMUTIL_H

#include <cstdint>
#include <cstdlib>

static uint64_t rs = 1;

static inline uint64_t rnd64() {
    uint64_t z = (rs += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline unsigned rndu(unsigned n) { return (unsigned)(rnd64() % n); }

// XP_SEED from the environment (default 1); the stream starts from seed * mul + add, so that
// each harness draws its own numbers for the same seed.
static inline uint64_t cosim_seed(uint64_t mul, uint64_t add) {
    const char *e = getenv("XP_SEED");
    uint64_t seed = e && *e ? strtoull(e, nullptr, 10) : 1;
    rs = seed * mul + add;
    return seed;
}

#endif
