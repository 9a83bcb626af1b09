/*
 * testrng.h — the test programs' own randomness (splitmix64): inputs, weights and settings for
 * tests, vector generation and benchmarks. Not part of the spec; the board's randomness is
 * Threefry (docs/numerics.md §4). Each program owns one state variable `rs`.
 */
#ifndef XP_TESTRNG_H
#define XP_TESTRNG_H

#include <stdint.h>

static uint64_t rs;

static inline uint64_t rnd64(void)
{
	uint64_t z = (rs += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* Uniform-enough in 0 … n-1 for test data (n is small). */
static inline unsigned rndu(unsigned n) { return (unsigned)(rnd64() % n); }

#endif /* XP_TESTRNG_H */
