/*
 * xp_chip.c — board state, device model and programming (docs/numerics.md §2, §3, §6, §9).
 */
#include "xp_cmodel_impl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *xp_status_str(xp_status st)
{
	switch (st) {
	case XP_OK: return "ok";
	case XP_EINVAL: return "invalid argument";
	case XP_ENOMEM: return "out of memory";
	case XP_ESTATE: return "board not in the required state";
	}
	return "unknown status";
}

xp_status xp_fail(char *msg, size_t msglen, xp_status st, const char *fmt, ...)
{
	if (msg && msglen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg, msglen, fmt, ap);
		va_end(ap);
	}
	return st;
}

/* ---- primitives (numerics §4, §5) ---- */

void xp_threefry2x32(uint32_t k0, uint32_t k1, uint32_t c0, uint32_t c1, uint32_t out[2])
{
	xp_tf(k0, k1, c0, c1, &out[0], &out[1]);
}

int32_t xp_gauss(uint32_t x0, uint32_t x1) { return xp_gauss_inl(x0, x1); }
int64_t xp_asr(int64_t x, unsigned s) { return xp_asr_inl(x, s); }
int64_t xp_rnd(int64_t x, unsigned s) { return xp_rnd_inl(x, s); }

int32_t xp_scale(int32_t z, uint32_t sigma, unsigned f)
{
	return (int32_t)xp_rnd_inl((int64_t)z * sigma, 5 + f);
}

static int32_t draw_dev(const xp_chip *chip, unsigned dom, unsigned t, unsigned r, unsigned c)
{
	uint32_t o0, o1;
	xp_tf(chip->dk0, chip->dk1, (uint32_t)dom << 24 | (uint32_t)t << 16,
	      (uint32_t)r << 16 | (uint32_t)c, &o0, &o1);
	return xp_gauss_inl(o0, o1);
}

/* ---- parameters ---- */

void xp_params_default(xp_params *p)
{
	memset(p, 0, sizeof(*p));
	p->rows = 128;
	p->cols = 64;
	p->tiles = 8;
	p->dac_bits = 8;
	p->code_bits = 4;
	p->adc_bits = 8;
	p->dseed = 1;
	p->p_sa0 = 655;
	p->p_samax = 328;
	p->s_var = 51;
	p->s_prog = 32;
	p->s_read = 512;
	p->s_gain = 31;
	p->s_off = 8;
}

#define CHECK_RANGE(field, v, lo, hi)                                                           \
	do {                                                                                    \
		if ((long long)(v) < (long long)(lo) || (long long)(v) > (long long)(hi))       \
			return xp_fail(msg, msglen, XP_EINVAL,                                  \
				       "%s = %lld: legal range %lld … %lld", field, (long long)(v), \
				       (long long)(lo), (long long)(hi));                        \
	} while (0)

xp_status xp_params_check(const xp_params *p, char *msg, size_t msglen)
{
	CHECK_RANGE("rows", p->rows, 1, XP_MAX_ROWS);
	CHECK_RANGE("cols", p->cols, 1, XP_MAX_COLS);
	CHECK_RANGE("tiles", p->tiles, 1, XP_MAX_TILES);
	CHECK_RANGE("dac_bits", p->dac_bits, 1, 8);
	CHECK_RANGE("code_bits", p->code_bits, 1, 8);
	CHECK_RANGE("adc_bits", p->adc_bits, 2, 12);
	CHECK_RANGE("p_sa0", p->p_sa0, 0, 65536);
	CHECK_RANGE("p_samax", p->p_samax, 0, 65536 - (long long)p->p_sa0);
	CHECK_RANGE("s_var", p->s_var, 0, 1023);
	CHECK_RANGE("s_prog", p->s_prog, 0, 1023);
	CHECK_RANGE("s_read", p->s_read, 0, 65535);
	CHECK_RANGE("s_gain", p->s_gain, 0, 1023);
	CHECK_RANGE("s_off", p->s_off, 0, 1023);
	return XP_OK;
}

/* ---- creation ---- */

static size_t ndev(const xp_params *p) { return (size_t)p->tiles * p->rows * p->cols * 2; }
static size_t ncol(const xp_params *p) { return (size_t)p->tiles * p->cols; }
static size_t nwpk(const xp_chip *c) { return (size_t)c->p.tiles * c->rpairs * c->cpad * 2; }

static void update_col(xp_chip *chip, size_t i)
{
	chip->geff[i] = (int32_t)chip->adc[i].gain * chip->eg[i];
	chip->oeff[i] = (int32_t)chip->adc[i].offset + chip->eo[i];
	chip->ashift[i] = chip->adc[i].shift;
}

