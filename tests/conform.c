/*
 * conform.c — xpnn-conform: the board protocol conformance suite (docs/protocol.md).
 *
 * Runs against any board behind any port: the in-process C board engine (--port model), the
 * Verilated RTL served on tcp://, a real FPGA. Geometry and limits come from the board's INFO,
 * never from the reference configuration, and conductances or outputs are only ever compared
 * with what the same board answered before (a duplicate against the original, a reset against
 * an earlier reset): the device parameters are board-private (protocol §4.1).
 *
 * Each check is a named test that prints "ok - name" or "FAIL - name: detail"; the exit status
 * is the number of failed checks (at most 100), 101 when the suite cannot run at all. Every
 * test draws its data from splitmix64 seeded by --seed and the test's name, so
 * "--seed S --only NAME" reproduces one test alone.
 *
 * Raw frames use the library's sequence numbers (xpnn_next_seq / xpnn_set_next_seq), so that
 * a later library command never repeats a remembered (seq, crc) by accident (protocol §3.2).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "testrng.h"
#include "xpnn.h"

#define EXIT_CANNOT_RUN 101
#define MAX_DETAIL 6
#define BOOT_LCG_A 1664525u /* protocol §3.3 */
#define BOOT_LCG_C 1013904223u
#define MAX_SAMPLE_TILES 8 /* tiles read back in full by the reset check */

/* ---- suite state ---- */

typedef struct conform {
	xpnn_board *b;
	xpnn_info info;    /* the session's INFO */
	uint32_t boot;     /* the boot id the board must be carrying now */
	uint64_t seed;
	int quick, verbose, timeout_ms;
	int model;         /* in-process model: created at open, lossless */
	int quiet_ms;      /* how long "nothing more comes" is waited for */
	/* scratch, sized from INFO */
	size_t pl_cap, body_cap, wire_cap, rx_cap;
	uint8_t *pl, *pl2; /* request payloads (pl_cap) */
	uint8_t *body;     /* hand-built request bodies (body_cap) */
	uint8_t *wire, *wire2; /* wire bytes (wire_cap) */
	uint8_t *dec;      /* reference decoder output (body_cap) */
	uint8_t *rx, *rx2; /* reply bodies (rx_cap) */
	/* the test running */
	int nfail;
	char detail[MAX_DETAIL][512];
	char skip[256];
	char note[256];
	/* power-up STATUS, taken right after open on a model board */
	int first_ok;
	xpnn_status first;
	uint64_t first_tries;
} conform;

/* A reply body as received: cmd, seq, status, boot_id, payload, crc. */
typedef struct reply {
	const uint8_t *body;
	size_t blen;
	uint8_t cmd, seq, status;
	uint32_t boot_id;
	const uint8_t *pl;
	size_t plen;
} reply;

static void fail(conform *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(conform *c, const char *fmt, ...)
{
	va_list ap;
	if (c->nfail < MAX_DETAIL) {
		va_start(ap, fmt);
		vsnprintf(c->detail[c->nfail], sizeof(c->detail[0]), fmt, ap);
		va_end(ap);
	}
	c->nfail++;
}

static void skip(conform *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void skip(conform *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->skip, sizeof(c->skip), fmt, ap);
	va_end(ap);
}

static void note(conform *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(conform *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->note, sizeof(c->note), fmt, ap);
	va_end(ap);
}

/* Hard checks return from the test (void) or the helper (int, -1); CHECK goes on. */
#define EXPECT(cond, ...)                                                                       \
	do {                                                                                    \
		if (!(cond)) {                                                                  \
			fail(c, __VA_ARGS__);                                                   \
			return;                                                                 \
		}                                                                               \
	} while (0)
#define EXPECTI(cond, ...)                                                                      \
	do {                                                                                    \
		if (!(cond)) {                                                                  \
			fail(c, __VA_ARGS__);                                                   \
			return -1;                                                              \
		}                                                                               \
	} while (0)
#define CHECK(cond, ...)                                                                        \
	do {                                                                                    \
		if (!(cond))                                                                    \
			fail(c, __VA_ARGS__);                                                   \
	} while (0)
/* A helper returning 0 / -1 (its failure is already recorded). */
#define DO(call)                                                                                \
	do {                                                                                    \
		if ((call) != 0)                                                                \
			return;                                                                 \
	} while (0)
#define DOI(call)                                                                               \
	do {                                                                                    \
		if ((call) != 0)                                                                \
			return -1;                                                              \
	} while (0)

static int lib(conform *c, int rc, const char *expr)
{
	if (rc == XPNN_OK)
		return 0;
	fail(c, "%s: %s: %s", expr, xpnn_rc_name(rc), xpnn_errmsg(c->b));
	return -1;
}
#define TRY(expr) DO(lib(c, (expr), #expr))
#define TRYI(expr) DOI(lib(c, (expr), #expr))

/* ---- little-endian fields, hex ---- */

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}
static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v);
	put16(p + 2, v >> 16);
}
static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}
static uint32_t get16(const uint8_t *p) { return p[0] | (uint32_t)p[1] << 8; }
static uint32_t get32(const uint8_t *p) { return get16(p) | get16(p + 2) << 16; }
static uint64_t get64(const uint8_t *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }

/* "01 02 …" of at most max bytes (then "… (n bytes)"), in one of four rotating buffers. */
static const char *hex(const uint8_t *p, size_t n, size_t max)
{
	static char bufs[4][400];
	static unsigned k;
	char *s = bufs[k++ % 4];
	size_t o = 0;
	s[0] = 0;
	for (size_t i = 0; i < n && i < max && o + 4 < sizeof(bufs[0]); i++)
		o += (size_t)snprintf(s + o, sizeof(bufs[0]) - o, i ? " %02X" : "%02X", p[i]);
	if (n > max)
		snprintf(s + o, sizeof(bufs[0]) - o, " … (%zu bytes)", n);
	return s;
}

static unsigned umin(unsigned a, unsigned b) { return a < b ? a : b; }

static uint32_t boot_next(uint32_t id) { return id * BOOT_LCG_A + BOOT_LCG_C; }

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;
	while (*s)
		h = (h ^ (uint8_t)*s++) * 0x100000001b3ull;
	return h;
}

/* A random byte that is 7E with probability about 1/p7e (never if p7e == 0). */
static uint8_t rnd_byte(unsigned p7e)
{
	if (p7e && rndu(p7e) == 0)
		return XP_DELIM;
	uint8_t v = (uint8_t)rnd64();
	return v == XP_DELIM ? 0x00 : v;
}

static void rnd_fill(uint8_t *p, size_t n, unsigned p7e)
{
	for (size_t i = 0; i < n; i++)
		p[i] = rnd_byte(p7e);
}

/* ---- reference framing, written from protocol §2 (independent of xp_frame.c) ---- */

static uint32_t ref_crc32c(const uint8_t *p, size_t n)
{
	uint32_t crc = 0xFFFFFFFFu;
	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
	}
	return ~crc;
}

/* E(body) of §2.3: a 7E ends a piece, 254 other bytes end a piece with code FF, every code
 * byte is (piece length + 1) ^ 7E. Returns the encoded length (delimiters not included). */
static size_t ref_encode(const uint8_t *in, size_t n, uint8_t *out)
{
	size_t o = 1, code = 0;
	unsigned run = 0;
	for (size_t i = 0; i < n; i++) {
		if (in[i] == XP_DELIM) {
			out[code] = (uint8_t)((run + 1) ^ XP_DELIM);
			code = o++;
			run = 0;
			continue;
		}
		out[o++] = in[i];
		if (++run == 254) {
			out[code] = 0xFF ^ XP_DELIM;
			code = o++;
			run = 0;
		}
	}
	out[code] = (uint8_t)((run + 1) ^ XP_DELIM);
	return o;
}

/* 7E E(body) 7E. */
static size_t ref_wire(const uint8_t *body, size_t n, uint8_t *out)
{
	out[0] = XP_DELIM;
	const size_t m = ref_encode(body, n, out + 1);
	out[1 + m] = XP_DELIM;
	return m + 2;
}

/* The decoder of §2.3 on the bytes between two delimiters (none of them 7E): returns the
 * decoded length (counting past cap), *incomplete if the frame ends inside a block. */
static size_t ref_decode(const uint8_t *e, size_t n, uint8_t *out, size_t cap, int *incomplete)
{
	size_t i = 0, len = 0;
	*incomplete = 0;
	while (i < n) {
		const unsigned k = e[i++] ^ XP_DELIM;
		for (unsigned j = 1; j < k; j++, i++, len++) {
			if (i >= n) {
				*incomplete = 1;
				return len;
			}
			if (len < cap)
				out[len] = e[i];
		}
		if (k < 0xFF && i < n) {
			if (len < cap)
				out[len] = XP_DELIM;
			len++;
		}
	}
	return len;
}

/* ---- replies ---- */

static const char *describe_payload(unsigned status, const uint8_t *p, size_t n)
{
	static char bufs[4][300];
	static unsigned k;
	char *s = bufs[k++ % 4];
	int ok = 1;
	switch (status) {
	case XP_RSP_CRC:
	case XP_RSP_LEN:
		ok = n == 8;
		if (ok)
			snprintf(s, sizeof(bufs[0]),
				 "got %" PRIu32 " (%08" PRIX32 ") want %" PRIu32 " (%08" PRIX32 ")",
				 get32(p), get32(p), get32(p + 4), get32(p + 4));
		break;
	case XP_RSP_FRAME:
		ok = n == 5;
		if (ok)
			snprintf(s, sizeof(bufs[0]), "reason %u length %" PRIu32, p[0],
				 get32(p + 1));
		break;
	case XP_RSP_RANGE:
		ok = n == 14;
		if (ok)
			snprintf(s, sizeof(bufs[0]),
				 "offset %" PRIu32 " value %" PRId32 " lo %" PRId32 " hi %" PRId32,
				 get16(p), (int32_t)get32(p + 2), (int32_t)get32(p + 6),
				 (int32_t)get32(p + 10));
		break;
	case XP_RSP_BATCH:
		ok = n == 8;
		if (ok)
			snprintf(s, sizeof(bufs[0]), "batch %" PRIu32 " max %" PRIu32, get32(p),
				 get32(p + 4));
		break;
	case XP_RSP_CONFLICT:
		ok = n == 8;
		if (ok)
			snprintf(s, sizeof(bufs[0]),
				 "offset %" PRIu32 " tile %" PRId32 " earlier %" PRIu32, get16(p),
				 (int32_t)get32(p + 2), get16(p + 6));
		break;
	default:
		ok = 0;
	}
	if (!ok)
		snprintf(s, sizeof(bufs[0]), "payload %s", n ? hex(p, n, 24) : "(none)");
	return s;
}

static const char *describe_body(const uint8_t *b, size_t n)
{
	static char bufs[2][400];
	static unsigned k;
	char *s = bufs[k++ % 2];
	if (n < XP_RSP_HDR + XP_CRC_LEN) {
		snprintf(s, sizeof(bufs[0]), "a %zu-byte body %s", n, hex(b, n, 16));
		return s;
	}
	snprintf(s, sizeof(bufs[0]), "cmd %02X seq %u %s boot %08" PRIX32 " %s", b[0], b[1],
		 xp_rsp_name(b[2]), get32(b + 3),
		 describe_payload(b[2], b + XP_RSP_HDR, n - XP_RSP_HDR - XP_CRC_LEN));
	return s;
}

static void parse_reply(const uint8_t *body, size_t n, reply *r)
{
	r->body = body;
	r->blen = n;
	r->cmd = body[0];
	r->seq = body[1];
	r->status = body[2];
	r->boot_id = get32(body + 3);
	r->pl = body + XP_RSP_HDR;
	r->plen = n - XP_RSP_HDR - XP_CRC_LEN;
}

/* ---- raw frames ---- */

static uint8_t new_seq(conform *c)
{
	const uint8_t s = xpnn_next_seq(c->b);
	xpnn_set_next_seq(c->b, (uint8_t)(s + 1));
	return s;
}

/* A new seq that can be written on the wire unencoded (not 7E), for hand-built wire bytes. */
static uint8_t new_wire_seq(conform *c)
{
	uint8_t s = new_seq(c);
	if (s == XP_DELIM)
		s = new_seq(c);
	return s;
}

static int raw_write(conform *c, const uint8_t *w, size_t n)
{
	TRYI(xpnn_raw_write(c->b, w, n));
	return 0;
}

/* A request encoded by the library (xpnn_encode_request). */
static int send_req(conform *c, uint8_t cmd, uint8_t seq, const void *pl, size_t len)
{
	const size_t n = xpnn_encode_request(cmd, seq, pl, len, c->wire);
	return raw_write(c, c->wire, n);
}

/* A body built by hand (any bytes), encoded by the reference encoder. */
static int send_body(conform *c, const uint8_t *body, size_t n)
{
	const size_t w = ref_wire(body, n, c->wire);
	return raw_write(c, c->wire, w);
}

/* cmd seq payload crc into c->body; returns the body length. */
static size_t build_body(conform *c, uint8_t cmd, uint8_t seq, const void *pl, size_t len)
{
	c->body[0] = cmd;
	c->body[1] = seq;
	if (len)
		memcpy(c->body + XP_REQ_HDR, pl, len);
	put32(c->body + XP_REQ_HDR + len, xp_crc32c(0, c->body, XP_REQ_HDR + len));
	return XP_REQ_HDR + len + XP_CRC_LEN;
}

/* The next frame from the board, into buf: a well-formed reply body (length, CRC) carrying
 * the boot id the board must have now. */
static int recv_frame(conform *c, uint8_t *buf, reply *r, const char *what)
{
	const long n = xpnn_raw_frame(c->b, buf, c->rx_cap, c->timeout_ms);
	EXPECTI(n >= 0, "%s: reading the reply: %s: %s", what, xpnn_rc_name((int)n),
		xpnn_errmsg(c->b));
	EXPECTI(n > 0, "%s: no reply within %d ms", what, c->timeout_ms);
	EXPECTI(n >= XP_RSP_HDR + XP_CRC_LEN,
		"%s: a %ld-byte reply body %s (at least 11: cmd seq status boot_id crc)", what, n,
		hex(buf, (size_t)n, 16));
	const uint32_t want = xp_crc32c(0, buf, (size_t)n - XP_CRC_LEN);
	const uint32_t got = get32(buf + n - XP_CRC_LEN);
	EXPECTI(got == want, "%s: reply CRC %08" PRIX32 ", computed %08" PRIX32 " over %s", what,
		got, want, hex(buf, (size_t)n, 16));
	parse_reply(buf, (size_t)n, r);
	EXPECTI(r->boot_id == c->boot,
		"%s: reply header boot_id %08" PRIX32 ", expected %08" PRIX32, what, r->boot_id,
		c->boot);
	return 0;
}

/* The next frame must be the reply to (cmd, seq). */
static int expect_reply(conform *c, uint8_t cmd, uint8_t seq, uint8_t *buf, reply *r,
			const char *what)
{
	DOI(recv_frame(c, buf, r, what));
	EXPECTI(r->cmd == (cmd | XP_REPLY_BIT) && r->seq == seq,
		"%s: expected the reply to cmd %02X seq %u, got %s", what, cmd, seq,
		describe_body(r->body, r->blen));
	return 0;
}

/* The reply to (cmd, seq) must be OK with a payload of plen bytes (any if plen < 0). */
static int expect_ok(conform *c, uint8_t cmd, uint8_t seq, uint8_t *buf, reply *r, long plen,
		     const char *what)
{
	DOI(expect_reply(c, cmd, seq, buf, r, what));
	EXPECTI(r->status == XP_RSP_OK, "%s: %s %s, expected OK", what, xp_rsp_name(r->status),
		describe_payload(r->status, r->pl, r->plen));
	EXPECTI(plen < 0 || r->plen == (size_t)plen,
		"%s: OK reply payload of %zu bytes, expected %ld", what, r->plen, plen);
	return 0;
}

/* A raw command that must succeed; r points into buf. */
static int raw_ok(conform *c, uint8_t cmd, const void *pl, size_t len, uint8_t *buf, reply *r,
		  long plen, const char *what)
{
	const uint8_t seq = new_seq(c);
	DOI(send_req(c, cmd, seq, pl, len));
	return expect_ok(c, cmd, seq, buf, r, plen, what);
}

/* Drop frames already waiting (left by an earlier failure); returns how many. A timeout of 0
 * would not poll the transport once the library's buffer is empty: quiet_ms ≥ 1. */
static int drain(conform *c)
{
	int k = 0;
	while (xpnn_raw_frame(c->b, c->rx, c->rx_cap, c->quiet_ms) > 0)
		k++;
	return k;
}

/* ---- library commands with the suite's bookkeeping ---- */

static int get_status(conform *c, xpnn_status *s)
{
	TRYI(xpnn_status_get(c->b, s));
	EXPECTI(xpnn_boot_id(c->b) == c->boot,
		"STATUS reply carries boot id %08" PRIX32 ", expected %08" PRIX32,
		xpnn_boot_id(c->b), c->boot);
	EXPECTI(s->tiles == c->info.tiles, "STATUS reports T = %u, INFO %u", s->tiles,
		c->info.tiles);
	return 0;
}

static int reset(conform *c)
{
	TRYI(xpnn_reset(c->b));
	c->boot = boot_next(c->boot);
	EXPECTI(xpnn_boot_id(c->b) == c->boot,
		"RESET reply boot id %08" PRIX32 ", expected %08" PRIX32
		" (old × 1664525 + 1013904223)", xpnn_boot_id(c->b), c->boot);
	return 0;
}

/* Everything but the link counters must be equal. */
static int same_state(conform *c, const xpnn_status *a, const xpnn_status *b, const char *what)
{
	EXPECTI(a->pulses == b->pulses, "%s: P %" PRIu64 " → %" PRIu64, what, a->pulses, b->pulses);
	EXPECTI(a->inferences == b->inferences, "%s: N %" PRIu64 " → %" PRIu64, what,
		a->inferences, b->inferences);
	EXPECTI(a->nseed == b->nseed, "%s: nseed %" PRIu64 " → %" PRIu64, what, a->nseed, b->nseed);
	EXPECTI(a->nlayers == b->nlayers && a->n_in == b->n_in && a->n_out == b->n_out &&
			a->n_all == b->n_all,
		"%s: network %u layers %u→%u (all %u) became %u layers %u→%u (all %u)", what,
		a->nlayers, a->n_in, a->n_out, a->n_all, b->nlayers, b->n_in, b->n_out, b->n_all);
	for (unsigned t = 0; t < c->info.tiles && t < XP_MAX_TILES; t++)
		EXPECTI(a->tile_pulses[t] == b->tile_pulses[t],
			"%s: pulses[%u] %" PRIu32 " → %" PRIu32, what, t, a->tile_pulses[t],
			b->tile_pulses[t]);
	return 0;
}

/* After an error reply (s0 taken just before the bad frame): state unchanged, nacks[status]
 * one more and the others unchanged, frames_ok one more for a valid frame (plus the STATUS's
 * own), duplicates unchanged. */
static int after_error(conform *c, const xpnn_status *s0, unsigned status, const char *what)
{
	xpnn_status s1;
	char w[200];
	const uint32_t valid = status > XP_RSP_FRAME;
	snprintf(w, sizeof(w), "after %s", what);
	DOI(get_status(c, &s1));
	DOI(same_state(c, s0, &s1, w));
	for (unsigned k = 1; k <= XP_RSP_MAX; k++) {
		const uint32_t want = s0->nacks[k] + (k == status);
		EXPECTI(s1.nacks[k] == want, "%s: nacks[%u] (%s) %" PRIu32 " → %" PRIu32
			", expected %" PRIu32, w, k, xp_rsp_name(k), s0->nacks[k], s1.nacks[k],
			want);
	}
	EXPECTI(s1.frames_ok == s0->frames_ok + valid + 1,
		"%s: frames_ok %" PRIu32 " → %" PRIu32 ", expected +%" PRIu32
		" (%s frame, then the STATUS itself)", w, s0->frames_ok, s1.frames_ok, valid + 1,
		valid ? "a valid" : "an invalid");
	EXPECTI(s1.duplicates == s0->duplicates, "%s: duplicates %" PRIu32 " → %" PRIu32, w,
		s0->duplicates, s1.duplicates);
	return 0;
}

static int check_err(conform *c, const reply *r, unsigned status, const uint8_t *want,
		     size_t wlen, const char *what)
{
	EXPECTI(r->status == status && r->plen == wlen && (!wlen || !memcmp(r->pl, want, wlen)),
		"%s: got %s %s, expected %s %s", what, xp_rsp_name(r->status),
		describe_payload(r->status, r->pl, r->plen), xp_rsp_name(status),
		describe_payload(status, want, wlen));
	return 0;
}

