/*
 * protofuzz.c — xpnn-protofuzz: random boards and random byte streams for the protocol
 * differential test. For each seed it writes DIR/proto_SEED.cfg (the board: numerics §2
 * parameters and the INFO limits and identity of protocol §4.1, "key value" per line),
 * DIR/proto_SEED.in (the bytes a host sent) and DIR/proto_SEED.out (what the C board engine
 * answered). tests/indep/xpnn_protocol.py, written from docs/protocol.md alone, must answer
 * the same bytes (make protocol-indep); issue 6's RTL co-simulation can replay the same files.
 *
 * A stream mixes well-formed commands fitted to the board (every command, networks that map
 * onto its tiles, rectangles and batches within its limits) with damaged fields, random
 * commands, garbage, truncated and oversized frames, bad CRCs, duplicates, a reused sequence
 * number with new content, and empty frames.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testrng.h"
#include "xpnn.h"

#define EVENTS 250

typedef struct gen {
	xp_board_config cfg;
	xp_board *board;
	uint8_t *pl, *wire, *last; /* payload, encoded frame, last frame sent */
	size_t last_n;
	uint8_t seq;
	unsigned n_in, n_out, n_all; /* of the network the stream configured (0: none) */
	/* the streams */
	uint8_t *in, *out;
	size_t in_n, in_cap, out_n, out_cap;
} gen;

static void die(const char *what)
{
	fprintf(stderr, "xpnn-protofuzz: %s\n", what);
	exit(1);
}

static void append(uint8_t **buf, size_t *n, size_t *cap, const uint8_t *p, size_t k)
{
	if (*n + k > *cap) {
		*cap = (*n + k) * 2 + 4096;
		*buf = realloc(*buf, *cap);
		if (!*buf)
			die("out of memory");
	}
	memcpy(*buf + *n, p, k);
	*n += k;
}

/* Send bytes to the board; collect its answer. */
static void send(gen *g, const uint8_t *p, size_t k)
{
	static uint8_t tmp[1 << 16];
	append(&g->in, &g->in_n, &g->in_cap, p, k);
	xp_board_rx(g->board, p, k);
	size_t m;
	while ((m = xp_board_tx(g->board, tmp, sizeof(tmp))) > 0)
		append(&g->out, &g->out_n, &g->out_cap, tmp, m);
}

static unsigned umin(unsigned a, unsigned b) { return a < b ? a : b; }
static unsigned rnd_in(unsigned lo, unsigned hi) { return lo + rndu(hi - lo + 1); }

static void random_board(gen *g)
{
	xp_board_config *c = &g->cfg;
	xp_params *p = &c->params;
	xp_board_config_default(c);
	p->rows = (uint16_t)rnd_in(1, 40);
	p->cols = (uint16_t)rnd_in(1, 20);
	p->tiles = (uint16_t)rnd_in(1, 6);
	p->dac_bits = (uint8_t)rnd_in(1, 8);
	p->code_bits = (uint8_t)rnd_in(1, 8);
	p->adc_bits = (uint8_t)rnd_in(2, 12);
	p->dseed = rnd64();
	p->p_sa0 = rnd_in(0, 3000);
	p->p_samax = rnd_in(0, 2000);
	p->s_var = (uint16_t)rnd_in(0, 200);
	p->s_prog = (uint16_t)rnd_in(0, 100);
	p->s_read = (uint16_t)rnd_in(0, 3000);
	p->s_gain = (uint16_t)rnd_in(0, 100);
	p->s_off = (uint16_t)rnd_in(0, 40);
	c->max_request = rnd_in(16, 2048);
	c->max_reply = rnd_in(XP_STATUS_LEN(p->tiles), 4096);
	c->max_batch = (uint16_t)rnd_in(1, 8);
	if (rndu(4) == 0) /* a board narrower than its tiles: CONFIGURE meets max_width */
		c->max_width = (uint16_t)rnd_in(1, 2u * p->rows);
	c->boot_id = (uint32_t)rnd64();
	c->build_hash = (uint32_t)rnd64();
	c->impl_version = (uint16_t)rnd64();
}