static void update_weight(xp_chip *chip, unsigned t, unsigned r, unsigned c)
{
	const size_t d = (((size_t)t * chip->p.rows + r) * chip->p.cols + c) * 2;
	const size_t k = ((size_t)t * chip->rpairs + r / 2) * chip->cpad + c;
	chip->wpk[k * 2 + (r & 1)] = (int16_t)((int)chip->g[d] - (int)chip->g[d + 1]);
}

void xp_chip_reset(xp_chip *chip)
{
	const xp_params *p = &chip->p;
	for (size_t d = 0; d < ndev(p); d++)
		chip->g[d] = chip->stuck[d] == XP_STUCKMAX ? XP_GMAX : 0;
	memset(chip->wpk, 0, nwpk(chip) * sizeof(int16_t));
	for (unsigned t = 0; t < p->tiles; t++)
		for (unsigned r = 0; r < p->rows; r++)
			for (unsigned c = 0; c < p->cols; c++)
				update_weight(chip, t, r, c);
	for (size_t i = 0; i < ncol(p); i++) {
		chip->adc[i] = (xp_adc){ .gain = 1, .shift = 0, .offset = 0 };
		update_col(chip, i);
	}
	chip->nlayers = 0;
	chip->n_all_out = 0;
	xp_chip_set_seed(chip, 0);
}

void xp_chip_set_seed(xp_chip *chip, uint64_t seed)
{
	const uint64_t k = chip->p.dseed ^ seed;
	chip->nseed = seed;
	chip->nk0 = (uint32_t)k;
	chip->nk1 = (uint32_t)(k >> 32);
	chip->P = 0;
	chip->N = 0;
}

xp_status xp_chip_create(xp_chip **out, const xp_params *p, char *msg, size_t msglen)
{
	xp_status st = xp_params_check(p, msg, msglen);
	xp_chip *chip = NULL;
	if (st != XP_OK)
		return st;
	chip = calloc(1, sizeof(*chip));
	if (!chip)
		goto fail;
	chip->p = *p;
	chip->k = xp_kernels_select();
	chip->dk0 = (uint32_t)p->dseed;
	chip->dk1 = (uint32_t)(p->dseed >> 32);
	chip->amin = -(1 << (p->adc_bits - 1));
	chip->amax = (1 << (p->adc_bits - 1)) - 1;
	chip->xmax = (1 << p->dac_bits) - 1;
	chip->cpad = (p->cols + XP_CPAD_ALIGN - 1) / XP_CPAD_ALIGN * XP_CPAD_ALIGN;
	chip->rpairs = (p->rows + 1u) / 2;
	chip->g = malloc(ndev(p));
	chip->stuck = malloc(ndev(p));
	chip->fv = malloc(ndev(p) * sizeof(uint16_t));
	chip->eg = malloc(ncol(p) * sizeof(int32_t));
	chip->eo = malloc(ncol(p) * sizeof(int32_t));
	chip->adc = malloc(ncol(p) * sizeof(xp_adc));
	chip->geff = malloc(ncol(p) * sizeof(int32_t));
	chip->oeff = malloc(ncol(p) * sizeof(int32_t));
	chip->ashift = malloc(ncol(p));
	chip->wpk = aligned_alloc(64, (nwpk(chip) * sizeof(int16_t) + 63) / 64 * 64);
	if (!chip->g || !chip->stuck || !chip->fv || !chip->eg || !chip->eo || !chip->adc ||
	    !chip->geff || !chip->oeff || !chip->ashift || !chip->wpk)
		goto fail;

	/* The board-private device model (numerics §6.1), fixed for the board's life. */
	for (unsigned t = 0; t < p->tiles; t++) {
		for (unsigned r = 0; r < p->rows; r++) {
			for (unsigned c = 0; c < p->cols; c++) {
				const size_t d = (((size_t)t * p->rows + r) * p->cols + c) * 2;
				uint32_t o[2];
				xp_tf(chip->dk0, chip->dk1, (uint32_t)XP_DOM_STUCK << 24 | (uint32_t)t << 16,
				      (uint32_t)r << 16 | c, &o[0], &o[1]);
				for (unsigned pol = 0; pol < 2; pol++) {
					const uint32_t u = o[pol] & 0xFFFFu;
					chip->stuck[d + pol] = u < p->p_sa0 ? XP_STUCK0
							     : u < p->p_sa0 + p->p_samax ? XP_STUCKMAX
										     : XP_HEALTHY;
					const int32_t z = draw_dev(chip, pol ? XP_DOM_VAR_NEG : XP_DOM_VAR_POS,
								   t, r, c);
					chip->fv[d + pol] = (uint16_t)xp_clamp32(
						1024 + (int64_t)xp_scale(z, p->s_var, 0), 0, 2047);
				}
			}
		}
		for (unsigned c = 0; c < p->cols; c++) {
			const size_t i = (size_t)t * p->cols + c;
			chip->eg[i] = xp_clamp32(
				1024 + (int64_t)xp_scale(draw_dev(chip, XP_DOM_ADC_GAIN, t, 0, c), p->s_gain, 0),
				0, 2047);
			chip->eo[i] = xp_scale(draw_dev(chip, XP_DOM_ADC_OFFSET, t, 0, c), p->s_off, 3);
		}
	}
	xp_chip_reset(chip);
	*out = chip;
	return XP_OK;
fail:
	xp_chip_destroy(chip);
	return xp_fail(msg, msglen, XP_ENOMEM, "out of memory creating a board of %u tiles of %u x %u",
		       p->tiles, p->rows, p->cols);
}

