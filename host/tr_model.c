/*
 * tr_model.c — the `model` transport: the C board engine (cmodel/xp_board.c) in this process.
 *
 * Bytes written are fed to the engine at once; its replies are what read() returns. The board
 * lives as long as the transport: a new process gets a new board (serve it on TCP with
 * `xpnn serve` to keep one across commands).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "xpnn.h"

#ifndef XPNN_BUILD_HASH
#define XPNN_BUILD_HASH 0u
#endif

typedef struct model_ctx {
	xp_board *board;
} model_ctx;

/* Options of model[:key=value,…]: name, where it goes, legal range. */
enum kind { K_U8, K_U16, K_U32, K_U64, K_UNS };
typedef struct model_key {
	const char *name;
	enum kind kind;
	size_t off;
	uint64_t lo, hi;
	const char *help;
} model_key;

#define P(f) offsetof(xp_board_config, params) + offsetof(xp_params, f)
#define C(f) offsetof(xp_board_config, f)
static const model_key keys[] = {
	{ "seed", K_U64, P(dseed), 0, UINT64_MAX, "device seed: variation, stuck cells, ADC errors (default 1)" },
	{ "boot", K_U32, C(boot_id), 0, UINT32_MAX, "power-up boot id (default: from the clock)" },
	{ "threads", K_UNS, C(nthreads), 1, 64, "threads of RUN (default 1; results do not depend on it)" },
	{ "max_request", K_U32, C(max_request), 16, XP_MAX_PAYLOAD, "request payload limit, bytes (default 65536)" },
	{ "max_reply", K_U32, C(max_reply), 16, XP_MAX_PAYLOAD, "reply payload limit, bytes (default 65536)" },
	{ "max_batch", K_U16, C(max_batch), 1, 65535, "vectors per RUN frame (default 1024)" },
	{ "max_width", K_U16, C(max_width), 1, XP_MAX_WIDTH, "widest layer, n_in and n_out (default 4096)" },
	{ "rows", K_U16, P(rows), 1, XP_MAX_ROWS, "rows per tile (default 128)" },
	{ "cols", K_U16, P(cols), 1, XP_MAX_COLS, "columns per tile (default 64)" },
	{ "tiles", K_U16, P(tiles), 1, XP_MAX_TILES, "tiles (default 8)" },
	{ "dac_bits", K_U8, P(dac_bits), 1, 8, "input DAC bits (default 8)" },
	{ "code_bits", K_U8, P(code_bits), 1, 8, "conductance code bits (default 4)" },
	{ "adc_bits", K_U8, P(adc_bits), 2, 12, "ADC bits (default 8)" },
	{ "p_sa0", K_U32, P(p_sa0), 0, 65536, "stuck-at-0 probability x 2^-16 (default 655)" },
	{ "p_samax", K_U32, P(p_samax), 0, 65536, "stuck-at-max probability x 2^-16 (default 328)" },
	{ "s_var", K_U16, P(s_var), 0, 1023, "cell variation sigma, Q10 (default 51)" },
	{ "s_prog", K_U16, P(s_prog), 0, 1023, "programming noise sigma, 1/8 LSB (default 32)" },
	{ "s_read", K_U16, P(s_read), 0, 65535, "read noise sigma, accumulator LSB (default 512)" },
	{ "s_gain", K_U16, P(s_gain), 0, 1023, "ADC gain error sigma, Q10 (default 31)" },
	{ "s_off", K_U16, P(s_off), 0, 1023, "ADC offset error sigma, 1/8 LSB (default 8)" },
};
#undef P
#undef C

static void set_key(xp_board_config *c, const model_key *k, uint64_t v)
{
	char *p = (char *)c + k->off;
	switch (k->kind) {
	case K_U8: { uint8_t x = (uint8_t)v; memcpy(p, &x, 1); break; }
	case K_U16: { uint16_t x = (uint16_t)v; memcpy(p, &x, 2); break; }
	case K_U32: { uint32_t x = (uint32_t)v; memcpy(p, &x, 4); break; }
	case K_U64: memcpy(p, &v, 8); break;
	case K_UNS: { unsigned x = (unsigned)v; memcpy(p, &x, sizeof(x)); break; }
	}
}

static uint32_t clock_boot_id(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t z = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec + ((uint64_t)getpid() << 40);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull; /* splitmix64 finaliser */
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return (uint32_t)(z ^ (z >> 31));
}