/* A network that maps onto the board's free tiles (numerics §8-§9), as CONFIGURE's payload. */
static size_t gen_configure(gen *g)
{
	const xp_params *p = &g->cfg.params;
	uint8_t *q = g->pl;
	uint8_t used[XP_MAX_TILES] = { 0 };
	unsigned free_tiles = p->tiles, L = rnd_in(1, 2), prev = 0, all = 0, first_in = 0;
	size_t n = 1;
	unsigned l;
	for (l = 0; l < L; l++) {
		unsigned bias = rndu(2), n_in = l ? prev : rnd_in(1, 2u * p->rows);
		unsigned n_out = rnd_in(1, 2u * p->cols);
		unsigned nrb = (n_in + bias + p->rows - 1) / p->rows, ncb = (n_out + p->cols - 1) / p->cols;
		if (nrb * ncb > free_tiles) {
			n_out = umin(n_out, p->cols);
			ncb = 1;
		}
		if (nrb * ncb > free_tiles && l == 0) {
			bias = p->rows > 1 ? bias : 0;
			n_in = p->rows - bias;
			nrb = 1;
		}
		if (nrb * ncb > free_tiles)
			break; /* no room for this layer: the previous one is the last */
		uint8_t *y = q + n;
		y[0] = 1; /* act: fixed below for the last layer */
		y[1] = (uint8_t)bias;
		y[2] = (uint8_t)rnd64();
		y[3] = (uint8_t)rndu(16);
		xp_put16(y + 4, n_in);
		xp_put16(y + 6, n_out);
		xp_put16(y + 8, nrb * ncb);
		for (unsigned i = 0; i < nrb * ncb; i++) {
			unsigned t;
			do
				t = rndu(p->tiles);
			while (used[t]);
			used[t] = 1;
			xp_put16(y + 10 + 2 * i, t);
		}
		free_tiles -= nrb * ncb;
		n += 10 + 2 * (size_t)nrb * ncb;
		if (l == 0)
			first_in = n_in;
		prev = n_out;
		all += n_out;
	}
	q[0] = (uint8_t)l;
	/* the last layer may be IDENTITY: find it and draw its activation */
	size_t o = 1;
	for (unsigned i = 0; i + 1 < l; i++)
		o += 10 + 2 * (size_t)xp_get16(q + o + 8);
	q[o] = (uint8_t)rndu(2);
	if (n > 13 && rndu(8) == 0) /* a tile listed twice: ERR_CONFLICT */
		memcpy(q + n - 2, q + 11, 2);
	g->n_in = first_in;
	g->n_out = prev;
	g->n_all = all;
	return n;
}

/* A payload for cmd that fits the board (damaged now and then by the caller). */
static size_t gen_payload(gen *g, uint8_t cmd)
{
	const xp_params *p = &g->cfg.params;
	const unsigned R = p->rows, C = p->cols, T = p->tiles;
	const unsigned cmax = (1u << p->code_bits) - 1, xmax = (1u << p->dac_bits) - 1;
	uint8_t *q = g->pl;
	switch (cmd) {
	case XP_CMD_SET_SEED:
		xp_put64(q, rnd64());
		return 8;
	case XP_CMD_CONFIGURE:
		return gen_configure(g);
	case XP_CMD_SET_ADC: {
		const unsigned c0 = rndu(C), nc = umin(rnd_in(1, C - c0), (g->cfg.max_request - 6) / 4);
		xp_put16(q, rndu(T));
		xp_put16(q + 2, c0);
		xp_put16(q + 4, nc);
		for (unsigned i = 0; i < nc; i++) {
			q[6 + 4 * i] = (uint8_t)rnd64();
			q[7 + 4 * i] = (uint8_t)rndu(32);
			xp_put16(q + 8 + 4 * i, (uint16_t)(int16_t)((int)rndu(4096) - 2048));
		}
		return 6 + 4 * (size_t)nc;
	}
	case XP_CMD_WRITE_CELLS:
	case XP_CMD_READ_CELLS: {
		const unsigned room = cmd == XP_CMD_WRITE_CELLS ? (g->cfg.max_request - 10) / 2
								 : g->cfg.max_reply / 2;
		const unsigned r0 = rndu(R), c0 = rndu(C);
		const unsigned nc = umin(rnd_in(1, C - c0), room);
		unsigned nr = umin(rnd_in(1, umin(R - r0, 6)), room / nc);
		if (cmd == XP_CMD_READ_CELLS && rndu(6) == 0) /* past what one reply holds */
			nr = umin(R - r0, room / nc + 1);
		xp_put16(q, rndu(T));
		xp_put16(q + 2, r0);
		xp_put16(q + 4, c0);
		xp_put16(q + 6, nr);
		xp_put16(q + 8, nc);
		if (cmd == XP_CMD_READ_CELLS)
			return 10;
		for (unsigned i = 0; i < 2 * nr * nc; i++)
			q[10 + i] = (uint8_t)rndu(cmax + 1);
		return 10 + 2 * (size_t)nr * nc;
	}
	case XP_CMD_WRITE_LIST: {
		const unsigned count = umin(rnd_in(1, 8), (g->cfg.max_request - 4) / 6);
		xp_put16(q, rndu(T));
		xp_put16(q + 2, count);
		for (unsigned i = 0; i < count; i++) {
			uint8_t *r = q + 4 + 6 * i;
			xp_put16(r, rndu(R));
			xp_put16(r + 2, rndu(C));
			r[4] = (uint8_t)rndu(cmax + 1);
			r[5] = (uint8_t)rndu(cmax + 1);
		}
		return 4 + 6 * (size_t)count;
	}
	case XP_CMD_RUN: {
		const unsigned flags = rndu(2), n_in = g->n_in ? g->n_in : 1;
		const unsigned K = flags ? g->n_all : g->n_out;
		unsigned bmax = g->cfg.max_batch;
		bmax = umin(bmax, (g->cfg.max_request - 3) / n_in);
		if (K)
			bmax = umin(bmax, (g->cfg.max_reply - 11) / (2 * K));
		unsigned batch = bmax ? rnd_in(1, umin(bmax, 4)) : 1;
		if (rndu(10) == 0) /* ERR_BATCH */
			batch = rndu(2) ? 0 : bmax + 1;
		xp_put16(q, batch);
		q[2] = (uint8_t)flags;
		if (3 + (size_t)batch * n_in > g->cfg.max_request + 16)
			return 3;
		for (unsigned i = 0; i < batch * n_in; i++)
			q[3 + i] = (uint8_t)rndu(xmax + 1);
		return 3 + (size_t)batch * n_in;
	}
	default: /* INFO, STATUS, RESET */
		return 0;
	}
}