/* Send a request (library encoding) and expect exactly this error; then after_error. */
static int expect_err(conform *c, const char *what, uint8_t cmd, const void *pl, size_t len,
		      unsigned status, const uint8_t *want, size_t wlen)
{
	xpnn_status s0;
	reply r;
	DOI(get_status(c, &s0));
	const uint8_t seq = new_seq(c);
	DOI(send_req(c, cmd, seq, pl, len));
	DOI(expect_reply(c, cmd, seq, c->rx, &r, what));
	DOI(check_err(c, &r, status, want, wlen, what));
	return after_error(c, &s0, status, what);
}

/* Send wire bytes as they are; the next frame must be the error reply echoing (ecmd, eseq). */
static int expect_err_wire(conform *c, const char *what, const uint8_t *w, size_t n,
			   uint8_t ecmd, uint8_t eseq, unsigned status, const uint8_t *want,
			   size_t wlen)
{
	xpnn_status s0;
	reply r;
	DOI(get_status(c, &s0));
	DOI(raw_write(c, w, n));
	DOI(recv_frame(c, c->rx, &r, what));
	EXPECTI(r.cmd == (ecmd | XP_REPLY_BIT) && r.seq == eseq,
		"%s: expected a reply echoing cmd %02X seq %u, got %s", what,
		ecmd | XP_REPLY_BIT, eseq, describe_body(r.body, r.blen));
	DOI(check_err(c, &r, status, want, wlen, what));
	return after_error(c, &s0, status, what);
}

/* Expected error payloads (protocol §5). */
static size_t pl_len(uint8_t *p, uint32_t got, uint32_t want)
{
	put32(p, got);
	put32(p + 4, want);
	return 8;
}
static size_t pl_range(uint8_t *p, uint32_t off, int32_t v, int32_t lo, int32_t hi)
{
	put16(p, off);
	put32(p + 2, (uint32_t)v);
	put32(p + 6, (uint32_t)lo);
	put32(p + 10, (uint32_t)hi);
	return 14;
}
static size_t pl_frame(uint8_t *p, unsigned reason, uint32_t length)
{
	p[0] = (uint8_t)reason;
	put32(p + 1, length);
	return 5;
}
static size_t pl_conflict(uint8_t *p, uint32_t off, uint32_t tile, uint32_t earlier)
{
	put16(p, off);
	put32(p + 2, tile);
	put16(p + 6, earlier);
	return 8;
}

static int expect_len(conform *c, const char *what, uint8_t cmd, const void *pl, size_t len,
		      uint32_t want)
{
	uint8_t e[16];
	return expect_err(c, what, cmd, pl, len, XP_RSP_LEN, e, pl_len(e, (uint32_t)len, want));
}

static int expect_range(conform *c, const char *what, uint8_t cmd, const void *pl, size_t len,
			uint32_t off, int32_t v, int32_t lo, int32_t hi)
{
	uint8_t e[16];
	return expect_err(c, what, cmd, pl, len, XP_RSP_RANGE, e, pl_range(e, off, v, lo, hi));
}

/* The reply a board owes for the malformed or corrupted frame whose wire bytes between the
 * delimiters are seg (§2.4), into out; returns its body length, or 0 if the frame happens to
 * be valid (then its reply cannot be predicted). */
static size_t predict_bad(conform *c, const uint8_t *seg, size_t n, uint8_t *out)
{
	int inc;
	const size_t cap = c->body_cap;
	const size_t L = ref_decode(seg, n, c->dec, cap, &inc);
	const uint64_t lmax = (uint64_t)c->info.max_request + XP_REQ_HDR + XP_CRC_LEN;
	out[0] = (uint8_t)((L >= 1 ? c->dec[0] : 0xFF) | XP_REPLY_BIT);
	out[1] = L >= 2 ? c->dec[1] : 0;
	put32(out + 3, c->boot);
	size_t plen;
	if (L > lmax || inc || L < XP_REQ_HDR + XP_CRC_LEN) {
		out[2] = XP_RSP_FRAME;
		const unsigned reason = L > lmax ? XP_FRAME_LONG
					: inc    ? XP_FRAME_COBS
						 : XP_FRAME_SHORT;
		const uint32_t length = L > UINT32_MAX ? UINT32_MAX : (uint32_t)L;
		plen = pl_frame(out + XP_RSP_HDR, reason, length);
	} else {
		const uint32_t got = get32(c->dec + L - XP_CRC_LEN);
		const uint32_t want = xp_crc32c(0, c->dec, L - XP_CRC_LEN);
		if (got == want)
			return 0;
		out[2] = XP_RSP_CRC;
		plen = pl_len(out + XP_RSP_HDR, got, want);
	}
	put32(out + XP_RSP_HDR + plen, xp_crc32c(0, out, XP_RSP_HDR + plen));
	return XP_RSP_HDR + plen + XP_CRC_LEN;
}

/* ---- the test network, from INFO ---- */

typedef struct tnet {
	xp_netcfg cfg;
	xp_layer layers[2];
	uint16_t tiles[2];
	unsigned n_in, n_out, n_all;
	uint64_t seed;        /* nseed after setup_net */
	uint64_t P, N;        /* counters after setup_net */
} tnet;

/* One or two layers of one tile each (two if T ≥ 2 and max_layers ≥ 2): layer 0 on tile
 * T−1, layer 1 on tile 0, so that both ends of the tile range are used. */
static void tnet_make(const conform *c, tnet *n)
{
	const xpnn_info *I = &c->info;
	/* two layers: a 25-byte CONFIGURE; one vector of n_in must fit a RUN request */
	const int two = I->tiles >= 2 && I->max_layers >= 2 && I->max_request >= 25;
	const unsigned xfit = I->max_request > XP_RUN_HDR ? I->max_request - XP_RUN_HDR : 1;
	memset(n, 0, sizeof(*n));
	xp_layer *l0 = &n->layers[0], *l1 = &n->layers[1];
	l0->bias = I->rows >= 2;
	l0->n_in = (uint16_t)umin(umin(I->rows - l0->bias, 20), umin(I->max_width, xfit));
	l0->n_out = (uint16_t)umin(umin(I->cols, two ? umin(I->rows, 12) : 7), I->max_width);
	l0->act = two ? XP_ACT_RELU : XP_ACT_IDENTITY;
	l0->amul = 3;
	l0->ash = 1;
	l0->ntiles = 1;
	n->tiles[0] = (uint16_t)(I->tiles - 1);
	l0->tiles = &n->tiles[0];
	n->cfg.nlayers = 1;
	if (two) {
		l1->n_in = l0->n_out;
		l1->bias = l1->n_in + 1u <= I->rows;
		l1->n_out = (uint16_t)umin(umin(I->cols, 5), I->max_width);
		l1->act = XP_ACT_IDENTITY;
		l1->amul = 1;
		l1->ash = 0;
		l1->ntiles = 1;
		n->tiles[1] = 0;
		l1->tiles = &n->tiles[1];
		n->cfg.nlayers = 2;
	}
	n->cfg.layers = n->layers;
	n->n_in = l0->n_in;
	n->n_out = n->layers[n->cfg.nlayers - 1].n_out;
	n->n_all = l0->n_out + (two ? l1->n_out : 0);
}

/* CONFIGURE payload of cfg (§4.5); returns its length. */
static size_t cfg_payload(const xp_netcfg *cfg, uint8_t *p)
{
	size_t o = 1;
	p[0] = cfg->nlayers;
	for (unsigned l = 0; l < cfg->nlayers; l++) {
		const xp_layer *y = &cfg->layers[l];
		p[o] = y->act;
		p[o + 1] = y->bias;
		p[o + 2] = y->amul;
		p[o + 3] = y->ash;
		put16(p + o + 4, y->n_in);
		put16(p + o + 6, y->n_out);
		put16(p + o + 8, y->ntiles);
		o += 10;
		for (unsigned i = 0; i < y->ntiles; i++, o += 2)
			put16(p + o, y->tiles[i]);
	}
	return o;
}

static void rnd_inputs(const conform *c, uint8_t *x, size_t n)
{
	const unsigned xmax = (1u << c->info.dac_bits) - 1;
	for (size_t i = 0; i < n; i++)
		x[i] = (uint8_t)rndu(xmax + 1);
}

static void rnd_codes(const conform *c, uint8_t *k, size_t n)
{
	const unsigned cmax = (1u << c->info.code_bits) - 1;
	for (size_t i = 0; i < n; i++)
		k[i] = (uint8_t)rndu(cmax + 1);
}

/* Bmax of §4.9 for the configured shape. */
static uint32_t bmax_of(const conform *c, unsigned n_in, unsigned K)
{
	uint32_t m = c->info.max_batch;
	const uint32_t a = (c->info.max_request - XP_RUN_HDR) / n_in;
	const uint32_t b = (c->info.max_reply - XP_RUN_RSP_HDR) / (2 * K);
	if (a < m)
		m = a;
	if (b < m)
		m = b;
	return m;
}

/* An ADC shift that brings the typical column sums of a layer with nrows driven rows near
 * AMAX/4, from public geometry only: random codes give weights of σ ≈ 100 conductance LSB, so
 * |acc| ≈ √nrows · XMAX/2 · 100, and y ≈ acc / 2^shift with gain 1 (numerics §7). A guess:
 * outputs that clip everywhere would make comparisons of outputs weaker, never wrong. */
static unsigned adc_shift_for(const conform *c, unsigned nrows)
{
	const double xmax = (double)((1u << c->info.dac_bits) - 1);
	const double typ2 = (double)nrows * (xmax * 50) * (xmax * 50);
	double t = (double)(1u << (c->info.adc_bits - 1)) / 4;
	unsigned shift = 0;
	while (shift < XP_ADC_SHIFT_MAX && typ2 > t * t)
		shift++, t *= 2;
	return shift;
}

/* SET_ADC of every column of the test network's tiles: gain, adc_shift_for + dshift, offset. */
static int tnet_adc(conform *c, const tnet *n, unsigned gain, unsigned dshift, int offset)
{
	xp_adc adc[XP_MAX_COLS];
	for (unsigned l = 0; l < n->cfg.nlayers; l++) {
		const xp_layer *y = &n->layers[l];
		const unsigned sh =
			umin(adc_shift_for(c, y->n_in + y->bias) + dshift, XP_ADC_SHIFT_MAX);
		for (unsigned i = 0; i < c->info.cols && i < XP_MAX_COLS; i++)
			adc[i] = (xp_adc){ (uint8_t)gain, (uint8_t)sh, (int16_t)offset };
		TRYI(xpnn_set_adc(c->b, n->tiles[l], 0, c->info.cols, adc));
	}
	return 0;
}

/* A rectangle of at most want_nr × want_nc cells whose WRITE_CELLS fits one request. */
static void small_rect(const conform *c, unsigned want_nr, unsigned want_nc, unsigned *nr,
		       unsigned *nc)
{
	const uint32_t mr = c->info.max_request;
	const unsigned fit = mr >= 12 ? (unsigned)umin((mr - 10) / 2, 1u << 20) : 1;
	*nc = umin(umin(want_nc, c->info.cols), fit);
	*nr = umin(umin(want_nr, c->info.rows), fit / *nc);
}

/* RESET, CONFIGURE the test network, program its cells, SET_SEED, RUN a few vectors: a board
 * with every kind of state non-trivial, so that "nothing changed" means something. */
static int setup_net(conform *c, tnet *n)
{
	xpnn_shape sh;
	xpnn_status s;
	uint8_t x[3 * 32];
	int16_t out[3 * 8];
	DOI(reset(c));
	tnet_make(c, n);
	TRYI(xpnn_configure(c->b, &n->cfg, &sh));
	EXPECTI(sh.n_in == n->n_in && sh.n_out == n->n_out && sh.n_all == n->n_all,
		"CONFIGURE of the test network: shape %u/%u/%u, expected %u/%u/%u", sh.n_in,
		sh.n_out, sh.n_all, n->n_in, n->n_out, n->n_all);
	DOI(tnet_adc(c, n, 1, 0, 0));
	for (unsigned l = 0; l < n->cfg.nlayers; l++) {
		const xp_layer *y = &n->layers[l];
		const unsigned nr = y->n_in + y->bias, nc = y->n_out;
		uint8_t *k = c->pl2;
		rnd_codes(c, k, (size_t)2 * nr * nc);
		TRYI(xpnn_write_cells(c->b, y->tiles[0], 0, 0, nr, nc, k, NULL));
	}
	n->seed = rnd64() | 1;
	TRYI(xpnn_set_seed(c->b, n->seed));
	rnd_inputs(c, x, (size_t)3 * n->n_in);
	TRYI(xpnn_run(c->b, x, 3, 0, out, NULL));
	DOI(get_status(c, &s));
	n->P = s.pulses;
	n->N = s.inferences;
	EXPECTI(s.inferences == 3 && s.nseed == n->seed,
		"after SET_SEED and a RUN of 3: N %" PRIu64 " nseed %" PRIu64 ", expected 3 and %"
		PRIu64, s.inferences, s.nseed, n->seed);
	return 0;
}

/* One RUN frame through the library's link (xpnn_transact): outputs and n0. */
static int run_frame(conform *c, const uint8_t *x, unsigned batch, unsigned flags, unsigned n_in,
		     unsigned K, int16_t *out, uint64_t *n0)
{
	uint8_t h[XP_RUN_HDR];
	const uint8_t *rp;
	size_t rl;
	put16(h, batch);
	h[2] = (uint8_t)flags;
	const xpnn_iov iov[2] = { { h, sizeof(h) }, { x, (size_t)batch * n_in } };
	TRYI(xpnn_transact(c->b, XP_CMD_RUN, iov, 2, &rp, &rl));
	EXPECTI(rl == XP_RUN_RSP_HDR + (size_t)2 * batch * K,
		"RUN of %u (flags %u): reply payload %zu bytes, expected 11 + 2·%u·%u", batch,
		flags, rl, batch, K);
	EXPECTI(get16(rp) == batch && rp[2] == flags, "RUN reply echoes batch %" PRIu32
		" flags %u, expected %u, %u", get16(rp), rp[2], batch, flags);
	*n0 = get64(rp + 3);
	for (size_t i = 0; i < (size_t)batch * K; i++)
		out[i] = (int16_t)get16(rp + XP_RUN_RSP_HDR + 2 * i);
	return 0;
}

/* ================================ the checks ================================ */

/* 1. Framing primitives. */

static void t_crc32c(conform *c)
{
	static const struct {
		const char *name;
		uint8_t fill;
		size_t n;
		uint32_t want;
	} kat[] = {
		{ "empty", 0, 0, 0x00000000u },
		{ "32 zero bytes", 0x00, 32, 0x8A9136AAu },
		{ "32 FF bytes", 0xFF, 32, 0x62A8AB43u },
	};
	static uint8_t buf[70000];
	uint32_t v = xp_crc32c(0, "123456789", 9);
	CHECK(v == 0xE3069283u, "xp_crc32c(\"123456789\") = %08" PRIX32 ", expected E3069283", v);
	v = ref_crc32c((const uint8_t *)"123456789", 9);
	CHECK(v == 0xE3069283u, "the suite's own bitwise CRC-32C gives %08" PRIX32, v);
	for (size_t i = 0; i < sizeof(kat) / sizeof(kat[0]); i++) {
		memset(buf, kat[i].fill, kat[i].n);
		v = xp_crc32c(0, buf, kat[i].n);
		CHECK(v == kat[i].want, "xp_crc32c(%s) = %08" PRIX32 ", expected %08" PRIX32,
		      kat[i].name, v, kat[i].want);
	}
	/* iSCSI vectors (RFC 3720 B.4): 00 01 … 1F and 1F 1E … 00. */
	for (int i = 0; i < 32; i++)
		buf[i] = (uint8_t)i, buf[32 + i] = (uint8_t)(31 - i);
	v = xp_crc32c(0, buf, 32);
	CHECK(v == 0x46DD794Eu, "xp_crc32c(00 01 … 1F) = %08" PRIX32 ", expected 46DD794E", v);
	v = xp_crc32c(0, buf + 32, 32);
	CHECK(v == 0x113FDB5Cu, "xp_crc32c(1F 1E … 00) = %08" PRIX32 ", expected 113FDB5C", v);
	/* Against the bitwise reference at every alignment and length class, and continued. */
	rnd_fill(buf, sizeof(buf), 0);
	const int rounds = c->quick ? 100 : 600;
	for (int i = 0; i < rounds && c->nfail == 0; i++) {
		const size_t off = rndu(16);
		const size_t n = i % 10 == 9 ? rndu((unsigned)(sizeof(buf) - 16))
					     : i % 10 == 8 ? 24576 - 20 + rndu(40) : rndu(1100);
		const size_t k = n ? rndu((unsigned)n + 1) : 0;
		const uint32_t want = ref_crc32c(buf + off, n);
		const uint32_t got = xp_crc32c(0, buf + off, n);
		const uint32_t cont = xp_crc32c(xp_crc32c(0, buf + off, k), buf + off + k, n - k);
		CHECK(got == want, "xp_crc32c of %zu bytes at offset %zu = %08" PRIX32
		      ", bitwise reference %08" PRIX32, n, off, got, want);
		CHECK(cont == want, "xp_crc32c continued after %zu of %zu bytes = %08" PRIX32
		      ", expected %08" PRIX32, k, n, cont, want);
	}
}

/* Encode with xp_cobs_enc, fed in pieces of random size. */
static size_t lib_encode(const uint8_t *in, size_t n, uint8_t *out, int pieces)
{
	xp_cobs_enc e;
	xp_cobs_enc_init(&e, out);
	size_t i = 0;
	while (i < n) {
		size_t k = pieces ? 1 + rndu(300) : n - i;
		if (k > n - i)
			k = n - i;
		xp_cobs_enc_feed(&e, in + i, k);
		i += k;
	}
	return xp_cobs_enc_finish(&e, out);
}

/* Decode one wire frame with xp_cobs_dec fed in random pieces: 0 if it reported a frame. */
static int lib_decode(const uint8_t *w, size_t n, uint8_t *out, size_t cap, size_t *len,
		      int *incomplete)
{
	xp_cobs_dec d;
	xp_cobs_dec_init(&d, out, cap);
	size_t i = 0;
	while (i < n) {
		int done = 0;
		size_t k = 1 + rndu(64);
		if (k > n - i)
			k = n - i;
		const size_t used = xp_cobs_dec_feed(&d, w + i, k, &done, incomplete);
		i += used;
		if (done) {
			*len = d.len;
			return 0;
		}
	}
	return -1;
}

