/*
 * xp_board.c — the C board engine: docs/protocol.md executed on the C model.
 *
 * Section numbers (§) refer to docs/protocol.md. Every command checks its fields in the order
 * the spec lists them and sends the first failing check's error reply, so that the RTL, which
 * must answer byte for byte the same, has one order to follow.
 */
#include <stdlib.h>
#include <string.h>

#include "xp_board.h"
#include "xp_cmodel_impl.h"

#define BOOT_LCG_A 1664525u
#define BOOT_LCG_C 1013904223u

struct xp_board {
	xp_board_config cfg;
	xp_chip *chip;
	xp_cobs_dec dec;
	uint8_t *rx;     /* decoded request body: max_request + 6 */
	uint8_t *body;   /* reply body under construction: max_reply + 11 */
	int16_t *out;    /* RUN: network outputs */
	int16_t *outs;   /* RUN: every layer's partial sums */
	uint8_t cmd, seq; /* of the request being answered */

	/* duplicate memory (§3.2): the last valid request and the wire bytes of its reply */
	int have_last;
	uint8_t last_seq, last_cmd;
	uint32_t last_len, last_crc;
	uint8_t *last;
	size_t last_wire; /* bytes of the remembered reply */

	/* transmit queue */
	uint8_t *tx;
	size_t tx_head, tx_len, tx_cap;

	/* counters (§3.4) */
	uint32_t frames_ok, duplicates, nacks[XP_RSP_MAX + 1];
	uint32_t *pulses;
	uint32_t boot_id;
};

const char *xp_cmd_name(unsigned cmd)
{
	static const char *const names[] = { "?", "INFO", "STATUS", "RESET", "SET_SEED",
		"CONFIGURE", "SET_ADC", "WRITE_CELLS", "READ_CELLS", "RUN", "WRITE_LIST" };
	return cmd < sizeof(names) / sizeof(names[0]) ? names[cmd] : "?";
}

const char *xp_rsp_name(unsigned status)
{
	static const char *const names[] = { "OK", "ERR_CRC", "ERR_FRAME", "ERR_CMD", "ERR_LEN",
		"ERR_RANGE", "ERR_BATCH", "ERR_STATE", "ERR_CONFLICT" };
	return status < sizeof(names) / sizeof(names[0]) ? names[status] : "?";
}

void xp_board_config_default(xp_board_config *c)
{
	memset(c, 0, sizeof(*c));
	xp_params_default(&c->params);
	c->max_request = 65536;
	c->max_reply = 65536;
	c->max_batch = 1024;
	c->max_width = XP_MAX_WIDTH;
	c->impl_version = 1;
	c->impl = 1;
	c->nthreads = 1;
}

xp_board_config xp_board_public_config(const xp_board *b)
{
	xp_board_config c = b->cfg;
	c.params = xp_chip_geometry(b->chip);
	return c;
}

/* ---- transmit queue ---- */

static uint8_t *tx_reserve(xp_board *b, size_t n)
{
	if (b->tx_head > 0 && b->tx_head + b->tx_len + n > b->tx_cap) {
		memmove(b->tx, b->tx + b->tx_head, b->tx_len);
		b->tx_head = 0;
	}
	if (b->tx_len + n > b->tx_cap) {
		size_t cap = b->tx_cap * 2;
		while (cap < b->tx_len + n)
			cap *= 2;
		uint8_t *t = realloc(b->tx, cap);
		if (!t)
			return NULL; /* the reply is lost, as on a noisy wire: the host retries */
		b->tx = t;
		b->tx_cap = cap;
	}
	return b->tx + b->tx_head + b->tx_len;
}

static void tx_append(xp_board *b, const uint8_t *p, size_t n)
{
	uint8_t *d = tx_reserve(b, n);
	if (d) {
		memcpy(d, p, n);
		b->tx_len += n;
	}
}

size_t xp_board_tx_pending(const xp_board *b) { return b->tx_len; }

size_t xp_board_tx(xp_board *b, uint8_t *out, size_t cap)
{
	const size_t n = cap < b->tx_len ? cap : b->tx_len;
	memcpy(out, b->tx + b->tx_head, n);
	b->tx_head += n;
	b->tx_len -= n;
	if (b->tx_len == 0)
		b->tx_head = 0;
	return n;
}

/* ---- replies ---- */