static void frame(gen *g, uint8_t cmd, uint8_t seq, size_t n)
{
	g->last_n = xpnn_encode_request(cmd, seq, g->pl, n, g->last);
	send(g, g->last, g->last_n);
}

static void stream(gen *g)
{
	static const uint8_t cmds[] = { XP_CMD_INFO, XP_CMD_STATUS, XP_CMD_RESET, XP_CMD_SET_SEED,
		XP_CMD_CONFIGURE, XP_CMD_CONFIGURE, XP_CMD_SET_ADC, XP_CMD_WRITE_CELLS,
		XP_CMD_WRITE_CELLS, XP_CMD_WRITE_LIST, XP_CMD_READ_CELLS, XP_CMD_RUN, XP_CMD_RUN,
		XP_CMD_RUN, XP_CMD_RUN };
	const uint8_t delims[3] = { XP_DELIM, XP_DELIM, XP_DELIM };
	for (int e = 0; e < EVENTS; e++) {
		const unsigned k = rndu(100);
		if (k < 62) { /* a command fitted to the board, sometimes damaged */
			const uint8_t cmd = cmds[rndu(sizeof(cmds))];
			size_t n = gen_payload(g, cmd);
			if (n > 0 && rndu(8) == 0)
				g->pl[rndu((unsigned)n)] ^= (uint8_t)(1u << rndu(8));
			else if (rndu(16) == 0)
				n += rndu(3) ? 1 : (size_t)-1; /* one byte too many or too few */
			else if (n > 0 && rndu(16) == 0)
				n = rndu((unsigned)n); /* cut anywhere */
			if (n > g->cfg.max_request + 16)
				n = 0;
			if (cmd == XP_CMD_RESET)
				g->n_in = g->n_out = g->n_all = 0;
			frame(g, cmd, g->seq++, n);
		} else if (k < 70) { /* any command byte, any payload */
			const size_t n = rndu(40);
			for (size_t i = 0; i < n; i++)
				g->pl[i] = (uint8_t)rnd64();
			frame(g, (uint8_t)rnd64(), g->seq++, n);
		} else if (k < 75) { /* garbage */
			uint8_t b[64];
			const size_t n = rnd_in(1, 60);
			for (size_t i = 0; i < n; i++)
				b[i] = rndu(10) ? (uint8_t)rnd64() : XP_DELIM;
			send(g, b, n);
		} else if (k < 80) { /* a frame cut short; the next frame's leading 7E ends it */
			const size_t n = gen_payload(g, cmds[rndu(sizeof(cmds))]);
			const size_t w = xpnn_encode_request(XP_CMD_WRITE_CELLS, g->seq++, g->pl, n, g->wire);
			send(g, g->wire, rndu((unsigned)w - 1));
		} else if (k < 88) { /* the last frame again: a duplicate, or a retry after an error */
			if (g->last_n)
				send(g, g->last, g->last_n);
		} else if (k < 92) { /* the last seq with new content */
			const uint8_t cmd = cmds[rndu(sizeof(cmds))];
			frame(g, cmd, (uint8_t)(g->seq - 1), gen_payload(g, cmd));
		} else if (k < 95) { /* empty frames */
			send(g, delims, rnd_in(1, 3));
		} else if (k < 97) { /* a frame over max_request + 6 */
			const size_t n = g->cfg.max_request + rnd_in(1, 20);
			memset(g->pl, 0, n);
			frame(g, XP_CMD_INFO, g->seq++, n);
		} else { /* a bit flipped on the line */
			const size_t n = gen_payload(g, XP_CMD_STATUS);
			const size_t w = xpnn_encode_request(XP_CMD_STATUS, g->seq++, g->pl, n, g->wire);
			g->wire[rnd_in(1, (unsigned)w - 2)] ^= (uint8_t)(1u << rndu(8));
			send(g, g->wire, w);
		}
	}
	if (rndu(2)) /* end whatever is open, or leave a frame half-sent */
		send(g, delims, 1);
	else
		send(g, (const uint8_t[]){ XP_DELIM, 0x79, 0x01 }, 3);
}

