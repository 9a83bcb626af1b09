/*
 * genvec.c — xpnn-genvec: writes the golden vector files of tests/vectors/ from the C model's
 * reference path (docs/numerics.md §13, docs/formats.md).
 *
 * Every file is fully determined by the constants below; regenerating gives identical bytes
 * (make test checks that). The files change only with a numerics spec version bump.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "xpv.h"
#include "testrng.h"

static int quiet;


static xp_chip *mk(xpv_writer *w, const xp_params *p, const char *name)
{
	xp_chip *chip = NULL;
	char m[XP_ERRMSG];
	if (xp_chip_create(&chip, p, m, sizeof(m)) != XP_OK || xpv_begin(w, p, name) != 0) {
		fprintf(stderr, "xpnn-genvec: %s: %s\n", name, m);
		exit(1);
	}
	return chip;
}

static int done(xpv_writer *w, xp_chip *chip, const char *dir, const char *name)
{
	char path[4096], m[512];
	snprintf(path, sizeof(path), "%s/%s.xpv", dir, name);
	xp_chip_destroy(chip);
	if (xpv_finish(w, path, m, sizeof(m)) != 0) {
		fprintf(stderr, "xpnn-genvec: %s\n", m);
		return 1;
	}
	if (!quiet)
		printf("wrote %s (%u operations)\n", path, w->nops);
	return 0;
}

/* The parameters the version-1 vectors were made with: numerics §2's defaults of spec version 1,
 * spelled out so that tuning the defaults later does not change these files. */
static void base_params(xp_params *p)
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

static xp_params ideal(void)
{
	xp_params p;
	base_params(&p);
	p.p_sa0 = p.p_samax = 0;
	p.s_var = p.s_prog = p.s_read = p.s_gain = p.s_off = 0;
	return p;
}

/* Write random codes to a rectangle. */
static void write_random(xpv_writer *w, xp_chip *chip, unsigned t, unsigned r0, unsigned c0,
			 unsigned nr, unsigned nc, unsigned cmax)
{
	uint8_t *codes = malloc((size_t)nr * nc * 2);
	for (size_t i = 0; i < (size_t)nr * nc; i++) {
		/* mostly one-sided pairs, as a compiler would write them; some both-sided */
		unsigned a = rndu(cmax + 1), kind = rndu(8);
		codes[2 * i] = (uint8_t)(kind < 4 ? a : kind < 7 ? 0 : rndu(cmax + 1));
		codes[2 * i + 1] = (uint8_t)(kind < 4 ? 0 : kind < 7 ? a : rndu(cmax + 1));
	}
	xpv_write(w, chip, t, r0, c0, nr, nc, codes);
	free(codes);
}

static void fill(uint8_t *x, size_t n, unsigned xmax, unsigned zero_pct)
{
	for (size_t i = 0; i < n; i++)
		x[i] = rndu(100) < zero_pct ? 0 : (uint8_t)rndu(xmax + 1);
}

/* ADC settings that spread a column whose sums reach about amax_acc over the code range:
 * gain in 128…255 and the shift that maps amax_acc·gain to about `target` codes. */
static void adc_for(xp_adc *a, unsigned nc, double amax_acc, double target)
{
	for (unsigned c = 0; c < nc; c++) {
		a[c].gain = (uint8_t)(128 + rndu(128));
		unsigned s = 0;
		while (s < 31 && amax_acc * a[c].gain / (double)(1ull << (s + 1)) > target)
			s++;
		a[c].shift = (uint8_t)s;
		a[c].offset = (int16_t)((int)rndu(9) - 4);
	}
}

