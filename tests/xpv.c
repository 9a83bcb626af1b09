/*
 * xpv.c — golden vector files: writer and replayer (docs/formats.md).
 */
#include "xpv.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *xpv_op_name(unsigned op)
{
	switch (op) {
	case XPV_SEED: return "SEED";
	case XPV_WRITE: return "WRITE";
	case XPV_ADC: return "ADC";
	case XPV_CONFIG: return "CONFIG";
	case XPV_RUN: return "RUN";
	case XPV_TILE: return "TILE";
	case XPV_READ: return "READ";
	case XPV_RESET: return "RESET";
	}
	return "?";
}

uint32_t xpv_crc32(const uint8_t *p, size_t n)
{
	static uint32_t table[256];
	static int ready; /* benign: every thread computes the same table */
	if (!ready) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;
			for (int k = 0; k < 8; k++)
				c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
		ready = 1;
	}
	uint32_t crc = 0xFFFFFFFFu;
	for (size_t i = 0; i < n; i++)
		crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
	return crc ^ 0xFFFFFFFFu;
}

/* ---------------------------------------------------------------- writer */

static void put(xpv_writer *w, const void *src, size_t n)
{
	if (w->oom)
		return;
	if (w->len + n > w->cap) {
		size_t cap = w->cap ? w->cap : 4096;
		while (cap < w->len + n)
			cap *= 2;
		uint8_t *b = realloc(w->buf, cap);
		if (!b) {
			w->oom = 1;
			return;
		}
		w->buf = b;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, src, n);
	w->len += n;
}

static void put_u8(xpv_writer *w, unsigned v) { uint8_t b = (uint8_t)v; put(w, &b, 1); }
static void put_u16(xpv_writer *w, unsigned v) { uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) }; put(w, b, 2); }
static void put_u32(xpv_writer *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	put(w, b, 4);
}
static void put_u64(xpv_writer *w, uint64_t v) { put_u32(w, (uint32_t)v); put_u32(w, (uint32_t)(v >> 32)); }

static void op(xpv_writer *w, unsigned code) { put_u8(w, code); w->nops++; }

int xpv_begin(xpv_writer *w, const xp_params *p, const char *name)
{
	static const uint8_t zero[7];
	memset(w, 0, sizeof(*w));
	put(w, XPV_MAGIC, 8);
	put_u32(w, XPV_FORMAT_VERSION);
	put_u32(w, XP_NUMERICS_VERSION);
	put_u16(w, p->rows);
	put_u16(w, p->cols);
	put_u16(w, p->tiles);
	put_u8(w, p->dac_bits);
	put_u8(w, p->code_bits);
	put_u8(w, p->adc_bits);
	put(w, zero, 7);
	put_u64(w, p->dseed);
	put_u32(w, p->p_sa0);
	put_u32(w, p->p_samax);
	put_u16(w, p->s_var);
	put_u16(w, p->s_prog);
	put_u16(w, p->s_read);
	put_u16(w, p->s_gain);
	put_u16(w, p->s_off);
	put_u16(w, (unsigned)strlen(name));
	put(w, name, strlen(name));
	w->nops_at = w->len;
	put_u32(w, 0);
	return w->oom ? -1 : 0;
}

void xpv_seed(xpv_writer *w, xp_chip *chip, uint64_t seed)
{
	op(w, XPV_SEED);
	put_u64(w, seed);
	xp_chip_set_seed(chip, seed);
}

void xpv_write(xpv_writer *w, xp_chip *chip, unsigned t, unsigned r0, unsigned c0, unsigned nr,
	       unsigned nc, const uint8_t *codes)
{
	uint32_t changed = 0;
	uint8_t *g = malloc((size_t)nr * nc * 2);
	op(w, XPV_WRITE);
	put_u16(w, t); put_u16(w, r0); put_u16(w, c0); put_u16(w, nr); put_u16(w, nc);
	put(w, codes, (size_t)nr * nc * 2);
	if (!g || xp_chip_write(chip, t, r0, c0, nr, nc, codes, &changed, NULL, 0) != XP_OK ||
	    xp_chip_read(chip, t, r0, c0, nr, nc, g, NULL, 0) != XP_OK)
		w->oom = 1; /* the generator only writes legal rectangles */
	put_u32(w, changed);
	if (g)
		put(w, g, (size_t)nr * nc * 2);
	free(g);
}