static void t_cobs(conform *c)
{
	enum { NB = 3 + 2 + 254 + 1 + 254 };
	uint8_t body[NB], want[NB + 8], got[NB + 8], dec[NB + 8];
	size_t n = 0, m = 0;
	int inc;

	/* body = 01 02 03 7E 7E X[254] 7E Y[254] (Y contains 00 bytes: ordinary data here).
	 * Pieces of X(body)+00: "01 02 03 00" k=4, "00" k=1, X k=FF, "00" k=1, Y k=FF, final
	 * "00" k=1 — the empty final piece after a 254-byte run (§2.3: 01, 7F after the XOR). */
	body[n++] = 0x01, body[n++] = 0x02, body[n++] = 0x03, body[n++] = XP_DELIM;
	body[n++] = XP_DELIM;
	want[m++] = 0x04 ^ XP_DELIM, want[m++] = 0x01, want[m++] = 0x02, want[m++] = 0x03;
	want[m++] = 0x01 ^ XP_DELIM;
	want[m++] = 0xFF ^ XP_DELIM;
	for (unsigned i = 0; i < 254; i++)
		body[n++] = want[m++] = (uint8_t)(0x80 | (i & 0x3F));
	body[n++] = XP_DELIM;
	want[m++] = 0x01 ^ XP_DELIM;
	want[m++] = 0xFF ^ XP_DELIM;
	for (unsigned i = 0; i < 254; i++)
		body[n++] = want[m++] = (uint8_t)(i % 0x7E);
	want[m++] = 0x01 ^ XP_DELIM;
	EXPECT(n == NB && m == NB + 3 && m == XP_COBS_MAX(n), "suite bug: known answer sizes");

	size_t k = ref_encode(body, n, got);
	EXPECT(k == m && memcmp(got, want, m) == 0, "suite bug: reference encoder disagrees with "
	       "the known answer: %s", hex(got, k, 12));
	for (int pieces = 0; pieces < 2; pieces++) {
		k = lib_encode(body, n, got, pieces);
		CHECK(k == m && memcmp(got, want, m) == 0,
		      "xp_cobs_enc%s: %zu bytes %s, expected %zu bytes %s",
		      pieces ? " (fed in pieces)" : "", k, hex(got, k, 12), m, hex(want, m, 12));
	}
	/* Small known answers: the empty body, a lone 7E, 253 / 254 / 255 bytes without 7E. */
	static const struct {
		size_t n;
		uint8_t fill;
		uint8_t head, tail;
		size_t len;
	} small[] = {
		{ 0, 0, 0x7F, 0x7F, 1 },
		{ 1, XP_DELIM, 0x7F, 0x7F, 2 },
		{ 253, 0x41, 0xFE ^ XP_DELIM, 0x41, 254 },
		{ 254, 0x41, 0xFF ^ XP_DELIM, 0x7F, 256 },
		{ 255, 0x41, 0xFF ^ XP_DELIM, 0x41, 257 },
	};
	/* §6: a body of B bytes encodes to at most B + ⌈(B+1)/254⌉ bytes, reached without 7E. */
	static const size_t worst[] = { 1, 252, 253, 254, 255, 507, 508, 509, 65542 };
	for (size_t i = 0; i < sizeof(worst) / sizeof(worst[0]); i++) {
		const size_t bn = worst[i] < c->pl_cap ? worst[i] : c->pl_cap;
		memset(c->pl, 0x11, bn);
		k = lib_encode(c->pl, bn, c->wire, 1);
		CHECK(k == bn + (bn + 1 + 253) / 254 && k <= XP_COBS_MAX(bn),
		      "xp_cobs_enc of %zu bytes without 7E: %zu bytes, §6 gives %zu", bn, k,
		      bn + (bn + 1 + 253) / 254);
	}
	for (size_t i = 0; i < sizeof(small) / sizeof(small[0]); i++) {
		memset(body, small[i].fill, small[i].n);
		k = lib_encode(body, small[i].n, got, 0);
		CHECK(k == small[i].len && got[0] == small[i].head && got[k - 1] == small[i].tail,
		      "xp_cobs_enc of %zu bytes %02X: %zu bytes %s, expected %zu bytes %02X … %02X",
		      small[i].n, small[i].fill, k, hex(got, k, 8), small[i].len, small[i].head,
		      small[i].tail);
	}
	if (c->nfail)
		return;

	/* xpnn_encode_request: byte-exact examples of protocol §7, then against the reference. */
	static const uint8_t info0[] = { 0x7E, 0x79, 0x01, 0x00, 0xA5, 0xEF, 0xC3, 0xE2, 0x7E };
	static const uint8_t seed42[] = { 0x7E, 0x71, 0x04, 0x01, 0x2A, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0xA9, 0xC8, 0xCD, 0xE9, 0x7E };
	uint8_t pl[16] = { 0x2A };
	k = xpnn_encode_request(XP_CMD_INFO, 0, NULL, 0, got);
	CHECK(k == sizeof(info0) && memcmp(got, info0, k) == 0,
	      "xpnn_encode_request(INFO, seq 0): %s, expected %s", hex(got, k, 20),
	      hex(info0, sizeof(info0), 20));
	k = xpnn_encode_request(XP_CMD_SET_SEED, 1, pl, 8, got);
	CHECK(k == sizeof(seed42) && memcmp(got, seed42, k) == 0,
	      "xpnn_encode_request(SET_SEED 42, seq 1): %s, expected %s", hex(got, k, 20),
	      hex(seed42, sizeof(seed42), 20));
	const size_t maxpl = umin(c->quick ? 600 : 1200, (unsigned)c->pl_cap);
	const int rounds = c->quick ? 50 : 300;
	static const unsigned p7e[] = { 0, 2, 8, 64, 256 };
	for (int i = 0; i < rounds && c->nfail == 0; i++) {
		const size_t len = rndu((unsigned)maxpl + 1);
		const uint8_t cmd = (uint8_t)(1 + rndu(9)), seq = (uint8_t)rnd64();
		rnd_fill(c->pl, len, p7e[rndu(5)]);
		if (i % 5 == 0) /* every 7E, or none: long runs and many pieces */
			memset(c->pl, i % 10 ? 0x7E : 0x11, len);
		const size_t bl = build_body(c, cmd, seq, c->pl, len);
		const size_t wl = ref_wire(c->body, bl, c->wire2);
		k = xpnn_encode_request(cmd, seq, c->pl, len, c->wire);
		CHECK(k == wl && memcmp(c->wire, c->wire2, k) == 0,
		      "xpnn_encode_request(cmd %02X, seq %u, %zu payload bytes): %zu wire bytes "
		      "%s, reference %zu bytes %s", cmd, seq, len, k, hex(c->wire, k, 12), wl,
		      hex(c->wire2, wl, 12));
	}
	if (c->nfail)
		return;

	/* The decoder the host shares with the board: round trips in pieces, and cut frames. */
	uint8_t *w = c->wire;
	for (int i = 0; i < rounds && c->nfail == 0; i++) {
		const size_t len =
			i < 8 ? (size_t)(i < 4 ? i : 250 + i) : rndu((unsigned)maxpl + 1);
		uint8_t *in = c->pl, *out = c->pl2;
		size_t dl = 0;
		rnd_fill(in, len, p7e[rndu(5)]);
		if (i % 7 == 3)
			memset(in, XP_DELIM, len);
		const size_t wl = ref_wire(in, len, w);
		CHECK(wl - 2 <= XP_COBS_MAX(len) && memchr(w + 1, XP_DELIM, wl - 2) == NULL,
		      "reference encoding of %zu bytes: %zu bytes, a 7E inside or over XP_COBS_MAX",
		      len, wl - 2);
		inc = -1;
		CHECK(lib_decode(w, wl, out, c->pl_cap, &dl, &inc) == 0 && !inc && dl == len &&
			      memcmp(in, out, len) == 0,
		      "xp_cobs_dec round trip of %zu bytes %s: %s%zu bytes%s", len,
		      hex(in, len, 8), inc == 1 ? "incomplete, " : "", dl,
		      dl == len && memcmp(in, out, len) ? ", different" : "");
		if (wl <= 3)
			continue;
		/* Cut before the closing delimiter, add one: compare with the reference decoder. */
		const size_t cut = 2 + rndu((unsigned)(wl - 3)); /* keep 7E and ≥ 1 byte */
		int rinc;
		const size_t rl = ref_decode(w + 1, cut - 1, c->dec, c->body_cap, &rinc);
		w[cut] = XP_DELIM;
		const size_t cmpn = rl < c->pl_cap ? rl : c->pl_cap;
		CHECK(lib_decode(w, cut + 1, out, c->pl_cap, &dl, &inc) == 0 && dl == rl &&
			      inc == rinc && memcmp(out, c->dec, cmpn) == 0,
		      "xp_cobs_dec of a frame cut after %zu of %zu encoded bytes: %zu bytes%s, "
		      "expected %zu%s", cut - 1, wl - 2, dl, inc ? " incomplete" : "", rl,
		      rinc ? " incomplete" : "");
	}
	/* Decoding the known answer (with extra delimiters: empty frames are skipped). */
	w[0] = w[1] = XP_DELIM;
	memcpy(w + 2, want, m);
	w[2 + m] = XP_DELIM;
	k = 0;
	CHECK(lib_decode(w, m + 3, dec, sizeof(dec), &k, &inc) == 0 && !inc && k == NB,
	      "xp_cobs_dec of the known answer: %zu bytes%s, expected %u", k,
	      inc ? " incomplete" : "", (unsigned)NB);
}

/* 2. Every command's OK reply. */

static void t_info(conform *c)
{
	reply r;
	const xpnn_info *s = &c->info;
	DO(raw_ok(c, XP_CMD_INFO, NULL, 0, c->rx, &r, XP_INFO_LEN, "INFO"));
	const uint8_t *p = r.pl;
	CHECK(memcmp(p, "XPNN", 4) == 0, "magic %s, expected 58 50 4E 4E (\"XPNN\")", hex(p, 4, 4));
	CHECK(get16(p + 4) == XP_PROTOCOL_VERSION, "protocol_version %" PRIu32 ", expected %d",
	      get16(p + 4), XP_PROTOCOL_VERSION);
	CHECK(get16(p + 6) == XP_NUMERICS_VERSION, "numerics_version %" PRIu32 ", expected %d",
	      get16(p + 6), XP_NUMERICS_VERSION);
	CHECK(p[9] == 0, "reserved byte 9 = %u, expected 0", p[9]);
	CHECK(get32(p + 16) == r.boot_id, "boot_id field %08" PRIX32 ", header %08" PRIX32,
	      get32(p + 16), r.boot_id);
	const unsigned R = get16(p + 20), C = get16(p + 22), T = get16(p + 24);
	CHECK(R >= 1 && R <= XP_MAX_ROWS && C >= 1 && C <= XP_MAX_COLS && T >= 1 &&
		      T <= XP_MAX_TILES,
	      "geometry R×C×T = %u×%u×%u outside numerics §2 (1…%d × 1…%d × 1…%d)", R, C, T,
	      XP_MAX_ROWS, XP_MAX_COLS, XP_MAX_TILES);
	CHECK(p[26] >= 1 && p[26] <= 8, "dac_bits %u, numerics §2: 1 … 8", p[26]);
	CHECK(p[27] >= 1 && p[27] <= 8, "code_bits %u, numerics §2: 1 … 8", p[27]);
	CHECK(p[28] >= 2 && p[28] <= 12, "adc_bits %u, numerics §2: 2 … 12", p[28]);
	CHECK(p[29] == 8, "g_bits %u, numerics §2: 8 (fixed)", p[29]);
	CHECK(p[30] == 16, "psum_bits %u: RUN replies carry i16 (§4.9)", p[30]);
	CHECK(p[31] >= 1 && p[31] <= XP_MAX_LAYERS, "max_layers %u, numerics §9: 1 … %d", p[31],
	      XP_MAX_LAYERS);
	CHECK(get16(p + 32) >= 1 && get16(p + 32) <= XP_MAX_WIDTH,
	      "max_width %" PRIu32 ", numerics §9: 1 … %d", get16(p + 32), XP_MAX_WIDTH);
	CHECK(get16(p + 34) >= 1, "max_batch 0: no RUN could ever succeed");
	CHECK(get32(p + 40) >= XP_STATUS_LEN(T),
	      "max_reply %" PRIu32 " is below the STATUS reply of %u tiles (%u bytes)",
	      get32(p + 40), T, XP_STATUS_LEN(T));
	/* The library's parse of the session's INFO tells the same (boot id aside). */
	CHECK(s->protocol_version == get16(p + 4) && s->numerics_version == get16(p + 6) &&
		      s->impl == p[8] && s->impl_version == get16(p + 10) &&
		      s->build_hash == get32(p + 12) && s->rows == R && s->cols == C &&
		      s->tiles == T && s->dac_bits == p[26] && s->code_bits == p[27] &&
		      s->adc_bits == p[28] && s->g_bits == p[29] && s->psum_bits == p[30] &&
		      s->max_layers == p[31] && s->max_width == get16(p + 32) &&
		      s->max_batch == get16(p + 34) && s->max_request == get32(p + 36) &&
		      s->max_reply == get32(p + 40),
	      "the library's xpnn_board_info() differs from the raw INFO payload %s",
	      hex(p, XP_INFO_LEN, 44));
	/* INFO changes nothing: a second one is identical. */
	memcpy(c->rx2, r.body, r.blen);
	const size_t blen = r.blen;
	DO(raw_ok(c, XP_CMD_INFO, NULL, 0, c->rx, &r, XP_INFO_LEN, "second INFO"));
	CHECK(memcmp(r.pl, c->rx2 + XP_RSP_HDR, XP_INFO_LEN) == 0 && r.blen == blen,
	      "a second INFO differs: %s, first %s", hex(r.pl, XP_INFO_LEN, 44),
	      hex(c->rx2 + XP_RSP_HDR, XP_INFO_LEN, 44));
}

static void parse_status(const uint8_t *p, unsigned T, xpnn_status *s)
{
	memset(s, 0, sizeof(*s));
	s->frames_ok = get32(p);
	s->duplicates = get32(p + 4);
	for (unsigned k = 1; k <= XP_RSP_MAX; k++)
		s->nacks[k] = get32(p + 8 + 4 * (k - 1));
	s->pulses = get64(p + 40);
	s->inferences = get64(p + 48);
	s->nseed = get64(p + 56);
	s->nlayers = p[64];
	s->n_in = (uint16_t)get16(p + 66);
	s->n_out = (uint16_t)get16(p + 68);
	s->n_all = (uint16_t)get16(p + 70);
	s->tiles = (uint16_t)get16(p + 72);
	for (unsigned t = 0; t < T && t < XP_MAX_TILES; t++)
		s->tile_pulses[t] = get32(p + 74 + 4 * t);
}

static void t_status(conform *c)
{
	const unsigned T = c->info.tiles;
	xpnn_status a, b, d;
	tnet n;
	reply r;
	if (c->first_ok) { /* a fresh model board: the library's frames so far, this one included */
		CHECK(c->first.frames_ok == c->first_tries,
		      "the first STATUS after power-up reports frames_ok %" PRIu32 " after %" PRIu64
		      " valid frames from the library (a STATUS counts its own request, §3.4)",
		      c->first.frames_ok, c->first_tries);
		uint32_t nk = 0;
		for (unsigned k = 1; k <= XP_RSP_MAX; k++)
			nk += c->first.nacks[k];
		CHECK(c->first.duplicates == 0 && nk == 0,
		      "power-up counters: duplicates %" PRIu32 ", nacks %" PRIu32
		      " in all, expected 0", c->first.duplicates, nk);
	}
	DO(setup_net(c, &n));
	DO(raw_ok(c, XP_CMD_STATUS, NULL, 0, c->rx, &r, (long)XP_STATUS_LEN(T), "STATUS"));
	EXPECT(get16(r.pl + 72) == T, "STATUS T field %" PRIu32 ", INFO %u", get16(r.pl + 72), T);
	CHECK(r.pl[65] == 0, "STATUS reserved byte 65 = %u, expected 0", r.pl[65]);
	parse_status(r.pl, T, &a);
	/* The test network's state, as the commands of setup_net must have left it. */
	CHECK(a.nlayers == n.cfg.nlayers && a.n_in == n.n_in && a.n_out == n.n_out &&
		      a.n_all == n.n_all,
	      "STATUS network %u layers %u→%u (all %u), configured %u layers %u→%u (all %u)",
	      a.nlayers, a.n_in, a.n_out, a.n_all, n.cfg.nlayers, n.n_in, n.n_out, n.n_all);
	CHECK(a.nseed == n.seed && a.pulses == 0 && a.inferences == 3,
	      "STATUS nseed %" PRIu64 " P %" PRIu64 " N %" PRIu64 " after SET_SEED %" PRIu64
	      " and a RUN of 3, expected P 0 (SET_SEED clears it), N 3", a.nseed, a.pulses,
	      a.inferences, n.seed);
	for (unsigned t = 0; t < T && t < XP_MAX_TILES; t++) {
		uint32_t want = 0;
		for (unsigned l = 0; l < n.cfg.nlayers; l++) {
			const xp_layer *y = &n.layers[l];
			if (n.tiles[l] == t)
				want += 2u * (y->n_in + y->bias) * y->n_out;
		}
		CHECK(a.tile_pulses[t] == want, "pulses[%u] = %" PRIu32 ", expected %" PRIu32
		      " (2 per cell programmed since RESET)", t, a.tile_pulses[t], want);
	}
	/* The library reads the same fields; its own STATUS is one more valid frame. */
	DO(get_status(c, &b));
	int same = b.frames_ok == a.frames_ok + 1 && b.duplicates == a.duplicates &&
		   b.tiles == T && b.nseed == a.nseed;
	for (unsigned k = 1; k <= XP_RSP_MAX; k++)
		same &= b.nacks[k] == a.nacks[k];
	for (unsigned t = 0; t < T && t < XP_MAX_TILES; t++)
		same &= b.tile_pulses[t] == a.tile_pulses[t];
	CHECK(same, "xpnn_status_get differs from the raw STATUS payload %s",
	      hex(r.pl, r.plen, 80));
	DO(same_state(c, &a, &b, "the library's STATUS against the raw one"));
	/* frames_ok counts every valid frame: INFO and this STATUS. */
	DO(raw_ok(c, XP_CMD_INFO, NULL, 0, c->rx, &r, XP_INFO_LEN, "INFO"));
	DO(raw_ok(c, XP_CMD_STATUS, NULL, 0, c->rx, &r, (long)XP_STATUS_LEN(T), "STATUS"));
	parse_status(r.pl, T, &d);
	CHECK(d.frames_ok == b.frames_ok + 2 && d.duplicates == b.duplicates,
	      "frames_ok %" PRIu32 " → %" PRIu32 " over INFO + STATUS, expected +2; duplicates %"
	      PRIu32 " → %" PRIu32, b.frames_ok, d.frames_ok, b.duplicates, d.duplicates);
	for (unsigned k = 1; k <= XP_RSP_MAX; k++)
		CHECK(d.nacks[k] == b.nacks[k], "nacks[%u] moved %" PRIu32 " → %" PRIu32
		      " over OK replies", k, b.nacks[k], d.nacks[k]);
	DO(same_state(c, &b, &d, "INFO + STATUS"));
}

/* Read tile t in full (R·C·2 bytes) through the library. */
static int read_tile(conform *c, unsigned t, uint8_t *g)
{
	TRYI(xpnn_read_cells(c->b, t, 0, 0, c->info.rows, c->info.cols, g));
	return 0;
}

#define PROBE_B 2
#define PROBE_MAX (2 * PROBE_B * XP_MAX_COLS)

/* RESET, then the test network with these codes, SET_SEED 7 and a RUN of x: the cells of
 * layer 0 into g, the outputs into out; then on each of its tiles a one-layer network without
 * bias fed zeros, whose outputs are the ADC's response to no signal (read noise, offsets) into
 * probe: the defaults clip realistic sums, not an empty one. adc 1: SET_ADC of every column of
 * the network's tiles before the RESET, which must restore the defaults; adc 2: SET_ADC of the
 * defaults of numerics §3 (gain 1, shift 0, offset 0) after it, which must change nothing. */
static int reset_replay(conform *c, int adc, const uint8_t *codes, const uint8_t *x,
			unsigned B, uint8_t *g, int16_t *out, int16_t *probe)
{
	xp_adc adcs[XP_MAX_COLS];
	xpnn_shape sh;
	tnet n;
	tnet_make(c, &n);
	if (adc == 1) /* settings that leave the outputs mid-range, unlike the defaults */
		DOI(tnet_adc(c, &n, 1 + rndu(3), rndu(2), (int)rndu(21) - 10));
	DOI(reset(c));
	for (unsigned l = 0; adc == 2 && l < n.cfg.nlayers; l++) {
		for (unsigned i = 0; i < c->info.cols && i < XP_MAX_COLS; i++)
			adcs[i] = (xp_adc){ 1, 0, 0 };
		TRYI(xpnn_set_adc(c->b, n.tiles[l], 0, c->info.cols, adcs));
	}
	TRYI(xpnn_configure(c->b, &n.cfg, &sh));
	for (unsigned l = 0; l < n.cfg.nlayers; l++) {
		const xp_layer *y = &n.layers[l];
		TRYI(xpnn_write_cells(c->b, y->tiles[0], 0, 0, y->n_in + y->bias, y->n_out, codes,
				      NULL));
		codes += 2u * (y->n_in + y->bias) * y->n_out;
	}
	TRYI(xpnn_read_cells(c->b, n.tiles[0], 0, 0, n.layers[0].n_in + n.layers[0].bias,
			     n.layers[0].n_out, g));
	TRYI(xpnn_set_seed(c->b, 7));
	TRYI(xpnn_run(c->b, x, B, 0, out, NULL));
	const unsigned pn =
		umin(umin(c->info.cols, c->info.max_width), (c->info.max_reply - 11) / 2);
	const uint8_t zeros[PROBE_B] = { 0 };
	for (unsigned l = 0; l < n.cfg.nlayers; l++) {
		const xp_layer y = { .n_in = 1, .n_out = (uint16_t)pn, .bias = 0,
				     .act = XP_ACT_IDENTITY, .ntiles = 1, .tiles = &n.tiles[l] };
		const xp_netcfg cfg = { 1, &y };
		TRYI(xpnn_configure(c->b, &cfg, &sh));
		TRYI(xpnn_run(c->b, zeros, PROBE_B, 0, probe + l * PROBE_B * pn, NULL));
	}
	return 0;
}

