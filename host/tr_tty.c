/*
 * tr_tty.c — the tty:DEVICE[@BAUD[,rtscts]] transport: an FPGA board's UART through a serial
 * port (the FT2232H's second interface as /dev/ttyUSBn under the ftdi_sio driver), or a
 * pseudo-terminal served by `xpnn serve --pty`.
 *
 * Any baud rate the driver accepts, not only the Bnnn constants: Linux's termios2 with BOTHER
 * (ioctl TCGETS2/TCSETS2). <asm/termbits.h>, which declares struct termios2, clashes with
 * glibc's <termios.h>, so this file uses the kernel's header alone and does what cfmakeraw()
 * and tcflush() would do with the same ioctls.
 *
 * The fd stays non-blocking so that every wait is a poll() with a deadline: a board that
 * stops answering costs the link layer its timeout, never a hang.
 */
#include <asm/termbits.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "util.h"
#include "xpnn.h"

#define TTY_BAUD_DEFAULT 3000000u /* the iCEBreaker's FT2232H UART (docs/boards.md) */
#define TTY_BAUD_MIN 300u
#define TTY_BAUD_MAX 12000000u    /* the FT2232H's limit */
#define TTY_BAUD_SLACK_PCT 2      /* a driver may round to what its divider can do */
#define TTY_NAME_MAX 300
#define TTY_PTS_MAJOR_MIN 136     /* Unix98 pty slaves: majors 136 … 143 */
#define TTY_PTS_MAJOR_MAX 143
#define TTY_SYNTAX "the syntax is tty:DEVICE[@BAUD[,rtscts]], e.g. tty:/dev/ttyUSB1 (3000000 " \
		   "baud), tty:/dev/ttyUSB1@921600 or tty:/dev/ttyUSB1@3000000,rtscts"

struct tty_ctx {
	int fd;
	int excl;          /* TIOCEXCL set by us: cleared again at close */
	int rtscts;        /* hardware flow control: the board may hold us with CTS */
	struct termios2 saved; /* what the port was set to before us */
	char name[TTY_NAME_MAX]; /* "tty:SPEC" as the user wrote it, for messages */
};


/* ---- parsing DEVICE[@BAUD[,rtscts]] ---- */

/* Split spec into the device path (path, cap bytes), the baud and the options: NULL, or
 * what is wrong (in why, cap bytes). */
static int tty_parse(const char *spec, char *path, size_t cap, unsigned *baud, int *rtscts,
		     char *why, size_t whylen)
{
	const char *at = strrchr(spec, '@'), *p, *opt;
	size_t n = at ? (size_t)(at - spec) : strlen(spec);
	uint64_t v = 0;

	*baud = TTY_BAUD_DEFAULT;
	*rtscts = 0;
	if (!n) {
		snprintf(why, whylen, "the device is missing");
		return -1;
	}
	if (n >= cap) {
		snprintf(why, whylen, "the device path is too long (%zu characters)", n);
		return -1;
	}
	memcpy(path, spec, n);
	path[n] = 0;
	if (!at)
		return 0;
	p = at + 1;
	opt = strchr(p, ',');
	n = opt ? (size_t)(opt - p) : strlen(p);
	if (!n) {
		snprintf(why, whylen, "the baud rate after '@' is missing: want %u … %u, e.g. @%u",
			 TTY_BAUD_MIN, TTY_BAUD_MAX, TTY_BAUD_DEFAULT);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9') {
			snprintf(why, whylen, "baud '%.*s' is not a decimal number: want %u … %u, "
				 "e.g. @%u", (int)n, p, TTY_BAUD_MIN, TTY_BAUD_MAX,
				 TTY_BAUD_DEFAULT);
			return -1;
		}
		if (v <= TTY_BAUD_MAX)
			v = v * 10 + (uint64_t)(p[i] - '0');
	}
	if (v < TTY_BAUD_MIN || v > TTY_BAUD_MAX) {
		snprintf(why, whylen, "baud %.*s is out of range: legal range %u … %u", (int)n, p,
			 TTY_BAUD_MIN, TTY_BAUD_MAX);
		return -1;
	}
	*baud = (unsigned)v;
	while (opt) {
		p = opt + 1;
		opt = strchr(p, ',');
		n = opt ? (size_t)(opt - p) : strlen(p);
		/* flow=… as in ftdi:// port strings */
		if ((n == 6 && !memcmp(p, "rtscts", 6)) || (n == 11 && !memcmp(p, "flow=rtscts", 11))) {
			*rtscts = 1;
			continue;
		}
		if (n == 9 && !memcmp(p, "flow=none", 9)) {
			*rtscts = 0;
			continue;
		}
		snprintf(why, whylen, "unknown option '%.*s' after the baud rate: the only option is "
			 "rtscts (hardware flow control; also flow=rtscts or flow=none)", (int)n, p);
		return -1;
	}
	return 0;
}