/* 1. Ideal device: corner cases of the tile datapath. */
static int gen_tile_corners(const char *dir)
{
	rs = 1;
	xpv_writer w;
	xp_params p = ideal();
	xp_chip *chip = mk(&w, &p, "tile_corners");
	const unsigned R = p.rows, C = p.cols;
	uint8_t *codes = calloc((size_t)R * C * 2, 1), x[4 * XP_MAX_ROWS];
	xp_adc adc[XP_MAX_COLS];

	/* tile 0: columns 0…15 max positive, 16…31 max negative, 32…47 mixed, 48…63 single row */
	for (unsigned r = 0; r < R; r++)
		for (unsigned c = 0; c < C; c++) {
			uint8_t *k = &codes[((size_t)r * C + c) * 2];
			if (c < 16) { k[0] = 15; k[1] = 0; }
			else if (c < 32) { k[0] = 0; k[1] = 15; }
			else if (c < 48) { k[0] = (uint8_t)((r + c) % 16); k[1] = (uint8_t)((r * 7 + c) % 16); }
			else if (r == 0) { k[0] = (uint8_t)(c & 1 ? 1 : 0); k[1] = (uint8_t)(c & 1 ? 0 : 1); }
		}
	xpv_write(&w, chip, 0, 0, 0, R, C, codes);
	/* unity ADC: saturation on both sides */
	for (unsigned c = 0; c < C; c++)
		adc[c] = (xp_adc){ .gain = 1, .shift = 0, .offset = 0 };
	xpv_adc(&w, chip, 0, 0, C, adc);
	memset(x, 0, R);                    /* all zeros */
	memset(x + R, 255, R);              /* all full scale */
	for (unsigned r = 0; r < R; r++) {
		x[2 * R + r] = (uint8_t)(r & 1 ? 255 : 0);
		x[3 * R + r] = (uint8_t)(r == 0 ? 1 : 0);  /* only row 0, value 1: ties below */
	}
	xpv_tile(&w, chip, 0, C, x, 4, 0);
	/* rounding ties: row 0 gives acc = ±16; shift 5 makes acc·gain/32 = ±gain/2 */
	for (unsigned c = 0; c < C; c++)
		adc[c] = (xp_adc){ .gain = (uint8_t)(1 + 2 * (c % 8)), .shift = 5, .offset = (int16_t)(c % 3) - 1 };
	xpv_adc(&w, chip, 0, 0, C, adc);
	xpv_tile(&w, chip, 0, C, x + 3 * R, 1, 4);
	/* ties at other shifts: x = 2^k on row 0 */
	for (unsigned k = 0; k < 4; k++) {
		uint8_t xv[XP_MAX_ROWS] = { 0 };
		xv[0] = (uint8_t)(1u << (k + 1)); /* acc = ±16·2^(k+1) */
		for (unsigned c = 0; c < C; c++)
			adc[c] = (xp_adc){ .gain = (uint8_t)(2 * (c % 16) + 1), .shift = (uint8_t)(k + 6), .offset = 0 };
		xpv_adc(&w, chip, 0, 0, C, adc);
		xpv_tile(&w, chip, 0, C, xv, 1, 5 + k);
	}
	/* full range gain/shift/offset sweep: maximum gain, largest shift, extreme offsets */
	for (unsigned c = 0; c < C; c++)
		adc[c] = (xp_adc){ .gain = (uint8_t)(c & 1 ? 255 : 0), .shift = (uint8_t)(c % 32),
				   .offset = (int16_t)(c % 4 == 0 ? XP_ADC_OFF_MIN : c % 4 == 1 ? XP_ADC_OFF_MAX : c % 4 == 2 ? 127 : -128) };
	xpv_adc(&w, chip, 0, 0, C, adc);
	xpv_tile(&w, chip, 0, C, x, 4, 9);
	/* random inputs on the mixed columns with mid-range ADC */
	adc_for(adc, C, 128.0 * 255 * 240 / 4, 100);
	xpv_adc(&w, chip, 0, 0, C, adc);
	for (int i = 0; i < 8; i++) {
		uint8_t xv[XP_MAX_ROWS];
		fill(xv, R, 255, 30);
		xpv_tile(&w, chip, 0, C, xv, 1, 13 + (uint64_t)i);
	}
	free(codes);
	return done(&w, chip, dir, "tile_corners");
}