/* Parse "key=value,…" into c. */
static int parse_opts(xp_board_config *c, const char *spec, char *err, size_t errlen)
{
	char buf[512];
	int have_boot = 0;
	if (strlen(spec) >= sizeof(buf)) {
		snprintf(err, errlen, "model: option string longer than %zu characters", sizeof(buf) - 1);
		return XPNN_EPORT;
	}
	strcpy(buf, spec);
	for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "ideal")) { /* no device non-idealities at all */
			c->params.p_sa0 = c->params.p_samax = 0;
			c->params.s_var = c->params.s_prog = c->params.s_read = 0;
			c->params.s_gain = c->params.s_off = 0;
			continue;
		}
		char *eq = strchr(tok, '=');
		const model_key *k = NULL;
		if (eq) {
			*eq = 0;
			for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
				if (!strcmp(keys[i].name, tok))
					k = &keys[i];
		}
		if (!k) {
			snprintf(err, errlen,
				 "model: unknown option '%s'%s: options are ideal and key=value with key one of seed, boot, threads, max_request, max_reply, max_batch, max_width, rows, cols, tiles, dac_bits, code_bits, adc_bits, p_sa0, p_samax, s_var, s_prog, s_read, s_gain, s_off (xpnn help port)",
				 tok, eq ? "" : " (expected key=value)");
			return XPNN_EPORT;
		}
		const char *val = eq + 1;
		char *end;
		errno = 0;
		const unsigned long long v = strtoull(val, &end, 0);
		if (!*val || *end || errno || *val == '-' || v < k->lo || v > k->hi) {
			snprintf(err, errlen, "model: %s = '%s': legal range %" PRIu64 " … %" PRIu64 " (%s)",
				 k->name, val, k->lo, k->hi, k->help);
			return XPNN_EPORT;
		}
		set_key(c, k, v);
		have_boot |= !strcmp(k->name, "boot");
	}
	if (!have_boot)
		c->boot_id = clock_boot_id();
	return XPNN_OK;
}

static int model_open(xpnn_transport *t, const char *spec, char *err, size_t errlen)
{
	xp_board_config c;
	char msg[XP_ERRMSG];
	xp_board_config_default(&c);
	c.build_hash = XPNN_BUILD_HASH;
	int rc = parse_opts(&c, spec, err, errlen);
	if (rc != XPNN_OK)
		return rc;
	model_ctx *m = calloc(1, sizeof(*m));
	if (!m) {
		snprintf(err, errlen, "model: out of memory");
		return XPNN_EPORT;
	}
	if (xp_board_create(&m->board, &c, msg, sizeof(msg)) != XP_OK) {
		snprintf(err, errlen, "model: %s", msg);
		free(m);
		return XPNN_EPORT;
	}
	t->ctx = m;
	t->byte_ns = 0;
	return XPNN_OK;
}

static int model_write(xpnn_transport *t, const uint8_t *buf, size_t n, int timeout_ms, char *err,
		       size_t errlen)
{
	(void)timeout_ms, (void)err, (void)errlen;
	xp_board_rx(((model_ctx *)t->ctx)->board, buf, n);
	return XPNN_OK;
}

static long model_read(xpnn_transport *t, uint8_t *buf, size_t cap, int timeout_ms, char *err,
		       size_t errlen)
{
	(void)timeout_ms, (void)err, (void)errlen;
	/* The engine answers inside write(): what is not queued now never comes. */
	return (long)xp_board_tx(((model_ctx *)t->ctx)->board, buf, cap);
}

static void model_close(xpnn_transport *t)
{
	model_ctx *m = t->ctx;
	if (m)
		xp_board_destroy(m->board);
	free(m);
	t->ctx = NULL;
}

const xpnn_transport_ops xpnn_transport_model = {
	.scheme = "model",
	.usage = "model[:key=value,…]",
	.open = model_open,
	.write = model_write,
	.read = model_read,
	.close = model_close,
};

xp_board *xpnn_model_board(xpnn_transport *t)
{
	return t->ops == &xpnn_transport_model ? ((model_ctx *)t->ctx)->board : NULL;
}

/* Help text of the model's options, for xpnn_port_help(). */
size_t xpnn_model_help(char *out, size_t cap);
size_t xpnn_model_help(char *out, size_t cap)
{
	size_t n = 0;
	n += (size_t)snprintf(out + n, cap - n, "    ideal              no stuck cells, variation, noise or ADC errors\n");
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]) && n < cap; i++)
		n += (size_t)snprintf(out + n, cap - n, "    %-18s %s\n",
				      keys[i].name, keys[i].help);
	return n;
}