void xpv_adc(xpv_writer *w, xp_chip *chip, unsigned t, unsigned c0, unsigned nc, const xp_adc *adc)
{
	op(w, XPV_ADC);
	put_u16(w, t); put_u16(w, c0); put_u16(w, nc);
	for (unsigned i = 0; i < nc; i++) {
		put_u8(w, adc[i].gain);
		put_u8(w, adc[i].shift);
		put_u16(w, (uint16_t)adc[i].offset);
	}
	if (xp_chip_set_adc(chip, t, c0, nc, adc, NULL, 0) != XP_OK)
		w->oom = 1;
}

void xpv_config(xpv_writer *w, xp_chip *chip, const xp_netcfg *cfg)
{
	op(w, XPV_CONFIG);
	put_u8(w, cfg->nlayers);
	for (unsigned i = 0; i < cfg->nlayers; i++) {
		const xp_layer *l = &cfg->layers[i];
		put_u16(w, l->n_in); put_u16(w, l->n_out);
		put_u8(w, l->bias); put_u8(w, l->act); put_u8(w, l->amul); put_u8(w, l->ash);
		put_u16(w, l->ntiles);
		for (unsigned k = 0; k < l->ntiles; k++)
			put_u16(w, l->tiles[k]);
	}
	if (xp_chip_configure(chip, cfg, NULL, 0) != XP_OK)
		w->oom = 1;
}

void xpv_run(xpv_writer *w, xp_chip *chip, const uint8_t *x, uint32_t batch)
{
	const unsigned nin = xp_chip_n_in(chip), nout = xp_chip_n_out(chip), nall = xp_chip_n_all_out(chip);
	int16_t *out = malloc((size_t)batch * nout * sizeof(int16_t));
	int16_t *ls = malloc((size_t)batch * nall * sizeof(int16_t));
	op(w, XPV_RUN);
	put_u32(w, batch);
	put(w, x, (size_t)batch * nin);
	if (!out || !ls || xp_chip_run_ref(chip, x, batch, out, ls, NULL, 0) != XP_OK) {
		w->oom = 1;
	} else {
		for (size_t i = 0; i < (size_t)batch * nall; i++)
			put_u16(w, (uint16_t)ls[i]);
		for (size_t i = 0; i < (size_t)batch * nout; i++)
			put_u16(w, (uint16_t)out[i]);
	}
	free(out);
	free(ls);
}

void xpv_tile(xpv_writer *w, xp_chip *chip, unsigned t, unsigned ncols, const uint8_t *x,
	      uint32_t batch, uint64_t n0)
{
	const xp_params g = xp_chip_geometry(chip);
	int32_t acc[XP_MAX_COLS];
	int16_t code[XP_MAX_COLS];
	op(w, XPV_TILE);
	put_u16(w, t); put_u16(w, ncols); put_u32(w, batch); put_u64(w, n0);
	put(w, x, (size_t)batch * g.rows);
	for (uint32_t i = 0; i < batch; i++) {
		const uint64_t n = (n0 + i) & ((1ull << 40) - 1);
		if (xp_chip_tile_ref(chip, t, n, x + (size_t)i * g.rows, ncols, acc, code) != XP_OK)
			w->oom = 1;
		for (unsigned c = 0; c < ncols; c++)
			put_u32(w, (uint32_t)acc[c]);
		for (unsigned c = 0; c < ncols; c++)
			put_u16(w, (uint16_t)code[c]);
	}
}

void xpv_read(xpv_writer *w, xp_chip *chip, unsigned t, unsigned r0, unsigned c0, unsigned nr,
	      unsigned nc)
{
	uint8_t *g = malloc((size_t)nr * nc * 2);
	op(w, XPV_READ);
	put_u16(w, t); put_u16(w, r0); put_u16(w, c0); put_u16(w, nr); put_u16(w, nc);
	if (!g || xp_chip_read(chip, t, r0, c0, nr, nc, g, NULL, 0) != XP_OK)
		w->oom = 1;
	else
		put(w, g, (size_t)nr * nc * 2);
	free(g);
}

void xpv_reset(xpv_writer *w, xp_chip *chip)
{
	op(w, XPV_RESET);
	xp_chip_reset(chip);
}