/* ---- opening ---- */

static const char *open_hint(int e)
{
	switch (e) {
	case ENOENT:
	case ENODEV:
		return "no such device: is the board plugged in? (ls /dev/ttyUSB*); after "
		       "programming an FTDI board its ttyUSB can vanish until the driver is bound "
		       "again: see docs/boards.md";
	case EACCES:
	case EPERM:
		return "permission denied: add yourself to the dialout group (sudo usermod -aG "
		       "dialout $USER, then log in again) or install scripts/99-xpnn-ftdi.rules "
		       "(docs/boards.md)";
	case EBUSY:
		return "in use by another process (xpnn, screen, minicom…): close it; "
		       "fuser -v DEVICE shows who";
	case ENXIO:
		return "the port exists but no hardware answers behind it: check the device";
	case EIO:
		return "the device is gone: the board was unplugged, or the pty's server "
		       "(xpnn serve --pty) stopped";
	case ENOTTY:
		return "not a serial port: give the board's UART, e.g. /dev/ttyUSB1";
	default:
		return "check the device path";
	}
}

/* Raw 8N1 at baud (BOTHER: any rate), no flow control unless rtscts; what cfmakeraw() sets,
 * plus CLOCAL (no modem lines) and CREAD. VMIN = VTIME = 0: reads never wait (poll does). */
static void tty_make_raw(struct termios2 *t, unsigned baud, int rtscts)
{
	t->c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON |
				  IXOFF | IXANY | INPCK);
	t->c_oflag &= ~(tcflag_t)OPOST;
	t->c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	t->c_cflag &= ~(tcflag_t)(CSIZE | PARENB | CSTOPB | CRTSCTS | CBAUD | (CBAUD << IBSHIFT));
	t->c_cflag |= CS8 | CLOCAL | CREAD | BOTHER | (BOTHER << IBSHIFT);
	if (rtscts)
		t->c_cflag |= CRTSCTS;
	t->c_cc[VMIN] = 0;
	t->c_cc[VTIME] = 0;
	t->c_ispeed = baud;
	t->c_ospeed = baud;
}

/* A Unix98 pty slave outlives its user while the server holds the master, and so would a
 * TIOCEXCL left by a killed client: every later open by a non-root user would fail with
 * EBUSY. There flock alone guards the device. */
static int is_pty_slave(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) &&
	       major(st.st_rdev) >= TTY_PTS_MAJOR_MIN && major(st.st_rdev) <= TTY_PTS_MAJOR_MAX;
}