static void t_reset(conform *c)
{
	const unsigned T = c->info.tiles, R = c->info.rows, C = c->info.cols;
	const size_t tsz = (size_t)R * C * 2;
	unsigned tl[MAX_SAMPLE_TILES], nt = 0;
	xpnn_status s0, s1;
	tnet n;
	reply r;
	if (T <= (c->quick ? 2u : MAX_SAMPLE_TILES)) {
		for (unsigned t = 0; t < T; t++)
			tl[nt++] = t;
	} else {
		tl[nt++] = 0;
		tl[nt++] = T - 1;
		while (!c->quick && nt < MAX_SAMPLE_TILES)
			tl[nt++] = 1 + rndu(T - 2);
	}
	uint8_t *g0 = malloc(tsz * nt), *g1 = malloc(tsz);
	if (!g0 || !g1) {
		free(g0);
		free(g1);
		EXPECT(0, "out of memory for %u tiles of %zu bytes", nt, tsz);
	}
	if (setup_net(c, &n) || get_status(c, &s0))
		goto done;
	const uint32_t old = c->boot;
	c->boot = boot_next(old); /* the RESET reply carries the new id (recv_frame checks) */
	if (raw_ok(c, XP_CMD_RESET, NULL, 0, c->rx, &r, 0, "RESET") || get_status(c, &s1))
		goto done;
	CHECK(s1.pulses == 0 && s1.inferences == 0 && s1.nseed == 0,
	      "after RESET: P %" PRIu64 " N %" PRIu64 " nseed %" PRIu64 ", expected 0 0 0",
	      s1.pulses, s1.inferences, s1.nseed);
	CHECK(s1.nlayers == 0 && s1.n_in == 0 && s1.n_out == 0 && s1.n_all == 0,
	      "after RESET: network %u layers %u→%u (all %u), expected none", s1.nlayers, s1.n_in,
	      s1.n_out, s1.n_all);
	for (unsigned t = 0; t < T && t < XP_MAX_TILES; t++)
		CHECK(s1.tile_pulses[t] == 0, "after RESET: pulses[%u] = %" PRIu32, t,
		      s1.tile_pulses[t]);
	CHECK(s1.frames_ok == s0.frames_ok + 2 && s1.duplicates == s0.duplicates,
	      "RESET must keep the link counters: frames_ok %" PRIu32 " → %" PRIu32
	      " (expected +2), duplicates %" PRIu32 " → %" PRIu32, s0.frames_ok, s1.frames_ok,
	      s0.duplicates, s1.duplicates);
	/* The reset state of the cells is the board's own: the same after every RESET. */
	for (unsigned i = 0; i < nt; i++)
		if (read_tile(c, tl[i], g0 + i * tsz))
			goto done;
	for (unsigned i = 0; i < nt; i++) {
		const unsigned nr = 1 + rndu(R), nc = 1 + rndu(umin(C, 64));
		const unsigned r0 = rndu(R - nr + 1), c0 = rndu(C - nc + 1);
		rnd_codes(c, c->pl2, (size_t)2 * nr * nc);
		if (lib(c, xpnn_write_cells(c->b, tl[i], r0, c0, nr, nc, c->pl2, NULL),
			"xpnn_write_cells"))
			goto done;
	}
	if (reset(c))
		goto done;
	for (unsigned i = 0; i < nt && c->nfail == 0; i++) {
		if (read_tile(c, tl[i], g1))
			goto done;
		for (size_t j = 0; j < tsz; j++)
			if (g1[j] != g0[i * tsz + j]) {
				fail(c, "tile %u row %zu column %zu %s: %u after one RESET, %u "
				     "after the next (programmed in between)", tl[i], j / 2 / C,
				     j / 2 % C, j % 2 ? "G−" : "G+", g0[i * tsz + j], g1[j]);
				break;
			}
	}
	if (nt < T)
		note(c, "tiles read back: %u of %u", nt, T);
	/* A reset board programs and runs like a reset board: same codes, same seed, same cells
	 * and outputs, whatever SET_ADC came before the RESET. */
	if (c->nfail == 0) {
		enum { MAXC = 2 * (21 * 12 + 13 * 5), MAXB = 4 };
		uint8_t codes[MAXC], x[MAXB * 20], ga[2 * 21 * 12], gb[2 * 21 * 12];
		int16_t oa[MAXB * 7], ob[MAXB * 7], od[MAXB * 7];
		int16_t pa[PROBE_MAX], pb[PROBE_MAX], pd[PROBE_MAX];
		tnet n2;
		tnet_make(c, &n2);
		const unsigned B = umin(MAXB, bmax_of(c, n2.n_in, n2.n_out));
		const xp_layer *y0 = &n2.layers[0];
		const size_t g0n = 2u * (y0->n_in + y0->bias) * y0->n_out;
		rnd_codes(c, codes, MAXC);
		rnd_inputs(c, x, (size_t)B * n2.n_in);
		const size_t np = (size_t)n2.cfg.nlayers * PROBE_B *
				  umin(umin(C, c->info.max_width), (c->info.max_reply - 11) / 2);
		if (reset_replay(c, 0, codes, x, B, ga, oa, pa) ||
		    reset_replay(c, 1, codes, x, B, gb, ob, pb))
			goto done;
		CHECK(memcmp(pa, pb, sizeof(int16_t) * np) == 0,
		      "zero inputs after RESET give ADC outputs (i16) %s, but %s when SET_ADC came "
		      "before the RESET", hex((const uint8_t *)pa, 16, 16),
		      hex((const uint8_t *)pb, 16, 16));
		if (reset_replay(c, 2, codes, x, B, gb, od, pd))
			goto done;
		CHECK(memcmp(pa, pd, sizeof(int16_t) * np) == 0,
		      "zero inputs after RESET: ADC outputs differ from those after SET_ADC of the "
		      "defaults (gain 1, shift 0, offset 0; numerics §3)");
		CHECK(memcmp(oa, od, sizeof(int16_t) * B * n2.n_out) == 0,
		      "outputs after RESET differ from outputs after RESET and SET_ADC of the "
		      "defaults (gain 1, shift 0, offset 0; numerics §3): the RESET left other ADC "
		      "settings");
		CHECK(memcmp(ga, gb, g0n) == 0, "the same codes programmed after two RESETs stored "
		      "different conductances: %s / %s", hex(ga, g0n, 12), hex(gb, g0n, 12));
		CHECK(memcmp(oa, ob, sizeof(int16_t) * B * n2.n_out) == 0,
		      "the same network, cells, seed and inputs after two RESETs (SET_ADC before "
		      "the second) gave different outputs: the RESET did not restore the ADC "
		      "defaults?");
	}
done:
	free(g0);
	free(g1);
}

static void t_set_seed(conform *c)
{
	xpnn_status s0, s1;
	tnet n;
	reply r;
	uint8_t p[8];
	DO(setup_net(c, &n));
	TRY(xpnn_write_cells(c->b, 0, 0, 0, 1, 1, (const uint8_t[]){ 1, 0 }, NULL));
	DO(get_status(c, &s0));
	EXPECT(s0.pulses > 0 && s0.inferences > 0, "suite setup: P and N should not be 0 here");
	const uint64_t seed = rnd64() | 1ull << 63;
	put64(p, seed);
	DO(raw_ok(c, XP_CMD_SET_SEED, p, 8, c->rx, &r, 0, "SET_SEED"));
	DO(get_status(c, &s1));
	CHECK(s1.nseed == seed && s1.pulses == 0 && s1.inferences == 0,
	      "after SET_SEED %016" PRIX64 ": nseed %016" PRIX64 " P %" PRIu64 " N %" PRIu64
	      ", expected the seed, 0, 0", seed, s1.nseed, s1.pulses, s1.inferences);
	s1.pulses = s0.pulses;
	s1.inferences = s0.inferences;
	s1.nseed = s0.nseed;
	DO(same_state(c, &s0, &s1, "SET_SEED (network, pulses[t])"));
}

static void t_configure(conform *c)
{
	const xpnn_info *I = &c->info;
	xpnn_status s;
	tnet n;
	reply r;
	DO(reset(c));
	tnet_make(c, &n);
	size_t len = cfg_payload(&n.cfg, c->pl);
	DO(raw_ok(c, XP_CMD_CONFIGURE, c->pl, len, c->rx, &r, 6, "CONFIGURE"));
	CHECK(get16(r.pl) == n.n_in && get16(r.pl + 2) == n.n_out && get16(r.pl + 4) == n.n_all,
	      "CONFIGURE reply n_in %" PRIu32 " n_out %" PRIu32 " n_all %" PRIu32
	      ", expected %u %u %u", get16(r.pl), get16(r.pl + 2), get16(r.pl + 4), n.n_in,
	      n.n_out, n.n_all);
	DO(get_status(c, &s));
	CHECK(s.nlayers == n.cfg.nlayers && s.n_in == n.n_in && s.n_out == n.n_out &&
		      s.n_all == n.n_all,
	      "STATUS after CONFIGURE: %u layers %u→%u (all %u), expected %u layers %u→%u (all %u)",
	      s.nlayers, s.n_in, s.n_out, s.n_all, n.cfg.nlayers, n.n_in, n.n_out, n.n_all);
	/* The most layers the board allows, one tile each, replace the first network. */
	const unsigned L = I->max_layers;
	if (I->tiles < L || 1 + 12 * L > I->max_request) {
		note(c, "max_layers network not tried: %u tiles, max_request %" PRIu32 " for %u "
		     "layers", I->tiles, I->max_request, L);
		return;
	}
	xp_layer ly[XP_MAX_LAYERS];
	uint16_t tl[XP_MAX_LAYERS];
	const unsigned w = umin(umin(I->rows, I->cols), umin(I->max_width, 4));
	for (unsigned l = 0; l < L; l++) {
		tl[l] = (uint16_t)(I->tiles - 1 - l);
		ly[l] = (xp_layer){ .n_in = (uint16_t)w, .n_out = (uint16_t)w, .bias = 0,
				    .act = l + 1 < L ? XP_ACT_RELU : XP_ACT_IDENTITY,
				    .amul = 255, .ash = 15, .ntiles = 1, .tiles = &tl[l] };
	}
	const xp_netcfg big = { (uint8_t)L, ly };
	len = cfg_payload(&big, c->pl);
	DO(raw_ok(c, XP_CMD_CONFIGURE, c->pl, len, c->rx, &r, 6, "CONFIGURE of max_layers"));
	CHECK(get16(r.pl) == w && get16(r.pl + 2) == w && get16(r.pl + 4) == L * w,
	      "CONFIGURE of %u layers %u wide: reply %" PRIu32 " %" PRIu32 " %" PRIu32
	      ", expected %u %u %u", L, w, get16(r.pl), get16(r.pl + 2), get16(r.pl + 4), w, w,
	      L * w);
	DO(get_status(c, &s));
	CHECK(s.nlayers == L && s.n_in == w && s.n_out == w && s.n_all == L * w,
	      "STATUS after the second CONFIGURE: %u layers %u→%u (all %u), expected %u %u→%u (%u)",
	      s.nlayers, s.n_in, s.n_out, s.n_all, L, w, w, L * w);
}

static size_t adc_payload(uint8_t *p, unsigned tile, unsigned c0, unsigned nc,
			  const xp_adc *adc)
{
	put16(p, tile);
	put16(p + 2, c0);
	put16(p + 4, nc);
	for (unsigned i = 0; i < nc; i++) {
		p[6 + 4 * i] = adc[i].gain;
		p[7 + 4 * i] = adc[i].shift;
		put16(p + 8 + 4 * i, (uint16_t)adc[i].offset);
	}
	return 6 + 4 * (size_t)nc;
}

static void t_set_adc(conform *c)
{
	const unsigned C = c->info.cols, T = c->info.tiles;
	xp_adc adc[XP_MAX_COLS];
	xpnn_status s0, s1;
	tnet n;
	reply r;
	EXPECT(C >= 1 && C <= XP_MAX_COLS, "INFO cols %u outside 1 … %d", C, XP_MAX_COLS);
	DO(setup_net(c, &n));
	DO(get_status(c, &s0));
	for (unsigned i = 0; i < C; i++)
		adc[i] = (xp_adc){ (uint8_t)rnd64(), (uint8_t)rndu(32),
				   (int16_t)((int)rndu(4096) - 2048) };
	adc[0].shift = XP_ADC_SHIFT_MAX;
	adc[0].offset = XP_ADC_OFF_MIN;
	adc[C - 1].shift = 0;
	adc[C - 1].offset = XP_ADC_OFF_MAX;
	const unsigned chunk = umin(C, (c->info.max_request - 6) / 4);
	EXPECT(chunk >= 1, "max_request %" PRIu32 " cannot hold a one-column SET_ADC",
	       c->info.max_request);
	for (unsigned c0 = 0; c0 < C; c0 += chunk) {
		const unsigned nc = umin(chunk, C - c0);
		const size_t len = adc_payload(c->pl, T - 1, c0, nc, adc + c0);
		DO(raw_ok(c, XP_CMD_SET_ADC, c->pl, len, c->rx, &r, 0, "SET_ADC of whole tile"));
	}
	const size_t len = adc_payload(c->pl, 0, C - 1, 1, adc);
	DO(raw_ok(c, XP_CMD_SET_ADC, c->pl, len, c->rx, &r, 0, "SET_ADC of the last column"));
	TRY(xpnn_set_adc(c->b, rndu(T), 0, C, adc));
	DO(get_status(c, &s1));
	DO(same_state(c, &s0, &s1, "SET_ADC"));
}

/* Count the bytes that differ. */
static uint32_t ndiff(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint32_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += a[i] != b[i];
	return k;
}

static size_t cells_payload(uint8_t *p, unsigned t, unsigned r0, unsigned c0, unsigned nr,
			    unsigned nc)
{
	put16(p, t);
	put16(p + 2, r0);
	put16(p + 4, c0);
	put16(p + 6, nr);
	put16(p + 8, nc);
	return 10;
}

/* A random rectangle of at most maxcells cells. */
static void rnd_rect(const conform *c, unsigned maxcells, unsigned *r0, unsigned *c0,
		     unsigned *nr, unsigned *nc)
{
	*nc = 1 + rndu(umin(c->info.cols, maxcells));
	*nr = 1 + rndu(umin(c->info.rows, maxcells / *nc));
	*r0 = rndu(c->info.rows - *nr + 1);
	*c0 = rndu(c->info.cols - *nc + 1);
}

/* WRITE_CELLS through a raw frame; the reply's changed count must equal what READ_CELLS
 * shows changed, and P, pulses[t] must grow by 2·nr·nc. */
static int write_checked(conform *c, unsigned t, unsigned r0, unsigned c0, unsigned nr,
			 unsigned nc, const uint8_t *codes, const char *what)
{
	const size_t cells = (size_t)nr * nc;
	uint8_t *g0 = malloc(4 * cells);
	uint8_t *g1 = g0 + 2 * cells;
	xpnn_status s0, s1;
	reply r;
	int rc = -1;
	EXPECTI(g0, "out of memory");
	cells_payload(c->pl, t, r0, c0, nr, nc);
	memcpy(c->pl + 10, codes, 2 * cells);
	if (lib(c, xpnn_read_cells(c->b, t, r0, c0, nr, nc, g0), "xpnn_read_cells before") ||
	    get_status(c, &s0) ||
	    raw_ok(c, XP_CMD_WRITE_CELLS, c->pl, 10 + 2 * cells, c->rx, &r, 4, what) ||
	    lib(c, xpnn_read_cells(c->b, t, r0, c0, nr, nc, g1), "xpnn_read_cells after") ||
	    get_status(c, &s1))
		goto done;
	const uint32_t changed = get32(r.pl), seen = ndiff(g0, g1, 2 * cells);
	CHECK(changed <= 2 * cells, "%s: changed = %" PRIu32 " > 2·nr·nc = %zu", what, changed,
	      2 * cells);
	CHECK(changed == seen, "%s: changed = %" PRIu32 ", but READ_CELLS shows %" PRIu32
	      " devices changed", what, changed, seen);
	CHECK(s1.pulses == s0.pulses + 2 * cells &&
		      s1.tile_pulses[t] == s0.tile_pulses[t] + 2 * cells,
	      "%s of %zu cells: P %" PRIu64 " → %" PRIu64 ", pulses[%u] %" PRIu32 " → %" PRIu32
	      ", expected both +%zu", what, cells, s0.pulses, s1.pulses, t, s0.tile_pulses[t],
	      s1.tile_pulses[t], 2 * cells);
	s1.pulses = s0.pulses;
	s1.tile_pulses[t] = s0.tile_pulses[t];
	if (same_state(c, &s0, &s1, what) == 0)
		rc = 0;
done:
	free(g0);
	return rc;
}

static void t_write_cells(conform *c)
{
	const unsigned R = c->info.rows, C = c->info.cols, T = c->info.tiles;
	const unsigned cmax = (1u << c->info.code_bits) - 1;
	unsigned r0, c0, nr, nc;
	DO(reset(c));
	const unsigned maxcells = umin(256, (c->info.max_request - 10) / 2);
	EXPECT(maxcells >= 1, "max_request %" PRIu32 " cannot hold a one-cell WRITE_CELLS",
	       c->info.max_request);
	const unsigned t = rndu(T);
	rnd_rect(c, maxcells, &r0, &c0, &nr, &nc);
	uint8_t *k = c->pl2;
	rnd_codes(c, k, (size_t)2 * nr * nc);
	k[0] = (uint8_t)cmax;
	DO(write_checked(c, t, r0, c0, nr, nc, k, "WRITE_CELLS"));
	DO(write_checked(c, t, r0, c0, nr, nc, k, "the same WRITE_CELLS again"));
	const uint8_t corner[2] = { (uint8_t)cmax, 0 };
	DO(write_checked(c, T - 1, R - 1, C - 1, 1, 1, corner, "WRITE_CELLS of the last cell"));
}

/* WRITE_LIST (§4.10): the cells of a list, one listed twice, programmed in list order equal
 * the same cells written as 1 x 1 WRITE_CELLS in that order after the same RESET and seed. */
static void t_write_list(conform *c)
{
	const unsigned R = c->info.rows, C = c->info.cols, T = c->info.tiles;
	const unsigned n = umin(40, (c->info.max_request - XP_LIST_HDR) / XP_LIST_REC);
	EXPECT(n >= 2, "max_request %" PRIu32 " cannot hold a two-cell WRITE_LIST",
	       c->info.max_request);
	const unsigned t = rndu(T);
	const uint64_t seed = rnd64();
	uint8_t *p = c->pl, sp[8], g1[2 * 40] = { 0 }, g2[2 * 40] = { 0 };
	xpnn_status s0, s1;
	reply r;
	put16(p, t);
	put16(p + 2, n);
	for (unsigned i = 0; i < n; i++) {
		uint8_t *q = p + XP_LIST_HDR + XP_LIST_REC * i;
		put16(q, rndu(R));
		put16(q + 2, rndu(C));
		rnd_codes(c, q + 4, 2);
	}
	memcpy(p + XP_LIST_HDR + XP_LIST_REC * (n - 1), p + XP_LIST_HDR, 4); /* a cell twice */
	put64(sp, seed);
	for (int pass = 0; pass < 2; pass++) {
		uint8_t *g = pass ? g2 : g1;
		DO(reset(c));
		DO(raw_ok(c, XP_CMD_SET_SEED, sp, 8, c->rx, &r, 0, "SET_SEED"));
		DO(get_status(c, &s0));
		if (pass == 0) {
			DO(raw_ok(c, XP_CMD_WRITE_LIST, p, XP_LIST_HDR + XP_LIST_REC * n, c->rx, &r, 4,
				  "WRITE_LIST"));
			CHECK(get32(r.pl) <= 2 * n, "WRITE_LIST of %u cells: changed = %" PRIu32, n,
			      get32(r.pl));
		} else {
			for (unsigned i = 0; i < n; i++) {
				const uint8_t *q = p + XP_LIST_HDR + XP_LIST_REC * i;
				cells_payload(c->pl2, t, get16(q), get16(q + 2), 1, 1);
				memcpy(c->pl2 + 10, q + 4, 2);
				DO(raw_ok(c, XP_CMD_WRITE_CELLS, c->pl2, 12, c->rx, &r, 4,
					  "1 x 1 WRITE_CELLS"));
			}
		}
		DO(get_status(c, &s1));
		CHECK(s1.pulses == s0.pulses + 2 * n && s1.tile_pulses[t] == s0.tile_pulses[t] + 2 * n,
		      "%s of %u cells: P %" PRIu64 " → %" PRIu64 ", pulses[%u] +%" PRIu32
		      ", expected both +%u", pass ? "1 x 1 WRITE_CELLS" : "WRITE_LIST", n, s0.pulses,
		      s1.pulses, t, s1.tile_pulses[t] - s0.tile_pulses[t], 2 * n);
		for (unsigned i = 0; i < n; i++) {
			const uint8_t *q = p + XP_LIST_HDR + XP_LIST_REC * i;
			TRY(xpnn_read_cells(c->b, t, get16(q), get16(q + 2), 1, 1, g + 2 * i));
		}
	}
	CHECK(memcmp(g1, g2, 2 * n) == 0,
	      "WRITE_LIST stored %s, the same cells written one by one in list order %s", hex(g1, 2 * n, 16),
	      hex(g2, 2 * n, 16));
}