/* Start the reply to the current request; returns its payload. */
static uint8_t *rsp_begin(xp_board *b, unsigned status)
{
	b->body[0] = b->cmd | XP_REPLY_BIT;
	b->body[1] = b->seq;
	b->body[2] = (uint8_t)status;
	xp_put32(b->body + 3, b->boot_id);
	return b->body + XP_RSP_HDR;
}

/* Finish a reply with a payload of plen bytes and queue it; replies to valid frames are
 * remembered for duplicates (§3.2). */
static void rsp_send(xp_board *b, size_t plen, int remember)
{
	const size_t blen = XP_RSP_HDR + plen;
	xp_put32(b->body + blen, xp_crc32c(0, b->body, blen));
	const size_t wmax = XP_COBS_MAX(blen + XP_CRC_LEN) + 2;
	uint8_t *w = remember ? b->last : tx_reserve(b, wmax);
	xp_cobs_enc e;
	if (!w)
		return;
	if (b->body[2] != XP_RSP_OK)
		b->nacks[b->body[2]]++;
	w[0] = XP_DELIM;
	xp_cobs_enc_init(&e, w + 1);
	xp_cobs_enc_feed(&e, b->body, blen + XP_CRC_LEN);
	const size_t n = 1 + xp_cobs_enc_finish(&e, w + 1);
	w[n] = XP_DELIM;
	if (remember) {
		b->last_wire = n + 1;
		tx_append(b, b->last, b->last_wire);
	} else {
		b->tx_len += n + 1;
	}
}

static void rsp_empty(xp_board *b, unsigned status)
{
	rsp_begin(b, status);
	rsp_send(b, 0, 1);
}

static void err_len(xp_board *b, uint32_t got, uint32_t want)
{
	uint8_t *p = rsp_begin(b, XP_RSP_LEN);
	xp_put32(p, got);
	xp_put32(p + 4, want);
	rsp_send(b, 8, 1);
}

static void err_range(xp_board *b, uint32_t off, int32_t v, int32_t lo, int32_t hi)
{
	uint8_t *p = rsp_begin(b, XP_RSP_RANGE);
	xp_put16(p, off);
	xp_put32(p + 2, (uint32_t)v);
	xp_put32(p + 6, (uint32_t)lo);
	xp_put32(p + 10, (uint32_t)hi);
	rsp_send(b, 14, 1);
}

static int outside(int64_t v, int64_t lo, int64_t hi) { return v < lo || v > hi; }

/* Field checks: on failure send the error reply and return from the command. */
#define NEED(end)                                                                               \
	do {                                                                                    \
		if ((uint64_t)(end) > len) {                                                    \
			err_len(b, len, (uint32_t)(end));                                       \
			return;                                                                 \
		}                                                                               \
	} while (0)
#define RANGE(off, v, lo, hi)                                                                   \
	do {                                                                                    \
		if (outside((int64_t)(v), (int64_t)(lo), (int64_t)(hi))) {                      \
			err_range(b, (off), (int32_t)(v), (int32_t)(lo), (int32_t)(hi));        \
			return;                                                                 \
		}                                                                               \
	} while (0)

/* ---- commands (§4) ---- */

static void cmd_info(xp_board *b, uint32_t len)
{
	const xp_params *g = &b->cfg.params;
	if (len != 0) {
		err_len(b, len, 0);
		return;
	}
	uint8_t *p = rsp_begin(b, XP_RSP_OK);
	memset(p, 0, XP_INFO_LEN);
	memcpy(p, "XPNN", 4);
	xp_put16(p + 4, XP_PROTOCOL_VERSION);
	xp_put16(p + 6, XP_NUMERICS_VERSION);
	p[8] = b->cfg.impl; /* 1: C board engine (2 when it stands in for the RTL) */
	xp_put16(p + 10, b->cfg.impl_version);
	xp_put32(p + 12, b->cfg.build_hash);
	xp_put32(p + 16, b->boot_id);
	xp_put16(p + 20, g->rows);
	xp_put16(p + 22, g->cols);
	xp_put16(p + 24, g->tiles);
	p[26] = g->dac_bits;
	p[27] = g->code_bits;
	p[28] = g->adc_bits;
	p[29] = 8;  /* stored conductance bits */
	p[30] = 16; /* partial sums and outputs */
	p[31] = XP_MAX_LAYERS;
	xp_put16(p + 32, b->cfg.max_width);
	xp_put16(p + 34, b->cfg.max_batch);
	xp_put32(p + 36, b->cfg.max_request);
	xp_put32(p + 40, b->cfg.max_reply);
	rsp_send(b, XP_INFO_LEN, 1);
}

