/*
 * tr_tcp.c — the tcp://HOST:PORT transport: a board served on TCP by `xpnn serve`
 * (host/serve.c) or xpnn-vboard (sim/).
 *
 * The socket stays non-blocking after connect so that every wait is a poll() with a
 * deadline: a board that stops answering costs the link layer its timeout, never a hang.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "util.h"
#include "xpnn.h"

#define TCP_CONNECT_MS 3000 /* whole connect, every resolved address included */
#define TCP_HOST_MAX 256    /* a DNS name is at most 253 characters */
#define TCP_NAME_MAX 300
#define TCP_SYNTAX "the syntax is tcp://HOST:PORT, e.g. tcp://127.0.0.1:5555, " \
		   "tcp://[::1]:5555 or tcp://localhost:5555"

struct tcp_ctx {
	int fd;
	char name[TCP_NAME_MAX]; /* "tcp://SPEC" as the user wrote it, for messages */
};

/* ---- parsing HOST:PORT ---- */

static int host_char(int c, int bracketed)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return 1;
	if (bracketed)
		return c == ':' || c == '.' || c == '%'; /* [fe80::1%eth0] */
	return c == '.' || c == '-' || c == '_';
}

/* Split spec into host and a decimal port 1..65535: NULL, or what is wrong with spec. */
static const char *tcp_parse(const char *spec, char *host, char *port)
{
	const char *h = spec, *hend, *p;
	int bracketed = spec[0] == '[';
	unsigned long v = 0;

	if (!*spec)
		return "the address is empty";
	if (bracketed) {
		h = spec + 1;
		hend = strchr(h, ']');
		if (!hend)
			return "the '[' of an IPv6 address has no ']'";
		if (hend[1] != ':')
			return "expected :PORT after ']'";
		p = hend + 2;
	} else {
		p = strrchr(spec, ':');
		if (!p)
			return "the port is missing";
		hend = p++;
		if (memchr(h, ':', (size_t)(hend - h)))
			return "an IPv6 address must be in brackets, e.g. tcp://[::1]:5555";
	}
	if (hend == h)
		return "the host is missing";
	if (hend - h >= TCP_HOST_MAX)
		return "the host name is too long";
	for (const char *q = h; q < hend; q++)
		if (!host_char((unsigned char)*q, bracketed))
			return "the host has a character not allowed in a host name";
	if (!*p)
		return "the port is missing";
	for (const char *q = p; *q; q++) {
		if (*q < '0' || *q > '9')
			return "the port is not a decimal number";
		if (v <= 65535)
			v = v * 10 + (unsigned long)(*q - '0');
	}
	if (v < 1 || v > 65535)
		return "the port is not in 1..65535";
	memcpy(host, h, (size_t)(hend - h));
	host[hend - h] = 0;
	snprintf(port, 8, "%lu", v);
	return NULL;
}

/* ---- connecting ---- */