/* 2. Widths: the documented maxima of numerics §10 reached exactly. */
static int gen_widths(const char *dir)
{
	rs = 2;
	xpv_writer w;
	xp_params p = ideal();
	p.rows = XP_MAX_ROWS;
	p.cols = 4;
	p.tiles = 2;
	p.code_bits = 8;
	p.adc_bits = 12;
	xp_chip *chip = mk(&w, &p, "widths");
	uint8_t *codes = malloc((size_t)p.rows * p.cols * 2), x[XP_MAX_ROWS];
	xp_adc adc[4];
	for (unsigned r = 0; r < p.rows; r++)
		for (unsigned c = 0; c < p.cols; c++) {
			codes[((size_t)r * p.cols + c) * 2] = (uint8_t)(c % 2 == 0 ? 255 : 0);
			codes[((size_t)r * p.cols + c) * 2 + 1] = (uint8_t)(c % 2 == 0 ? 0 : 255);
		}
	xpv_write(&w, chip, 0, 0, 0, p.rows, p.cols, codes);
	memset(x, 255, sizeof(x));
	/* acc = ±1024·255·255 = ±66,585,600; gain 255, eg 1024: p = acc·255·1024 */
	for (unsigned c = 0; c < 4; c++)
		adc[c] = (xp_adc){ .gain = 255, .shift = (uint8_t)(c < 2 ? 0 : 31), .offset = 0 };
	xpv_adc(&w, chip, 0, 0, 4, adc);
	xpv_tile(&w, chip, 0, 4, x, 1, 0);
	/* shift that lands inside the 12-bit range: 66,585,600·255 / 2^23 = 2024.1 */
	for (unsigned c = 0; c < 4; c++)
		adc[c] = (xp_adc){ .gain = 255, .shift = 23, .offset = (int16_t)(c == 1 ? -24 : 23) };
	xpv_adc(&w, chip, 0, 0, 4, adc);
	xpv_tile(&w, chip, 0, 4, x, 1, 1);
	free(codes);
	return done(&w, chip, dir, "widths");
}

/* 3. Programming with noise, variation and many stuck devices; reset; re-seeding. */
static int gen_program(const char *dir)
{
	rs = 3;
	xpv_writer w;
	xp_params p;
	base_params(&p);
	p.dseed = 0x0123456789ABCDEFull;
	p.p_sa0 = 6554;   /* 10 % */
	p.p_samax = 3277; /* 5 % */
	xp_chip *chip = mk(&w, &p, "program");
	xpv_read(&w, chip, 3, 0, 0, 16, p.cols);      /* reset state: stuck devices visible */
	xpv_seed(&w, chip, 42);
	write_random(&w, chip, 3, 0, 0, 32, p.cols, 15);
	write_random(&w, chip, 3, 8, 5, 4, 7, 15);     /* reprogram a sub-rectangle */
	xpv_read(&w, chip, 3, 0, 0, 32, p.cols);
	{   /* same codes again: fresh noise, some devices change, stuck ones never */
		uint8_t codes[2 * 64];
		for (unsigned c = 0; c < 64; c++) { codes[2 * c] = 15; codes[2 * c + 1] = 15; }
		xpv_write(&w, chip, 7, 127, 0, 1, 64, codes);
		xpv_write(&w, chip, 7, 127, 0, 1, 64, codes);
		for (unsigned c = 0; c < 64; c++) { codes[2 * c] = 0; codes[2 * c + 1] = 0; }
		xpv_write(&w, chip, 7, 127, 0, 1, 64, codes);
	}
	xpv_seed(&w, chip, 0xFFFFFFFFFFFFFFFFull);
	write_random(&w, chip, 0, 100, 60, 28, 4, 15);
	xpv_reset(&w, chip);
	xpv_read(&w, chip, 3, 0, 0, 32, p.cols);
	write_random(&w, chip, 3, 0, 0, 2, 2, 15);     /* after reset: P restarted at 0 */
	{   /* a never-written tile still computes through its stuck devices; ADC from c0 = 10 */
		xp_adc adc[20];
		uint8_t x[2 * 128];
		for (unsigned c = 0; c < 20; c++)
			adc[c] = (xp_adc){ .gain = 200, .shift = (uint8_t)(10 + c % 4), .offset = (int16_t)c - 10 };
		xpv_adc(&w, chip, 5, 10, 20, adc);
		fill(x, sizeof(x), 255, 0);
		xpv_tile(&w, chip, 5, 40, x, 2, 1000);
	}
	return done(&w, chip, dir, "program");
}