static void cmd_status(xp_board *b, uint32_t len)
{
	const unsigned T = b->cfg.params.tiles;
	if (len != 0) {
		err_len(b, len, 0);
		return;
	}
	uint8_t *p = rsp_begin(b, XP_RSP_OK);
	xp_put32(p, b->frames_ok);
	xp_put32(p + 4, b->duplicates);
	for (unsigned k = 1; k <= XP_RSP_MAX; k++)
		xp_put32(p + 8 + 4 * (k - 1), b->nacks[k]);
	xp_put64(p + 40, xp_chip_pulses(b->chip));
	xp_put64(p + 48, xp_chip_inferences(b->chip));
	xp_put64(p + 56, b->chip->nseed);
	p[64] = (uint8_t)xp_chip_nlayers(b->chip);
	p[65] = 0;
	xp_put16(p + 66, xp_chip_n_in(b->chip));
	xp_put16(p + 68, xp_chip_n_out(b->chip));
	xp_put16(p + 70, xp_chip_n_all_out(b->chip));
	xp_put16(p + 72, T);
	for (unsigned t = 0; t < T; t++)
		xp_put32(p + 74 + 4 * t, b->pulses[t]);
	rsp_send(b, XP_STATUS_LEN(T), 1);
}

static void cmd_reset(xp_board *b, uint32_t len)
{
	if (len != 0) {
		err_len(b, len, 0);
		return;
	}
	xp_chip_reset(b->chip);
	memset(b->pulses, 0, sizeof(uint32_t) * b->cfg.params.tiles);
#if XP_MUTANT != 8
	b->boot_id = b->boot_id * BOOT_LCG_A + BOOT_LCG_C;
#endif
	rsp_empty(b, XP_RSP_OK);
}

static void cmd_set_seed(xp_board *b, const uint8_t *pl, uint32_t len)
{
	if (len != 8) {
		err_len(b, len, 8);
		return;
	}
	xp_chip_set_seed(b->chip, xp_get64(pl));
	rsp_empty(b, XP_RSP_OK);
}

static void cmd_configure(xp_board *b, const uint8_t *pl, uint32_t len)
{
	const xp_params *g = &b->cfg.params;
	xp_layer layers[XP_MAX_LAYERS];
	uint16_t tiles[XP_MAX_TILES];
	uint32_t used_at[XP_MAX_TILES] = { 0 }; /* offset of first use + 1 */
	const uint32_t nrb_max = 32768u >> (g->adc_bits - 1);
	const uint32_t wcap = b->cfg.max_width; /* the board's, ≤ XP_MAX_WIDTH */
	uint32_t off = 0, k = 0, all = 0;

	NEED(1);
	const unsigned L = pl[0];
	RANGE(0, L, 1, XP_MAX_LAYERS);
	off = 1;
	for (unsigned l = 0; l < L; l++) {
		xp_layer *y = &layers[l];
		NEED(off + 1);
		RANGE(off, pl[off], l + 1 < L ? 1 : 0, 1);
		y->act = pl[off];
		NEED(off + 2);
		RANGE(off + 1, pl[off + 1], 0, 1);
		y->bias = pl[off + 1];
		NEED(off + 3);
		y->amul = pl[off + 2];
		NEED(off + 4);
		RANGE(off + 3, pl[off + 3], 0, XP_ACT_SHIFT_MAX);
		y->ash = pl[off + 3];
		NEED(off + 6);
		const uint32_t n_in = xp_get16(pl + off + 4);
		if (l > 0)
			RANGE(off + 4, n_in, layers[l - 1].n_out, layers[l - 1].n_out);
		const uint32_t wmax = nrb_max * g->rows - y->bias;
		RANGE(off + 4, n_in, 1, wmax < wcap ? wmax : wcap);
		y->n_in = (uint16_t)n_in;
		NEED(off + 8);
		const uint32_t n_out = xp_get16(pl + off + 6);
		RANGE(off + 6, n_out, 1, wcap);
		y->n_out = (uint16_t)n_out;
		NEED(off + 10);
		const uint32_t need = xp_layer_row_blocks(g, y) * xp_layer_col_blocks(g, y);
		const uint32_t nt = xp_get16(pl + off + 8);
		RANGE(off + 8, nt, need, need);
		y->ntiles = (uint16_t)nt;
		y->tiles = &tiles[k];
		off += 10;
		for (uint32_t i = 0; i < nt; i++, off += 2) {
			NEED(off + 2);
			const uint32_t t = xp_get16(pl + off);
			RANGE(off, t, 0, g->tiles - 1);
			if (used_at[t]) {
				uint8_t *p = rsp_begin(b, XP_RSP_CONFLICT);
				xp_put16(p, off);
				xp_put32(p + 2, t);
				xp_put16(p + 6, used_at[t] - 1);
				rsp_send(b, 8, 1);
				return;
			}
			used_at[t] = off + 1;
			tiles[k++] = (uint16_t)t;
		}
		all += n_out;
	}
	if (off != len) {
		err_len(b, len, off);
		return;
	}
	const xp_netcfg cfg = { (uint8_t)L, layers };
	if (xp_chip_configure(b->chip, &cfg, NULL, 0) != XP_OK) { /* unreachable: checked above */
		err_range(b, 0, (int32_t)L, 1, XP_MAX_LAYERS);
		return;
	}
	uint8_t *p = rsp_begin(b, XP_RSP_OK);
	xp_put16(p, layers[0].n_in);
	xp_put16(p + 2, layers[L - 1].n_out);
	xp_put16(p + 4, all);
	rsp_send(b, 6, 1);
}

