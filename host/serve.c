/*
 * serve.c — serve a byte-level board (the C board engine, or sim/'s Verilated RTL) on TCP,
 * for the tcp:// transport of another process (`xpnn serve`, xpnn-vboard), or on a new
 * pseudo-terminal for the tty: transport (`xpnn serve --pty`: the serial-port code path
 * of an FPGA board, through a real kernel tty, without the board).
 *
 * One client at a time: the protocol is stop and wait with one sequence-number space per
 * board, so two hosts interleaving commands would only confuse each other. Later clients
 * wait in the listen backlog until the current one leaves.
 *
 * Every wait is a poll() of at most SERVE_TICK_MS so that *o->stop, set from a signal
 * handler or another thread, is noticed promptly. No exit(), no output but o->log.
 */
/* posix_openpt, grantpt, unlockpt, ptsname are XSI. */
#define _XOPEN_SOURCE 700

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <termios.h>
#include <unistd.h>

#include "util.h"
#include "xpnn.h"

#define SERVE_TICK_MS 200
#define SERVE_BUF (64 * 1024) /* bytes moved per recv and per tx drain */
#define SERVE_BACKLOG 4
#define SERVE_ADDR_MAX 128    /* "[v6 address%scope]:port" */
#define SERVE_HOST_MAX 256    /* a DNS name is at most 253 characters */
#define SERVE_LINE 384
#define SERVE_PTY_IDLE_MS 10  /* poll period while no client holds the pty's slave */
#define SERVE_PATH_MAX 128    /* "/dev/pts/N" */

/* Why a client session ended. */
enum { CLIENT_LEFT, CLIENT_STOP };

__attribute__((format(printf, 2, 3))) static void serve_log(const xpnn_serve_opts *o,
							     const char *fmt, ...)
{
	char line[SERVE_LINE];
	va_list ap;

	if (!o->log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	o->log(o->log_ctx, line);
}

/* An atomic load: *stop may be set by another thread (with __atomic_store_n) as well as
 * by a signal handler of this one, and a plain read of it would then be a data race. */
static int stopped(const xpnn_serve_opts *o)
{
	return o->stop && __atomic_load_n(o->stop, __ATOMIC_RELAXED);
}

/* "HOST:PORT", IPv6 in brackets, as a user would pass it to tcp://. */
static void addr_str(const struct sockaddr *sa, socklen_t len, char *out, size_t cap)
{
	char host[SERVE_ADDR_MAX - 8], port[8];

	if (getnameinfo(sa, len, host, sizeof(host), port, sizeof(port),
			NI_NUMERICHOST | NI_NUMERICSERV)) {
		snprintf(out, cap, "?");
		return;
	}
	snprintf(out, cap, strchr(host, ':') ? "[%s]:%s" : "%s:%s", host, port);
}

static int set_nonblock_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* ---- listening ---- */

static const char *listen_hint(int e)
{
	switch (e) {
	case EADDRINUSE:
		return "another server has that port: choose another, or port 0 for any free one";
	case EACCES:
		return "ports below 1024 need privileges: choose a port above 1023";
	case EADDRNOTAVAIL:
		return "that address is not one of this machine's: try 127.0.0.1 or 0.0.0.0";
	default:
		return "check the listen address and port";
	}
}

/* Bind and listen on host:port (the first resolved address that works): the fd, or -1.
 * host may be an IPv6 address in brackets, as in tcp:// port strings. */
static int serve_listen(const char *spec, int port, char *err, size_t errlen)
{
	struct addrinfo hints = { 0 }, *res = NULL, *ai;
	char host[SERVE_HOST_MAX], portstr[8], where[SERVE_HOST_MAX + 16];
	int fd = -1, gai, e = EADDRNOTAVAIL, one = 1;
	size_t n = strlen(spec);

	if (n >= 2 && spec[0] == '[' && spec[n - 1] == ']') {
		spec++;
		n -= 2;
	}
	if (n >= sizeof(host)) {
		xpnn_errf(err, errlen, "cannot listen on \"%.40s...\": the address is too long",
			  spec);
		return -1;
	}
	memcpy(host, spec, n);
	host[n] = 0;
	snprintf(where, sizeof(where), strchr(host, ':') ? "[%s]:%d" : "%s:%d", host, port);
	snprintf(portstr, sizeof(portstr), "%d", port);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	gai = getaddrinfo(host, portstr, &hints, &res);
	if (gai) {
		xpnn_errf(err, errlen, "cannot listen on %s: cannot resolve \"%s\": %s: check the "
			  "listen address", where, host,
			  gai == EAI_SYSTEM ? strerror(errno) : gai_strerror(gai));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd < 0) {
			e = errno;
			continue;
		}
		/* A restarted server must not wait out TIME_WAIT of its last client. */
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (set_nonblock_cloexec(fd) == 0 && bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, SERVE_BACKLOG) == 0)
			break;
		e = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		xpnn_errf(err, errlen, "cannot listen on %s: %s: %s", where, strerror(e),
			  listen_hint(e));
	return fd;
}