static void t_err_range_list(conform *c)
{
	const int32_t R = c->info.rows, C = c->info.cols, T = c->info.tiles;
	const int32_t cmax = (1 << c->info.code_bits) - 1;
	uint8_t *p = c->pl;
	DO(reset(c));
	memset(p, 0, XP_LIST_HDR + 2 * XP_LIST_REC);
	put16(p + 2, 2);
	DO(expect_len(c, "WRITE_LIST of 3 bytes", XP_CMD_WRITE_LIST, p, 3, XP_LIST_HDR));
	put16(p, T);
	DO(expect_range(c, "WRITE_LIST tile = T", XP_CMD_WRITE_LIST, p, XP_LIST_HDR + 2 * XP_LIST_REC,
			0, T, 0, T - 1));
	put16(p, 0);
	put16(p + 2, 0);
	DO(expect_range(c, "WRITE_LIST count = 0", XP_CMD_WRITE_LIST, p, XP_LIST_HDR, 2, 0, 1,
			65535));
	put16(p + 2, 2);
	DO(expect_len(c, "WRITE_LIST of 2 cells with 1 record", XP_CMD_WRITE_LIST, p,
		      XP_LIST_HDR + XP_LIST_REC, XP_LIST_HDR + 2 * XP_LIST_REC));
	put16(p + XP_LIST_HDR + XP_LIST_REC, R);
	DO(expect_range(c, "WRITE_LIST cell[1] row = R", XP_CMD_WRITE_LIST, p,
			XP_LIST_HDR + 2 * XP_LIST_REC, XP_LIST_HDR + XP_LIST_REC, R, 0, R - 1));
	put16(p + XP_LIST_HDR + XP_LIST_REC, 0);
	put16(p + XP_LIST_HDR + 2, C); /* cell[0] col, checked before cell[1] */
	DO(expect_range(c, "WRITE_LIST cell[0] col = C", XP_CMD_WRITE_LIST, p,
			XP_LIST_HDR + 2 * XP_LIST_REC, XP_LIST_HDR + 2, C, 0, C - 1));
	put16(p + XP_LIST_HDR + 2, 0);
	if (cmax < 255) {
		p[XP_LIST_HDR + XP_LIST_REC + 5] = (uint8_t)(cmax + 1); /* the last byte: nothing programmed */
		DO(expect_range(c, "WRITE_LIST cell[1] k- = 2^code_bits", XP_CMD_WRITE_LIST, p,
				XP_LIST_HDR + 2 * XP_LIST_REC, XP_LIST_HDR + XP_LIST_REC + 5, cmax + 1,
				0, cmax));
	}
}

static void t_read_cells(conform *c)
{
	const unsigned R = c->info.rows, C = c->info.cols;
	xpnn_status s0, s1;
	tnet n;
	reply r;
	DO(setup_net(c, &n));
	const unsigned t = n.tiles[0];
	/* A: the most rows of every column one frame can return. */
	const unsigned nc = umin(C, c->info.max_reply / 2);
	const unsigned nr = umin(R, c->info.max_reply / (2 * nc));
	DO(get_status(c, &s0));
	cells_payload(c->pl, t, 0, 0, nr, nc);
	DO(raw_ok(c, XP_CMD_READ_CELLS, c->pl, 10, c->rx2, &r, (long)(2 * nr * nc), "READ_CELLS"));
	/* B: a sub-rectangle must read the same bytes. */
	const unsigned bnr = 1 + rndu(nr), bnc = 1 + rndu(nc);
	const unsigned br0 = rndu(nr - bnr + 1), bc0 = rndu(nc - bnc + 1);
	cells_payload(c->pl, t, br0, bc0, bnr, bnc);
	DO(raw_ok(c, XP_CMD_READ_CELLS, c->pl, 10, c->rx, &r, (long)(2 * bnr * bnc),
		  "READ_CELLS of a sub-rectangle"));
	for (unsigned i = 0; i < bnr; i++)
		EXPECT(memcmp(r.pl + 2 * i * bnc, c->rx2 + XP_RSP_HDR + 2 * ((br0 + i) * nc + bc0),
			      2 * bnc) == 0,
		       "READ_CELLS rows %u … %u, columns %u … %u: row %u differs from the larger "
		       "read of the same tile", br0, br0 + bnr - 1, bc0, bc0 + bnc - 1, br0 + i);
	/* The last cell alone. */
	cells_payload(c->pl, t, R - 1, C - 1, 1, 1);
	DO(raw_ok(c, XP_CMD_READ_CELLS, c->pl, 10, c->rx, &r, 2, "READ_CELLS of the last cell"));
	DO(get_status(c, &s1));
	DO(same_state(c, &s0, &s1, "READ_CELLS"));
}

static void t_run(conform *c)
{
	tnet n;
	reply r;
	xpnn_status s;
	DO(setup_net(c, &n));
	const uint32_t bm = bmax_of(c, n.n_in, n.n_all);
	const unsigned B = umin(5, bm);
	const size_t xlen = (size_t)B * n.n_in;
	uint8_t *p = c->pl;
	put16(p, B);
	p[2] = 0;
	rnd_inputs(c, p + 3, xlen);
	const size_t len = 3 + xlen;
	uint64_t N = n.N;
	/* Outputs only: B·n_out values; n0 = N before; N advances by B. */
	DO(raw_ok(c, XP_CMD_RUN, p, len, c->rx, &r, (long)(11 + 2 * B * n.n_out), "RUN"));
	EXPECT(get16(r.pl) == B && r.pl[2] == 0 && get64(r.pl + 3) == N,
	       "RUN reply: batch %" PRIu32 " flags %u n0 %" PRIu64 ", expected %u 0 %" PRIu64,
	       get16(r.pl), r.pl[2], get64(r.pl + 3), B, N);
	N += B;
	DO(raw_ok(c, XP_CMD_RUN, p, len, c->rx, &r, (long)(11 + 2 * B * n.n_out), "second RUN"));
	EXPECT(get64(r.pl + 3) == N, "second RUN: n0 %" PRIu64 ", expected %" PRIu64,
	       get64(r.pl + 3), N);
	DO(get_status(c, &s));
	EXPECT(s.inferences == N + B, "after two RUNs of %u: N %" PRIu64 ", expected %" PRIu64, B,
	       s.inferences, N + B);
	/* The same seed gives the same outputs; a different N gives the board's own. */
	const uint64_t seed = rnd64();
	uint8_t sp[8];
	put64(sp, seed);
	DO(raw_ok(c, XP_CMD_SET_SEED, sp, 8, c->rx, &r, 0, "SET_SEED"));
	DO(raw_ok(c, XP_CMD_RUN, p, len, c->rx2, &r, (long)(11 + 2 * B * n.n_out),
		  "RUN after SET_SEED"));
	EXPECT(get64(r.pl + 3) == 0, "RUN after SET_SEED: n0 %" PRIu64 ", expected 0",
	       get64(r.pl + 3));
	DO(raw_ok(c, XP_CMD_SET_SEED, sp, 8, c->rx, &r, 0, "SET_SEED again"));
	DO(raw_ok(c, XP_CMD_RUN, p, len, c->rx, &r, (long)(11 + 2 * B * n.n_out),
		  "RUN after the same SET_SEED"));
	EXPECT(memcmp(r.pl, c->rx2 + XP_RSP_HDR, 11 + 2 * B * n.n_out) == 0,
	       "RUN after the same SET_SEED: %s, first time %s", hex(r.pl, r.plen, 24),
	       hex(c->rx2 + XP_RSP_HDR, r.plen, 24));
	/* Flag 0: every layer's S, B·n_all values; the last layer is IDENTITY (numerics §9), so
	 * its S block equals the outputs of the same inference. */
	DO(raw_ok(c, XP_CMD_SET_SEED, sp, 8, c->rx, &r, 0, "SET_SEED"));
	p[2] = XP_RUN_ALL_LAYERS;
	DO(raw_ok(c, XP_CMD_RUN, p, len, c->rx, &r, (long)(11 + 2 * B * n.n_all),
		  "RUN with flag 0 (every layer's S)"));
	EXPECT(get16(r.pl) == B && r.pl[2] == 1 && get64(r.pl + 3) == 0,
	       "RUN with flag 0: batch %" PRIu32 " flags %u n0 %" PRIu64 ", expected %u 1 0",
	       get16(r.pl), r.pl[2], get64(r.pl + 3), B);
	const unsigned off = n.n_all - n.n_out;
	for (unsigned i = 0; i < B; i++)
		for (unsigned j = 0; j < n.n_out; j++) {
			const uint32_t s_ = get16(r.pl + 11 + 2 * (i * n.n_all + off + j));
			const uint32_t a = get16(c->rx2 + XP_RSP_HDR + 11 + 2 * (i * n.n_out + j));
			EXPECT(s_ == a, "vector %u output %u: last layer S = %d with flag 0, "
			       "output %d without, same seed and index (the last layer is "
			       "IDENTITY)", i, j, (int16_t)s_, (int16_t)a);
		}
}

/* 3. Error replies. */

/* got is the CRC the frame carries, want the CRC of the bytes that arrived. */
static void t_err_crc(conform *c)
{
	uint8_t e[16];
	tnet n;
	DO(setup_net(c, &n));
	uint8_t seq = new_seq(c);
	size_t bl = build_body(c, XP_CMD_INFO, seq, NULL, 0);
	const uint32_t good = get32(c->body + 2), bad = good ^ (1u << rndu(32));
	put32(c->body + 2, bad);
	size_t wl = ref_wire(c->body, bl, c->wire);
	DO(expect_err_wire(c, "INFO with a CRC bit flipped", c->wire, wl, XP_CMD_INFO, seq,
			   XP_RSP_CRC, e, pl_len(e, bad, good)));
	/* A flipped payload bit: got is the frame's CRC, want the CRC of what arrived. */
	seq = new_seq(c);
	uint8_t p[8];
	put64(p, rnd64());
	bl = build_body(c, XP_CMD_SET_SEED, seq, p, 8);
	const uint32_t sent = get32(c->body + 10);
	c->body[2 + rndu(8)] ^= (uint8_t)(1u << rndu(8));
	const uint32_t want = xp_crc32c(0, c->body, 10);
	wl = ref_wire(c->body, bl, c->wire);
	DO(expect_err_wire(c, "SET_SEED with a payload bit flipped", c->wire, wl, XP_CMD_SET_SEED,
			   seq, XP_RSP_CRC, e, pl_len(e, sent, want)));
}

static void t_err_frame_cobs(conform *c)
{
	uint8_t e[16], w[32];
	tnet n;
	DO(setup_net(c, &n));
	/* A code byte announcing 19 bytes, 10 arrive: L = 10. */
	uint8_t seq = new_wire_seq(c);
	size_t k = 0;
	w[k++] = XP_DELIM;
	w[k++] = 20 ^ XP_DELIM;
	w[k++] = XP_CMD_STATUS;
	w[k++] = seq;
	for (int i = 0; i < 8; i++)
		w[k++] = rnd_byte(0);
	w[k++] = XP_DELIM;
	DO(expect_err_wire(c, "a frame cut inside a COBS block", w, k, XP_CMD_STATUS, seq,
			   XP_RSP_FRAME, e, pl_frame(e, XP_FRAME_COBS, 10)));
	/* Two blocks, the second cut: 02 seq 7E x — L = 4 counts the implied 7E, and reason 1
	 * comes before reason 2 (§2.4 order). */
	seq = new_wire_seq(c);
	k = 0;
	w[k++] = XP_DELIM;
	w[k++] = 3 ^ XP_DELIM;
	w[k++] = XP_CMD_STATUS;
	w[k++] = seq;
	w[k++] = 5 ^ XP_DELIM;
	w[k++] = 0x33;
	w[k++] = XP_DELIM;
	DO(expect_err_wire(c, "a short frame whose second COBS block is cut", w, k, XP_CMD_STATUS,
			   seq, XP_RSP_FRAME, e, pl_frame(e, XP_FRAME_COBS, 4)));
	/* A SET_SEED cut in its CRC: one block (its bytes are chosen 7E-free), two bytes short. */
	seq = new_seq(c);
	uint8_t sp[8];
	size_t bl;
	do {
		put64(sp, rnd64());
		bl = build_body(c, XP_CMD_SET_SEED, seq, sp, 8);
	} while (memchr(c->body, XP_DELIM, bl));
	const size_t wl = ref_wire(c->body, bl, c->wire);
	c->wire[wl - 3] = XP_DELIM; /* drop the last two body bytes */
	DO(expect_err_wire(c, "SET_SEED cut two bytes short", c->wire, wl - 2, XP_CMD_SET_SEED, seq,
			   XP_RSP_FRAME, e, pl_frame(e, XP_FRAME_COBS, (uint32_t)bl - 2)));
}

static void t_err_frame_short(conform *c)
{
	uint8_t e[16], b[8];
	tnet n;
	DO(setup_net(c, &n));
	uint8_t seq = new_seq(c);
	b[0] = XP_CMD_STATUS, b[1] = seq, b[2] = 0x00;
	size_t wl = ref_wire(b, 3, c->wire);
	DO(expect_err_wire(c, "a 3-byte body", c->wire, wl, XP_CMD_STATUS, seq, XP_RSP_FRAME, e,
			   pl_frame(e, XP_FRAME_SHORT, 3)));
	seq = new_seq(c);
	b[0] = XP_CMD_INFO, b[1] = seq, b[2] = 1, b[3] = 2, b[4] = 3;
	wl = ref_wire(b, 5, c->wire);
	DO(expect_err_wire(c, "a 5-byte body", c->wire, wl, XP_CMD_INFO, seq, XP_RSP_FRAME, e,
			   pl_frame(e, XP_FRAME_SHORT, 5)));
	/* One byte: no seq to echo, 00 is sent (§2.4). */
	b[0] = XP_CMD_RUN;
	wl = ref_wire(b, 1, c->wire);
	DO(expect_err_wire(c, "a 1-byte body", c->wire, wl, XP_CMD_RUN, 0, XP_RSP_FRAME, e,
			   pl_frame(e, XP_FRAME_SHORT, 1)));
	/* 7E 7F 7E: a non-empty frame (not two 7E in a row) that decodes to 0 bytes: cmd FF. */
	static const uint8_t zero[] = { XP_DELIM, 0x01 ^ XP_DELIM, XP_DELIM };
	DO(expect_err_wire(c, "a frame decoding to 0 bytes (7E 7F 7E)", zero, sizeof(zero), 0xFF, 0,
			   XP_RSP_FRAME, e, pl_frame(e, XP_FRAME_SHORT, 0)));
}

static void t_err_frame_long(conform *c)
{
	const uint32_t mr = c->info.max_request;
	uint8_t e[16];
	tnet n;
	DO(setup_net(c, &n));
	/* INFO with max_request + 1 payload bytes: L = max_request + 7. */
	uint8_t seq = new_seq(c);
	rnd_fill(c->pl, mr + 1, 16);
	size_t bl = build_body(c, XP_CMD_INFO, seq, c->pl, mr + 1);
	size_t wl = ref_wire(c->body, bl, c->wire);
	DO(expect_err_wire(c, "INFO with max_request + 1 payload bytes", c->wire, wl, XP_CMD_INFO,
			   seq, XP_RSP_FRAME, e, pl_frame(e, XP_FRAME_LONG, mr + 7)));
	/* Much longer, and cut inside its last block: "too long" is checked first, and the board
	 * keeps counting bytes past its buffer. */
	seq = new_seq(c);
	const size_t len = mr + 900;
	rnd_fill(c->pl, len, 16);
	memset(c->pl + len - 300, 0x5A, 300); /* a long last block */
	bl = build_body(c, XP_CMD_WRITE_CELLS, seq, c->pl, len);
	memset(c->body + bl - 4, 0x5A, 4);
	wl = ref_wire(c->body, bl, c->wire);
	wl -= 20;
	c->wire[wl - 1] = XP_DELIM;
	int inc;
	const size_t L = ref_decode(c->wire + 1, wl - 2, c->dec, c->body_cap, &inc);
	EXPECT(inc && L > mr + 6, "suite bug: the long frame is not cut inside a block");
	DO(expect_err_wire(c, "a frame of max_request + 900 bytes cut inside a block", c->wire, wl,
			   XP_CMD_WRITE_CELLS, seq, XP_RSP_FRAME, e,
			   pl_frame(e, XP_FRAME_LONG, (uint32_t)L)));
}

static void t_err_cmd(conform *c)
{
	static const uint8_t cmds[] = { 0x55, 0x81, 0x00, 0x0B, 0xFF, 0x89 };
	char what[64];
	tnet n;
	DO(setup_net(c, &n));
	for (size_t i = 0; i < sizeof(cmds); i++) {
		snprintf(what, sizeof(what), "command %02X", cmds[i]);
		DO(expect_err(c, what, cmds[i], NULL, 0, XP_RSP_CMD, NULL, 0));
	}
	const uint8_t p[3] = { 1, 0, 0 };
	DO(expect_err(c, "command 55 with a payload", 0x55, p, 3, XP_RSP_CMD, NULL, 0));
}

static void t_err_len(conform *c)
{
	uint8_t *p = c->pl;
	tnet n;
	DO(setup_net(c, &n));
	memset(p, 0, 64);
	DO(expect_len(c, "INFO with 1 payload byte", XP_CMD_INFO, p, 1, 0));
	DO(expect_len(c, "STATUS with 4 payload bytes", XP_CMD_STATUS, p, 4, 0));
	DO(expect_len(c, "RESET with 1 payload byte", XP_CMD_RESET, p, 1, 0));
	DO(expect_len(c, "SET_SEED with 7 bytes", XP_CMD_SET_SEED, p, 7, 8));
	DO(expect_len(c, "SET_SEED with 9 bytes", XP_CMD_SET_SEED, p, 9, 8));
	DO(expect_len(c, "READ_CELLS with 9 bytes", XP_CMD_READ_CELLS, p, 9, 10));
	DO(expect_len(c, "READ_CELLS with 11 bytes", XP_CMD_READ_CELLS, p, 11, 10));
	DO(expect_len(c, "WRITE_CELLS with 9 bytes", XP_CMD_WRITE_CELLS, p, 9, 10));
	/* A 2×3 rectangle (or what fits) with one code too few or too many. */
	unsigned nr, nc;
	small_rect(c, 2, 3, &nr, &nc);
	if (10 + 2 * nr * nc + 1 > c->info.max_request && nr * nc > 1)
		small_rect(c, 1, nr * nc - 1, &nr, &nc);
	cells_payload(p, 0, 0, 0, nr, nc);
	const uint32_t want = 10 + 2 * nr * nc;
	DO(expect_len(c, "WRITE_CELLS with one code too few", XP_CMD_WRITE_CELLS, p, want - 1,
		      want));
	DO(expect_len(c, "WRITE_CELLS with one code too many", XP_CMD_WRITE_CELLS, p, want + 1,
		      want));
	DO(expect_len(c, "SET_ADC with 5 bytes", XP_CMD_SET_ADC, p, 5, 6));
	const unsigned anc = umin(2, c->info.cols);
	put16(p, 0), put16(p + 2, 0), put16(p + 4, anc);
	memset(p + 6, 0, 8);
	DO(expect_len(c, "SET_ADC with one record short", XP_CMD_SET_ADC, p, 6 + 4 * (anc - 1),
		      6 + 4 * anc));
	DO(expect_len(c, "RUN with 2 bytes", XP_CMD_RUN, p, 2, 3));
	const unsigned B = umin(2, bmax_of(c, n.n_in, n.n_out));
	put16(p, B), p[2] = 0;
	rnd_inputs(c, p + 3, (size_t)B * n.n_in);
	DO(expect_len(c, "RUN with one vector too few", XP_CMD_RUN, p, 3 + (B - 1) * n.n_in,
		      3 + B * n.n_in));
	/* CONFIGURE: a field past len → want = the offset just past it; bytes left over → want =
	 * where the last layer ended. */
	const size_t cl = cfg_payload(&n.cfg, p);
	DO(expect_len(c, "CONFIGURE with 0 bytes", XP_CMD_CONFIGURE, p, 0, 1));
	DO(expect_len(c, "CONFIGURE with nlayers only", XP_CMD_CONFIGURE, p, 1, 2));
	DO(expect_len(c, "CONFIGURE cut in the amul byte", XP_CMD_CONFIGURE, p, 4, 5));
	DO(expect_len(c, "CONFIGURE cut in n_in", XP_CMD_CONFIGURE, p, 6, 7));
	DO(expect_len(c, "CONFIGURE cut in the last tile", XP_CMD_CONFIGURE, p, cl - 1,
		      (uint32_t)cl));
	p[cl] = 0;
	if (cl + 1 <= c->info.max_request)
		DO(expect_len(c, "CONFIGURE with a byte after the last layer", XP_CMD_CONFIGURE, p,
			      cl + 1, (uint32_t)cl));
}