static void cmd_set_adc(xp_board *b, const uint8_t *pl, uint32_t len)
{
	const xp_params *g = &b->cfg.params;
	xp_adc adc[XP_MAX_COLS];
	NEED(6);
	const uint32_t t = xp_get16(pl), c0 = xp_get16(pl + 2), nc = xp_get16(pl + 4);
	RANGE(0, t, 0, g->tiles - 1);
	RANGE(2, c0, 0, g->cols - 1);
	RANGE(4, nc, 1, g->cols - c0);
	if (len != 6 + 4 * nc) {
		err_len(b, len, 6 + 4 * nc);
		return;
	}
	for (uint32_t i = 0; i < nc; i++) {
		const uint8_t *q = pl + 6 + 4 * i;
		const int32_t o = (int16_t)xp_get16(q + 2);
		RANGE(6 + 4 * i + 1, q[1], 0, XP_ADC_SHIFT_MAX);
		RANGE(6 + 4 * i + 2, o, XP_ADC_OFF_MIN, XP_ADC_OFF_MAX);
		adc[i] = (xp_adc){ q[0], q[1], (int16_t)o };
	}
	xp_chip_set_adc(b->chip, t, c0, nc, adc, NULL, 0);
	rsp_empty(b, XP_RSP_OK);
}

/* tile, r0, c0, nr, nc of WRITE_CELLS and READ_CELLS. */
#define RECT_CHECKS()                                                                           \
	const uint32_t t = xp_get16(pl), r0 = xp_get16(pl + 2), c0 = xp_get16(pl + 4);                   \
	const uint32_t nr = xp_get16(pl + 6), nc = xp_get16(pl + 8);                                  \
	RANGE(0, t, 0, g->tiles - 1);                                                           \
	RANGE(2, r0, 0, g->rows - 1);                                                           \
	RANGE(4, c0, 0, g->cols - 1);                                                           \
	RANGE(6, nr, 1, g->rows - r0 + (XP_MUTANT == 9));                                       \
	RANGE(8, nc, 1, g->cols - c0)

static void cmd_write_cells(xp_board *b, const uint8_t *pl, uint32_t len)
{
	const xp_params *g = &b->cfg.params;
	const uint32_t cmax = (1u << g->code_bits) - 1;
	uint32_t changed = 0;
	NEED(10);
	RECT_CHECKS();
	const uint64_t want = 10 + (uint64_t)2 * nr * nc;
	if (len != want) {
		err_len(b, len, (uint32_t)want);
		return;
	}
	for (uint32_t i = 0; i < 2 * nr * nc; i++)
		RANGE(10 + i, pl[10 + i], 0, cmax);
	xp_chip_write(b->chip, t, r0, c0, nr, nc, pl + 10, &changed, NULL, 0);
	b->pulses[t] += 2 * nr * nc;
	uint8_t *p = rsp_begin(b, XP_RSP_OK);
	xp_put32(p, changed);
	rsp_send(b, 4, 1);
}

