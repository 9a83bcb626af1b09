/*
 * util.h — small helpers shared by libxpnn's sources (internal; not part of xpnn.h).
 */
#ifndef XPNN_UTIL_H
#define XPNN_UTIL_H

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

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

/* Deadlines of the transports: a negative timeout means none (-1), as for poll(2). */
static inline int64_t xpnn_deadline_after(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : xpnn_now_ms() + timeout_ms;
}

/* Milliseconds left until the deadline, for poll(2): -1 for none, 0 when it has passed. */
static inline int xpnn_ms_until(int64_t deadline)
{
	int64_t left;

	if (deadline < 0)
		return -1;
	left = deadline - xpnn_now_ms();
	return left < 0 ? 0 : left > INT32_MAX ? INT32_MAX : (int)left;
}

/* Wait for ev on fd until the deadline: the revents (> 0; an error or hangup to collect
 * counts as ready), 0 timed out, -1 poll failed (errno). A signal only shortens the current
 * poll, not the deadline. */
static inline int xpnn_fd_wait(int fd, short ev, int64_t deadline)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = ev };
		int r = poll(&p, 1, xpnn_ms_until(deadline));

		if (r > 0)
			return p.revents ? p.revents : ev;
		if (r == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

/* Read what has arrived on the non-blocking fd (a socket or a tty), waiting until the deadline
 * for the first byte. Returns the bytes read (> 0), 0 when the deadline passed, or -1: *eof = 1
 * at the end of the stream (a 0-byte read; with hup_only, only when poll also saw a hangup, as
 * a tty's 0-byte read without one is spurious), else *eof = 0 and errno says why. Bytes already
 * read are handed out first; the next call reports the end. */
static inline long xpnn_fd_read(int fd, uint8_t *buf, size_t cap, int64_t deadline, int hup_only,
				int *eof)
{
	size_t got = 0;

	*eof = 0;
	if (!cap)
		return 0;
	for (;;) {
		int r = xpnn_fd_wait(fd, POLLIN, deadline);

		if (r <= 0)
			return r;
		/* Take what has arrived, without waiting for more. */
		while (got < cap) {
			ssize_t k = read(fd, buf + got, cap - got);

			if (k > 0) {
				got += (size_t)k;
				continue;
			}
			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				break;
			if (k == 0 && hup_only && !(r & (POLLHUP | POLLERR)))
				break;
			if (got)
				return (long)got;
			*eof = k == 0;
			return -1;
		}
		if (got)
			return (long)got;
		/* Readable but nothing there (a spurious wakeup): wait out the rest. */
	}
}

/* Write all n bytes to the non-blocking fd, waiting for room until the deadline: a socket
 * (tty 0) with send() and MSG_NOSIGNAL, so that a peer gone away gives EPIPE and does not kill
 * the host; a tty (tty 1) with write(), where poll's hangup without room to write is the end.
 * Returns 1 when all are written, 0 when the deadline passed, -1 on an error: *hup = 1 for
 * that hangup, else *hup = 0 and errno says why (poll's or the write's). *sent: bytes written. */
static inline int xpnn_fd_write(int fd, const uint8_t *buf, size_t n, int64_t deadline, int tty,
				size_t *sent, int *hup)
{
	*sent = 0;
	*hup = 0;
	while (*sent < n) {
		ssize_t k = tty ? write(fd, buf + *sent, n - *sent) :
				  send(fd, buf + *sent, n - *sent, MSG_NOSIGNAL);
		int r;

		if (k > 0) {
			*sent += (size_t)k;
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		/* The output buffer is full (or the write gave 0): wait until it drains. */
		r = xpnn_fd_wait(fd, POLLOUT, deadline);
		if (r <= 0)
			return r;
		if (tty && (r & (POLLHUP | POLLERR)) && !(r & POLLOUT)) {
			*hup = 1;
			return -1;
		}
	}
	return 1;
}

#endif /* XPNN_UTIL_H */
