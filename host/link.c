/*
 * link.c — libxpnn's link layer (framing, sequence numbers, deadlines, retries) and the typed
 * board API on top of it. docs/protocol.md is the spec; § numbers refer to it.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"
#include "xpnn.h"

struct xpnn_board {
	xpnn_transport tr;
	xpnn_opts o;
	uint8_t seq; /* of the next request */

	uint8_t *wire; /* encoded request */
	size_t wire_cap;

	uint8_t *in; /* bytes read from the transport, not yet decoded */
	size_t in_pos, in_len, in_cap;
	xp_cobs_dec dec;
	uint8_t *rsp; /* decoded reply body */
	size_t rsp_cap;

	xpnn_info info;
	uint32_t boot_id;
	int boot_known, boot_changed;
	xpnn_shape shape;
	int shape_known;

	/* context of the request in flight, for error messages */
	const xpnn_iov *iov;
	int niov;
	uint32_t run_base; /* RUN, WRITE_LIST: index of the frame's first vector / cell */

	xpnn_nack nack;
	xpnn_linkstats st;
	char err[XPNN_ERRMSG];
};

const char *xpnn_rc_name(int rc)
{
	switch (rc) {
	case XPNN_OK: return "OK";
	case XPNN_EARG: return "EARG";
	case XPNN_ENACK: return "ENACK";
	case XPNN_ETIMEOUT: return "ETIMEOUT";
	case XPNN_EIO: return "EIO";
	case XPNN_EPROTO: return "EPROTO";
	case XPNN_ENOMEM: return "ENOMEM";
	case XPNN_EPORT: return "EPORT";
	default: return "?";
	}
}

void xpnn_opts_default(xpnn_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->timeout_ms = 1000;
	o->retries = 3;
}

__attribute__((format(printf, 3, 4))) static int fail(xpnn_board *b, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(b->err, sizeof(b->err), fmt, ap);
	va_end(ap);
	return rc;
}