/* 4. Random tiles with the default (non-ideal) device. */
static int gen_tile_random(const char *dir)
{
	rs = 4;
	xpv_writer w;
	xp_params p;
	base_params(&p);
	p.dseed = 7;
	xp_chip *chip = mk(&w, &p, "tile_random");
	xp_adc adc[XP_MAX_COLS];
	uint8_t x[16 * XP_MAX_ROWS];
	/* inference indices: from 0; across 2^32 (the high counter byte); across the 2^40 wrap */
	static const uint64_t n0[3] = { 0, (1ull << 32) - 8, (1ull << 40) - 8 };
	xpv_seed(&w, chip, 1234);
	for (unsigned t = 0; t < 3; t++) {
		write_random(&w, chip, t, 0, 0, p.rows, p.cols, 15);
		adc_for(adc, p.cols, 128.0 * 127 * 100 / 3, 90);
		xpv_adc(&w, chip, t, 0, p.cols, adc);
		fill(x, 16 * (size_t)p.rows, 255, 40);
		xpv_tile(&w, chip, t, t == 2 ? 37 : p.cols, x, 16, n0[t]);
	}
	return done(&w, chip, dir, "tile_random");
}

/* 5. The reference network 784-64-10 with random weights on the default board. */
static int gen_net_reference(const char *dir)
{
	rs = 5;
	xpv_writer w;
	xp_params p;
	base_params(&p);
	xp_chip *chip = mk(&w, &p, "net_reference");
	xp_layer layers[2];
	uint16_t tiles[8];
	xp_netcfg cfg;
	xp_adc adc[XP_MAX_COLS];
	enum { B = 12 };
	uint8_t *x = malloc((size_t)B * 784);
	xp_netcfg_reference(&cfg, layers, tiles);
	layers[0].amul = 181;
	layers[0].ash = 8;
	xpv_seed(&w, chip, 99);
	for (unsigned t = 0; t < 6; t++)
		write_random(&w, chip, t, 0, 0, p.rows, p.cols, 15);
	write_random(&w, chip, 6, 0, 0, 17, p.cols, 15);
	write_random(&w, chip, 7, 0, 0, 65, 10, 15);
	for (unsigned t = 0; t < 7; t++) {
		adc_for(adc, p.cols, 128.0 * 100 * 100 / 4, 40);
		xpv_adc(&w, chip, t, 0, p.cols, adc);
	}
	adc_for(adc, 10, 65.0 * 120 * 100 / 3, 100);
	xpv_adc(&w, chip, 7, 0, 10, adc);
	xpv_config(&w, chip, &cfg);
	fill(x, (size_t)B * 784, 255, 50);
	memset(x, 0, 784);            /* an all-zero image */
	memset(x + 784, 255, 784);    /* an all-full-scale image */
	xpv_run(&w, chip, x, B);
	xpv_run(&w, chip, x, 3);      /* the same images again: new inference indices, new noise */
	free(x);
	return done(&w, chip, dir, "net_reference");
}

