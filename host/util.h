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

/* Monotonic milliseconds, for deadlines. */
static inline int64_t xpnn_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif /* XPNN_UTIL_H */