static void t_err_range_cells(conform *c)
{
	const int32_t R = c->info.rows, C = c->info.cols, T = c->info.tiles;
	const int32_t cmax = (1 << c->info.code_bits) - 1;
	uint8_t *p = c->pl;
	tnet n;
	DO(setup_net(c, &n));
	static const uint8_t cmds[2] = { XP_CMD_WRITE_CELLS, XP_CMD_READ_CELLS };
	for (int i = 0; i < 2; i++) {
		const uint8_t cmd = cmds[i];
		char what[120];
		const char *cn = xp_cmd_name(cmd);
		/* Rectangles of one cell, with their codes for WRITE_CELLS. */
		const size_t len = cmd == XP_CMD_WRITE_CELLS ? 12 : 10;
		memset(p, 0, 16);
#define RECT(t_, r0_, c0_, nr_, nc_) cells_payload(p, (t_), (r0_), (c0_), (nr_), (nc_))
		RECT(T, 0, 0, 1, 1);
		snprintf(what, sizeof(what), "%s tile = T", cn);
		DO(expect_range(c, what, cmd, p, len, 0, T, 0, T - 1));
		RECT(0xFFFF, 0, 0, 1, 1);
		snprintf(what, sizeof(what), "%s tile = 65535", cn);
		DO(expect_range(c, what, cmd, p, len, 0, 0xFFFF, 0, T - 1));
		RECT(0, R, 0, 1, 1);
		snprintf(what, sizeof(what), "%s r0 = R", cn);
		DO(expect_range(c, what, cmd, p, len, 2, R, 0, R - 1));
		RECT(0, 0, C, 1, 1);
		snprintf(what, sizeof(what), "%s c0 = C", cn);
		DO(expect_range(c, what, cmd, p, len, 4, C, 0, C - 1));
		const int32_t r0 = R > 3 ? R - 3 : 0, c0 = C > 2 ? C - 2 : 0;
		RECT(0, r0, 0, R - r0 + 1, 1);
		snprintf(what, sizeof(what), "%s r0 = %d, nr = R − r0 + 1", cn, r0);
		DO(expect_range(c, what, cmd, p, len, 6, R - r0 + 1, 1, R - r0));
		RECT(0, r0, 0, 0, 1);
		snprintf(what, sizeof(what), "%s nr = 0", cn);
		DO(expect_range(c, what, cmd, p, len, 6, 0, 1, R - r0));
		RECT(0, 0, c0, 1, C - c0 + 1);
		snprintf(what, sizeof(what), "%s c0 = %d, nc = C − c0 + 1", cn, c0);
		DO(expect_range(c, what, cmd, p, len, 8, C - c0 + 1, 1, C - c0));
		RECT(0, 0, c0, 1, 0);
		snprintf(what, sizeof(what), "%s nc = 0", cn);
		DO(expect_range(c, what, cmd, p, len, 8, 0, 1, C - c0));
	}
	/* READ_CELLS: nr beyond what one reply can carry (only when R − r0 allows it). */
	const uint32_t rmax = c->info.max_reply / (2u * C);
	if (rmax < (uint32_t)R) {
		RECT(0, 0, 0, rmax + 1, C);
		DO(expect_range(c, "READ_CELLS nr = ⌊max_reply / (2·nc)⌋ + 1", XP_CMD_READ_CELLS, p,
				10, 6, (int32_t)rmax + 1, 1, (int32_t)rmax));
	} else {
		note(c, "READ_CELLS nr > max_reply/(2·nc) not reachable: %u rows fit one reply",
		     (unsigned)rmax);
	}
	/* A code out of range: reported at its offset, nothing programmed (numerics §6.2). */
	if (cmax == 255) {
		note(c, "code_bits = 8: every u8 code is legal");
		return;
	}
	unsigned nr, nc;
	small_rect(c, 2, 3, &nr, &nc);
	const unsigned t = n.tiles[0], ncode = 2 * nr * nc;
	RECT(t, 0, 0, nr, nc);
	rnd_codes(c, p + 10, ncode);
	const unsigned bad = ncode > 2 ? ncode - 2 : ncode - 1; /* a later bad code is not named */
	p[10 + bad] = (uint8_t)(cmax + 1);
	if (bad < ncode - 1)
		p[10 + ncode - 1] = 0xFF;
	uint8_t g0[2 * 6], g1[2 * 6];
	TRY(xpnn_read_cells(c->b, t, 0, 0, nr, nc, g0));
	DO(expect_range(c, "WRITE_CELLS with a code = 2^code_bits", XP_CMD_WRITE_CELLS, p,
			10 + ncode, 10 + bad, cmax + 1, 0, cmax));
	TRY(xpnn_read_cells(c->b, t, 0, 0, nr, nc, g1));
	EXPECT(memcmp(g0, g1, 2 * nr * nc) == 0,
	       "a refused WRITE_CELLS changed stored conductances: %s → %s",
	       hex(g0, 2 * nr * nc, 12), hex(g1, 2 * nr * nc, 12));
#undef RECT
}

static void t_err_range_adc(conform *c)
{
	const int32_t C = c->info.cols, T = c->info.tiles;
	xp_adc adc[3] = { { 7, 3, -5 }, { 9, 4, 6 }, { 11, 5, 7 } };
	uint8_t *p = c->pl;
	tnet n;
	DO(setup_net(c, &n));
	const unsigned nc = umin(umin(3, C), (c->info.max_request - 6) / 4);
	EXPECT(nc >= 1, "max_request %" PRIu32 " cannot hold a one-column SET_ADC",
	       c->info.max_request);
	adc_payload(p, T, 0, nc, adc);
	DO(expect_range(c, "SET_ADC tile = T", XP_CMD_SET_ADC, p, 6 + 4 * nc, 0, T, 0, T - 1));
	adc_payload(p, 0, C, 1, adc);
	DO(expect_range(c, "SET_ADC c0 = C", XP_CMD_SET_ADC, p, 10, 2, C, 0, C - 1));
	adc_payload(p, 0, 0, 0, adc);
	DO(expect_range(c, "SET_ADC nc = 0", XP_CMD_SET_ADC, p, 6, 4, 0, 1, C));
	adc_payload(p, 0, C - 1, 2, adc);
	if (c->info.max_request >= 14)
		DO(expect_range(c, "SET_ADC c0 = C − 1, nc = 2", XP_CMD_SET_ADC, p, 14, 4, 2, 1,
				1));
	if (nc < 3)
		note(c, "shift/offset checked with %u records", nc);
	const unsigned k = nc - 1; /* the record with the bad field; earlier ones are fine */
	size_t len = adc_payload(p, 0, 0, nc, adc);
	p[6 + 4 * k + 1] = 32;
	DO(expect_range(c, "SET_ADC shift 32", XP_CMD_SET_ADC, p, len, 6 + 4 * k + 1, 32, 0, 31));
	adc_payload(p, 0, 0, nc, adc);
	put16(p + 6 + 4 * k + 2, (uint16_t)-2049);
	DO(expect_range(c, "SET_ADC offset −2049", XP_CMD_SET_ADC, p, len, 6 + 4 * k + 2, -2049,
			-2048, 2047));
	put16(p + 6 + 4 * k + 2, 2048);
	DO(expect_range(c, "SET_ADC offset 2048", XP_CMD_SET_ADC, p, len, 6 + 4 * k + 2, 2048,
			-2048, 2047));
	/* shift before offset within a record: both bad, shift reported. */
	p[6 + 4 * k + 1] = 40;
	DO(expect_range(c, "SET_ADC shift 40 and offset 2048", XP_CMD_SET_ADC, p, len,
			6 + 4 * k + 1, 40, 0, 31));
	/* All or nothing: a refused SET_ADC whose first columns were legal changes no output. */
	if (nc < 2)
		return;
	uint8_t x[64], sp[8];
	int16_t o1[256], o2[256];
	const unsigned B = umin(3, (unsigned)(sizeof(x) / n.n_in));
	rnd_inputs(c, x, (size_t)B * n.n_in);
	put64(sp, rnd64());
	TRY(xpnn_set_seed(c->b, get64(sp)));
	TRY(xpnn_run(c->b, x, B, 0, o1, NULL));
	xp_adc big[3] = { { 255, 0, 2047 }, { 255, 0, 2047 }, { 255, 0, 2047 } };
	len = adc_payload(p, n.tiles[n.cfg.nlayers - 1], 0, nc, big);
	p[6 + 4 * k + 1] = 32;
	DO(expect_range(c, "SET_ADC of the output tile, last record bad", XP_CMD_SET_ADC, p, len,
			6 + 4 * k + 1, 32, 0, 31));
	TRY(xpnn_set_seed(c->b, get64(sp)));
	TRY(xpnn_run(c->b, x, B, 0, o2, NULL));
	EXPECT(memcmp(o1, o2, sizeof(int16_t) * B * n.n_out) == 0,
	       "outputs changed after a refused SET_ADC (same seed, same inputs)");
}

/* Offset of layer l's record in cfg_payload's layout. */
static size_t layer_off(const tnet *n, unsigned l)
{
	size_t o = 1;
	for (unsigned i = 0; i < l; i++)
		o += 10 + 2u * n->layers[i].ntiles;
	return o;
}

static void t_err_range_configure(conform *c)
{
	const xpnn_info *I = &c->info;
	const int32_t T = I->tiles, ML = I->max_layers;
	uint8_t *p = c->pl;
	tnet n;
	DO(setup_net(c, &n));
	const unsigned L = n.cfg.nlayers;
	const size_t cl = cfg_payload(&n.cfg, p), last = layer_off(&n, L - 1);
#define FRESH() cfg_payload(&n.cfg, p)
	FRESH();
	p[0] = 0;
	DO(expect_range(c, "CONFIGURE nlayers 0", XP_CMD_CONFIGURE, p, cl, 0, 0, 1, ML));
	p[0] = (uint8_t)(ML + 1);
	DO(expect_range(c, "CONFIGURE nlayers max_layers + 1", XP_CMD_CONFIGURE, p, 1, 0, ML + 1, 1,
			ML));
	if (L == 2) {
		FRESH();
		p[1] = XP_ACT_IDENTITY;
		DO(expect_range(c, "CONFIGURE hidden layer act 0", XP_CMD_CONFIGURE, p, cl, 1, 0, 1,
				1));
		FRESH();
		put16(p + last + 4, n.layers[0].n_out + 1u);
		const int32_t n1 = n.layers[0].n_out;
		DO(expect_range(c, "CONFIGURE layer 1 n_in ≠ layer 0 n_out", XP_CMD_CONFIGURE, p,
				cl, (uint32_t)last + 4, n1 + 1, n1, n1));
	} else {
		note(c, "one-layer test network: hidden-layer and n_in chain checks not run");
	}
	FRESH();
	p[last] = 2;
	DO(expect_range(c, "CONFIGURE last layer act 2", XP_CMD_CONFIGURE, p, cl, (uint32_t)last, 2,
			0, 1));
	FRESH();
	p[1 + 1] = 2;
	DO(expect_range(c, "CONFIGURE bias 2", XP_CMD_CONFIGURE, p, cl, 2, 2, 0, 1));
	FRESH();
	p[1 + 3] = 16;
	DO(expect_range(c, "CONFIGURE ash 16", XP_CMD_CONFIGURE, p, cl, 4, 16, 0, 15));
	const int32_t nrb = 32768 >> (I->adc_bits - 1);
	const int32_t wmax = nrb * I->rows - n.layers[0].bias;
	const int32_t hi = wmax < I->max_width ? wmax : I->max_width;
	FRESH();
	put16(p + 5, 0);
	DO(expect_range(c, "CONFIGURE n_in 0", XP_CMD_CONFIGURE, p, cl, 5, 0, 1, hi));
	if (hi < 0xFFFF) {
		put16(p + 5, (uint32_t)hi + 1);
		DO(expect_range(c, "CONFIGURE n_in above min(max_width, NRB·R − bias)",
				XP_CMD_CONFIGURE, p, cl, 5, hi + 1, 1, hi));
	}
	FRESH();
	put16(p + 7, 0);
	DO(expect_range(c, "CONFIGURE n_out 0", XP_CMD_CONFIGURE, p, cl, 7, 0, 1, I->max_width));
	if (I->max_width < 0xFFFF) {
		put16(p + 7, I->max_width + 1u);
		DO(expect_range(c, "CONFIGURE n_out max_width + 1", XP_CMD_CONFIGURE, p, cl, 7,
				I->max_width + 1, 1, I->max_width));
	}
	FRESH();
	put16(p + 9, 2);
	DO(expect_range(c, "CONFIGURE ntiles 2 for a one-tile layer", XP_CMD_CONFIGURE, p, cl, 9, 2,
			1, 1));
	FRESH();
	put16(p + 11, (uint32_t)T);
	DO(expect_range(c, "CONFIGURE tile = T", XP_CMD_CONFIGURE, p, cl, 11, T, 0, T - 1));
#undef FRESH
}

static void t_err_range_run(conform *c)
{
	const int32_t xmax = (1 << c->info.dac_bits) - 1;
	uint8_t *p = c->pl;
	tnet n;
	DO(setup_net(c, &n));
	put16(p, 1);
	rnd_inputs(c, p + 3, n.n_in);
	p[2] = 2;
	DO(expect_range(c, "RUN flags 2", XP_CMD_RUN, p, 3 + n.n_in, 2, 2, 0, 1));
	p[2] = 0x80;
	DO(expect_range(c, "RUN flags 80", XP_CMD_RUN, p, 3 + n.n_in, 2, 0x80, 0, 1));
	if (xmax < 255) {
		const unsigned B = umin(2, bmax_of(c, n.n_in, n.n_out));
		put16(p, B);
		p[2] = 0;
		rnd_inputs(c, p + 3, (size_t)B * n.n_in);
		const unsigned at = (B - 1) * n.n_in + (n.n_in > 1 ? 1 : 0);
		p[3 + at] = (uint8_t)(xmax + 1);
		if (at < B * n.n_in - 1) /* a later bad code is not named */
			p[3 + B * n.n_in - 1] = 0xFF;
		DO(expect_range(c, "RUN with an input code = 2^dac_bits", XP_CMD_RUN, p,
				3 + B * n.n_in, 3 + at, xmax + 1, 0, xmax));
	} else {
		note(c, "dac_bits = 8: every u8 input code is legal");
	}
	/* flags are checked before the network (§4.9 order). */
	DO(reset(c));
	put16(p, 1);
	p[2] = 2;
	DO(expect_range(c, "RUN flags 2 with no network", XP_CMD_RUN, p, 3, 2, 2, 0, 1));
}

static void t_err_batch(conform *c)
{
	uint8_t *p = c->pl, e[16];
	tnet n;
	DO(setup_net(c, &n));
	const uint32_t b0 = bmax_of(c, n.n_in, n.n_out), b1 = bmax_of(c, n.n_in, n.n_all);
	put16(p, 0);
	p[2] = 0;
	DO(expect_err(c, "RUN batch 0", XP_CMD_RUN, p, 3, XP_RSP_BATCH, e, pl_len(e, 0, b0)));
	p[2] = 1;
	DO(expect_err(c, "RUN batch 0, flag 0", XP_CMD_RUN, p, 3, XP_RSP_BATCH, e,
		      pl_len(e, 0, b1)));
	if (b0 < 0xFFFF) {
		put16(p, b0 + 1);
		p[2] = 0;
		DO(expect_err(c, "RUN batch Bmax + 1 (header only)", XP_CMD_RUN, p, 3,
			      XP_RSP_BATCH, e, pl_len(e, b0 + 1, b0)));
	}
	if (b1 < 0xFFFF) {
		put16(p, b1 + 1);
		p[2] = 1;
		DO(expect_err(c, "RUN batch Bmax + 1, flag 0 (K = n_all)", XP_CMD_RUN, p, 3,
			      XP_RSP_BATCH, e, pl_len(e, b1 + 1, b1)));
	}
	put16(p, 0xFFFF);
	p[2] = 0;
	if (b0 < 0xFFFF)
		DO(expect_err(c, "RUN batch 65535", XP_CMD_RUN, p, 3, XP_RSP_BATCH, e,
			      pl_len(e, 0xFFFF, b0)));
}

static void t_err_state(conform *c)
{
	uint8_t *p = c->pl;
	tnet n;
	DO(setup_net(c, &n));
	DO(reset(c));
	put16(p, 1);
	p[2] = 0;
	rnd_inputs(c, p + 3, n.n_in);
	DO(expect_err(c, "RUN after RESET", XP_CMD_RUN, p, 3 + n.n_in, XP_RSP_STATE, NULL, 0));
	p[2] = 1;
	DO(expect_err(c, "RUN with flag 0 after RESET", XP_CMD_RUN, p, 3 + n.n_in, XP_RSP_STATE,
		      NULL, 0));
	put16(p, 0);
	p[2] = 0;
	DO(expect_err(c, "RUN batch 0 after RESET (state before batch)", XP_CMD_RUN, p, 3,
		      XP_RSP_STATE, NULL, 0));
}

static void t_err_conflict(conform *c)
{
	const xpnn_info *I = &c->info;
	uint8_t *p = c->pl, e[16];
	tnet n;
	DO(setup_net(c, &n));
	if (n.cfg.nlayers == 2) {
		/* The test network with both layers on layer 0's tile. */
		const uint16_t keep = n.tiles[1];
		n.tiles[1] = n.tiles[0];
		const size_t cl = cfg_payload(&n.cfg, p);
		n.tiles[1] = keep;
		const uint32_t at = (uint32_t)layer_off(&n, 1) + 10;
		DO(expect_err(c, "CONFIGURE with two layers on one tile", XP_CMD_CONFIGURE, p, cl,
			      XP_RSP_CONFLICT, e, pl_conflict(e, at, n.tiles[0], 11)));
	}
	/* One layer of two column blocks listing one tile twice. */
	if ((unsigned)I->cols + 1 <= I->max_width && I->max_request >= 15) {
		const uint16_t tl[2] = { (uint16_t)(I->tiles - 1), (uint16_t)(I->tiles - 1) };
		const xp_layer y = { .n_in = 1, .n_out = (uint16_t)(I->cols + 1), .bias = 0,
				     .act = XP_ACT_IDENTITY, .ntiles = 2, .tiles = tl };
		const xp_netcfg cfg = { 1, &y };
		const size_t cl = cfg_payload(&cfg, p);
		DO(expect_err(c, "CONFIGURE listing a tile twice in one layer", XP_CMD_CONFIGURE, p,
			      cl, XP_RSP_CONFLICT, e, pl_conflict(e, 13, tl[0], 11)));
	} else if (n.cfg.nlayers < 2) {
		skip(c, "no two-tile layer fits (C + 1 > max_width) and no two layers");
	}
}

/* 4. Resynchronisation. */

/* Expect the replies a board owes for the frames that garbage g (written after a delimiter)
 * makes, the last one ended by the next frame's leading 7E; count them by status. */
static int expect_garbage_replies(conform *c, const uint8_t *g, size_t n, uint32_t *nacks,
				  const char *what)
{
	uint8_t *want = malloc(c->rx_cap);
	reply r;
	size_t i = 0;
	int k = 0, rc = -1;
	EXPECTI(want, "out of memory");
	while (i <= n) {
		const uint8_t *q = memchr(g + i, XP_DELIM, n - i);
		const size_t j = q ? (size_t)(q - g) : n;
		if (j > i) {
			const size_t wl = predict_bad(c, g + i, j - i, want);
			k++;
			if (recv_frame(c, c->rx, &r, what))
				goto done;
			if (wl == 0) { /* a valid frame by chance: whatever it answers */
				note(c, "garbage made a valid frame: %s",
				     describe_body(r.body, r.blen));
			} else if (r.blen != wl || memcmp(r.body, want, wl) != 0) {
				fail(c, "%s: frame %d (%zu wire bytes %s): got %s, expected %s",
				     what, k, j - i, hex(g + i, j - i, 8),
				     describe_body(r.body, r.blen), describe_body(want, wl));
				goto done;
			} else {
				nacks[want[2]]++;
			}
		}
		i = j + 1;
	}
	rc = 0;
done:
	free(want);
	return rc;
}

static void t_resync_garbage(conform *c)
{
	uint8_t g[512];
	xpnn_status s0, s1;
	reply r;
	tnet n;
	DO(setup_net(c, &n));
	const int rounds = c->quick ? 3 : 12;
	for (int i = 0; i < rounds && c->nfail == 0; i++) {
		uint32_t nacks[XP_RSP_MAX + 1] = { 0 };
		const size_t len = 1 + rndu(sizeof(g));
		rnd_fill(g, len, i % 3 == 0 ? 4 : 24);
		if (i == 1)
			g[len - 1] = XP_DELIM; /* ends exactly at a frame boundary */
		DO(get_status(c, &s0));
		DO(raw_write(c, g, len));
		const uint8_t seq = new_seq(c);
		DO(send_req(c, XP_CMD_STATUS, seq, NULL, 0));
		DO(expect_garbage_replies(c, g, len, nacks, "garbage"));
		DO(expect_ok(c, XP_CMD_STATUS, seq, c->rx, &r, (long)XP_STATUS_LEN(c->info.tiles),
			     "STATUS after garbage"));
		DO(get_status(c, &s1));
		DO(same_state(c, &s0, &s1, "garbage"));
		for (unsigned k = 1; k <= XP_RSP_MAX; k++)
			EXPECT(s1.nacks[k] == s0.nacks[k] + nacks[k],
			       "%zu garbage bytes: nacks[%u] %" PRIu32 " → %" PRIu32
			       ", expected +%" PRIu32, len, k, s0.nacks[k], s1.nacks[k], nacks[k]);
	}
}