static int tty_open(xpnn_transport *t, const char *spec, char *err, size_t errlen)
{
	char path[TTY_NAME_MAX - 8], why[160];
	struct termios2 tio, got;
	struct tty_ctx *c;
	unsigned baud;
	int rtscts, e;

	if (!spec)
		spec = "";
	/* Tolerate the whole port string as well as the part after the scheme. */
	if (!strncmp(spec, "tty:", 4))
		spec += 4;
	if (tty_parse(spec, path, sizeof(path), &baud, &rtscts, why, sizeof(why))) {
		xpnn_errf(err, errlen, "bad port string \"tty:%s\": %s; %s", spec, why, TTY_SYNTAX);
		return XPNN_EPORT;
	}
	c = malloc(sizeof(*c));
	if (!c) {
		xpnn_errf(err, errlen, "tty:%s: out of memory", spec);
		return XPNN_EPORT;
	}
	snprintf(c->name, sizeof(c->name), "tty:%s", spec);
	c->excl = 0;
	c->rtscts = rtscts;
	/* O_NONBLOCK: do not wait for a carrier (a UART has none); O_NOCTTY: never become the
	 * controlling terminal, or a hangup would send us SIGHUP. */
	c->fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (c->fd < 0) {
		e = errno;
		xpnn_errf(err, errlen, "%s: cannot open %s: %s: %s", c->name, path, strerror(e),
			  open_hint(e));
		goto fail_free;
	}
	if (ioctl(c->fd, TCGETS2, &c->saved) < 0) {
		e = errno;
		if (e == ENOTTY || e == EINVAL)
			xpnn_errf(err, errlen, "%s: %s is not a serial port (%s): give the board's "
				  "UART, e.g. tty:/dev/ttyUSB1", c->name, path, strerror(e));
		else
			xpnn_errf(err, errlen, "%s: %s: cannot read its settings (TCGETS2): %s: %s",
				  c->name, path, strerror(e), open_hint(e));
		goto fail_close;
	}
	/* Two hosts on one board would interleave their frames: one xpnn at a time. flock
	 * covers every process that asks (xpnn; flock(1)); TIOCEXCL also keeps out programs
	 * that do not ask (screen, minicom), except root's. */
	if (flock(c->fd, LOCK_EX | LOCK_NB) < 0) {
		e = errno;
		if (e == EWOULDBLOCK)
			xpnn_errf(err, errlen, "%s: %s is in use by another process (it holds the "
				  "lock): close the other xpnn; fuser -v %s shows who", c->name, path,
				  path);
		else
			xpnn_errf(err, errlen, "%s: %s: cannot lock it: %s", c->name, path,
				  strerror(e));
		goto fail_close;
	}
	if (!is_pty_slave(c->fd)) {
		if (ioctl(c->fd, TIOCEXCL) < 0) {
			e = errno;
			xpnn_errf(err, errlen, "%s: %s: cannot get exclusive access (TIOCEXCL): %s",
				  c->name, path, strerror(e));
			goto fail_close;
		}
		c->excl = 1;
	}
	tio = c->saved;
	tty_make_raw(&tio, baud, rtscts);
	if (ioctl(c->fd, TCSETS2, &tio) < 0) {
		e = errno;
		xpnn_errf(err, errlen, "%s: %s: the driver refused %u baud 8N1%s: %s: try a "
			  "standard rate (3000000, 921600, 115200)", c->name, path, baud,
			  rtscts ? " with RTS/CTS" : "", strerror(e));
		goto fail_close;
	}
	/* Drivers round to what their divider can do, or ignore what they cannot: check. */
	if (ioctl(c->fd, TCGETS2, &got) < 0) {
		e = errno;
		xpnn_errf(err, errlen, "%s: %s: cannot read the settings back (TCGETS2): %s",
			  c->name, path, strerror(e));
		goto fail_restore;
	}
	if ((uint64_t)(got.c_ospeed > baud ? got.c_ospeed - baud : baud - got.c_ospeed) * 100 >
	    (uint64_t)baud * TTY_BAUD_SLACK_PCT) {
		xpnn_errf(err, errlen, "%s: %s: asked for %u baud, the driver set %u: it cannot "
			  "do that rate; try a standard one (3000000, 921600, 115200)", c->name,
			  path, baud, (unsigned)got.c_ospeed);
		goto fail_restore;
	}
	if ((got.c_cflag & CSIZE) != CS8 || (got.c_cflag & PARENB) ||
	    !!(got.c_cflag & CRTSCTS) != rtscts) {
		xpnn_errf(err, errlen, "%s: %s: the driver did not take 8N1%s (c_cflag %#o): "
			  "check the device", c->name, path, rtscts ? " with RTS/CTS" : "",
			  (unsigned)got.c_cflag);
		goto fail_restore;
	}
	/* Bytes that arrived before us (a previous session's replies, line noise) are not
	 * ours. */
	if (ioctl(c->fd, TCFLSH, TCIOFLUSH) < 0) {
		e = errno;
		xpnn_errf(err, errlen, "%s: %s: cannot flush (TCFLSH): %s", c->name, path,
			  strerror(e));
		goto fail_restore;
	}
	t->ctx = c;
	t->byte_ns = (uint32_t)((10ull * 1000000000ull + baud - 1) / baud); /* start, 8, stop */
	return XPNN_OK;

fail_restore:
	ioctl(c->fd, TCSETS2, &c->saved);
fail_close:
	if (c->excl)
		ioctl(c->fd, TIOCNXCL);
	close(c->fd); /* releases the lock too */
fail_free:
	free(c);
	return XPNN_EPORT;
}