void xp_chip_destroy(xp_chip *chip)
{
	if (!chip)
		return;
	xp_pool_destroy(chip->pool);
	free(chip->g);
	free(chip->stuck);
	free(chip->fv);
	free(chip->eg);
	free(chip->eo);
	free(chip->adc);
	free(chip->geff);
	free(chip->oeff);
	free(chip->ashift);
	free(chip->wpk);
	free(chip);
}

xp_params xp_chip_geometry(const xp_chip *chip)
{
	xp_params g;
	memset(&g, 0, sizeof(g));
	g.rows = chip->p.rows;
	g.cols = chip->p.cols;
	g.tiles = chip->p.tiles;
	g.dac_bits = chip->p.dac_bits;
	g.code_bits = chip->p.code_bits;
	g.adc_bits = chip->p.adc_bits;
	return g;
}

uint64_t xp_chip_pulses(const xp_chip *chip) { return chip->P; }
uint64_t xp_chip_inferences(const xp_chip *chip) { return chip->N; }
void xp_chip_advance(xp_chip *chip, uint64_t count) { chip->N = (chip->N + count) & ((1ull << 40) - 1); }

/* ---- programming (numerics §6.2) ---- */

static xp_status check_rect(const xp_chip *chip, unsigned t, unsigned r0, unsigned c0, unsigned nr,
			    unsigned nc, char *msg, size_t msglen)
{
	const xp_params *p = &chip->p;
	if (t >= p->tiles)
		return xp_fail(msg, msglen, XP_EINVAL, "tile = %u: legal range 0 … %u", t, p->tiles - 1u);
	if (nr < 1 || r0 >= p->rows || nr > p->rows - r0)
		return xp_fail(msg, msglen, XP_EINVAL,
			       "rows %u … %u (r0 = %u, nr = %u): must lie within 0 … %u and nr >= 1",
			       r0, r0 + nr - 1, r0, nr, p->rows - 1u);
	if (nc < 1 || c0 >= p->cols || nc > p->cols - c0)
		return xp_fail(msg, msglen, XP_EINVAL,
			       "columns %u … %u (c0 = %u, nc = %u): must lie within 0 … %u and nc >= 1",
			       c0, c0 + nc - 1, c0, nc, p->cols - 1u);
	return XP_OK;
}

static uint8_t program_device(xp_chip *chip, size_t d, uint8_t code)
{
	uint32_t o0, o1;
	const uint64_t pulse = chip->P;
	chip->P = (chip->P + 1) & ((1ull << 56) - 1);
	if (chip->stuck[d] != XP_HEALTHY)
		return chip->g[d];
	xp_tf(chip->nk0, chip->nk1, (uint32_t)XP_DOM_PROG << 24 | (uint32_t)(pulse >> 32),
	      (uint32_t)pulse, &o0, &o1);
	const int32_t z = xp_gauss_inl(o0, o1);
	const int64_t gnom = (int64_t)code << (8 - chip->p.code_bits);
#if XP_MUTANT == 4
	const int64_t g1 = xp_asr_inl(gnom * chip->fv[d], 10);
#else
	const int64_t g1 = xp_rnd_inl(gnom * chip->fv[d], 10);
#endif
	return (uint8_t)xp_clamp32(g1 + xp_scale(z, chip->p.s_prog, 3), 0, XP_GMAX);
}