int xpv_finish(xpv_writer *w, const char *path, char *msg, size_t msglen)
{
	char tmp[4096];
	int fd = -1, rc = -1;
	if (w->oom) {
		snprintf(msg, msglen, "%s: generator error (out of memory or an illegal operation)", path);
		goto out;
	}
	for (int i = 0; i < 4; i++)
		w->buf[w->nops_at + i] = (uint8_t)(w->nops >> (8 * i));
	put(w, "END", 4);
	put_u32(w, xpv_crc32(w->buf, w->len - 4));
	if (w->oom) {
		snprintf(msg, msglen, "%s: out of memory", path);
		goto out;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		snprintf(msg, msglen, "%s: cannot create: %s", tmp, strerror(errno));
		goto out;
	}
	for (size_t off = 0; off < w->len;) {
		ssize_t k = write(fd, w->buf + off, w->len - off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			snprintf(msg, msglen, "%s: write failed: %s", tmp, strerror(errno));
			goto out;
		}
		off += (size_t)k;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		snprintf(msg, msglen, "%s: fsync/close failed: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		snprintf(msg, msglen, "%s: rename to %s failed: %s", tmp, path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	free(w->buf);
	w->buf = NULL;
	return rc;
}

/* ---------------------------------------------------------------- reader */

typedef struct cur {
	const uint8_t *b;
	size_t len, pos;
	int short_read;
} cur;

static int need(cur *c, size_t n)
{
	if (c->short_read || n > c->len - c->pos) {
		c->short_read = 1;
		return 0;
	}
	return 1;
}
static unsigned get_u8(cur *c) { return need(c, 1) ? c->b[c->pos++] : 0; }
static unsigned get_u16(cur *c)
{
	if (!need(c, 2))
		return 0;
	unsigned v = c->b[c->pos] | (unsigned)c->b[c->pos + 1] << 8;
	c->pos += 2;
	return v;
}
static uint32_t get_u32(cur *c)
{
	if (!need(c, 4))
		return 0;
	uint32_t v = 0;
	for (int i = 3; i >= 0; i--)
		v = v << 8 | c->b[c->pos + (size_t)i];
	c->pos += 4;
	return v;
}
static uint64_t get_u64(cur *c)
{
	uint64_t lo = get_u32(c);
	return lo | (uint64_t)get_u32(c) << 32;
}
static const uint8_t *get_bytes(cur *c, size_t n)
{
	if (!need(c, n))
		return NULL;
	const uint8_t *p = c->b + c->pos;
	c->pos += n;
	return p;
}

typedef struct replay {
	const char *label;
	cur c;
	unsigned opi, opc;
	int in_ops;   /* 0 while the header, CRC and trailer are checked */
	size_t op_at;
	char *msg;
	size_t msglen;
	xpv_stats *st;
} replay;

static xpv_result malformed(replay *r, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;
static xpv_result malformed(replay *r, const char *fmt, ...)
{
	char what[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (!r->in_ops)
		snprintf(r->msg, r->msglen, "%s: malformed: header: %s", r->label, what);
	else
		snprintf(r->msg, r->msglen, "%s: malformed: op %u (%s) at byte offset %zu: %s", r->label,
			 r->opi, xpv_op_name(r->opc), r->op_at, what);
	return XPV_MALFORMED;
}

static xpv_result mismatch(replay *r, long long vec, const char *field, long long idx,
			   long long expected, long long actual)
{
	char where[64] = "";
	if (vec >= 0)
		snprintf(where, sizeof(where), " vector %lld", vec);
	snprintf(r->msg, r->msglen,
		 "%s: mismatch: op %u (%s, byte offset %zu)%s %s[%lld]: expected %lld, actual %lld",
		 r->label, r->opi, xpv_op_name(r->opc), r->op_at, where, field, idx, expected, actual);
	return XPV_MISMATCH;
}

#define TRUNC_CHECK(r)                                                                          \
	do {                                                                                    \
		if ((r)->c.short_read)                                                          \
			return malformed(r, "length runs past the end of the file (%zu bytes)", (r)->c.len); \
	} while (0)

static xpv_result cmp_g(replay *r, const uint8_t *exp, const uint8_t *act, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		r->st->checked++;
		if (exp[i] != act[i])
			return mismatch(r, -1, i % 2 ? "G-" : "G+", (long long)(i / 2), exp[i], act[i]);
	}
	return XPV_PASS;
}

static xpv_result do_op(replay *r, xp_chip *chip, int use_ref, unsigned nthreads)
{
	cur *c = &r->c;
	char m[XP_ERRMSG];
	const xp_params geo = xp_chip_geometry(chip);
	xpv_result res = XPV_PASS;
	switch (r->opc) {
	case XPV_SEED:
		xp_chip_set_seed(chip, get_u64(c));
		TRUNC_CHECK(r);
		return XPV_PASS;
	case XPV_RESET:
		xp_chip_reset(chip);
		return XPV_PASS;
	case XPV_WRITE:
	case XPV_READ: {
		const unsigned t = get_u16(c), r0 = get_u16(c), c0 = get_u16(c), nr = get_u16(c), nc = get_u16(c);
		const size_t n = (size_t)nr * nc * 2;
		const uint8_t *codes = r->opc == XPV_WRITE ? get_bytes(c, n) : NULL;
		uint32_t exp_changed = r->opc == XPV_WRITE ? get_u32(c) : 0, changed = 0;
		const uint8_t *exp_g = get_bytes(c, n);
		TRUNC_CHECK(r);
		uint8_t *g = malloc(n ? n : 1);
		if (!g)
			return malformed(r, "out of memory");
		xp_status st = r->opc == XPV_WRITE
			? xp_chip_write(chip, t, r0, c0, nr, nc, codes, &changed, m, sizeof(m))
			: XP_OK;
		if (st == XP_OK)
			st = xp_chip_read(chip, t, r0, c0, nr, nc, g, m, sizeof(m));
		if (st != XP_OK) {
			free(g);
			return malformed(r, "%s", m);
		}
		if (r->opc == XPV_WRITE) {
			r->st->checked++;
			if (changed != exp_changed)
				res = mismatch(r, -1, "changed", 0, exp_changed, changed);
		}
		if (res == XPV_PASS)
			res = cmp_g(r, exp_g, g, n);
		free(g);
		return res;
	}
	case XPV_ADC: {
		const unsigned t = get_u16(c), c0 = get_u16(c), nc = get_u16(c);
		xp_adc adc[XP_MAX_COLS];
		if (nc > XP_MAX_COLS)
			return malformed(r, "nc = %u: legal range 1 … %d", nc, XP_MAX_COLS);
		for (unsigned i = 0; i < nc; i++) {
			adc[i].gain = (uint8_t)get_u8(c);
			adc[i].shift = (uint8_t)get_u8(c);
			adc[i].offset = (int16_t)get_u16(c);
		}
		TRUNC_CHECK(r);
		if (xp_chip_set_adc(chip, t, c0, nc, adc, m, sizeof(m)) != XP_OK)
			return malformed(r, "%s", m);
		return XPV_PASS;
	}
	case XPV_CONFIG: {
		xp_layer layers[XP_MAX_LAYERS];
		uint16_t tiles[XP_MAX_TILES];
		unsigned k = 0;
		xp_netcfg cfg = { .nlayers = (uint8_t)get_u8(c), .layers = layers };
		if (cfg.nlayers < 1 || cfg.nlayers > XP_MAX_LAYERS)
			return malformed(r, "nlayers = %u: legal range 1 … %d", cfg.nlayers, XP_MAX_LAYERS);
		for (unsigned i = 0; i < cfg.nlayers; i++) {
			xp_layer *l = &layers[i];
			l->n_in = (uint16_t)get_u16(c);
			l->n_out = (uint16_t)get_u16(c);
			l->bias = (uint8_t)get_u8(c);
			l->act = (uint8_t)get_u8(c);
			l->amul = (uint8_t)get_u8(c);
			l->ash = (uint8_t)get_u8(c);
			l->ntiles = (uint16_t)get_u16(c);
			if (l->ntiles > XP_MAX_TILES - k)
				return malformed(r, "layer %u ntiles = %u: more than %d tiles in all", i,
						 l->ntiles, XP_MAX_TILES);
			l->tiles = &tiles[k];
			for (unsigned j = 0; j < l->ntiles; j++)
				tiles[k++] = (uint16_t)get_u16(c);
		}
		TRUNC_CHECK(r);
		if (xp_chip_configure(chip, &cfg, m, sizeof(m)) != XP_OK)
			return malformed(r, "%s", m);
		return XPV_PASS;
	}
	case XPV_RUN: {
		const uint32_t batch = get_u32(c);
		const unsigned nin = xp_chip_n_in(chip), nout = xp_chip_n_out(chip), nall = xp_chip_n_all_out(chip);
		TRUNC_CHECK(r);
		if (!xp_chip_nlayers(chip))
			return malformed(r, "RUN before any CONFIG");
		/* refuse absurd sizes before allocating: the bytes must be in the file */
		if ((uint64_t)batch * (nin + 2ull * (nall + nout)) > c->len - c->pos)
			return malformed(r, "batch = %" PRIu32 " needs more bytes than the file has left", batch);
		const uint8_t *x = get_bytes(c, (size_t)batch * nin);
		int16_t *out = malloc(((size_t)batch * nout + 1) * sizeof(int16_t));
		int16_t *ls = malloc(((size_t)batch * nall + 1) * sizeof(int16_t));
		if (!out || !ls) {
			free(out);
			free(ls);
			return malformed(r, "out of memory");
		}
		xp_status st = use_ref ? xp_chip_run_ref(chip, x, batch, out, ls, m, sizeof(m))
				       : xp_chip_run(chip, x, batch, out, ls, nthreads, m, sizeof(m));
		if (st != XP_OK)
			res = malformed(r, "%s", m);
		for (size_t i = 0; res == XPV_PASS && i < (size_t)batch * nall; i++) {
			const int16_t e = (int16_t)get_u16(c);
			r->st->checked++;
			if (e != ls[i])
				res = mismatch(r, (long long)(i / nall), "S(all layers)", (long long)(i % nall), e, ls[i]);
		}
		for (size_t i = 0; res == XPV_PASS && i < (size_t)batch * nout; i++) {
			const int16_t e = (int16_t)get_u16(c);
			r->st->checked++;
			if (e != out[i])
				res = mismatch(r, (long long)(i / nout), "out", (long long)(i % nout), e, out[i]);
		}
		free(out);
		free(ls);
		return res;
	}
	case XPV_TILE: {
		const unsigned t = get_u16(c), ncols = get_u16(c);
		const uint32_t batch = get_u32(c);
		const uint64_t n0 = get_u64(c);
		TRUNC_CHECK(r);
		if (n0 >> 40)
			return malformed(r, "n0 = %" PRIu64 ": legal range 0 … 2^40-1", n0);
		if (t >= geo.tiles || ncols < 1 || ncols > geo.cols)
			return malformed(r, "tile %u, ncols %u: legal tile 0 … %u, ncols 1 … %u", t, ncols,
					 geo.tiles - 1u, geo.cols);
		if ((uint64_t)batch * (geo.rows + 6ull * ncols) > c->len - c->pos)
			return malformed(r, "batch = %" PRIu32 " needs more bytes than the file has left", batch);
		const uint8_t *xall = get_bytes(c, (size_t)batch * geo.rows);
		for (uint32_t i = 0; res == XPV_PASS && i < batch; i++) {
			const uint8_t *x = xall + (size_t)i * geo.rows;
			int32_t acc[XP_MAX_COLS];
			int16_t code[XP_MAX_COLS];
			for (unsigned k = 0; k < geo.rows; k++)
				if (x[k] > (1u << geo.dac_bits) - 1)
					return malformed(r, "vector %" PRIu32 " row %u input %u above full scale", i, k, x[k]);
			const uint64_t n = (n0 + i) & ((1ull << 40) - 1);
			if (use_ref)
				xp_chip_tile_ref(chip, t, n, x, ncols, acc, code);
			else
				xp_chip_tile(chip, t, n, x, ncols, acc, code);
			for (unsigned k = 0; res == XPV_PASS && k < ncols; k++) {
				const int32_t e = (int32_t)get_u32(c);
				r->st->checked++;
				if (e != acc[k])
					res = mismatch(r, i, "acc", k, e, acc[k]);
			}
			for (unsigned k = 0; res == XPV_PASS && k < ncols; k++) {
				const int16_t e = (int16_t)get_u16(c);
				r->st->checked++;
				if (e != code[k])
					res = mismatch(r, i, "code", k, e, code[k]);
			}
		}
		return res;
	}
	default:
		return malformed(r, "unknown opcode 0x%02x", r->opc);
	}
}

xpv_result xpv_replay_mem(const uint8_t *buf, size_t len, const char *label, int use_ref,
			  unsigned nthreads, xpv_stats *stats, char *msg, size_t msglen)
{
	replay r = { .label = label, .c = { .b = buf, .len = len }, .msg = msg, .msglen = msglen, .st = stats };
	xp_params p;
	xp_chip *chip = NULL;
	char m[XP_ERRMSG];
	xpv_result res = XPV_PASS;
	memset(stats, 0, sizeof(*stats));
	memset(&p, 0, sizeof(p));
	if (len < 68 + 8)
		return malformed(&r, "file too short (%zu bytes) for a header and trailer", len);
	if (memcmp(buf, XPV_MAGIC, 8) != 0)
		return malformed(&r, "bad magic (expected \"XPNNVEC\\0\")");
	if (memcmp(buf + len - 8, "END", 4) != 0)
		return malformed(&r, "no \"END\" trailer in the last 8 bytes (truncated file?)");
	{
		cur t = { .b = buf, .len = len, .pos = len - 4 };
		const uint32_t want = get_u32(&t), got = xpv_crc32(buf, len - 8);
		if (want != got)
			return malformed(&r, "CRC-32 0x%08" PRIx32 " of the file does not match its trailer 0x%08" PRIx32,
					 got, want);
	}
	r.c.len = len - 8; /* operations end where the trailer starts */
	r.c.pos = 8;
	const uint32_t fver = get_u32(&r.c), nver = get_u32(&r.c);
	if (fver != XPV_FORMAT_VERSION)
		return malformed(&r, "format version %" PRIu32 ", this reader knows %d", fver, XPV_FORMAT_VERSION);
	if (nver != XP_NUMERICS_VERSION)
		return malformed(&r, "numerics spec version %" PRIu32 ", this model implements %d", nver,
				 XP_NUMERICS_VERSION);
	p.rows = (uint16_t)get_u16(&r.c);
	p.cols = (uint16_t)get_u16(&r.c);
	p.tiles = (uint16_t)get_u16(&r.c);
	p.dac_bits = (uint8_t)get_u8(&r.c);
	p.code_bits = (uint8_t)get_u8(&r.c);
	p.adc_bits = (uint8_t)get_u8(&r.c);
	const uint8_t *rsv = get_bytes(&r.c, 7);
	p.dseed = get_u64(&r.c);
	p.p_sa0 = get_u32(&r.c);
	p.p_samax = get_u32(&r.c);
	p.s_var = (uint16_t)get_u16(&r.c);
	p.s_prog = (uint16_t)get_u16(&r.c);
	p.s_read = (uint16_t)get_u16(&r.c);
	p.s_gain = (uint16_t)get_u16(&r.c);
	p.s_off = (uint16_t)get_u16(&r.c);
	const unsigned nlen = get_u16(&r.c);
	const uint8_t *name = get_bytes(&r.c, nlen);
	stats->nops = get_u32(&r.c);
	TRUNC_CHECK(&r);
	if (nlen < 1 || nlen >= sizeof(stats->name))
		return malformed(&r, "name length %u: legal range 1 … %zu", nlen, sizeof(stats->name) - 1);
	for (unsigned i = 0; i < 7; i++)
		if (rsv[i])
			return malformed(&r, "reserved header byte %u is 0x%02x, must be 0", 25 + i, rsv[i]);
	for (unsigned i = 0; i < nlen; i++)
		if (name[i] < 0x20 || name[i] > 0x7E)
			return malformed(&r, "name byte %u is 0x%02x: printable ASCII only", i, name[i]);
	memcpy(stats->name, name, nlen);
	stats->name[nlen] = 0;
	if (xp_chip_create(&chip, &p, m, sizeof(m)) != XP_OK)
		return malformed(&r, "header parameters: %s", m);
	r.in_ops = 1;
	for (r.opi = 0; r.opi < stats->nops && res == XPV_PASS; r.opi++) {
		r.op_at = r.c.pos;
		r.opc = get_u8(&r.c);
		if (r.c.short_read) {
			res = malformed(&r, "file ends after %u of %" PRIu32 " operations", r.opi, stats->nops);
			break;
		}
		res = do_op(&r, chip, use_ref, nthreads);
	}
	if (res == XPV_PASS && r.c.pos != r.c.len) {
		r.in_ops = 0;
		res = malformed(&r, "%zu bytes after the last operation (byte offset %zu)", r.c.len - r.c.pos,
				r.c.pos);
	}
	xp_chip_destroy(chip);
	return res;
}

uint8_t *xpv_load(const char *path, size_t *len, char *msg, size_t msglen)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;
	if (!f) {
		snprintf(msg, msglen, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		snprintf(msg, msglen, "%s: cannot size: %s", path, strerror(errno));
		goto fail;
	}
	buf = malloc((size_t)n + 1);
	if (!buf) {
		snprintf(msg, msglen, "%s: out of memory for %ld bytes", path, n);
		goto fail;
	}
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		snprintf(msg, msglen, "%s: read failed", path);
		goto fail;
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
fail:
	free(buf);
	fclose(f);
	return NULL;
}