/* ---- moving bytes ---- */

static const char *hangup_msg(void)
{
	return "the device hung up: the board was unplugged, or the pty's server "
	       "(xpnn serve --pty) stopped";
}

static int tty_write(xpnn_transport *t, const uint8_t *buf, size_t n, int timeout_ms,
		     char *err, size_t errlen)
{
	struct tty_ctx *c = t->ctx;
	size_t off;
	int hup, r = xpnn_fd_write(c->fd, buf, n, xpnn_deadline_after(timeout_ms), 1, &off, &hup);

	if (r > 0)
		return XPNN_OK;
	if (r == 0) {
		xpnn_errf(err, errlen,
			  "%s: write timed out after %d ms with %zu of %zu bytes sent: the "
			  "board is not reading%s", c->name, timeout_ms, off, n,
			  c->rtscts ? " (rtscts: it holds CTS off)" : "");
		return XPNN_ETIMEOUT;
	}
	if (hup)
		xpnn_errf(err, errlen, "%s: %s", c->name, hangup_msg());
	else
		xpnn_errf(err, errlen, "%s: write failed: %s%s%s", c->name, strerror(errno),
			  errno == EIO ? ": " : "", errno == EIO ? hangup_msg() : "");
	return XPNN_EIO;
}

static long tty_read(xpnn_transport *t, uint8_t *buf, size_t cap, int timeout_ms, char *err,
		     size_t errlen)
{
	struct tty_ctx *c = t->ctx;
	int eof;
	long n = xpnn_fd_read(c->fd, buf, cap, xpnn_deadline_after(timeout_ms), 1, &eof);

	if (n >= 0)
		return n;
	/* A non-blocking tty reads 0 only after a hangup; EIO is a device error too. */
	if (eof || errno == EIO)
		xpnn_errf(err, errlen, "%s: %s", c->name, hangup_msg());
	else
		xpnn_errf(err, errlen, "%s: read failed: %s", c->name, strerror(errno));
	return XPNN_EIO;
}

static void tty_close(xpnn_transport *t)
{
	struct tty_ctx *c = t->ctx;

	if (!c)
		return;
	/* TCSETS2, not the draining TCSETSW2: a board that holds CTS must not hang us here.
	 * Failures do not matter any more (a device that hung up). */
	ioctl(c->fd, TCSETS2, &c->saved);
	if (c->excl)
		ioctl(c->fd, TIOCNXCL);
	flock(c->fd, LOCK_UN);
	close(c->fd);
	free(c);
	t->ctx = NULL;
}

const xpnn_transport_ops xpnn_transport_tty = {
	.scheme = "tty",
	.usage = "tty:DEVICE[@BAUD[,rtscts]]: a serial port (default 3000000 baud, the "
		 "iCEBreaker's UART; 300 … 12000000; rtscts: hardware flow control), or a pty "
		 "of xpnn serve --pty",
	.open = tty_open,
	.write = tty_write,
	.read = tty_read,
	.close = tty_close,
};