static void t_resync_truncated(conform *c)
{
	uint8_t want[64];
	xpnn_status s0, s1;
	reply r;
	tnet n;
	DO(setup_net(c, &n));
	for (int i = 0; i < (c->quick ? 2 : 6) && c->nfail == 0; i++) {
		/* The first part of a WRITE_CELLS frame, never closed. */
		const uint8_t s1q = new_seq(c);
		unsigned nr, nc;
		small_rect(c, 4, 4, &nr, &nc);
		cells_payload(c->pl, n.tiles[0], 0, 0, nr, nc);
		rnd_codes(c, c->pl + 10, 2 * nr * nc);
		const size_t wl = xpnn_encode_request(XP_CMD_WRITE_CELLS, s1q, c->pl,
						      10 + 2 * nr * nc, c->wire);
		const size_t cut = i == 0 ? wl / 2 : i == 1 ? 2 : 2 + rndu((unsigned)wl - 4);
		const size_t el = predict_bad(c, c->wire + 1, cut - 1, want);
		EXPECT(el > 0, "suite bug: a cut frame predicted valid");
		DO(get_status(c, &s0));
		DO(raw_write(c, c->wire, cut));
		const uint8_t s2q = new_seq(c);
		DO(send_req(c, XP_CMD_STATUS, s2q, NULL, 0));
		DO(recv_frame(c, c->rx, &r, "the truncated frame's reply"));
		EXPECT(r.blen == el && memcmp(r.body, want, el) == 0,
		       "WRITE_CELLS frame cut after %zu of %zu wire bytes: got %s, expected %s",
		       cut, wl, describe_body(r.body, r.blen), describe_body(want, el));
		DO(expect_ok(c, XP_CMD_STATUS, s2q, c->rx, &r, (long)XP_STATUS_LEN(c->info.tiles),
			     "STATUS after a truncated frame"));
		DO(get_status(c, &s1));
		DO(same_state(c, &s0, &s1, "a truncated WRITE_CELLS"));
	}
}

static void t_empty_frames(conform *c)
{
	static const uint8_t empties[] = { 0x7E, 0x7E, 0x7E, 0x7E, 0x7E };
	xpnn_status s0, s1;
	reply r;
	DO(get_status(c, &s0));
	DO(raw_write(c, empties, sizeof(empties)));
	const uint8_t seq = new_seq(c);
	DO(send_req(c, XP_CMD_STATUS, seq, NULL, 0));
	DO(expect_ok(c, XP_CMD_STATUS, seq, c->rx, &r, (long)XP_STATUS_LEN(c->info.tiles),
		     "STATUS after empty frames (the first frame back must be its reply)"));
	DO(get_status(c, &s1));
	EXPECT(s1.frames_ok == s0.frames_ok + 2, "frames_ok %" PRIu32 " → %" PRIu32
	       " over empty frames and two STATUS, expected +2", s0.frames_ok, s1.frames_ok);
	for (unsigned k = 1; k <= XP_RSP_MAX; k++)
		EXPECT(s1.nacks[k] == s0.nacks[k], "empty frames moved nacks[%u]: %" PRIu32 " → %"
		       PRIu32, k, s0.nacks[k], s1.nacks[k]);
}

/* 5. Duplicates. */

/* Send the same request twice with one seq: the replies must be byte for byte equal. */
static int send_twice(conform *c, uint8_t cmd, const void *pl, size_t len, const char *what)
{
	reply r1, r2;
	const uint8_t seq = new_seq(c);
	DOI(send_req(c, cmd, seq, pl, len));
	DOI(expect_reply(c, cmd, seq, c->rx2, &r1, what));
	DOI(send_req(c, cmd, seq, pl, len));
	DOI(expect_reply(c, cmd, seq, c->rx, &r2, what));
	EXPECTI(r1.blen == r2.blen && memcmp(r1.body, r2.body, r1.blen) == 0,
		"%s sent twice with seq %u: replies differ: %s / %s", what, seq,
		hex(r1.body, r1.blen, 24), hex(r2.body, r2.blen, 24));
	return 0;
}

static int expect_dup_counts(conform *c, const xpnn_status *s0, const xpnn_status *s1,
			     const char *what)
{
	EXPECTI(s1->duplicates == s0->duplicates + 1,
		"%s: duplicates %" PRIu32 " → %" PRIu32 ", expected +1", what, s0->duplicates,
		s1->duplicates);
	EXPECTI(s1->frames_ok == s0->frames_ok + 3,
		"%s: frames_ok %" PRIu32 " → %" PRIu32 ", expected +3 (both copies count, and the "
		"STATUS)", what, s0->frames_ok, s1->frames_ok);
	return 0;
}

static void t_dup_write_cells(conform *c)
{
	xpnn_status s0, s1;
	unsigned r0, c0, nr, nc;
	DO(reset(c));
	const unsigned t = rndu(c->info.tiles);
	rnd_rect(c, umin(64, (c->info.max_request - 10) / 2), &r0, &c0, &nr, &nc);
	const size_t cells = (size_t)nr * nc;
	cells_payload(c->pl, t, r0, c0, nr, nc);
	rnd_codes(c, c->pl + 10, 2 * cells);
	DO(get_status(c, &s0));
	DO(send_twice(c, XP_CMD_WRITE_CELLS, c->pl, 10 + 2 * cells, "WRITE_CELLS"));
	DO(get_status(c, &s1));
	DO(expect_dup_counts(c, &s0, &s1, "WRITE_CELLS twice"));
	EXPECT(s1.pulses == s0.pulses + 2 * cells &&
		       s1.tile_pulses[t] == s0.tile_pulses[t] + 2 * cells,
	       "WRITE_CELLS of %zu cells twice with one seq: P +%" PRIu64 ", pulses[%u] +%" PRIu32
	       ", expected +%zu once", cells, s1.pulses - s0.pulses, t,
	       s1.tile_pulses[t] - s0.tile_pulses[t], 2 * cells);
}

static void t_dup_run(conform *c)
{
	xpnn_status s0, s1;
	tnet n;
	DO(setup_net(c, &n));
	const unsigned B = umin(4, bmax_of(c, n.n_in, n.n_all));
	put16(c->pl, B);
	c->pl[2] = 1;
	rnd_inputs(c, c->pl + 3, (size_t)B * n.n_in);
	DO(get_status(c, &s0));
	DO(send_twice(c, XP_CMD_RUN, c->pl, 3 + (size_t)B * n.n_in, "RUN"));
	DO(get_status(c, &s1));
	DO(expect_dup_counts(c, &s0, &s1, "RUN twice"));
	EXPECT(s1.inferences == s0.inferences + B, "RUN of %u twice with one seq: N %" PRIu64
	       " → %" PRIu64 ", expected +%u once", B, s0.inferences, s1.inferences, B);
}

static void t_dup_reset(conform *c)
{
	xpnn_status s0, s1;
	tnet n;
	DO(setup_net(c, &n));
	DO(get_status(c, &s0));
	const uint32_t old = c->boot;
	c->boot = boot_next(old);
	DO(send_twice(c, XP_CMD_RESET, NULL, 0, "RESET"));
	/* get_status checks the boot id changed once: old × a + c, not twice. */
	DO(get_status(c, &s1));
	DO(expect_dup_counts(c, &s0, &s1, "RESET twice"));
	EXPECT(s1.nlayers == 0 && s1.pulses == 0, "after RESET: %u layers, P %" PRIu64, s1.nlayers,
	       s1.pulses);
}

static void t_dup_new_content(conform *c)
{
	xpnn_status s0, s1;
	reply r;
	DO(reset(c));
	unsigned nr, nc;
	small_rect(c, 3, 3, &nr, &nc);
	const size_t cells = (size_t)nr * nc, len = 10 + 2 * cells;
	cells_payload(c->pl, 0, 0, 0, nr, nc);
	rnd_codes(c, c->pl + 10, 2 * cells);
	memcpy(c->pl2, c->pl, len);
	c->pl2[10] = (uint8_t)(c->pl[10] ^ 1); /* another code: another CRC */
	DO(get_status(c, &s0));
	const uint8_t seq = new_seq(c);
	DO(send_req(c, XP_CMD_WRITE_CELLS, seq, c->pl, len));
	DO(expect_ok(c, XP_CMD_WRITE_CELLS, seq, c->rx, &r, 4, "WRITE_CELLS"));
	DO(send_req(c, XP_CMD_WRITE_CELLS, seq, c->pl2, len));
	DO(expect_ok(c, XP_CMD_WRITE_CELLS, seq, c->rx, &r, 4,
		     "another WRITE_CELLS with the same seq"));
	/* Another command with the same seq again: executed, its own reply. */
	DO(send_req(c, XP_CMD_STATUS, seq, NULL, 0));
	DO(expect_ok(c, XP_CMD_STATUS, seq, c->rx, &r, (long)XP_STATUS_LEN(c->info.tiles),
		     "STATUS with the same seq"));
	DO(get_status(c, &s1));
	EXPECT(s1.duplicates == s0.duplicates, "same seq, different content: duplicates %" PRIu32
	       " → %" PRIu32 ", expected no change", s0.duplicates, s1.duplicates);
	EXPECT(s1.pulses == s0.pulses + 4 * cells,
	       "two different WRITE_CELLS of %zu cells with one seq: P +%" PRIu64
	       ", expected +%zu (both executed)", cells, s1.pulses - s0.pulses, 4 * cells);
}

static void t_dup_error_reply(conform *c)
{
	xpnn_status s0, s1;
	reply r, r1;
	tnet n;
	DO(setup_net(c, &n));
	/* Errors of valid frames are remembered: a retried bad RUN is answered from memory. */
	put16(c->pl, 1);
	c->pl[2] = 2;
	DO(get_status(c, &s0));
	DO(send_twice(c, XP_CMD_RUN, c->pl, 3, "RUN with flags 2 (ERR_RANGE)"));
	DO(get_status(c, &s1));
	DO(expect_dup_counts(c, &s0, &s1, "a bad RUN twice"));
	EXPECT(s1.nacks[XP_RSP_RANGE] == s0.nacks[XP_RSP_RANGE] + 1,
	       "a bad RUN twice with one seq: nacks[ERR_RANGE] +%" PRIu32 ", expected +1 (a "
	       "re-sent duplicate is not counted again)",
	       s1.nacks[XP_RSP_RANGE] - s0.nacks[XP_RSP_RANGE]);
	/* The same for ERR_LEN and ERR_CMD. */
	static const struct {
		uint8_t cmd, len, status;
		const char *what;
	} bad[] = {
		{ XP_CMD_SET_SEED, 3, XP_RSP_LEN, "SET_SEED with 3 bytes (ERR_LEN)" },
		{ 0x42, 0, XP_RSP_CMD, "command 42 (ERR_CMD)" },
	};
	memset(c->pl, 0, 8);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		DO(get_status(c, &s0));
		DO(send_twice(c, bad[i].cmd, c->pl, bad[i].len, bad[i].what));
		DO(get_status(c, &s1));
		DO(expect_dup_counts(c, &s0, &s1, bad[i].what));
		EXPECT(s1.nacks[bad[i].status] == s0.nacks[bad[i].status] + 1,
		       "%s twice with one seq: nacks[%u] +%" PRIu32 ", expected +1", bad[i].what,
		       bad[i].status, s1.nacks[bad[i].status] - s0.nacks[bad[i].status]);
	}
	/* ERR_CRC and ERR_FRAME replies are not remembered (§2.4): after X, a corrupted X and a
	 * short frame with X's seq, X again is still a duplicate. */
	unsigned nr, nc;
	small_rect(c, 2, 2, &nr, &nc);
	const size_t cells = (size_t)nr * nc, len = 10 + 2 * cells;
	cells_payload(c->pl, n.tiles[0], 0, 0, nr, nc);
	rnd_codes(c, c->pl + 10, 2 * cells);
	DO(get_status(c, &s0));
	const uint8_t seq = new_seq(c);
	DO(send_req(c, XP_CMD_WRITE_CELLS, seq, c->pl, len));
	DO(expect_ok(c, XP_CMD_WRITE_CELLS, seq, c->rx2, &r1, 4, "WRITE_CELLS"));
	const size_t bl = build_body(c, XP_CMD_WRITE_CELLS, seq, c->pl, len);
	c->body[bl - 1] ^= 0x40;
	DO(send_body(c, c->body, bl));
	DO(expect_reply(c, XP_CMD_WRITE_CELLS, seq, c->rx, &r, "a corrupted copy"));
	EXPECT(r.status == XP_RSP_CRC, "a corrupted copy: %s, expected ERR_CRC",
	       xp_rsp_name(r.status));
	const uint8_t shortb[3] = { XP_CMD_WRITE_CELLS, seq, 0 };
	DO(send_body(c, shortb, 3));
	DO(expect_reply(c, XP_CMD_WRITE_CELLS, seq, c->rx, &r, "a 3-byte frame with the same seq"));
	EXPECT(r.status == XP_RSP_FRAME, "a 3-byte frame: %s, expected ERR_FRAME",
	       xp_rsp_name(r.status));
	DO(send_req(c, XP_CMD_WRITE_CELLS, seq, c->pl, len));
	DO(expect_reply(c, XP_CMD_WRITE_CELLS, seq, c->rx, &r, "WRITE_CELLS again"));
	EXPECT(r.blen == r1.blen && memcmp(r.body, r1.body, r.blen) == 0,
	       "WRITE_CELLS retried after ERR_CRC and ERR_FRAME replies: %s, first reply %s",
	       hex(r.body, r.blen, 16), hex(r1.body, r1.blen, 16));
	DO(get_status(c, &s1));
	EXPECT(s1.duplicates == s0.duplicates + 1 && s1.pulses == s0.pulses + 2 * cells,
	       "WRITE_CELLS retried after ERR_CRC and ERR_FRAME: duplicates +%" PRIu32 ", P +%"
	       PRIu64 ", expected +1 and +%zu (executed once)", s1.duplicates - s0.duplicates,
	       s1.pulses - s0.pulses, 2 * cells);
}

/* 6. Boot id. */

static void t_boot_id(conform *c)
{
	xpnn_status s;
	xpnn_info info;
	reply r;
	DO(get_status(c, &s));
	(void)xpnn_boot_changed(c->b);
	DO(get_status(c, &s));
	EXPECT(!xpnn_boot_changed(c->b), "xpnn_boot_changed reports a change without a RESET");
	for (int i = 0; i < 3; i++) {
		const uint32_t old = c->boot;
		DO(reset(c));
		EXPECT(c->boot != old, "RESET left the boot id at %08" PRIX32, old);
		EXPECT(xpnn_boot_changed(c->b), "xpnn_boot_changed misses the RESET %08" PRIX32
		       " → %08" PRIX32, old, c->boot);
		EXPECT(!xpnn_boot_changed(c->b), "xpnn_boot_changed reports the same RESET twice");
	}
	/* A RESET the library did not send itself (another host, or a power cycle): it notices it
	 * on the next exchange. */
	c->boot = boot_next(c->boot);
	DO(raw_ok(c, XP_CMD_RESET, NULL, 0, c->rx, &r, 0, "raw RESET"));
	DO(get_status(c, &s));
	EXPECT(xpnn_boot_changed(c->b), "xpnn_boot_changed misses a RESET sent as a raw frame");
	TRY(xpnn_info_get(c->b, &info));
	EXPECT(info.boot_id == c->boot && xpnn_boot_id(c->b) == c->boot,
	       "INFO boot_id %08" PRIX32 ", xpnn_boot_id %08" PRIX32 ", expected %08" PRIX32,
	       info.boot_id, xpnn_boot_id(c->b), c->boot);
}

/* 7. Maximum-size frames. */

static void t_max_frame(conform *c)
{
	const xpnn_info *I = &c->info;
	const uint32_t mr = I->max_request;
	uint8_t e[16];
	xpnn_status s0, s1;
	reply r;
	tnet n;
	DO(setup_net(c, &n));
	/* Any command: INFO padded to exactly max_request is a valid frame (ERR_LEN got =
	 * max_request), one byte more is ERR_FRAME reason 3. */
	rnd_fill(c->pl, mr + 1, 16);
	DO(expect_err(c, "INFO with max_request payload bytes", XP_CMD_INFO, c->pl, mr,
		      XP_RSP_LEN, e, pl_len(e, mr, 0)));
	uint8_t seq = new_seq(c);
	const size_t bl = build_body(c, XP_CMD_INFO, seq, c->pl, mr + 1);
	const size_t wl = ref_wire(c->body, bl, c->wire);
	DO(expect_err_wire(c, "INFO with max_request + 1 payload bytes", c->wire, wl, XP_CMD_INFO,
			   seq, XP_RSP_FRAME, e, pl_frame(e, XP_FRAME_LONG, mr + 7)));
	int exact = 0;
	/* WRITE_CELLS of exactly max_request bytes, if a rectangle has (max_request − 10)/2
	 * cells. */
	if (mr >= 12 && (mr - 10) % 2 == 0) {
		const uint32_t cells = (mr - 10) / 2;
		for (unsigned nc = umin(I->cols, cells); nc >= 1; nc--) {
			if (cells % nc || cells / nc > I->rows)
				continue;
			const unsigned nr = cells / nc;
			cells_payload(c->pl, 0, 0, 0, nr, nc);
			rnd_codes(c, c->pl + 10, 2 * (size_t)cells);
			DO(get_status(c, &s0));
			DO(raw_ok(c, XP_CMD_WRITE_CELLS, c->pl, mr, c->rx, &r, 4,
				  "WRITE_CELLS of exactly max_request bytes"));
			DO(get_status(c, &s1));
			EXPECT(s1.pulses == s0.pulses + 2 * cells,
			       "WRITE_CELLS of %u cells: P +%" PRIu64, cells,
			       s1.pulses - s0.pulses);
			exact++;
			break;
		}
	}
	/* RUN of exactly max_request bytes: one layer, n_in a divisor of max_request − 3. */
	for (unsigned d = umin(I->rows, I->max_width); d >= 1 && mr > 3; d--) {
		const uint32_t B = (mr - 3) / d;
		if ((mr - 3) % d || B > I->max_batch || B > (I->max_reply - 11) / 2)
			continue;
		const uint16_t tile = 0;
		const xp_layer y = { .n_in = (uint16_t)d, .n_out = 1, .bias = 0,
				     .act = XP_ACT_IDENTITY, .ntiles = 1, .tiles = &tile };
		const xp_netcfg cfg = { 1, &y };
		xpnn_shape sh;
		TRY(xpnn_configure(c->b, &cfg, &sh));
		TRY(xpnn_set_seed(c->b, 1));
		put16(c->pl, B);
		c->pl[2] = 0;
		rnd_inputs(c, c->pl + 3, (size_t)B * d);
		DO(raw_ok(c, XP_CMD_RUN, c->pl, mr, c->rx, &r, 11 + 2 * (long)B,
			  "RUN of exactly max_request bytes"));
		EXPECT(get16(r.pl) == B && get64(r.pl + 3) == 0, "RUN of %" PRIu32 " × %u inputs: "
		       "reply batch %" PRIu32 " n0 %" PRIu64, B, d, get16(r.pl), get64(r.pl + 3));
		exact++;
		break;
	}
	if (!exact)
		note(c, "no WRITE_CELLS or RUN of exactly %" PRIu32 " bytes fits this geometry",
		     mr);
}

/* 8. Batch limits. */