__attribute__((format(printf, 2, 3))) static void logf_(xpnn_board *b, const char *fmt, ...)
{
	char line[256];
	va_list ap;
	if (!b->o.log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	b->o.log(b->o.log_ctx, line);
}

static int grow(uint8_t **buf, size_t *cap, size_t need)
{
	if (need <= *cap)
		return 0;
	uint8_t *p = realloc(*buf, need);
	if (!p)
		return -1;
	*buf = p;
	*cap = need;
	return 0;
}

/* ---- framing ---- */

/* Encode cmd, seq, the payload pieces and their CRC into out (delimiters included). */
static size_t encode(uint8_t cmd, uint8_t seq, const xpnn_iov *iov, int niov, uint8_t *out)
{
	const uint8_t hdr[2] = { cmd, seq };
	uint8_t crc[4];
	xp_cobs_enc e;
	uint32_t c = xp_crc32c(0, hdr, 2);
	out[0] = XP_DELIM;
	xp_cobs_enc_init(&e, out + 1);
	xp_cobs_enc_feed(&e, hdr, 2);
	for (int i = 0; i < niov; i++) {
		c = xp_crc32c(c, iov[i].base, iov[i].len);
		xp_cobs_enc_feed(&e, iov[i].base, iov[i].len);
	}
	for (int i = 0; i < 4; i++)
		crc[i] = (uint8_t)(c >> (8 * i));
	xp_cobs_enc_feed(&e, crc, 4);
	const size_t n = 1 + xp_cobs_enc_finish(&e, out + 1);
	out[n] = XP_DELIM;
	return n + 1;
}

size_t xpnn_encode_request(uint8_t cmd, uint8_t seq, const void *payload, size_t len, uint8_t *out)
{
	const xpnn_iov iov = { payload, len };
	return encode(cmd, seq, &iov, 1, out);
}

/* The next frame the board sends, decoded into b->rsp: its length, 0 if none arrived before
 * the deadline, or XPNN_EIO. Frames too long for the buffer or cut short are skipped. */
static long next_frame(xpnn_board *b, int64_t deadline)
{
	int polled = 0; /* the transport is asked at least once, even past the deadline */
	for (;;) {
		if (b->in_pos < b->in_len) {
			int done, incomplete = 0;
			b->in_pos += xp_cobs_dec_feed(&b->dec, b->in + b->in_pos, b->in_len - b->in_pos,
						      &done, &incomplete);
			if (!done)
				continue;
			const uint32_t len = b->dec.len;
			xp_cobs_dec_next(&b->dec);
			if (incomplete || len > b->rsp_cap) {
				b->st.bad_frames++;
				continue;
			}
			return (long)len;
		}
		b->in_pos = b->in_len = 0;
		const int64_t left = deadline - xpnn_now_ms();
		if (left <= 0 && polled)
			return 0;
		polled = 1;
		char e[256] = "";
		const long n = b->tr.ops->read(&b->tr, b->in, b->in_cap, left > 0 ? (int)left : 0, e,
					       sizeof(e));
		if (n < 0)
			return fail(b, XPNN_EIO, "%s", e); /* the transport names its port */
		if (n == 0)
			return 0;
		b->in_len = (size_t)n;
		b->st.bytes_in += (uint64_t)n;
	}
}

/* ---- error messages naming the field (§5) ---- */

static size_t iov_total(const xpnn_iov *iov, int niov)
{
	size_t n = 0;
	for (int i = 0; i < niov; i++)
		n += iov[i].len;
	return n;
}

/* Byte off of the request payload in flight (0 past its end). */
static uint32_t req_byte(const xpnn_board *b, size_t off)
{
	for (int i = 0; i < b->niov; i++) {
		if (off < b->iov[i].len)
			return ((const uint8_t *)b->iov[i].base)[off];
		off -= b->iov[i].len;
	}
	return 0;
}
static uint32_t req16(const xpnn_board *b, size_t off)
{
	return req_byte(b, off) | req_byte(b, off + 1) << 8;
}

static void field_name(const xpnn_board *b, uint8_t cmd, uint32_t off, char *s, size_t n)
{
	static const char *const rect[] = { "tile", "row", "col", "rows", "cols" };
	switch (cmd) {
	case XP_CMD_SET_SEED:
		snprintf(s, n, "seed");
		return;
	case XP_CMD_CONFIGURE: {
		static const char *const lf[] = { "act", "bias", "amul", "ash", "n_in", "n_in",
			"n_out", "n_out", "ntiles", "ntiles" };
		if (off == 0) {
			snprintf(s, n, "nlayers");
			return;
		}
		uint32_t o = 1;
		for (unsigned l = 0; l < XP_MAX_LAYERS; l++) {
			const uint32_t len = 10 + 2 * req16(b, o + 8);
			if (off < o + len) {
				if (off - o < 10)
					snprintf(s, n, "layer %u %s", l, lf[off - o]);
				else
					snprintf(s, n, "layer %u tiles[%u]", l, (off - o - 10) / 2);
				return;
			}
			o += len;
		}
		break;
	}
	case XP_CMD_SET_ADC:
		if (off < 6) {
			snprintf(s, n, "%s", off < 2 ? "tile" : off < 4 ? "c0" : "nc");
		} else {
			static const char *const af[] = { "gain", "shift", "offset", "offset" };
			snprintf(s, n, "column %u %s", req16(b, 2) + (off - 6) / 4, af[(off - 6) % 4]);
		}
		return;
	case XP_CMD_WRITE_CELLS:
	case XP_CMD_READ_CELLS:
		if (off < 10) {
			snprintf(s, n, "%s", rect[off / 2]);
		} else {
			const uint32_t i = (off - 10) / 2, nc = req16(b, 8) ? req16(b, 8) : 1;
			snprintf(s, n, "code of cell (tile %u, row %u, col %u) %s", req16(b, 0),
				 req16(b, 2) + i / nc, req16(b, 4) + i % nc, (off - 10) % 2 ? "k-" : "k+");
		}
		return;
	case XP_CMD_WRITE_LIST:
		if (off < XP_LIST_HDR) {
			snprintf(s, n, "%s", off < 2 ? "tile" : "count");
		} else {
			static const char *const lf[] = { "row", "row", "col", "col", "k+", "k-" };
			snprintf(s, n, "cell[%u] %s", b->run_base + (off - XP_LIST_HDR) / XP_LIST_REC,
				 lf[(off - XP_LIST_HDR) % XP_LIST_REC]);
		}
		return;
	case XP_CMD_RUN:
		if (off < 3) {
			snprintf(s, n, "%s", off < 2 ? "batch" : "flags");
		} else {
			const uint32_t n_in = b->shape.n_in ? b->shape.n_in : 1;
			snprintf(s, n, "input x[%u][%u]", b->run_base + (off - 3) / n_in, (off - 3) % n_in);
		}
		return;
	default:
		break;
	}
	snprintf(s, n, "payload byte %u", off);
}

static int nack_error(xpnn_board *b, uint8_t cmd, uint8_t status, const uint8_t *p, size_t len)
{
	char f[96], f2[96];
	const char *cn = xp_cmd_name(cmd), *sn = xp_rsp_name(status);
	b->nack.cmd = cmd;
	b->nack.status = status;
	b->nack.len = len < sizeof(b->nack.payload) ? len : sizeof(b->nack.payload);
	memcpy(b->nack.payload, p, b->nack.len);
	switch (status) {
	case XP_RSP_LEN:
		if (len >= 8)
			return fail(b, XPNN_ENACK, "%s refused by the board: %s: payload of %u bytes, the board expects %u",
				    cn, sn, xp_get32(p), xp_get32(p + 4));
		break;
	case XP_RSP_RANGE:
		if (len >= 14) {
			field_name(b, cmd, xp_get16(p), f, sizeof(f));
			return fail(b, XPNN_ENACK, "%s refused by the board: %s: %s = %d: legal range %d … %d",
				    cn, sn, f, (int32_t)xp_get32(p + 2), (int32_t)xp_get32(p + 6),
				    (int32_t)xp_get32(p + 10));
		}
		break;
	case XP_RSP_BATCH:
		if (len >= 8)
			return fail(b, XPNN_ENACK, "%s refused by the board: %s: batch = %u: the board takes 1 … %u vectors per frame",
				    cn, sn, xp_get32(p), xp_get32(p + 4));
		break;
	case XP_RSP_STATE:
		return fail(b, XPNN_ENACK, "%s refused by the board: %s: no network is configured (CONFIGURE first)",
			    cn, sn);
	case XP_RSP_CONFLICT:
		if (len >= 8) {
			field_name(b, cmd, xp_get16(p), f, sizeof(f));
			field_name(b, cmd, xp_get16(p + 6), f2, sizeof(f2));
			return fail(b, XPNN_ENACK, "%s refused by the board: %s: %s = %d: tile already used by %s",
				    cn, sn, f, (int32_t)xp_get32(p + 2), f2);
		}
		break;
	case XP_RSP_CMD:
		return fail(b, XPNN_ENACK, "the board does not know command 0x%02x (%s): %s", cmd, cn, sn);
	default:
		break;
	}
	return fail(b, XPNN_ENACK, "%s refused by the board: %s (status 0x%02x, %zu payload bytes)", cn,
		    sn, status, len);
}

/* ---- one command ---- */

static void note_boot(xpnn_board *b, uint32_t boot)
{
	if (!b->boot_known) {
		b->boot_id = boot;
		b->boot_known = 1;
		return;
	}
	if (boot == b->boot_id)
		return;
	logf_(b, "boot id changed %08" PRIx32 " -> %08" PRIx32 ": the board was reset or power-cycled",
	      b->boot_id, boot);
	b->boot_id = boot;
	b->boot_changed = 1;
	b->shape_known = 0;
}

int xpnn_transact(xpnn_board *b, uint8_t cmd, const xpnn_iov *iov, int niov,
		  const uint8_t **reply, size_t *reply_len)
{
	const size_t plen = iov_total(iov, niov);
	const uint8_t seq = b->seq++;
	const char *cn = xp_cmd_name(cmd);
	char why[160] = "no reply";

	b->err[0] = 0;
	if (plen > b->info.max_request && b->info.max_request)
		return fail(b, XPNN_EARG, "%s: payload of %zu bytes exceeds the board's max_request %u",
			    cn, plen, b->info.max_request);
	if (grow(&b->wire, &b->wire_cap, XP_COBS_MAX(plen + 6) + 2))
		return fail(b, XPNN_ENOMEM, "%s: out of memory for a %zu-byte frame", cn, plen);
	const size_t wlen = encode(cmd, seq, iov, niov, b->wire);
	b->iov = iov;
	b->niov = niov;
	b->st.commands++;
	/* deadline of one try: base timeout + wire time of this request and the largest reply */
	const int64_t wire_ms = (int64_t)((wlen + (uint64_t)b->info.max_reply + 32) * b->tr.byte_ns / 1000000);
	const int64_t try_ms = b->o.timeout_ms + wire_ms;

	for (int attempt = 0; attempt <= b->o.retries; attempt++) {
		char e[256] = "";
		b->st.tries++;
		if (attempt > 0) {
			b->st.retries++;
			logf_(b, "%s seq %u: retry %d of %d (%s)", cn, seq, attempt, b->o.retries, why);
		}
		const int64_t deadline = xpnn_now_ms() + try_ms;
		int rc = b->tr.ops->write(&b->tr, b->wire, wlen, (int)try_ms, e, sizeof(e));
		if (rc == XPNN_ETIMEOUT) {
			snprintf(why, sizeof(why), "sending timed out: %s", e);
			continue;
		}
		if (rc != XPNN_OK)
			return fail(b, XPNN_EIO, "%s: %s", cn, e);
		b->st.bytes_out += wlen;
		for (;;) {
			const long n = next_frame(b, deadline);
			if (n < 0)
				return (int)n;
			if (n == 0) {
				b->st.timeouts++;
				snprintf(why, sizeof(why), "no reply within %" PRId64 " ms", try_ms);
				break;
			}
			const uint8_t *r = b->rsp;
			if (n < XP_RSP_HDR + XP_CRC_LEN ||
			    xp_get32(r + n - XP_CRC_LEN) != xp_crc32c(0, r, (size_t)n - XP_CRC_LEN)) {
				b->st.bad_frames++;
				continue;
			}
			if (r[1] != seq) {
				b->st.stale_frames++;
				continue;
			}
			note_boot(b, xp_get32(r + 3));
			if (r[0] != (cmd | XP_REPLY_BIT)) {
				b->st.stale_frames++; /* another command's reply, or an echo of noise */
				continue;
			}
			if (r[2] == XP_RSP_CRC || r[2] == XP_RSP_FRAME) {
				snprintf(why, sizeof(why), "the board received it damaged: %s",
					 xp_rsp_name(r[2]));
				break; /* retransmit at once */
			}
			const uint8_t *pl = r + XP_RSP_HDR;
			const size_t len = (size_t)n - XP_RSP_HDR - XP_CRC_LEN;
			if (reply)
				*reply = pl;
			if (reply_len)
				*reply_len = len;
			if (r[2] != XP_RSP_OK)
				return nack_error(b, cmd, r[2], pl, len);
			return XPNN_OK;
		}
	}
	return fail(b, XPNN_ETIMEOUT,
		    "%s (seq %u): no valid reply after %d tries of %" PRId64 " ms each (last: %s); check that the board is powered and the port is right",
		    cn, seq, b->o.retries + 1, try_ms, why);
}

/* ---- raw access (conformance tests) ---- */

int xpnn_raw_write(xpnn_board *b, const void *bytes, size_t n)
{
	char e[256] = "";
	int rc = b->tr.ops->write(&b->tr, bytes, n, b->o.timeout_ms, e, sizeof(e));
	if (rc != XPNN_OK)
		return fail(b, rc, "raw write: %s", e);
	b->st.bytes_out += n;
	return XPNN_OK;
}

long xpnn_raw_frame(xpnn_board *b, uint8_t *body, size_t cap, int timeout_ms)
{
	const long n = next_frame(b, xpnn_now_ms() + timeout_ms);
	if (n <= 0)
		return n;
	if ((size_t)n > cap)
		return fail(b, XPNN_EARG, "raw frame of %ld bytes does not fit %zu", n, cap);
	memcpy(body, b->rsp, (size_t)n);
	return n;
}

uint8_t xpnn_next_seq(const xpnn_board *b) { return b->seq; }
void xpnn_set_next_seq(xpnn_board *b, uint8_t seq) { b->seq = seq; }
const char *xpnn_errmsg(const xpnn_board *b) { return b->err; }
const xpnn_info *xpnn_board_info(const xpnn_board *b) { return &b->info; }
xpnn_transport *xpnn_board_transport(xpnn_board *b) { return &b->tr; }
xpnn_linkstats xpnn_link_stats(const xpnn_board *b) { return b->st; }
uint32_t xpnn_boot_id(const xpnn_board *b) { return b->boot_id; }
const xpnn_nack *xpnn_last_nack(const xpnn_board *b) { return &b->nack; }

int xpnn_boot_changed(xpnn_board *b)
{
	const int c = b->boot_changed;
	b->boot_changed = 0;
	return c;
}

/* ---- session ---- */

static int set_rsp_cap(xpnn_board *b, size_t max_reply)
{
	const size_t cap = max_reply + XP_RSP_HDR + XP_CRC_LEN;
	if (grow(&b->rsp, &b->rsp_cap, cap))
		return -1;
	xp_cobs_dec_init(&b->dec, b->rsp, b->rsp_cap);
	return 0;
}

int xpnn_open_transport(xpnn_board **out, xpnn_transport *t, const xpnn_opts *o, char *err,
			size_t errlen)
{
	xpnn_board *b = calloc(1, sizeof(*b));
	*out = NULL;
	if (!b) {
		snprintf(err, errlen, "out of memory");
		xpnn_port_close(t);
		return XPNN_ENOMEM;
	}
	b->tr = *t;
	if (o)
		b->o = *o;
	else
		xpnn_opts_default(&b->o);
	b->in_cap = 65536;
	b->in = malloc(b->in_cap);
	if (!b->in || set_rsp_cap(b, 65536)) {
		snprintf(err, errlen, "out of memory");
		xpnn_close(b);
		return XPNN_ENOMEM;
	}
	int rc = xpnn_info_get(b, &b->info);
	if (rc != XPNN_OK) {
		snprintf(err, errlen, "%s", b->err);
		xpnn_close(b);
		return rc;
	}
	b->boot_changed = 0;
	if (set_rsp_cap(b, b->info.max_reply)) {
		snprintf(err, errlen, "out of memory for replies of %u bytes", b->info.max_reply);
		xpnn_close(b);
		return XPNN_ENOMEM;
	}
	*out = b;
	return XPNN_OK;
}

int xpnn_open(xpnn_board **out, const char *port, const xpnn_opts *o, char *err, size_t errlen)
{
	xpnn_transport t;
	*out = NULL;
	int rc = xpnn_port_open(&t, port, err, errlen);
	if (rc != XPNN_OK)
		return rc;
	return xpnn_open_transport(out, &t, o, err, errlen);
}

void xpnn_close(xpnn_board *b)
{
	if (!b)
		return;
	xpnn_port_close(&b->tr);
	free(b->wire);
	free(b->in);
	free(b->rsp);
	free(b);
}

/* ---- typed commands ---- */

static int expect_len(xpnn_board *b, uint8_t cmd, size_t got, size_t want)
{
	if (got == want)
		return XPNN_OK;
	return fail(b, XPNN_EPROTO, "%s: reply payload of %zu bytes, expected %zu", xp_cmd_name(cmd),
		    got, want);
}

int xpnn_info_get(xpnn_board *b, xpnn_info *out)
{
	const uint8_t *p;
	size_t n;
	int rc = xpnn_transact(b, XP_CMD_INFO, NULL, 0, &p, &n);
	if (rc != XPNN_OK)
		return rc;
	if (n < XP_INFO_LEN || memcmp(p, "XPNN", 4) != 0)
		return fail(b, XPNN_EPROTO, "INFO: not an xpnn board (reply of %zu bytes without the XPNN magic)", n);
	xpnn_info i = {
		.protocol_version = (uint16_t)xp_get16(p + 4),
		.numerics_version = (uint16_t)xp_get16(p + 6),
		.impl = p[8],
		.impl_version = (uint16_t)xp_get16(p + 10),
		.build_hash = xp_get32(p + 12),
		.boot_id = xp_get32(p + 16),
		.rows = (uint16_t)xp_get16(p + 20),
		.cols = (uint16_t)xp_get16(p + 22),
		.tiles = (uint16_t)xp_get16(p + 24),
		.dac_bits = p[26],
		.code_bits = p[27],
		.adc_bits = p[28],
		.g_bits = p[29],
		.psum_bits = p[30],
		.max_layers = p[31],
		.max_width = (uint16_t)xp_get16(p + 32),
		.max_batch = (uint16_t)xp_get16(p + 34),
		.max_request = xp_get32(p + 36),
		.max_reply = xp_get32(p + 40),
	};
	if (i.protocol_version != XP_PROTOCOL_VERSION)
		return fail(b, XPNN_EPROTO, "INFO: the board speaks protocol version %u, this host version %d",
			    i.protocol_version, XP_PROTOCOL_VERSION);
	if (i.max_request < 16 || i.max_request > XP_MAX_PAYLOAD ||
	    i.max_reply < XP_STATUS_LEN(i.tiles) || i.max_reply > XP_MAX_PAYLOAD || !i.rows ||
	    !i.cols || !i.tiles || i.tiles > XP_MAX_TILES || i.cols > XP_MAX_COLS ||
	    i.rows > XP_MAX_ROWS || !i.max_batch || !i.max_width || i.max_width > XP_MAX_WIDTH)
		return fail(b, XPNN_EPROTO, "INFO: implausible board limits (rows %u, cols %u, tiles %u, max_request %u, max_reply %u, max_width %u)",
			    i.rows, i.cols, i.tiles, i.max_request, i.max_reply, i.max_width);
	*out = i;
	return XPNN_OK;
}

int xpnn_status_get(xpnn_board *b, xpnn_status *out)
{
	const uint8_t *p;
	size_t n;
	int rc = xpnn_transact(b, XP_CMD_STATUS, NULL, 0, &p, &n);
	if (rc != XPNN_OK)
		return rc;
	if (n < 74 || (rc = expect_len(b, XP_CMD_STATUS, n, XP_STATUS_LEN(xp_get16(p + 72)))) != XPNN_OK)
		return rc ? rc : fail(b, XPNN_EPROTO, "STATUS: reply of %zu bytes is too short", n);
	memset(out, 0, sizeof(*out));
	out->frames_ok = xp_get32(p);
	out->duplicates = xp_get32(p + 4);
	for (int k = 1; k <= XP_RSP_MAX; k++)
		out->nacks[k] = xp_get32(p + 8 + 4 * (k - 1));
	out->pulses = xp_get64(p + 40);
	out->inferences = xp_get64(p + 48);
	out->nseed = xp_get64(p + 56);
	out->nlayers = p[64];
	out->n_in = (uint16_t)xp_get16(p + 66);
	out->n_out = (uint16_t)xp_get16(p + 68);
	out->n_all = (uint16_t)xp_get16(p + 70);
	out->tiles = (uint16_t)xp_get16(p + 72);
	if (out->tiles > XP_MAX_TILES)
		return fail(b, XPNN_EPROTO, "STATUS: %u tiles", out->tiles);
	for (unsigned t = 0; t < out->tiles; t++)
		out->tile_pulses[t] = xp_get32(p + 74 + 4 * t);
	if (out->nlayers) {
		b->shape = (xpnn_shape){ out->n_in, out->n_out, out->n_all };
		b->shape_known = 1;
	}
	return XPNN_OK;
}

int xpnn_reset(xpnn_board *b)
{
	size_t n;
	int rc = xpnn_transact(b, XP_CMD_RESET, NULL, 0, NULL, &n);
	if (rc == XPNN_OK)
		b->shape_known = 0;
	return rc;
}

int xpnn_set_seed(xpnn_board *b, uint64_t seed)
{
	uint8_t p[8];
	xp_put64(p, seed);
	const xpnn_iov iov = { p, 8 };
	return xpnn_transact(b, XP_CMD_SET_SEED, &iov, 1, NULL, NULL);
}

int xpnn_configure(xpnn_board *b, const xp_netcfg *cfg, xpnn_shape *shape)
{
	uint8_t buf[1 + XP_MAX_LAYERS * 10 + 2 * XP_MAX_TILES];
	size_t n = 1;
	const uint8_t *p;
	size_t len;
	if (cfg->nlayers > XP_MAX_LAYERS)
		return fail(b, XPNN_EARG, "CONFIGURE: nlayers = %u: legal range 1 … %d", cfg->nlayers,
			    XP_MAX_LAYERS);
	buf[0] = cfg->nlayers;
	for (unsigned l = 0; l < cfg->nlayers; l++) {
		const xp_layer *y = &cfg->layers[l];
		if (n + 10 + 2 * (size_t)y->ntiles > sizeof(buf))
			return fail(b, XPNN_EARG, "CONFIGURE: layer %u: more than %d tiles in all", l,
				    XP_MAX_TILES);
		buf[n] = y->act;
		buf[n + 1] = y->bias;
		buf[n + 2] = y->amul;
		buf[n + 3] = y->ash;
		xp_put16(buf + n + 4, y->n_in);
		xp_put16(buf + n + 6, y->n_out);
		xp_put16(buf + n + 8, y->ntiles);
		for (unsigned i = 0; i < y->ntiles; i++)
			xp_put16(buf + n + 10 + 2 * i, y->tiles[i]);
		n += 10 + 2 * (size_t)y->ntiles;
	}
	const xpnn_iov iov = { buf, n };
	int rc = xpnn_transact(b, XP_CMD_CONFIGURE, &iov, 1, &p, &len);
	if (rc != XPNN_OK)
		return rc;
	if ((rc = expect_len(b, XP_CMD_CONFIGURE, len, 6)) != XPNN_OK)
		return rc;
	b->shape = (xpnn_shape){ (uint16_t)xp_get16(p), (uint16_t)xp_get16(p + 2), (uint16_t)xp_get16(p + 4) };
	b->shape_known = 1;
	if (shape)
		*shape = b->shape;
	return XPNN_OK;
}

int xpnn_set_adc(xpnn_board *b, unsigned tile, unsigned c0, unsigned nc, const xp_adc *adc)
{
	uint8_t buf[6 + 4 * XP_MAX_COLS];
	const unsigned per = (b->info.max_request - 6) / 4;
	if (nc < 1 || nc > XP_MAX_COLS)
		return fail(b, XPNN_EARG, "SET_ADC: nc = %u: legal range 1 … %d", nc, XP_MAX_COLS);
	for (unsigned done = 0; done < nc;) {
		const unsigned k = nc - done < per ? nc - done : per;
		xp_put16(buf, tile);
		xp_put16(buf + 2, c0 + done);
		xp_put16(buf + 4, k);
		for (unsigned i = 0; i < k; i++) {
			const xp_adc *a = &adc[done + i];
			buf[6 + 4 * i] = a->gain;
			buf[7 + 4 * i] = a->shift;
			xp_put16(buf + 8 + 4 * i, (uint16_t)a->offset);
		}
		const xpnn_iov iov = { buf, 6 + 4 * (size_t)k };
		int rc = xpnn_transact(b, XP_CMD_SET_ADC, &iov, 1, NULL, NULL);
		if (rc != XPNN_OK)
			return rc;
		done += k;
	}
	return XPNN_OK;
}

/* Rectangles are sent as row bands of full width when a row fits a frame, else row by row in
 * column pieces: both keep the row-major programming order of numerics §6.2, so the noise
 * each device draws does not depend on the board's frame size. */
static int rect_check(xpnn_board *b, const char *cn, unsigned tile, unsigned r0, unsigned c0,
		      unsigned nr, unsigned nc)
{
	const xpnn_info *i = &b->info;
	if (tile >= i->tiles || r0 >= i->rows || c0 >= i->cols || nr < 1 || nr > i->rows - r0 ||
	    nc < 1 || nc > i->cols - c0)
		return fail(b, XPNN_EARG,
			    "%s: rectangle tile %u, rows %u … %u, cols %u … %u is outside the board (%u tiles of %u x %u)",
			    cn, tile, r0, r0 + nr - 1, c0, c0 + nc - 1, i->tiles, i->rows, i->cols);
	return XPNN_OK;
}

int xpnn_write_cells(xpnn_board *b, unsigned tile, unsigned r0, unsigned c0, unsigned nr,
		     unsigned nc, const uint8_t *codes, uint32_t *changed)
{
	const size_t room = (b->info.max_request - 10) / 2; /* cells per frame */
	uint32_t total = 0;
	int rc = rect_check(b, "WRITE_CELLS", tile, r0, c0, nr, nc);
	if (rc != XPNN_OK)
		return rc;
	const unsigned cw = nc <= room ? nc : (unsigned)room;       /* columns per piece */
	const unsigned rh = nc <= room ? (unsigned)(room / nc) : 1; /* rows per piece */
	for (unsigned r = 0; r < nr; r += rh) {
		const unsigned h = nr - r < rh ? nr - r : rh;
		for (unsigned c = 0; c < nc; c += cw) {
			const unsigned w = nc - c < cw ? nc - c : cw;
			uint8_t hdr[10];
			xp_put16(hdr, tile);
			xp_put16(hdr + 2, r0 + r);
			xp_put16(hdr + 4, c0 + c);
			xp_put16(hdr + 6, h);
			xp_put16(hdr + 8, w);
			const uint8_t *src = codes + ((size_t)r * nc + c) * 2;
			const uint8_t *p;
			size_t len;
			if (w == nc) { /* full-width band: contiguous */
				const xpnn_iov iov[2] = { { hdr, 10 }, { src, (size_t)h * nc * 2 } };
				rc = xpnn_transact(b, XP_CMD_WRITE_CELLS, iov, 2, &p, &len);
			} else { /* one row, one column piece (h == 1) */
				const xpnn_iov iov[2] = { { hdr, 10 }, { src, (size_t)w * 2 } };
				rc = xpnn_transact(b, XP_CMD_WRITE_CELLS, iov, 2, &p, &len);
			}
			if (rc != XPNN_OK)
				return rc;
			if ((rc = expect_len(b, XP_CMD_WRITE_CELLS, len, 4)) != XPNN_OK)
				return rc;
			total += xp_get32(p);
		}
	}
	if (changed)
		*changed = total;
	return XPNN_OK;
}

int xpnn_write_list(xpnn_board *b, unsigned tile, const xpnn_cell *cells, size_t n,
		    uint32_t *changed)
{
	const size_t per = (b->info.max_request - XP_LIST_HDR) / XP_LIST_REC;
	uint8_t *buf;
	uint32_t total = 0;
	int rc = XPNN_OK;
	if (tile >= b->info.tiles)
		return fail(b, XPNN_EARG, "WRITE_LIST: tile %u is outside the board (%u tiles)", tile,
			    b->info.tiles);
	buf = malloc(XP_LIST_HDR + XP_LIST_REC * (per < n ? per : n) + 1);
	if (!buf)
		return fail(b, XPNN_ENOMEM, "WRITE_LIST: out of memory for %zu cells", n);
	for (size_t done = 0; done < n && rc == XPNN_OK;) {
		const size_t k = n - done < per ? n - done : per;
		const uint8_t *p;
		size_t len;
		xp_put16(buf, tile);
		xp_put16(buf + 2, (uint32_t)k);
		for (size_t i = 0; i < k; i++) {
			uint8_t *q = buf + XP_LIST_HDR + XP_LIST_REC * i;
			xp_put16(q, cells[done + i].row);
			xp_put16(q + 2, cells[done + i].col);
			q[4] = cells[done + i].kp;
			q[5] = cells[done + i].km;
		}
		const xpnn_iov iov = { buf, XP_LIST_HDR + XP_LIST_REC * k };
		b->run_base = (uint32_t)done;
		rc = xpnn_transact(b, XP_CMD_WRITE_LIST, &iov, 1, &p, &len);
		if (rc == XPNN_OK && (rc = expect_len(b, XP_CMD_WRITE_LIST, len, 4)) == XPNN_OK)
			total += xp_get32(p);
		done += k;
	}
	free(buf);
	if (rc == XPNN_OK && changed)
		*changed = total;
	return rc;
}

int xpnn_read_cells(xpnn_board *b, unsigned tile, unsigned r0, unsigned c0, unsigned nr,
		    unsigned nc, uint8_t *g)
{
	const size_t room = b->info.max_reply / 2;
	int rc = rect_check(b, "READ_CELLS", tile, r0, c0, nr, nc);
	if (rc != XPNN_OK)
		return rc;
	const unsigned cw = nc <= room ? nc : (unsigned)room;
	const unsigned rh = nc <= room ? (unsigned)(room / nc) : 1;
	for (unsigned r = 0; r < nr; r += rh) {
		const unsigned h = nr - r < rh ? nr - r : rh;
		for (unsigned c = 0; c < nc; c += cw) {
			const unsigned w = nc - c < cw ? nc - c : cw;
			uint8_t hdr[10];
			const uint8_t *p;
			size_t len;
			xp_put16(hdr, tile);
			xp_put16(hdr + 2, r0 + r);
			xp_put16(hdr + 4, c0 + c);
			xp_put16(hdr + 6, h);
			xp_put16(hdr + 8, w);
			const xpnn_iov iov = { hdr, 10 };
			rc = xpnn_transact(b, XP_CMD_READ_CELLS, &iov, 1, &p, &len);
			if (rc != XPNN_OK)
				return rc;
			if ((rc = expect_len(b, XP_CMD_READ_CELLS, len, (size_t)h * w * 2)) != XPNN_OK)
				return rc;
			for (unsigned i = 0; i < h; i++)
				memcpy(g + (((size_t)(r + i) * nc) + c) * 2, p + (size_t)i * w * 2, (size_t)w * 2);
		}
	}
	return XPNN_OK;
}

int xpnn_shape_get(xpnn_board *b, xpnn_shape *shape)
{
	if (!b->shape_known) {
		xpnn_status st;
		int rc = xpnn_status_get(b, &st);
		if (rc != XPNN_OK)
			return rc;
		if (!st.nlayers) {
			b->nack = (xpnn_nack){ .cmd = XP_CMD_RUN, .status = XP_RSP_STATE };
			return fail(b, XPNN_ENACK, "RUN: the board has no network configured (CONFIGURE first)");
		}
	}
	if (shape)
		*shape = b->shape;
	return XPNN_OK;
}

int xpnn_run(xpnn_board *b, const uint8_t *x, uint32_t batch, unsigned flags, int16_t *out,
	     uint64_t *n0)
{
	xpnn_shape s;
	int rc = xpnn_shape_get(b, &s);
	if (rc != XPNN_OK)
		return rc;
	if (flags & ~(unsigned)XP_RUN_ALL_LAYERS)
		return fail(b, XPNN_EARG, "RUN: flags = 0x%x: only XP_RUN_ALL_LAYERS (1) is defined", flags);
	const uint32_t K = flags ? s.n_all : s.n_out;
	uint32_t bmax = b->info.max_batch;
	if ((b->info.max_request - XP_RUN_HDR) / s.n_in < bmax)
		bmax = (b->info.max_request - XP_RUN_HDR) / s.n_in;
	if ((b->info.max_reply - XP_RUN_RSP_HDR) / (2 * K) < bmax)
		bmax = (b->info.max_reply - XP_RUN_RSP_HDR) / (2 * K);
	if (bmax == 0)
		return fail(b, XPNN_EARG, "RUN: one vector of %u inputs does not fit the board's frames (max_request %u)",
			    s.n_in, b->info.max_request);
	for (uint32_t i = 0; i < batch;) {
		const uint32_t k = batch - i < bmax ? batch - i : bmax;
		uint8_t hdr[3] = { (uint8_t)k, (uint8_t)(k >> 8), (uint8_t)flags };
		const xpnn_iov iov[2] = { { hdr, 3 }, { x + (size_t)i * s.n_in, (size_t)k * s.n_in } };
		const uint8_t *p;
		size_t len;
		b->run_base = i;
		rc = xpnn_transact(b, XP_CMD_RUN, iov, 2, &p, &len);
		if (rc != XPNN_OK)
			return rc;
		if ((rc = expect_len(b, XP_CMD_RUN, len, XP_RUN_RSP_HDR + (size_t)2 * k * K)) != XPNN_OK)
			return rc;
		if (xp_get16(p) != k || p[2] != flags)
			return fail(b, XPNN_EPROTO, "RUN: reply for batch %u flags %u, sent batch %u flags %u",
				    xp_get16(p), p[2], k, flags);
		if (i == 0 && n0)
			*n0 = xp_get64(p + 3);
		const uint8_t *q = p + XP_RUN_RSP_HDR;
		int16_t *o = out + (size_t)i * K;
		for (size_t j = 0; j < (size_t)k * K; j++)
			o[j] = (int16_t)xp_get16(q + 2 * j);
		i += k;
	}
	return XPNN_OK;
}