/* 6. Odd geometry: odd R, several column blocks, scattered tiles, relu output, 4 layers. */
static int gen_net_odd(const char *dir)
{
	rs = 6;
	xpv_writer w;
	xp_params p;
	base_params(&p);
	p.rows = 37;
	p.cols = 11;
	p.tiles = 40;
	p.dac_bits = 6;
	p.code_bits = 3;
	p.adc_bits = 10;
	p.dseed = 0xFEEDFACECAFEBEEFull;
	p.s_read = 3000;
	xp_chip *chip = mk(&w, &p, "net_odd");
	/* 50 -> 23 -> 17 -> 5; rows 51/24/18/6 → row blocks 2/1/1/1; column blocks 3/2/1/1 */
	static const uint16_t t0[] = { 39, 2, 17, 5, 30, 11 }, t1[] = { 0, 38 }, t2[] = { 21 }, t3[] = { 7 };
	const xp_layer layers[4] = {
		{ .n_in = 50, .n_out = 23, .bias = 1, .act = XP_ACT_RELU, .amul = 200, .ash = 9, .ntiles = 6, .tiles = t0 },
		{ .n_in = 23, .n_out = 17, .bias = 0, .act = XP_ACT_RELU, .amul = 77, .ash = 6, .ntiles = 2, .tiles = t1 },
		{ .n_in = 17, .n_out = 5, .bias = 1, .act = XP_ACT_RELU, .amul = 255, .ash = 0, .ntiles = 1, .tiles = t2 },
		{ .n_in = 5, .n_out = 3, .bias = 1, .act = XP_ACT_RELU, .amul = 3, .ash = 15, .ntiles = 1, .tiles = t3 },
	};
	const xp_netcfg cfg = { .nlayers = 4, .layers = layers };
	const uint16_t *all[] = { t0, t1, t2, t3 };
	const unsigned nall[] = { 6, 2, 1, 1 };
	xp_adc adc[XP_MAX_COLS];
	uint8_t x[20 * 50];
	xpv_seed(&w, chip, 5);
	for (unsigned l = 0; l < 4; l++)
		for (unsigned i = 0; i < nall[l]; i++) {
			write_random(&w, chip, all[l][i], 0, 0, p.rows, p.cols, 7);
			adc_for(adc, p.cols, 37.0 * 63 * 100 / 4, 300);
			xpv_adc(&w, chip, all[l][i], 0, p.cols, adc);
		}
	xpv_config(&w, chip, &cfg);
	fill(x, sizeof(x), 63, 20);
	xpv_run(&w, chip, x, 20);
	/* after a reset: erased devices, default ADCs, a new configuration, counters from 0 */
	xpv_reset(&w, chip);
	xpv_config(&w, chip, &cfg);
	xpv_run(&w, chip, x, 4);
	return done(&w, chip, dir, "net_odd");
}

/* 7. Every board-private σ at its maximum: clamps of fv, eg, G and the ADC at their limits. */
static int gen_device_extremes(const char *dir)
{
	rs = 7;
	xpv_writer w;
	xp_params p;
	base_params(&p);
	p.tiles = 2;
	p.dseed = 0xA5A5A5A5A5A5A5A5ull;
	p.s_var = p.s_prog = p.s_gain = p.s_off = 1023;
	p.s_read = 65535;
	p.p_sa0 = 30000;
	p.p_samax = 35536;   /* p_sa0 + p_samax = 65536: every device stuck */
	xp_chip *chip = mk(&w, &p, "device_all_stuck");
	xp_adc adc[XP_MAX_COLS];
	uint8_t x[8 * XP_MAX_ROWS];
	write_random(&w, chip, 1, 0, 0, p.rows, p.cols, 15);
	adc_for(adc, p.cols, 128.0 * 255 * 255 / 8, 120);
	xpv_adc(&w, chip, 1, 0, p.cols, adc);
	fill(x, sizeof(x), 255, 10);
	xpv_tile(&w, chip, 1, p.cols, x, 8, 0x12345678ABull);
	if (done(&w, chip, dir, "device_all_stuck"))
		return 1;

	p.p_sa0 = p.p_samax = 0; /* and with no stuck devices */
	chip = mk(&w, &p, "device_extremes");
	xpv_seed(&w, chip, 3);
	write_random(&w, chip, 1, 0, 0, p.rows, p.cols, 15);
	xpv_adc(&w, chip, 1, 0, p.cols, adc);
	xpv_tile(&w, chip, 1, p.cols, x, 8, 0x12345678ABull);
	return done(&w, chip, dir, "device_extremes");
}

/* --random: a random small board (geometry, device, network, settings) and a random script of
 * operations, for the differential test of the C model against the independent Python
 * implementation (make test runs a few seeds; any seed is a reproducer). Not a golden file. */