static int batch_split(conform *c, const tnet *n, unsigned flags)
{
	const unsigned K = flags ? n->n_all : n->n_out;
	const uint32_t bm = bmax_of(c, n->n_in, K);
	const uint32_t M = 3 * bm + 1;
	uint8_t *x = malloc((size_t)M * n->n_in);
	int16_t *o1 = malloc(sizeof(int16_t) * M * K), *o2 = malloc(sizeof(int16_t) * M * K);
	const uint64_t seed = rnd64();
	uint64_t n0;
	int rc = -1;
	if (!x || !o1 || !o2) {
		fail(c, "out of memory for a batch of %" PRIu32, M);
		goto done;
	}
	rnd_inputs(c, x, (size_t)M * n->n_in);
	if (lib(c, xpnn_set_seed(c->b, seed), "xpnn_set_seed") ||
	    lib(c, xpnn_run(c->b, x, M, flags, o1, &n0), "xpnn_run of 3·Bmax + 1"))
		goto done;
	if (n0 != 0) {
		fail(c, "xpnn_run after SET_SEED: n0 %" PRIu64 ", expected 0", n0);
		goto done;
	}
	if (lib(c, xpnn_set_seed(c->b, seed), "xpnn_set_seed"))
		goto done;
	for (uint32_t i = 0; i < M; i += bm) {
		const uint32_t b = M - i < bm ? M - i : bm;
		if (run_frame(c, x + (size_t)i * n->n_in, b, flags, n->n_in, K, o2 + (size_t)i * K,
			      &n0))
			goto done;
		if (n0 != i) {
			fail(c, "RUN frame at vector %" PRIu32 ": n0 %" PRIu64, i, n0);
			goto done;
		}
	}
	for (size_t i = 0; i < (size_t)M * K; i++)
		if (o1[i] != o2[i]) {
			fail(c, "flags %u: xpnn_run of %" PRIu32 " vectors differs from frames of "
			     "Bmax = %" PRIu32 " at vector %zu value %zu: %d vs %d", flags, M, bm,
			     i / K, i % K, o1[i], o2[i]);
			goto done;
		}
	rc = 0;
done:
	free(x);
	free(o1);
	free(o2);
	return rc;
}

static void t_batch_limits(conform *c)
{
	uint8_t e[16];
	xpnn_status s;
	reply r;
	tnet n;
	DO(setup_net(c, &n));
	const uint32_t bm = bmax_of(c, n.n_in, n.n_out);
	/* Bmax in one frame. */
	put16(c->pl, bm);
	c->pl[2] = 0;
	rnd_inputs(c, c->pl + 3, (size_t)(bm + 1) * n.n_in);
	DO(get_status(c, &s));
	DO(raw_ok(c, XP_CMD_RUN, c->pl, 3 + (size_t)bm * n.n_in, c->rx, &r,
		  11 + 2 * (long)bm * n.n_out, "RUN of Bmax"));
	EXPECT(get64(r.pl + 3) == s.inferences, "RUN of Bmax: n0 %" PRIu64 ", expected %" PRIu64,
	       get64(r.pl + 3), s.inferences);
	/* Bmax + 1, with all its vectors if they fit in a request, else the header only. */
	if (bm < 0xFFFF) {
		const uint64_t full = 3 + (uint64_t)(bm + 1) * n.n_in;
		put16(c->pl, bm + 1);
		DO(expect_err(c, "RUN of Bmax + 1", XP_CMD_RUN, c->pl,
			      full <= c->info.max_request ? (size_t)full : 3, XP_RSP_BATCH, e,
			      pl_len(e, bm + 1, bm)));
	}
	/* The library's split of 3·Bmax + 1 equals frames of Bmax after the same seed. */
	DO(batch_split(c, &n, 0));
	if (!c->quick)
		DO(batch_split(c, &n, XP_RUN_ALL_LAYERS));
}

/* 9. The library's link after raw garbage. */

/* Mark the seq every frame of garbage g echoes in its reply (the last frame closed by the
 * next request's leading 7E). */
static void garbage_echoes(conform *c, const uint8_t *g, size_t n, uint8_t used[256])
{
	uint8_t want[64];
	size_t i = 0;
	while (i <= n) {
		const uint8_t *q = memchr(g + i, XP_DELIM, n - i);
		const size_t j = q ? (size_t)(q - g) : n;
		if (j > i) {
			predict_bad(c, g + i, j - i, want);
			used[want[1]] = 1;
		}
		i = j + 1;
	}
}

/* Garbage, then library commands. The library retries at once on an ERR_CRC or ERR_FRAME
 * carrying its seq (§3.2), so the seq of the first command is one that no garbage frame
 * echoes, except in round 1 where exactly one crafted frame does: one retry at once, answered
 * as a duplicate, behind the reply to the first try. */
static void t_link_after_garbage(conform *c)
{
	uint8_t g[320];
	xpnn_info info;
	xpnn_status s;
	const uint8_t *rp;
	size_t rl;
	for (int i = 0; i < 3 && c->nfail == 0; i++) {
		uint8_t used[256] = { 0 };
		size_t len = 1 + rndu(sizeof(g) - 16);
		rnd_fill(g, len, 8);
		if (i == 0)
			g[len - 1] = 0x21; /* a frame left open */
		if (i == 2)
			g[len - 1] = XP_DELIM;
		garbage_echoes(c, g, len, used);
		unsigned seq = (unsigned)rnd64() & 0xFF;
		used[XP_DELIM] = 1; /* round 1 writes it unencoded */
		while (used[seq])
			seq = (seq + 1) & 0xFF;
		if (i == 1) { /* 7E 01 seq 11 22 33 44 55 7E: an INFO with a bad CRC */
			static const uint8_t tail[5] = { 0x11, 0x22, 0x33, 0x44, 0x55 };
			g[len++] = XP_DELIM;
			g[len++] = 8 ^ XP_DELIM; /* one block of 7 bytes */
			g[len++] = XP_CMD_INFO;
			g[len++] = (uint8_t)seq;
			memcpy(g + len, tail, sizeof(tail));
			len += sizeof(tail);
			g[len++] = XP_DELIM;
		}
		xpnn_set_next_seq(c->b, (uint8_t)seq);
		DO(raw_write(c, g, len));
		if (i == 2) {
			TRY(xpnn_transact(c->b, XP_CMD_INFO, NULL, 0, &rp, &rl));
			EXPECT(rl == XP_INFO_LEN && memcmp(rp, "XPNN", 4) == 0,
			       "xpnn_transact(INFO) after garbage: %zu bytes %s", rl,
			       hex(rp, rl, 8));
		} else {
			TRY(xpnn_info_get(c->b, &info));
			EXPECT(info.max_request == c->info.max_request &&
				       info.tiles == c->info.tiles,
			       "INFO after garbage differs from the session's");
		}
		DO(get_status(c, &s));
		drain(c); /* round 1: the duplicate reply to the retry */
	}
}

/* ================================ runner ================================ */

typedef struct test {
	const char *name;
	void (*fn)(conform *c);
	const char *what;
} test;

static const test tests[] = {
	{ "crc32c", t_crc32c, "CRC-32C known answers, against a bitwise reference (§2.2)" },
	{ "cobs", t_cobs, "COBS/7E known answers, request encoding, decoder round trips (§2.3)" },
	{ "info", t_info, "INFO reply: magic, versions, sizes, boot id (§4.1)" },
	{ "status", t_status, "STATUS reply: length, fields, counters (§4.2, §3.4)" },
	{ "reset", t_reset, "RESET: new boot id, state cleared, same as after a reset (§4.3)" },
	{ "set_seed", t_set_seed, "SET_SEED: nseed set, P = N = 0 (§4.4)" },
	{ "configure", t_configure, "CONFIGURE reply and shape, max_layers networks (§4.5)" },
	{ "set_adc", t_set_adc, "SET_ADC of whole tiles and edge values (§4.6)" },
	{ "write_cells", t_write_cells, "WRITE_CELLS: changed count, P and pulses[t] (§4.7)" },
	{ "write_list", t_write_list, "WRITE_LIST equals 1 x 1 WRITE_CELLS in list order (§4.10)" },
	{ "read_cells", t_read_cells, "READ_CELLS: lengths, sub-rectangles agree (§4.8)" },
	{ "run", t_run, "RUN: lengths, n0 and N, same seed same outputs, flag 0 (§4.9)" },
	{ "err_crc", t_err_crc, "ERR_CRC got/want (§5)" },
	{ "err_frame_cobs", t_err_frame_cobs, "ERR_FRAME reason 1: cut COBS blocks (§2.4)" },
	{ "err_frame_short", t_err_frame_short, "ERR_FRAME reason 2: bodies under 6 bytes (§2.4)" },
	{ "err_frame_long", t_err_frame_long, "ERR_FRAME reason 3: bodies over max_request + 6" },
	{ "err_cmd", t_err_cmd, "ERR_CMD: unknown commands, bit 7 set (§5)" },
	{ "err_len", t_err_len, "ERR_LEN got/want for every command (§4)" },
	{ "err_range_cells", t_err_range_cells, "ERR_RANGE of WRITE_CELLS, READ_CELLS (§4.7-8)" },
	{ "err_range_list", t_err_range_list, "ERR_LEN and ERR_RANGE of WRITE_LIST (§4.10)" },
	{ "err_range_adc", t_err_range_adc, "ERR_RANGE of SET_ADC, all or nothing (§4.6)" },
	{ "err_range_configure", t_err_range_configure, "ERR_RANGE of CONFIGURE (§4.5)" },
	{ "err_range_run", t_err_range_run, "ERR_RANGE of RUN: flags, input codes (§4.9)" },
	{ "err_batch", t_err_batch, "ERR_BATCH: batch 0, Bmax + 1 (§4.9)" },
	{ "err_state", t_err_state, "ERR_STATE: RUN with no network (§4.9)" },
	{ "err_conflict", t_err_conflict, "ERR_CONFLICT: a tile listed twice (§4.5)" },
	{ "resync_garbage", t_resync_garbage, "garbage, then a request: every reply exact (§2.3)" },
	{ "resync_truncated", t_resync_truncated, "a frame left open, then a valid one (§2.3)" },
	{ "empty_frames", t_empty_frames, "empty frames get no reply and count nothing (§2.3)" },
	{ "dup_write_cells", t_dup_write_cells, "a duplicate WRITE_CELLS programs once (§3.2)" },
	{ "dup_run", t_dup_run, "a duplicate RUN runs once (§3.2)" },
	{ "dup_reset", t_dup_reset, "a duplicate RESET resets once (§3.2)" },
	{ "dup_new_content", t_dup_new_content, "same seq, other content: executed (§3.2)" },
	{ "dup_error_reply", t_dup_error_reply, "error replies remembered, ERR_CRC/ERR_FRAME not" },
	{ "boot_id", t_boot_id, "boot id LCG and xpnn_boot_changed (§3.3)" },
	{ "max_frame", t_max_frame, "requests of max_request and max_request + 1 bytes (§2.4)" },
	{ "batch_limits", t_batch_limits, "RUN of Bmax, Bmax + 1, library split of 3·Bmax + 1" },
	{ "link_after_garbage", t_link_after_garbage, "library commands after raw garbage (§3.2)" },
};
#define NTESTS (sizeof(tests) / sizeof(tests[0]))

/* "name", "a,b,c" or "prefix*". */
static int selected(const char *only, const char *name)
{
	if (!only)
		return 1;
	const size_t nl = strlen(name);
	for (const char *p = only; *p;) {
		const char *e = strchr(p, ',');
		const size_t k = e ? (size_t)(e - p) : strlen(p);
		if (k > 0 && p[k - 1] == '*' ? strncmp(p, name, k - 1) == 0
					     : k == nl && strncmp(p, name, k) == 0)
			return 1;
		p += k + (e != NULL);
	}
	return 0;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Run one test; returns 1 if it failed. */
static int run_test(conform *c, const test *t)
{
	xpnn_status s;
	const double t0 = now_ms();
	c->nfail = 0;
	c->skip[0] = 0;
	c->note[0] = 0;
	rs = c->seed ^ fnv1a(t->name);
	const int stale = drain(c);
	if (stale && c->verbose)
		printf("# %s: %d stale frames dropped before the test\n", t->name, stale);
	/* Learn the boot id the board carries now (an earlier failure may have left it unknown). */
	if (xpnn_status_get(c->b, &s) == XPNN_OK)
		c->boot = xpnn_boot_id(c->b);
	t->fn(c);
	/* Nothing may be left unanswered or answered twice. */
	if (c->nfail == 0) {
		const long k = xpnn_raw_frame(c->b, c->rx, c->rx_cap, c->quiet_ms);
		if (k > 0)
			fail(c, "an unexpected frame after the test: %s",
			     describe_body(c->rx, (size_t)k));
	}
	if (c->nfail) {
		printf("FAIL - %s: %s\n", t->name, c->detail[0]);
		for (int i = 1; i < c->nfail && i < MAX_DETAIL; i++)
			printf("#   also: %s\n", c->detail[i]);
		if (c->nfail > MAX_DETAIL)
			printf("#   … and %d more\n", c->nfail - MAX_DETAIL);
		printf("#   reproduce: --seed %" PRIu64 " --only %s\n", c->seed, t->name);
	} else if (c->skip[0]) {
		printf("ok - %s # skip %s\n", t->name, c->skip);
	} else {
		printf("ok - %s\n", t->name);
	}
	if (c->note[0] && (c->verbose || c->nfail))
		printf("#   note: %s\n", c->note);
	if (c->verbose)
		printf("#   %.0f ms\n", now_ms() - t0);
	fflush(stdout);
	return c->nfail != 0;
}

static void log_line(void *ctx, const char *line)
{
	(void)ctx;
	printf("#   link: %s\n", line);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xpnn-conform --port PORT [--seed S] [--quick] [--list]\n"
		"                    [--only NAME[,NAME…]] [--timeout MS] [--verbose]\n"
		"\n"
		"Checks a board against docs/protocol.md: framing, every command's reply, every\n"
		"error reply byte for byte, resynchronisation, duplicates, boot ids, frame and\n"
		"batch limits. DESTRUCTIVE: the suite RESETs the board many times (configuration\n"
		"and conductances are lost). Limits and geometry come from the board's INFO.\n"
		"\n"
		"  --port PORT     the board (default: $XPNN_PORT; see below)\n"
		"  --seed S        seed of the suite's random data (default 1)\n"
		"  --quick         fewer random rounds\n"
		"  --list          list the checks and exit\n"
		"  --only NAMES    only these checks: comma-separated names, NAME* for a prefix\n"
		"  --timeout MS    deadline of one reply (default 5000)\n"
		"  --verbose       timings, notes and the library's link events\n"
		"  --help          this text\n"
		"\n"
		"Output: \"ok - NAME\" or \"FAIL - NAME: detail\" per check, then\n"
		"\"conform: N passed, M failed\". Exit status: the number of failed checks (at\n"
		"most 100); %d if the suite could not run (bad usage, the port does not open).\n"
		"\n%s\n",
		EXIT_CANNOT_RUN, xpnn_port_help());
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "seed", required_argument, NULL, 's' },
		{ "quick", no_argument, NULL, 'q' },
		{ "list", no_argument, NULL, 'l' },
		{ "only", required_argument, NULL, 'o' },
		{ "timeout", required_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	conform cf = { .seed = 1, .timeout_ms = 5000 };
	conform *c = &cf;
	const char *port = NULL, *only = NULL;
	int list = 0, opt;
	char *end;
	while ((opt = getopt_long(argc, argv, "p:s:qlo:t:vh", opts, NULL)) != -1) {
		switch (opt) {
		case 'p': port = optarg; break;
		case 's':
			c->seed = strtoull(optarg, &end, 0);
			if (*optarg == 0 || *end) {
				fprintf(stderr, "xpnn-conform: --seed %s: not an integer\n",
					optarg);
				return EXIT_CANNOT_RUN;
			}
			break;
		case 'q': c->quick = 1; break;
		case 'l': list = 1; break;
		case 'o': only = optarg; break;
		case 't':
			c->timeout_ms = (int)strtol(optarg, &end, 10);
			if (*optarg == 0 || *end || c->timeout_ms < 1) {
				fprintf(stderr,
					"xpnn-conform: --timeout %s: a positive number of ms\n",
					optarg);
				return EXIT_CANNOT_RUN;
			}
			break;
		case 'v': c->verbose = 1; break;
		case 'h': usage(stdout); return 0;
		default:
			fprintf(stderr, "HINT: xpnn-conform --help\n");
			return EXIT_CANNOT_RUN;
		}
	}
	if (optind < argc) {
		fprintf(stderr,
			"xpnn-conform: unexpected argument '%s'\nHINT: xpnn-conform --help\n",
			argv[optind]);
		return EXIT_CANNOT_RUN;
	}
	if (list) {
		for (size_t i = 0; i < NTESTS; i++)
			if (selected(only, tests[i].name))
				printf("%-20s %s\n", tests[i].name, tests[i].what);
		return 0;
	}
	size_t nsel = 0;
	for (size_t i = 0; i < NTESTS; i++)
		nsel += (size_t)selected(only, tests[i].name);
	if (nsel == 0) {
		fprintf(stderr,
			"xpnn-conform: --only %s matches no check\nHINT: xpnn-conform --list\n",
			only);
		return EXIT_CANNOT_RUN;
	}
	if (!port)
		port = getenv("XPNN_PORT");
	if (!port || !*port) {
		fprintf(stderr, "xpnn-conform: no board: give --port (e.g. --port model) or set "
				"XPNN_PORT\nHINT: xpnn-conform --help lists the port syntax\n");
		return EXIT_CANNOT_RUN;
	}

	printf("xpnn-conform: port %s, seed %" PRIu64 "%s\n", port, c->seed,
	       c->quick ? ", quick" : "");
	printf("xpnn-conform: this suite RESETs the board (destructive: its configuration and "
	       "conductances are lost)\n");
	fflush(stdout);
	xpnn_opts o;
	char err[XPNN_ERRMSG];
	xpnn_opts_default(&o);
	o.timeout_ms = c->timeout_ms;
	if (c->verbose)
		o.log = log_line;
	if (xpnn_open(&c->b, port, &o, err, sizeof(err)) != XPNN_OK) {
		fprintf(stderr, "xpnn-conform: cannot open %s: %s\n", port, err);
		return EXIT_CANNOT_RUN;
	}
	c->info = *xpnn_board_info(c->b);
	c->boot = c->info.boot_id;
	c->model = xpnn_model_board(xpnn_board_transport(c->b)) != NULL;
	c->quiet_ms = c->model ? 1 : 20; /* the model's read returns at once when nothing is due */
	if (c->model && xpnn_status_get(c->b, &c->first) == XPNN_OK) {
		const xpnn_linkstats ls = xpnn_link_stats(c->b);
		if (ls.retries == 0 && ls.bad_frames == 0) {
			c->first_ok = 1;
			c->first_tries = ls.tries;
		}
	}
	const xpnn_info *I = &c->info;
	printf("xpnn-conform: board impl %u version %u build %08" PRIX32
	       ": %u×%u×%u, dac %u code %u adc %u bits, max_layers %u, max_width %u, "
	       "max_batch %u, max_request %" PRIu32 ", max_reply %" PRIu32 "\n", I->impl,
	       I->impl_version, I->build_hash, I->rows, I->cols, I->tiles, I->dac_bits,
	       I->code_bits, I->adc_bits, I->max_layers, I->max_width, I->max_batch,
	       I->max_request, I->max_reply);
	fflush(stdout);

	c->pl_cap = (size_t)I->max_request + 4096;
	c->body_cap = c->pl_cap + XP_REQ_HDR + XP_CRC_LEN;
	c->wire_cap = XP_COBS_MAX(c->body_cap) + 2;
	c->rx_cap = (size_t)I->max_reply + XP_RSP_HDR + XP_CRC_LEN + 64;
	if (c->rx_cap < 4096)
		c->rx_cap = 4096;
	c->pl = malloc(c->pl_cap);
	c->pl2 = malloc(c->pl_cap + 2u * I->rows * I->cols);
	c->body = malloc(c->body_cap);
	c->wire = malloc(c->wire_cap);
	c->wire2 = malloc(c->wire_cap);
	c->dec = malloc(c->body_cap);
	c->rx = malloc(c->rx_cap);
	c->rx2 = malloc(c->rx_cap);
	int nfail = 0, npass = 0, nskip = 0;
	if (!c->pl || !c->pl2 || !c->body || !c->wire || !c->wire2 || !c->dec || !c->rx ||
	    !c->rx2) {
		fprintf(stderr, "xpnn-conform: out of memory for frames of %" PRIu32 " bytes\n",
			I->max_request);
		nfail = EXIT_CANNOT_RUN;
		goto out;
	}
	const double t0 = now_ms();
	for (size_t i = 0; i < NTESTS; i++) {
		if (!selected(only, tests[i].name))
			continue;
		if (run_test(c, &tests[i]))
			nfail++;
		else
			npass++, nskip += c->skip[0] != 0;
	}
	if (nskip)
		printf("conform: %d of the passed checks skipped (not applicable to this board)\n",
		       nskip);
	if (c->verbose) {
		const xpnn_linkstats ls = xpnn_link_stats(c->b);
		printf("# %.0f ms; link: %" PRIu64 " commands, %" PRIu64 " retries, %" PRIu64
		       " stale frames, %" PRIu64 " bad frames\n", now_ms() - t0, ls.commands,
		       ls.retries, ls.stale_frames, ls.bad_frames);
	}
	printf("conform: %d passed, %d failed\n", npass, nfail);
	if (nfail > 100)
		nfail = 100;
out:
	xpnn_close(c->b);
	free(c->pl);
	free(c->pl2);
	free(c->body);
	free(c->wire);
	free(c->wire2);
	free(c->dec);
	free(c->rx);
	free(c->rx2);
	return nfail;
}