/* Scattered cells, in list order, each + then -: what hardware-in-the-loop training needs to
 * program only the cells whose codes changed (protocol §4.10). */
static void cmd_write_list(xp_board *b, const uint8_t *pl, uint32_t len)
{
	const xp_params *g = &b->cfg.params;
	const uint32_t cmax = (1u << g->code_bits) - 1;
	uint32_t changed = 0;
	NEED(XP_LIST_HDR);
	const uint32_t t = xp_get16(pl), count = xp_get16(pl + 2);
	RANGE(0, t, 0, g->tiles - 1);
	RANGE(2, count, 1, 65535);
	if (len != XP_LIST_HDR + XP_LIST_REC * count) {
		err_len(b, len, XP_LIST_HDR + XP_LIST_REC * count);
		return;
	}
	for (uint32_t i = 0; i < count; i++) {
		const uint32_t o = XP_LIST_HDR + XP_LIST_REC * i;
		RANGE(o, xp_get16(pl + o), 0, g->rows - 1);
		RANGE(o + 2, xp_get16(pl + o + 2), 0, g->cols - 1);
		RANGE(o + 4, pl[o + 4], 0, cmax);
		RANGE(o + 5, pl[o + 5], 0, cmax);
	}
	for (uint32_t i = 0; i < count; i++) {
		const uint8_t *q = pl + XP_LIST_HDR + XP_LIST_REC * i;
		uint32_t c1 = 0;
		xp_chip_write(b->chip, t, xp_get16(q), xp_get16(q + 2), 1, 1, q + 4, &c1, NULL, 0);
		changed += c1;
	}
	b->pulses[t] += 2 * count;
	uint8_t *p = rsp_begin(b, XP_RSP_OK);
	xp_put32(p, changed);
	rsp_send(b, 4, 1);
}

static void cmd_read_cells(xp_board *b, const uint8_t *pl, uint32_t len)
{
	const xp_params *g = &b->cfg.params;
	if (len != 10) {
		err_len(b, len, 10);
		return;
	}
	RECT_CHECKS();
	RANGE(6, nr, 1, b->cfg.max_reply / (2 * nc));
	uint8_t *p = rsp_begin(b, XP_RSP_OK);
	xp_chip_read(b->chip, t, r0, c0, nr, nc, p, NULL, 0);
	rsp_send(b, (size_t)2 * nr * nc, 1);
}

static void cmd_run(xp_board *b, const uint8_t *pl, uint32_t len)
{
	const uint32_t xmax = (1u << b->cfg.params.dac_bits) - 1;
	NEED(XP_RUN_HDR);
	const uint32_t batch = xp_get16(pl), flags = pl[2];
	RANGE(2, flags, 0, XP_RUN_ALL_LAYERS);
	const uint32_t n_in = xp_chip_n_in(b->chip);
	if (n_in == 0) {
		rsp_empty(b, XP_RSP_STATE);
		return;
	}
	const uint32_t K = flags ? xp_chip_n_all_out(b->chip) : xp_chip_n_out(b->chip);
	uint32_t bmax = b->cfg.max_batch;
	if ((b->cfg.max_request - XP_RUN_HDR) / n_in < bmax)
		bmax = (b->cfg.max_request - XP_RUN_HDR) / n_in;
	if ((b->cfg.max_reply - XP_RUN_RSP_HDR) / (2 * K) < bmax)
		bmax = (b->cfg.max_reply - XP_RUN_RSP_HDR) / (2 * K);
	if (batch < 1 || batch > bmax) {
		uint8_t *p = rsp_begin(b, XP_RSP_BATCH);
		xp_put32(p, batch);
		xp_put32(p + 4, bmax);
		rsp_send(b, 8, 1);
		return;
	}
	const uint64_t want = XP_RUN_HDR + (uint64_t)batch * n_in;
	if (len != want) {
		err_len(b, len, (uint32_t)want);
		return;
	}
	const uint8_t *x = pl + XP_RUN_HDR;
	if (xmax < 255)
		for (uint32_t i = 0; i < batch * n_in; i++)
			RANGE(XP_RUN_HDR + i, x[i], 0, xmax);
	const uint64_t n0 = xp_chip_inferences(b->chip);
	xp_chip_run(b->chip, x, batch, b->out, flags ? b->outs : NULL, b->cfg.nthreads, NULL, 0);
	uint8_t *p = rsp_begin(b, XP_RSP_OK);
	xp_put16(p, batch);
	p[2] = (uint8_t)flags;
	xp_put64(p + 3, n0);
	const int16_t *v = flags ? b->outs : b->out;
	uint8_t *q = p + XP_RUN_RSP_HDR;
	for (uint32_t i = 0; i < batch * K; i++)
		xp_put16(q + 2 * i, (uint16_t)v[i]);
	rsp_send(b, XP_RUN_RSP_HDR + (size_t)2 * batch * K, 1);
}