static unsigned pick(const unsigned *v, unsigned n) { return v[rndu(n)]; }

static int gen_random(const char *dir, uint64_t seed)
{
	char name[64];
	xpv_writer w;
	xp_params p;
	xp_layer layers[XP_MAX_LAYERS];
	uint16_t tiles[XP_MAX_TILES];
	xp_netcfg cfg = { .layers = layers };
	unsigned used = 0;
	rs = seed;
	snprintf(name, sizeof(name), "random_%llu", (unsigned long long)seed);
	for (int attempt = 0;; attempt++) {
		static const unsigned bits_s[] = { 1, 2, 3, 4, 5, 6, 7, 8 };
		static const unsigned sig[] = { 0, 1, 8, 31, 51, 200, 1023 };
		memset(&p, 0, sizeof(p));
		p.rows = (uint16_t)(1 + rndu(rndu(4) ? 40 : 130));
		p.cols = (uint16_t)(1 + rndu(rndu(4) ? 20 : 70));
		p.dac_bits = (uint8_t)pick(bits_s, 8);
		p.code_bits = (uint8_t)pick(bits_s, 8);
		p.adc_bits = (uint8_t)(2 + rndu(11));
		p.dseed = rnd64();
		p.p_sa0 = rndu(3) ? rndu(2000) : rndu(65537);
		p.p_samax = rndu(3) ? rndu(2000) : rndu(65537 - p.p_sa0);
		p.s_var = (uint16_t)pick(sig, 7);
		p.s_prog = (uint16_t)pick(sig, 7);
		p.s_gain = (uint16_t)pick(sig, 7);
		p.s_off = (uint16_t)pick(sig, 7);
		p.s_read = (uint16_t)(rndu(4) ? rndu(4096) : rndu(65536));
		cfg.nlayers = (uint8_t)(1 + rndu(4));
		unsigned width = 1 + rndu(60), total = 0;
		for (unsigned l = 0; l < cfg.nlayers; l++) {
			xp_layer *L = &layers[l];
			memset(L, 0, sizeof(*L));
			L->n_in = (uint16_t)width;
			width = 1 + rndu(40);
			L->n_out = (uint16_t)width;
			L->bias = (uint8_t)(l == 0 ? 1 : rndu(2));
			L->act = (uint8_t)(l + 1 < cfg.nlayers ? XP_ACT_RELU : rndu(2));
			L->amul = (uint8_t)rndu(256);
			L->ash = (uint8_t)rndu(16);
			L->ntiles = (uint16_t)(xp_layer_row_blocks(&p, L) * xp_layer_col_blocks(&p, L));
			total += L->ntiles;
		}
		if (total > XP_MAX_TILES)
			continue;
		p.tiles = (uint16_t)(total + rndu(XP_MAX_TILES - total + 1 < 5 ? XP_MAX_TILES - total + 1 : 5));
		/* a random permutation of the tiles, the first `total` of them used */
		uint16_t perm[XP_MAX_TILES] = { 0 };
		for (unsigned i = 0; i < p.tiles; i++)
			perm[i] = (uint16_t)i;
		for (unsigned i = p.tiles; i > 1; i--) {
			const unsigned j = rndu(i);
			const uint16_t t = perm[i - 1];
			perm[i - 1] = perm[j];
			perm[j] = t;
		}
		memcpy(tiles, perm, total * sizeof(uint16_t));
		for (unsigned l = 0, k = 0; l < cfg.nlayers; k += layers[l].ntiles, l++)
			layers[l].tiles = &tiles[k];
		used = total;
		if (xp_params_check(&p, NULL, 0) == XP_OK && xp_netcfg_check(&p, &cfg, NULL, 0) == XP_OK)
			break;
		if (attempt > 1000)
			return 1;
	}
	xp_chip *chip = mk(&w, &p, name);
	const unsigned xmax = (1u << p.dac_bits) - 1, cmax = (1u << p.code_bits) - 1;
	xp_adc adc[XP_MAX_COLS];
	uint8_t *x = malloc((size_t)8 * (XP_MAX_WIDTH > XP_MAX_ROWS ? XP_MAX_WIDTH : XP_MAX_ROWS));
	xpv_seed(&w, chip, rnd64());
	for (unsigned i = 0; i < used; i++) {
		const unsigned t = tiles[i];
		write_random(&w, chip, t, 0, 0, p.rows, p.cols, cmax);
		const double fs = (double)p.rows * xmax * 255 / 4;
		for (unsigned c = 0; c < p.cols; c++)
			adc[c] = (xp_adc){ .gain = (uint8_t)rndu(256), .shift = (uint8_t)rndu(32),
					   .offset = (int16_t)((int)rndu(4096) - 2048) };
		if (rndu(4))
			adc_for(adc, p.cols, fs, (double)(1u << (p.adc_bits - 1)) * 0.7);
		xpv_adc(&w, chip, t, 0, p.cols, adc);
	}
	if (rndu(2)) /* a partial rewrite with fresh noise */
		write_random(&w, chip, tiles[0], rndu(p.rows), rndu(p.cols), 1, 1, cmax);
	xpv_config(&w, chip, &cfg);
	for (int k = 0; k < 2; k++) {
		const uint32_t b = 1 + rndu(6);
		fill(x, (size_t)b * layers[0].n_in, xmax, rndu(80));
		xpv_run(&w, chip, x, b);
	}
	/* every script crosses bit 32 of the inference index and its 2^40 wrap */
	static const uint64_t n0s[] = { 12345, (1ull << 32) - 2, (1ull << 40) - 2 };
	for (int k = 0; k < 3; k++) {
		fill(x, (size_t)3 * p.rows, xmax, rndu(80));
		xpv_tile(&w, chip, tiles[rndu(used)], 1 + rndu(p.cols), x, 3, n0s[k]);
	}
	xpv_read(&w, chip, tiles[0], 0, 0, p.rows, p.cols);
	if (rndu(2)) {
		xpv_reset(&w, chip);
		xpv_config(&w, chip, &cfg);
		fill(x, layers[0].n_in, xmax, 0);
		xpv_run(&w, chip, x, 1);
	}
	free(x);
	return done(&w, chip, dir, name);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xpnn-genvec [--quiet] [--random SEED[,SEED…]] OUTDIR\n"
		"Write the golden vector files (docs/formats.md) of numerics spec version %d into\n"
		"OUTDIR (created if missing). The output is fully deterministic.\n"
		"  --random S    instead, write random_S.xpv for each seed S: a random small board,\n"
		"                network and operation script (for differential tests, not golden)\n"
		"  -q, --quiet   print nothing on success\n"
		"  -h, --help    this help\n", XP_NUMERICS_VERSION);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "quiet", no_argument, NULL, 'q' },
					      { "random", required_argument, NULL, 'r' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	int c, rc = 0;
	const char *random = NULL;
	while ((c = getopt_long(argc, argv, "qr:h", opts, NULL)) != -1) {
		if (c == 'q')
			quiet = 1;
		else if (c == 'r')
			random = optarg;
		else if (c == 'h') {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	const char *dir = argv[optind];
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "xpnn-genvec: cannot create %s: %s\n", dir, strerror(errno));
		return 1;
	}
	if (random) {
		for (const char *s = random; *s;) {
			char *end;
			errno = 0;
			const unsigned long long seed = strtoull(s, &end, 10);
			if (end == s || errno || (*end && *end != ',')) {
				fprintf(stderr, "xpnn-genvec: --random %s: expected decimal seeds separated by commas\n", random);
				return 2;
			}
			if (gen_random(dir, seed)) {
				fprintf(stderr, "xpnn-genvec: seed %llu: no legal random board found\n", seed);
				return 1;
			}
			s = *end ? end + 1 : end;
		}
		return 0;
	}
		rc |= gen_tile_corners(dir);
	rc |= gen_widths(dir);
	rc |= gen_program(dir);
	rc |= gen_tile_random(dir);
	rc |= gen_net_reference(dir);
	rc |= gen_net_odd(dir);
	rc |= gen_device_extremes(dir);
	return rc;
}