/* Write "WHERE\n" (the TCP port, or the pty's slave path) to path so that a script can wait
 * for the file and then connect: via PATH.tmp and rename, a reader never sees half of it. */
static int write_port_file(const char *path, const char *where, char *err, size_t errlen)
{
	size_t n = strlen(path);
	char *tmp = malloc(n + 5), line[SERVE_PATH_MAX + 2];
	int fd, e, len = snprintf(line, sizeof(line), "%s\n", where), off = 0;
	ssize_t k;

	if (!tmp) {
		xpnn_errf(err, errlen, "port file %s: out of memory", path);
		return XPNN_ENOMEM;
	}
	memcpy(tmp, path, n);
	memcpy(tmp + n, ".tmp", 5);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		goto fail;
	while (off < len) {
		k = write(fd, line + off, (size_t)(len - off));
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			goto fail_close;
		off += (int)k;
	}
	if (fsync(fd) < 0)
		goto fail_close;
	k = close(fd);
	fd = -1;
	if (k < 0 || rename(tmp, path) < 0)
		goto fail;
	free(tmp);
	return XPNN_OK;

fail_close:
	e = errno;
	close(fd);
	errno = e;
fail:
	xpnn_errf(err, errlen, "port file %s: cannot write it (via %s): %s: check that its "
		  "directory exists and is writable", path, tmp, strerror(errno));
	unlink(tmp);
	free(tmp);
	return XPNN_EIO;
}

/* ---- one client ---- */

/* Send all n bytes to the client (pty: fd is the master): 0, or -1 with errno when it is
 * gone or *stop was set. */