static void execute(xp_board *b, const uint8_t *pl, uint32_t len)
{
	switch (b->cmd) {
	case XP_CMD_INFO: cmd_info(b, len); break;
	case XP_CMD_STATUS: cmd_status(b, len); break;
	case XP_CMD_RESET: cmd_reset(b, len); break;
	case XP_CMD_SET_SEED: cmd_set_seed(b, pl, len); break;
	case XP_CMD_CONFIGURE: cmd_configure(b, pl, len); break;
	case XP_CMD_SET_ADC: cmd_set_adc(b, pl, len); break;
	case XP_CMD_WRITE_CELLS: cmd_write_cells(b, pl, len); break;
	case XP_CMD_READ_CELLS: cmd_read_cells(b, pl, len); break;
	case XP_CMD_RUN: cmd_run(b, pl, len); break;
	case XP_CMD_WRITE_LIST: cmd_write_list(b, pl, len); break;
	default: rsp_empty(b, XP_RSP_CMD); break;
	}
}

/* ---- receiving (§2.4) ---- */

static void frame_error(xp_board *b, unsigned reason, uint32_t length)
{
	uint8_t *p = rsp_begin(b, XP_RSP_FRAME);
	p[0] = (uint8_t)reason;
	xp_put32(p + 1, length);
	rsp_send(b, 5, 0);
}