static void write_file(const char *dir, uint64_t seed, const char *ext, const void *p, size_t n)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/proto_%llu.%s", dir, (unsigned long long)seed, ext);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f)) {
		fprintf(stderr, "xpnn-protofuzz: cannot write %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

static void one(const char *dir, uint64_t seed, int quiet)
{
	gen g;
	char msg[XP_ERRMSG], cfg[1024];
	memset(&g, 0, sizeof(g));
	rs = seed * 0x9E3779B97F4A7C15ull + 12345;
	random_board(&g);
	if (xp_board_create(&g.board, &g.cfg, msg, sizeof(msg)) != XP_OK)
		die(msg);
	g.pl = calloc(1, g.cfg.max_request + 64);
	g.wire = malloc(XP_COBS_MAX(g.cfg.max_request + 64) + 2);
	g.last = malloc(XP_COBS_MAX(g.cfg.max_request + 64) + 2);
	if (!g.pl || !g.wire || !g.last)
		die("out of memory");
	g.seq = (uint8_t)rnd64();
	stream(&g);
	const xp_params *p = &g.cfg.params;
	const int n = snprintf(cfg, sizeof(cfg),
		"rows %u\ncols %u\ntiles %u\ndac_bits %u\ncode_bits %u\nadc_bits %u\ndseed %llu\n"
		"p_sa0 %u\np_samax %u\ns_var %u\ns_prog %u\ns_read %u\ns_gain %u\ns_off %u\n"
		"max_request %u\nmax_reply %u\nmax_batch %u\nmax_width %u\nboot_id %u\nbuild_hash %u\n"
		"impl_version %u\n",
		p->rows, p->cols, p->tiles, p->dac_bits, p->code_bits, p->adc_bits,
		(unsigned long long)p->dseed, p->p_sa0, p->p_samax, p->s_var, p->s_prog, p->s_read,
		p->s_gain, p->s_off, g.cfg.max_request, g.cfg.max_reply, g.cfg.max_batch,
		g.cfg.max_width, g.cfg.boot_id, g.cfg.build_hash, g.cfg.impl_version);
	write_file(dir, seed, "cfg", cfg, (size_t)n);
	write_file(dir, seed, "in", g.in, g.in_n);
	write_file(dir, seed, "out", g.out, g.out_n);
	if (!quiet)
		printf("proto_%llu: %u x %u x %u board, %zu bytes in, %zu bytes out\n",
		       (unsigned long long)seed, p->rows, p->cols, p->tiles, g.in_n, g.out_n);
	xp_board_destroy(g.board);
	free(g.pl);
	free(g.wire);
	free(g.last);
	free(g.in);
	free(g.out);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = { { "quiet", no_argument, 0, 'q' },
					    { "help", no_argument, 0, 'h' },
					    { 0, 0, 0, 0 } };
	int quiet = 0, c;
	while ((c = getopt_long(argc, argv, "qh", lo, NULL)) != -1) {
		if (c == 'q') {
			quiet = 1;
		} else {
			printf("usage: xpnn-protofuzz [--quiet] SEED[,SEED…] DIR\n"
			       "Write DIR/proto_SEED.{cfg,in,out}: a random board, a random byte stream\n"
			       "to it and the C board engine's answer, for each seed.\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "xpnn-protofuzz: expected SEEDS and DIR (see --help)\n");
		return 2;
	}
	char *s = argv[optind], *end;
	for (;;) {
		errno = 0;
		const unsigned long long seed = strtoull(s, &end, 10);
		if (end == s || errno || (*end && *end != ',')) {
			fprintf(stderr, "xpnn-protofuzz: seeds '%s': expected decimal numbers separated by commas\n",
				argv[optind]);
			return 2;
		}
		one(argv[optind + 1], seed, quiet);
		if (!*end)
			break;
		s = end + 1;
	}
	return 0;
}