static int set_nonblock_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* Connect to one address before the deadline: the fd, or -1 with *e = the errno. */
static int tcp_connect_one(const struct addrinfo *ai, int64_t deadline, int *e)
{
	int fd, r, soerr = 0, one = 1;
	socklen_t sl = sizeof(soerr);

	fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
	if (fd < 0) {
		*e = errno;
		return -1;
	}
	if (set_nonblock_cloexec(fd) < 0)
		goto fail_errno;
	/* A non-blocking connect interrupted by a signal goes on in the background (POSIX),
	 * exactly like EINPROGRESS. */
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		if (errno != EINPROGRESS && errno != EINTR)
			goto fail_errno;
		r = xpnn_fd_wait(fd, POLLOUT, deadline);
		if (r < 0)
			goto fail_errno;
		if (r == 0) {
			*e = ETIMEDOUT;
			goto fail;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
			goto fail_errno;
		if (soerr) {
			*e = soerr;
			goto fail;
		}
	}
	/* Requests are small and the link waits for each reply: Nagle would add up to 40 ms
	 * per command. Failing to set it only costs speed. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;

fail_errno:
	*e = errno;
fail:
	close(fd);
	return -1;
}

static const char *connect_hint(int e)
{
	switch (e) {
	case ECONNREFUSED:
		return "is `xpnn serve` or xpnn-vboard running on that port?";
	case ETIMEDOUT:
		return "no answer within 3 s: is the host up and the port not firewalled?";
	case EHOSTUNREACH:
	case ENETUNREACH:
	case EADDRNOTAVAIL:
		return "check the host address and the network";
	default:
		return "check the host and the port";
	}
}

static int tcp_open(xpnn_transport *t, const char *spec, char *err, size_t errlen)
{
	char host[TCP_HOST_MAX], port[8];
	const char *why;
	struct addrinfo hints = { 0 }, *res = NULL, *ai;
	struct tcp_ctx *c;
	int64_t deadline;
	int gai, e = ECONNREFUSED;

	if (!spec)
		spec = "";
	/* Tolerate the whole port string as well as the part after the scheme. */
	if (!strncmp(spec, "tcp://", 6))
		spec += 6;
	why = tcp_parse(spec, host, port);
	if (why) {
		xpnn_errf(err, errlen, "bad port string \"tcp://%s\": %s; %s", spec, why,
			TCP_SYNTAX);
		return XPNN_EPORT;
	}
	c = malloc(sizeof(*c));
	if (!c) {
		xpnn_errf(err, errlen, "tcp://%s: out of memory", spec);
		return XPNN_EPORT;
	}
	snprintf(c->name, sizeof(c->name), "tcp://%s", spec);

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	gai = getaddrinfo(host, port, &hints, &res);
	if (gai) {
		xpnn_errf(err, errlen, "%s: cannot resolve host \"%s\": %s: check the host name",
			c->name, host, gai == EAI_SYSTEM ? strerror(errno) : gai_strerror(gai));
		goto fail;
	}
	/* "localhost" may give ::1 and 127.0.0.1 while the server listens on one of them:
	 * try each address in turn, all within one deadline. */
	deadline = xpnn_now_ms() + TCP_CONNECT_MS;
	c->fd = -1;
	for (ai = res; ai && c->fd < 0; ai = ai->ai_next)
		c->fd = tcp_connect_one(ai, deadline, &e);
	freeaddrinfo(res);
	if (c->fd < 0) {
		xpnn_errf(err, errlen, "%s: cannot connect: %s: %s", c->name, strerror(e),
			connect_hint(e));
		goto fail;
	}
	t->ctx = c;
	t->byte_ns = 0;
	return XPNN_OK;

fail:
	free(c);
	return XPNN_EPORT;
}

/* ---- moving bytes ---- */

static int tcp_write(xpnn_transport *t, const uint8_t *buf, size_t n, int timeout_ms,
		     char *err, size_t errlen)
{
	struct tcp_ctx *c = t->ctx;
	size_t off;
	int hup, r = xpnn_fd_write(c->fd, buf, n, xpnn_deadline_after(timeout_ms), 0, &off, &hup);

	if (r > 0)
		return XPNN_OK;
	if (r == 0) {
		xpnn_errf(err, errlen,
			"%s: write timed out after %d ms with %zu of %zu bytes sent: "
			"the board is not reading", c->name, timeout_ms, off, n);
		return XPNN_ETIMEOUT;
	}
	xpnn_errf(err, errlen, "%s: write failed: %s%s", c->name, strerror(errno),
		errno == EPIPE || errno == ECONNRESET ? ": the board closed the connection" : "");
	return XPNN_EIO;
}

static long tcp_read(xpnn_transport *t, uint8_t *buf, size_t cap, int timeout_ms, char *err,
		     size_t errlen)
{
	struct tcp_ctx *c = t->ctx;
	int eof;
	long n = xpnn_fd_read(c->fd, buf, cap, xpnn_deadline_after(timeout_ms), 0, &eof);

	if (n >= 0)
		return n;
	if (eof)
		xpnn_errf(err, errlen, "%s: the board closed the connection: did the server stop or "
			  "restart?", c->name);
	else
		xpnn_errf(err, errlen, "%s: read failed: %s", c->name, strerror(errno));
	return XPNN_EIO;
}

static void tcp_close(xpnn_transport *t)
{
	struct tcp_ctx *c = t->ctx;

	if (!c)
		return;
	close(c->fd);
	free(c);
	t->ctx = NULL;
}

const xpnn_transport_ops xpnn_transport_tcp = {
	.scheme = "tcp",
	.usage = "tcp://HOST:PORT",
	.open = tcp_open,
	.write = tcp_write,
	.read = tcp_read,
	.close = tcp_close,
};