static void on_frame(xp_board *b, int incomplete)
{
	const uint32_t L = b->dec.len;
	b->cmd = L >= 1 ? b->rx[0] : 0xFF;
	b->seq = L >= 2 ? b->rx[1] : 0;
	if ((uint64_t)L > (uint64_t)b->cfg.max_request + XP_REQ_HDR + XP_CRC_LEN) {
		frame_error(b, XP_FRAME_LONG, L);
		return;
	}
	if (incomplete) {
		frame_error(b, XP_FRAME_COBS, L);
		return;
	}
	if (L < XP_REQ_HDR + XP_CRC_LEN) {
		frame_error(b, XP_FRAME_SHORT, L);
		return;
	}
	const uint32_t got = xp_get32(b->rx + L - XP_CRC_LEN);
	const uint32_t want = xp_crc32c(0, b->rx, L - XP_CRC_LEN);
	if (got != want) {
		uint8_t *p = rsp_begin(b, XP_RSP_CRC);
		xp_put32(p, got);
		xp_put32(p + 4, want);
		rsp_send(b, 8, 0);
		return;
	}
	b->frames_ok++;
#if XP_MUTANT == 7
	if (b->have_last && b->seq == b->last_seq) {
#else
	if (b->have_last && b->seq == b->last_seq && b->cmd == b->last_cmd && L == b->last_len &&
	    got == b->last_crc) {
#endif
		b->duplicates++;
		tx_append(b, b->last, b->last_wire);
		return;
	}
	b->have_last = 1;
	b->last_seq = b->seq;
	b->last_cmd = b->cmd;
	b->last_len = L;
	b->last_crc = got;
	execute(b, b->rx + XP_REQ_HDR, L - XP_REQ_HDR - XP_CRC_LEN);
}

void xp_board_rx(xp_board *b, const uint8_t *in, size_t n)
{
	while (n > 0) {
		int done, incomplete = 0;
		const size_t k = xp_cobs_dec_feed(&b->dec, in, n, &done, &incomplete);
		in += k;
		n -= k;
		if (done) {
			on_frame(b, incomplete);
			xp_cobs_dec_next(&b->dec);
		}
	}
}

/* ---- life cycle ---- */

xp_status xp_board_create(xp_board **out, const xp_board_config *c, char *msg, size_t msglen)
{
	xp_board *b;
	xp_status st;
	*out = NULL;
	st = xp_params_check(&c->params, msg, msglen);
	if (st != XP_OK)
		return st;
	const uint32_t rmin = XP_STATUS_LEN(c->params.tiles);
	if (c->max_request < 16 || c->max_request > XP_MAX_PAYLOAD)
		return xp_fail(msg, msglen, XP_EINVAL, "max_request = %u: legal range 16 … %u",
			       c->max_request, XP_MAX_PAYLOAD);
	if (c->max_reply < rmin || c->max_reply > XP_MAX_PAYLOAD)
		return xp_fail(msg, msglen, XP_EINVAL,
			       "max_reply = %u: legal range %u … %u (the STATUS reply of %u tiles must fit)",
			       c->max_reply, rmin, XP_MAX_PAYLOAD, c->params.tiles);
	if (c->max_batch < 1)
		return xp_fail(msg, msglen, XP_EINVAL, "max_batch = 0: legal range 1 … 65535");
	if (c->max_width < 1 || c->max_width > XP_MAX_WIDTH)
		return xp_fail(msg, msglen, XP_EINVAL,
			       "max_width = %u: legal range 1 … %d (the widest layer, n_in and n_out)",
			       c->max_width, XP_MAX_WIDTH);
	if (c->impl < 1 || c->impl > 2)
		return xp_fail(msg, msglen, XP_EINVAL, "impl = %u: legal range 1 … 2", c->impl);
	if (c->nthreads < 1 || c->nthreads > XP_MAX_THREADS)
		return xp_fail(msg, msglen, XP_EINVAL, "nthreads = %u: legal range 1 … %d",
			       c->nthreads, XP_MAX_THREADS);
	b = calloc(1, sizeof(*b));
	if (!b)
		return xp_fail(msg, msglen, XP_ENOMEM, "out of memory creating a board");
	b->cfg = *c;
	b->boot_id = c->boot_id;
	const size_t rxcap = (size_t)c->max_request + XP_REQ_HDR + XP_CRC_LEN;
	const size_t bodycap = (size_t)c->max_reply + XP_RSP_HDR + XP_CRC_LEN;
	b->rx = malloc(rxcap);
	b->body = malloc(bodycap);
	b->out = malloc(c->max_reply + 2);
	b->outs = malloc(c->max_reply + 2);
	b->last = malloc(XP_COBS_MAX(bodycap) + 2);
	b->tx_cap = 4096;
	b->tx = malloc(b->tx_cap);
	b->pulses = calloc(c->params.tiles, sizeof(uint32_t));
	if (!b->rx || !b->body || !b->out || !b->outs || !b->last || !b->tx || !b->pulses) {
		xp_board_destroy(b);
		return xp_fail(msg, msglen, XP_ENOMEM, "out of memory creating a board");
	}
	st = xp_chip_create(&b->chip, &c->params, msg, msglen);
	if (st != XP_OK) {
		xp_board_destroy(b);
		return st;
	}
	xp_cobs_dec_init(&b->dec, b->rx, rxcap);
	*out = b;
	return XP_OK;
}

void xp_board_power_cycle(xp_board *b)
{
	/* what RESET does to the chip and the boot id (protocol §3.3), and what losing power
	 * does to the link: no remembered reply, no half-received frame, no queued bytes,
	 * counters from zero */
	xp_chip_reset(b->chip);
	memset(b->pulses, 0, sizeof(uint32_t) * b->cfg.params.tiles);
	b->boot_id = b->boot_id * BOOT_LCG_A + BOOT_LCG_C;
	b->have_last = 0;
	b->tx_head = b->tx_len = 0;
	b->frames_ok = b->duplicates = 0;
	memset(b->nacks, 0, sizeof(b->nacks));
	xp_cobs_dec_init(&b->dec, b->rx, (size_t)b->cfg.max_request + XP_REQ_HDR + XP_CRC_LEN);
}

void xp_board_destroy(xp_board *b)
{
	if (!b)
		return;
	xp_chip_destroy(b->chip);
	free(b->rx);
	free(b->body);
	free(b->out);
	free(b->outs);
	free(b->last);
	free(b->tx);
	free(b->pulses);
	free(b);
}