xp_status xp_chip_write(xp_chip *chip, unsigned t, unsigned r0, unsigned c0, unsigned nr,
			unsigned nc, const uint8_t *codes, uint32_t *changed, char *msg, size_t msglen)
{
	const xp_params *p = &chip->p;
	const unsigned cmax = (1u << p->code_bits) - 1;
	xp_status st = check_rect(chip, t, r0, c0, nr, nc, msg, msglen);
	uint32_t n = 0;
	if (st != XP_OK)
		return st;
	for (size_t i = 0; i < (size_t)nr * nc * 2; i++)
		if (codes[i] > cmax)
			return xp_fail(msg, msglen, XP_EINVAL,
				       "code of cell (tile %u, row %zu, column %zu, %s) = %u: legal range 0 … %u (code_bits = %u)",
				       t, r0 + i / 2 / nc, c0 + i / 2 % nc, i % 2 ? "G-" : "G+",
				       codes[i], cmax, p->code_bits);
	for (unsigned r = r0; r < r0 + nr; r++) {
		for (unsigned c = c0; c < c0 + nc; c++) {
			const size_t d = (((size_t)t * p->rows + r) * p->cols + c) * 2;
			const uint8_t *k = &codes[(((size_t)(r - r0)) * nc + (c - c0)) * 2];
			for (unsigned pol = 0; pol < 2; pol++) {
				const uint8_t g = program_device(chip, d + pol, k[pol]);
				n += g != chip->g[d + pol];
				chip->g[d + pol] = g;
			}
			update_weight(chip, t, r, c);
		}
	}
	if (changed)
		*changed = n;
	return XP_OK;
}

xp_status xp_chip_read(const xp_chip *chip, unsigned t, unsigned r0, unsigned c0, unsigned nr,
		       unsigned nc, uint8_t *g, char *msg, size_t msglen)
{
	xp_status st = check_rect(chip, t, r0, c0, nr, nc, msg, msglen);
	if (st != XP_OK)
		return st;
	for (unsigned r = 0; r < nr; r++)
		memcpy(&g[(size_t)r * nc * 2],
		       &chip->g[(((size_t)t * chip->p.rows + r0 + r) * chip->p.cols + c0) * 2],
		       (size_t)nc * 2);
	return XP_OK;
}

xp_status xp_chip_set_adc(xp_chip *chip, unsigned t, unsigned c0, unsigned nc, const xp_adc *adc,
			  char *msg, size_t msglen)
{
	xp_status st = check_rect(chip, t, 0, c0, 1, nc, msg, msglen);
	if (st != XP_OK)
		return st;
	for (unsigned i = 0; i < nc; i++) {
		if (adc[i].shift > XP_ADC_SHIFT_MAX)
			return xp_fail(msg, msglen, XP_EINVAL,
				       "ADC shift of tile %u column %u = %u: legal range 0 … %d", t,
				       c0 + i, adc[i].shift, XP_ADC_SHIFT_MAX);
		if (adc[i].offset < XP_ADC_OFF_MIN || adc[i].offset > XP_ADC_OFF_MAX)
			return xp_fail(msg, msglen, XP_EINVAL,
				       "ADC offset of tile %u column %u = %d: legal range %d … %d", t,
				       c0 + i, adc[i].offset, XP_ADC_OFF_MIN, XP_ADC_OFF_MAX);
	}
	for (unsigned i = 0; i < nc; i++) {
		const size_t k = (size_t)t * chip->p.cols + c0 + i;
		chip->adc[k] = adc[i];
		update_col(chip, k);
	}
	return XP_OK;
}

/* ---- network configuration (numerics §8, §9) ---- */

uint32_t xp_layer_row_blocks(const xp_params *p, const xp_layer *l)
{
	return ((uint32_t)l->n_in + l->bias + p->rows - 1) / p->rows;
}

uint32_t xp_layer_col_blocks(const xp_params *p, const xp_layer *l)
{
	return ((uint32_t)l->n_out + p->cols - 1) / p->cols;
}

void xp_netcfg_reference(xp_netcfg *cfg, xp_layer layers[2], uint16_t tiles[8])
{
	for (uint16_t i = 0; i < 8; i++)
		tiles[i] = i;
	layers[0] = (xp_layer){ .n_in = 784, .n_out = 64, .bias = 1, .act = XP_ACT_RELU,
				.amul = 1, .ash = 0, .ntiles = 7, .tiles = &tiles[0] };
	layers[1] = (xp_layer){ .n_in = 64, .n_out = 10, .bias = 1, .act = XP_ACT_IDENTITY,
				.amul = 1, .ash = 0, .ntiles = 1, .tiles = &tiles[7] };
	cfg->nlayers = 2;
	cfg->layers = layers;
}