static int send_all(const xpnn_serve_opts *o, int fd, int pty, const uint8_t *p, size_t n)
{
	struct pollfd pf = { .fd = fd, .events = POLLOUT };
	ssize_t k;

	while (n) {
		/* MSG_NOSIGNAL: a client that went away must end its session, not the server.
		 * (A tty raises no SIGPIPE.) */
		k = pty ? write(fd, p, n) : send(fd, p, n, MSG_NOSIGNAL);
		if (k >= 0) {
			p += k;
			n -= (size_t)k;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		/* The client is not reading: wait in ticks, so that stop still works. */
		if (stopped(o)) {
			errno = EINTR;
			return -1;
		}
		if (poll(&pf, 1, SERVE_TICK_MS) < 0 && errno != EINTR)
			return -1;
		/* A pty master whose slave nobody holds stays writable into the void, or
		 * not at all: either way the client is gone. */
		if (pty && (pf.revents & POLLHUP)) {
			errno = EIO;
			return -1;
		}
	}
	return 0;
}

/* Send every reply byte the board has queued. */
static int drain(const xpnn_served *board, const xpnn_serve_opts *o, int fd, int pty,
		 uint8_t *buf)
{
	size_t n;

	while ((n = board->tx(board->ctx, buf, SERVE_BUF)) > 0)
		if (send_all(o, fd, pty, buf, n) < 0)
			return -1;
	return 0;
}

/* Move bytes between the client and the board until the client leaves or *stop is set.
 * *why gets the reason of an abnormal end (empty for an orderly close). */
static int serve_client(const xpnn_served *board, const xpnn_serve_opts *o, int fd,
			uint8_t *buf, const char **why)
{
	struct pollfd pf = { .fd = fd, .events = POLLIN };
	ssize_t n;
	int r;

	*why = "";
	for (;;) {
		if (stopped(o))
			return CLIENT_STOP;
		r = poll(&pf, 1, SERVE_TICK_MS);
		if (r < 0 && errno != EINTR) {
			*why = strerror(errno);
			return CLIENT_LEFT;
		}
		if (r > 0) {
			n = recv(fd, buf, SERVE_BUF, 0);
			if (n == 0)
				return CLIENT_LEFT;
			if (n < 0 && errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
				*why = strerror(errno);
				return CLIENT_LEFT;
			}
			if (n > 0)
				board->rx(board->ctx, buf, (size_t)n);
		}
		/* Also on idle ticks: a board clocked in the background (RTL) may have
		 * finished a reply since the last rx. */
		if (drain(board, o, fd, 0, buf) < 0) {
			if (stopped(o))
				return CLIENT_STOP;
			*why = strerror(errno);
			return CLIENT_LEFT;
		}
	}
}

/* Accept one pending client: the fd (non-blocking), or -1 when there is none after all
 * (errno EAGAIN), it gave up meanwhile, or accept failed (errno). */
static int serve_accept(int lfd, char *peer, size_t cap)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd, one = 1;

	fd = accept(lfd, (struct sockaddr *)&ss, &len);
	if (fd < 0)
		return -1;
	if (set_nonblock_cloexec(fd) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	/* Replies are small and the host waits for each: no Nagle delay. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	addr_str((struct sockaddr *)&ss, len, peer, cap);
	return fd;
}

/* Errors of accept() that concern one client, not the listening socket. */
static int accept_transient(int e)
{
	return e == EINTR || e == EAGAIN || e == EWOULDBLOCK || e == ECONNABORTED ||
	       e == EPROTO || e == EPERM;
}

/* Accept and serve clients on lfd, which listens on where ("HOST:PORT"). */
static int serve_loop(const xpnn_served *board, const xpnn_serve_opts *o, int lfd,
		      const char *where, uint8_t *buf, char *err, size_t errlen)
{
	struct pollfd pf = { .fd = lfd, .events = POLLIN };
	char peer[SERVE_ADDR_MAX];
	const char *why;
	int fd, r, end;

	while (!stopped(o)) {
		r = poll(&pf, 1, SERVE_TICK_MS);
		if (r < 0 && errno != EINTR) {
			xpnn_errf(err, errlen, "serving on %s: poll: %s", where, strerror(errno));
			return XPNN_EIO;
		}
		if (r <= 0)
			continue;
		fd = serve_accept(lfd, peer, sizeof(peer));
		if (fd < 0) {
			if (accept_transient(errno))
				continue;
			xpnn_errf(err, errlen, "serving on %s: accept: %s%s", where,
				  strerror(errno), errno == EMFILE || errno == ENFILE ?
				  ": the process is out of file descriptors" : "");
			return XPNN_EIO;
		}
		/* Reply bytes a previous client left unread belong to its session. */
		while (board->tx(board->ctx, buf, SERVE_BUF) > 0)
			;
		serve_log(o, "client %s connected", peer);
		end = serve_client(board, o, fd, buf, &why);
		close(fd);
		if (end == CLIENT_STOP) {
			serve_log(o, "stopping: closed the connection of client %s", peer);
			return XPNN_OK;
		}
		serve_log(o, "client %s disconnected%s%s", peer, *why ? ": " : "", why);
		if (o->once)
			return XPNN_OK;
	}
	return XPNN_OK;
}

/* ---- serving on a pseudo-terminal ---- */

/* Create the pty (master non-blocking, slave raw) and put the slave's path in path: the
 * master's fd, or -1 with err filled. */
static int pty_create(char *path, size_t cap, char *err, size_t errlen)
{
	struct termios tio;
	const char *name, *step;
	int m, s, fl;

	m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0) {
		xpnn_errf(err, errlen, "cannot create a pseudo-terminal: posix_openpt: %s: is "
			  "devpts mounted on /dev/pts? (or serve on TCP: --listen)", strerror(errno));
		return -1;
	}
	step = "fcntl";
	fl = fcntl(m, F_GETFL);
	if (fl < 0 || fcntl(m, F_SETFL, fl | O_NONBLOCK) < 0 || fcntl(m, F_SETFD, FD_CLOEXEC) < 0)
		goto fail;
	step = "grantpt";
	if (grantpt(m) < 0)
		goto fail;
	step = "unlockpt";
	if (unlockpt(m) < 0)
		goto fail;
	step = "ptsname";
	name = ptsname(m);
	if (!name)
		goto fail;
	if (strlen(name) >= cap) {
		errno = ENAMETOOLONG;
		goto fail;
	}
	snprintf(path, cap, "%s", name);
	/* Termios requests on a master act on its slave: make the slave raw now, so that not
	 * one byte is translated or echoed before a client sets its own (raw) mode. The
	 * master's own line discipline is raw from the start. */
	step = "tcgetattr";
	if (tcgetattr(m, &tio) < 0)
		goto fail;
	cfmakeraw(&tio);
	tio.c_cflag |= CLOCAL | CREAD;
	step = "tcsetattr";
	if (tcsetattr(m, TCSANOW, &tio) < 0)
		goto fail;
	/* The master reports POLLHUP while no process holds the slave, but only once a slave
	 * has been closed: open and close it once, so that "no client yet" looks the same as
	 * "the last client left". */
	step = "opening the slave";
	s = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (s < 0)
		goto fail;
	close(s);
	return m;

fail:
	xpnn_errf(err, errlen, "cannot set up a pseudo-terminal: %s: %s", step, strerror(errno));
	close(m);
	return -1;
}

/* Serve the clients that open the slave of master m (path), one session after another.
 * A session is the time some process holds the slave: the master polls POLLHUP (and reads
 * EIO) while none does. Bytes of a session that opened and closed the slave within one
 * idle period are still served. */
static int serve_pty_loop(const xpnn_served *board, const xpnn_serve_opts *o, int m,
			  const char *path, uint8_t *buf, char *err, size_t errlen)
{
	struct pollfd pf = { .fd = m, .events = POLLIN };
	int client = 0, present, r;
	ssize_t n;

	while (!stopped(o)) {
		pf.revents = 0;
		r = poll(&pf, 1, SERVE_TICK_MS);
		if (r < 0 && errno != EINTR) {
			xpnn_errf(err, errlen, "serving on %s: poll: %s", path, strerror(errno));
			return XPNN_EIO;
		}
		if (r < 0)
			continue;
		if (pf.revents & (POLLERR | POLLNVAL)) {
			xpnn_errf(err, errlen, "serving on %s: the pty's master failed (poll revents "
				  "%#x)", path, (unsigned)pf.revents);
			return XPNN_EIO;
		}
		present = !(pf.revents & POLLHUP);
		if (pf.revents & POLLIN) {
			n = read(m, buf, SERVE_BUF);
			/* A client that left with bytes unread by us: serve them first. */
			if (n > 0)
				present = 1;
			if (n < 0 && errno != EINTR && errno != EAGAIN && errno != EIO) {
				xpnn_errf(err, errlen, "serving on %s: read: %s", path,
					  strerror(errno));
				return XPNN_EIO;
			}
			if (n > 0 || (present && !client)) {
				if (!client) {
					/* Replies a previous client left unread belong to
					 * its session. */
					while (board->tx(board->ctx, buf, SERVE_BUF) > 0)
						;
					serve_log(o, "client connected on %s", path);
					client = 1;
				}
				if (n > 0)
					board->rx(board->ctx, buf, (size_t)n);
			}
			if (n == 0 || (n < 0 && errno == EIO))
				present = 0;
		} else if (present && !client) {
			/* Someone opened the slave and has not written yet. */
			while (board->tx(board->ctx, buf, SERVE_BUF) > 0)
				;
			serve_log(o, "client connected on %s", path);
			client = 1;
		}
		/* Also on idle ticks: a board clocked in the background (RTL) may have finished
		 * a reply since the last rx. */
		if (client && drain(board, o, m, 1, buf) < 0 && stopped(o))
			break;
		if (present)
			continue;
		if (client) {
			serve_log(o, "client on %s disconnected", path);
			client = 0;
			if (o->once)
				return XPNN_OK;
		}
		/* POLLHUP stays set until the next client opens the slave: sleep, not spin. */
		poll(NULL, 0, SERVE_PTY_IDLE_MS);
	}
	if (client)
		serve_log(o, "stopping: a client still holds %s (it will read a hangup)", path);
	return XPNN_OK;
}

static int serve_pty(const xpnn_served *board, const xpnn_serve_opts *o, char *err,
		     size_t errlen)
{
	char path[SERVE_PATH_MAX];
	uint8_t *buf = NULL;
	int m, rc;

	m = pty_create(path, sizeof(path), err, errlen);
	if (m < 0)
		return XPNN_EPORT;
	serve_log(o, "serving on %s (a pty: --port tty:%s)", path, path);
	if (o->port_file) {
		rc = write_port_file(o->port_file, path, err, errlen);
		if (rc)
			goto out;
	}
	rc = XPNN_ENOMEM;
	buf = malloc(SERVE_BUF);
	if (!buf) {
		xpnn_errf(err, errlen, "serving on %s: out of memory", path);
		goto out;
	}
	rc = serve_pty_loop(board, o, m, path, buf, err, errlen);
out:
	free(buf);
	close(m); /* the slave's holder reads a hangup */
	return rc;
}

int xpnn_serve(const xpnn_served *board, const xpnn_serve_opts *o, char *err, size_t errlen)
{
	const char *host;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char bound[SERVE_ADDR_MAX];
	uint8_t *buf = NULL;
	int lfd, rc, port;

	if (!board || !board->rx || !board->tx || !o) {
		xpnn_errf(err, errlen, "xpnn_serve: no board or no options");
		return XPNN_EARG;
	}
	if (o->pty)
		return serve_pty(board, o, err, errlen);
	host = o->host && *o->host ? o->host : "127.0.0.1";
	if (o->port < 0 || o->port > 65535) {
		xpnn_errf(err, errlen, "cannot listen on %s:%d: the port is not in 0..65535 "
			  "(0: any free port)", host, o->port);
		return XPNN_EPORT;
	}
	lfd = serve_listen(host, o->port, err, errlen);
	if (lfd < 0)
		return XPNN_EPORT;
	rc = XPNN_EIO;
	if (getsockname(lfd, (struct sockaddr *)&ss, &len) < 0) {
		xpnn_errf(err, errlen, "listening on %s:%d: getsockname: %s", host, o->port,
			  strerror(errno));
		goto out;
	}
	addr_str((struct sockaddr *)&ss, len, bound, sizeof(bound));
	port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port) :
					 ntohs(((struct sockaddr_in *)&ss)->sin_port);
	serve_log(o, "listening on %s", bound);
	if (o->port_file) {
		char portstr[8];

		snprintf(portstr, sizeof(portstr), "%d", port);
		rc = write_port_file(o->port_file, portstr, err, errlen);
		if (rc)
			goto out;
	}
	rc = XPNN_ENOMEM;
	buf = malloc(SERVE_BUF);
	if (!buf) {
		xpnn_errf(err, errlen, "serving on %s: out of memory", bound);
		goto out;
	}
	rc = serve_loop(board, o, lfd, bound, buf, err, errlen);
out:
	free(buf);
	close(lfd);
	return rc;
}
