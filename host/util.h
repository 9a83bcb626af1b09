/*
 * util.h — small helpers shared by libxpnn's sources (internal; not part of xpnn.h).
 */
#ifndef XPNN_UTIL_H
#define XPNN_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

/* Format into a caller's error buffer (err may be NULL). */
__attribute__((format(printf, 3, 4))) static inline void xpnn_errf(char *err, size_t errlen,
								    const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* splitmix64: a seeded stream (shuffles, and the seeding of the twin's xoshiro256**). */
static inline uint64_t xpnn_splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* Monotonic milliseconds, for deadlines. */
static inline int64_t xpnn_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif /* XPNN_UTIL_H */