xp_status xp_netcfg_check(const xp_params *p, const xp_netcfg *cfg, char *msg, size_t msglen)
{
	uint8_t used[XP_MAX_TILES] = { 0 };
	if (cfg->nlayers < 1 || cfg->nlayers > XP_MAX_LAYERS)
		return xp_fail(msg, msglen, XP_EINVAL, "nlayers = %u: legal range 1 … %d",
			       cfg->nlayers, XP_MAX_LAYERS);
	for (unsigned li = 0; li < cfg->nlayers; li++) {
		const xp_layer *l = &cfg->layers[li];
		char f[32];
#define LCHECK(name, v, lo, hi)                                                                 \
	do {                                                                                    \
		snprintf(f, sizeof(f), "layer %u %s", li, name);                                \
		CHECK_RANGE(f, v, lo, hi);                                                      \
	} while (0)
		LCHECK("n_in", l->n_in, 1, XP_MAX_WIDTH);
		LCHECK("n_out", l->n_out, 1, XP_MAX_WIDTH);
		LCHECK("bias", l->bias, 0, 1);
		LCHECK("act", l->act, 0, 1);
		LCHECK("ash", l->ash, 0, XP_ACT_SHIFT_MAX);
#undef LCHECK
		if (li > 0 && l->n_in != cfg->layers[li - 1].n_out)
			return xp_fail(msg, msglen, XP_EINVAL,
				       "layer %u n_in = %u: must equal layer %u n_out = %u", li,
				       l->n_in, li - 1, cfg->layers[li - 1].n_out);
		if (li + 1 < cfg->nlayers && l->act != XP_ACT_RELU)
			return xp_fail(msg, msglen, XP_EINVAL,
				       "layer %u act = identity: hidden layers must use relu (the next layer's DAC takes unsigned codes)",
				       li);
		const uint32_t nrb = xp_layer_row_blocks(p, l), ncb = xp_layer_col_blocks(p, l);
		if (((uint64_t)nrb << (p->adc_bits - 1)) > 32768)
			return xp_fail(msg, msglen, XP_EINVAL,
				       "layer %u needs %u row blocks of %u rows: at most %u with adc_bits = %u (16-bit partial sums)",
				       li, nrb, p->rows, 32768u >> (p->adc_bits - 1), p->adc_bits);
		if (l->ntiles != nrb * ncb)
			return xp_fail(msg, msglen, XP_EINVAL,
				       "layer %u ntiles = %u: the layer (%u+%u rows, %u columns) needs %u x %u = %u tiles of %u x %u",
				       li, l->ntiles, l->n_in, l->bias, l->n_out, nrb, ncb, nrb * ncb,
				       p->rows, p->cols);
		for (unsigned i = 0; i < l->ntiles; i++) {
			const unsigned t = l->tiles[i];
			if (t >= p->tiles)
				return xp_fail(msg, msglen, XP_EINVAL,
					       "layer %u tile[%u] = %u: legal range 0 … %u", li, i, t,
					       p->tiles - 1u);
			if (used[t])
				return xp_fail(msg, msglen, XP_EINVAL,
					       "layer %u tile[%u] = %u: tile already used by this configuration",
					       li, i, t);
			used[t] = 1;
		}
	}
	return XP_OK;
}

xp_status xp_chip_configure(xp_chip *chip, const xp_netcfg *cfg, char *msg, size_t msglen)
{
	xp_status st = xp_netcfg_check(&chip->p, cfg, msg, msglen);
	uint32_t k = 0, all = 0;
	if (st != XP_OK)
		return st;
	for (unsigned li = 0; li < cfg->nlayers; li++) {
		const xp_layer *l = &cfg->layers[li];
		chip->layers[li] = *l;
		memcpy(&chip->tilebuf[k], l->tiles, l->ntiles * sizeof(uint16_t));
		chip->layers[li].tiles = &chip->tilebuf[k];
		k += l->ntiles;
		all += l->n_out;
	}
	chip->nlayers = cfg->nlayers;
	chip->n_all_out = all;
	return XP_OK;
}

unsigned xp_chip_nlayers(const xp_chip *chip) { return chip->nlayers; }
unsigned xp_chip_n_in(const xp_chip *chip) { return chip->nlayers ? chip->layers[0].n_in : 0; }
unsigned xp_chip_n_out(const xp_chip *chip)
{
	return chip->nlayers ? chip->layers[chip->nlayers - 1].n_out : 0;
}
unsigned xp_chip_n_all_out(const xp_chip *chip) { return chip->n_all_out; }
