/*
 * test_cmodel.c — the C model's behaviour: validation with clear messages, all-or-nothing
 * updates, the device model's statistics, determinism, thread independence, and the optimised
 * kernels (every variant this CPU runs) against the _ref path on >= 100k random cases.
 *
 * Random cases use XP_SEED (printed) so that a failure can be reproduced.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "xp_cmodel_impl.h"
#include "testrng.h"

static uint64_t seed = 1;

static xp_chip *mk(const xp_params *p)
{
	xp_chip *chip = NULL;
	char m[XP_ERRMSG];
	assert_int_equal(xp_chip_create(&chip, p, m, sizeof(m)), XP_OK);
	return chip;
}

static void write_random(xp_chip *chip, unsigned t, unsigned nr, unsigned nc, unsigned cmax)
{
	uint8_t *codes = malloc((size_t)nr * nc * 2);
	for (size_t i = 0; i < (size_t)nr * nc * 2; i++)
		codes[i] = (uint8_t)rndu(cmax + 1);
	assert_int_equal(xp_chip_write(chip, t, 0, 0, nr, nc, codes, NULL, NULL, 0), XP_OK);
	free(codes);
}

/* ---- validation ---- */

static void test_params_messages(void **state)
{
	(void)state;
	static const struct {
		const char *field;
		size_t off, size;
		long long bad;
		const char *range;
	} cases[] = {
#define F(name) #name, offsetof(xp_params, name), sizeof(((xp_params *)0)->name)
		{ F(rows), 0, "1 … 1024" },      { F(rows), 1025, "1 … 1024" },
		{ F(cols), 257, "1 … 256" },     { F(tiles), 0, "1 … 256" },
		{ F(dac_bits), 9, "1 … 8" },     { F(code_bits), 0, "1 … 8" },
		{ F(adc_bits), 1, "2 … 12" },    { F(adc_bits), 13, "2 … 12" },
		{ F(p_sa0), 65537, "0 … 65536" }, { F(s_var), 1024, "0 … 1023" },
		{ F(s_prog), 2000, "0 … 1023" }, { F(s_gain), 1024, "0 … 1023" },
		{ F(s_off), 1024, "0 … 1023" },
#undef F
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		xp_params p;
		char m[XP_ERRMSG] = "", want[64];
		xp_chip *chip = (xp_chip *)&p; /* must stay untouched on failure */
		xp_params_default(&p);
		uint8_t *f = (uint8_t *)&p + cases[i].off;
		if (cases[i].size == 1) *f = (uint8_t)cases[i].bad;
		else if (cases[i].size == 2) *(uint16_t *)(void *)f = (uint16_t)cases[i].bad;
		else *(uint32_t *)(void *)f = (uint32_t)cases[i].bad;
		assert_int_equal(xp_chip_create(&chip, &p, m, sizeof(m)), XP_EINVAL);
		assert_ptr_equal(chip, (xp_chip *)&p);
		snprintf(want, sizeof(want), "%s = %lld", cases[i].field, cases[i].bad);
		assert_non_null(strstr(m, want));
		assert_non_null(strstr(m, cases[i].range));
	}
	/* p_samax's limit depends on p_sa0 */
	xp_params p;
	char m[XP_ERRMSG];
	xp_params_default(&p);
	p.p_sa0 = 60000;
	p.p_samax = 6000;
	assert_int_equal(xp_params_check(&p, m, sizeof(m)), XP_EINVAL);
	assert_non_null(strstr(m, "p_samax = 6000: legal range 0 … 5536"));
	assert_string_equal(xp_status_str(XP_EINVAL), "invalid argument");
}

static void snapshot(const xp_chip *chip, uint8_t *g)
{
	const xp_params p = xp_chip_geometry(chip);
	for (unsigned t = 0; t < p.tiles; t++)
		assert_int_equal(xp_chip_read(chip, t, 0, 0, p.rows, p.cols,
					      g + (size_t)t * p.rows * p.cols * 2, NULL, 0), XP_OK);
}

/* Bad writes, ADC settings, configurations and runs are refused and change nothing. */
static void test_bad_input_changes_nothing(void **state)
{
	(void)state;
	xp_params p;
	xp_params_default(&p);
	xp_chip *chip = mk(&p);
	const size_t n = (size_t)p.tiles * p.rows * p.cols * 2;
	uint8_t *before = malloc(n), *after = malloc(n), codes[2 * 4 * 4];
	char m[XP_ERRMSG];
	xp_chip_set_seed(chip, 5);
	write_random(chip, 2, 8, 8, 15);
	snapshot(chip, before);
	const uint64_t P = xp_chip_pulses(chip);
	memset(codes, 3, sizeof(codes));
	assert_int_equal(xp_chip_write(chip, 8, 0, 0, 4, 4, codes, NULL, m, sizeof(m)), XP_EINVAL);
	assert_non_null(strstr(m, "tile = 8: legal range 0 … 7"));
	assert_int_equal(xp_chip_write(chip, 0, 126, 0, 4, 4, codes, NULL, m, sizeof(m)), XP_EINVAL);
	assert_non_null(strstr(m, "rows 126 … 129"));
	assert_int_equal(xp_chip_write(chip, 0, 0, 62, 4, 4, codes, NULL, m, sizeof(m)), XP_EINVAL);
	assert_non_null(strstr(m, "columns 62 … 65"));
	assert_int_equal(xp_chip_write(chip, 0, 0, 0, 0, 4, codes, NULL, m, sizeof(m)), XP_EINVAL);
	codes[2 * 4 * 4 - 1] = 16; /* the last code of the rectangle is out of range */
	assert_int_equal(xp_chip_write(chip, 2, 0, 0, 4, 4, codes, NULL, m, sizeof(m)), XP_EINVAL);
	assert_non_null(strstr(m, "row 3, column 3, G-) = 16: legal range 0 … 15"));
	xp_adc adc[2] = { { 1, 0, 0 }, { 1, 32, 0 } };
	assert_int_equal(xp_chip_set_adc(chip, 0, 0, 2, adc, m, sizeof(m)), XP_EINVAL);
	assert_non_null(strstr(m, "shift of tile 0 column 1 = 32"));
	adc[1] = (xp_adc){ 1, 0, 2048 };
	assert_int_equal(xp_chip_set_adc(chip, 0, 0, 2, adc, m, sizeof(m)), XP_EINVAL);
	assert_non_null(strstr(m, "offset of tile 0 column 1 = 2048"));
	snapshot(chip, after);
	assert_memory_equal(before, after, n);
	assert_int_equal(xp_chip_pulses(chip), P);

	/* running without a configuration, and with inputs above full scale */
	uint8_t x[784];
	int16_t out[10];
	memset(x, 1, sizeof(x));
	assert_int_equal(xp_chip_run(chip, x, 1, out, NULL, 1, m, sizeof(m)), XP_ESTATE);
	assert_non_null(strstr(m, "no network configured"));
	xp_layer layers[2];
	uint16_t tiles[8];
	xp_netcfg cfg;
	xp_netcfg_reference(&cfg, layers, tiles);
	assert_int_equal(xp_chip_configure(chip, &cfg, m, sizeof(m)), XP_OK);
	xp_params q = p;
	q.dac_bits = 4;
	xp_chip *c4 = mk(&q);
	assert_int_equal(xp_chip_configure(c4, &cfg, m, sizeof(m)), XP_OK);
	x[100] = 16;
	assert_int_equal(xp_chip_run(c4, x, 1, out, NULL, 2, m, sizeof(m)), XP_EINVAL);
	assert_non_null(strstr(m, "input 100 = 16: DAC codes are 0 … 15"));
	assert_int_equal(xp_chip_inferences(c4), 0);
	uint8_t xt[128] = { 0 };
	int16_t code[64];
	xt[3] = 16;
	assert_int_equal(xp_chip_tile(c4, 0, 0, xt, 64, NULL, code), XP_EINVAL);
	assert_int_equal(xp_chip_tile_ref(c4, 0, 0, xt, 64, NULL, code), XP_EINVAL);
	xt[3] = 15;
	assert_int_equal(xp_chip_tile(c4, 0, 0, xt, 64, NULL, code), XP_OK);
	assert_int_equal(xp_chip_tile(c4, 8, 0, xt, 64, NULL, code), XP_EINVAL);
	assert_int_equal(xp_chip_tile(c4, 0, 0, xt, 65, NULL, code), XP_EINVAL);
	assert_int_equal(xp_chip_tile(c4, 0, 0, xt, 0, NULL, code), XP_EINVAL);
	xp_chip_destroy(c4);
	free(before);
	free(after);
	xp_chip_destroy(chip);
}

static void test_netcfg_messages(void **state)
{
	(void)state;
	xp_params p;
	xp_params_default(&p);
	xp_chip *chip = mk(&p);
	char m[XP_ERRMSG];
	xp_layer layers[2];
	uint16_t tiles[8];
	xp_netcfg cfg;
	static const struct {
		int what;
		const char *want;
	} cases[] = {
		{ 0, "nlayers = 0: legal range 1 … 8" },
		{ 1, "layer 1 n_in = 63: must equal layer 0 n_out = 64" },
		{ 2, "layer 0 act = identity: hidden layers must use relu" },
		{ 3, "layer 0 ntiles = 6: the layer (784+1 rows, 64 columns) needs 7 x 1 = 7 tiles of 128 x 64" },
		{ 4, "layer 1 tile[0] = 8: legal range 0 … 7" },
		{ 5, "layer 1 tile[0] = 3: tile already used" },
		{ 6, "layer 0 n_out = 0: legal range 1 … 4096" },
		{ 7, "layer 1 ash = 16: legal range 0 … 15" },
		{ 8, "layer 0 bias = 2: legal range 0 … 1" },
	};
	/* a good configuration first, so that failures can be seen not to replace it */
	xp_netcfg_reference(&cfg, layers, tiles);
	assert_int_equal(xp_chip_configure(chip, &cfg, m, sizeof(m)), XP_OK);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		xp_netcfg_reference(&cfg, layers, tiles);
		switch (cases[i].what) {
		case 0: cfg.nlayers = 0; break;
		case 1: layers[1].n_in = 63; break;
		case 2: layers[0].act = XP_ACT_IDENTITY; break;
		case 3: layers[0].ntiles = 6; break;
		case 4: tiles[7] = 8; break;
		case 5: tiles[7] = 3; break;
		case 6: layers[0].n_out = 0; break;
		case 7: layers[1].ash = 16; break;
		case 8: layers[0].bias = 2; break;
		}
		m[0] = 0;
		assert_int_equal(xp_chip_configure(chip, &cfg, m, sizeof(m)), XP_EINVAL);
		if (!strstr(m, cases[i].want))
			fail_msg("case %zu: message '%s' lacks '%s'", i, m, cases[i].want);
		assert_int_equal(xp_chip_nlayers(chip), 2);
		assert_int_equal(xp_chip_n_in(chip), 784);
		assert_int_equal(xp_chip_n_out(chip), 10);
	}
	xp_chip_destroy(chip);
}

/* ---- device model ---- */

/* Reset state and stuck statistics: p_sa0 = 1 %, p_samax = 0.5 % of 131,072 devices. */
static void test_reset_and_stuck(void **state)
{
	(void)state;
	xp_params p;
	xp_params_default(&p);
	xp_chip *chip = mk(&p);
	const size_t n = (size_t)p.tiles * p.rows * p.cols * 2;
	uint8_t *g = malloc(n), *g2 = malloc(n), *ones = malloc(n);
	snapshot(chip, g);
	size_t zeros = 0, max = 0;
	for (size_t i = 0; i < n; i++) {
		assert_true(g[i] == 0 || g[i] == 255);
		max += g[i] == 255;
	}
	/* expected 655/65536 * n = 1310 stuck-at-0 and 656 stuck-at-max; 5 sigma bounds */
	assert_true(max > 656 - 130 && max < 656 + 130);
	/* program everything to the top code: stuck-at-0 devices stay 0 */
	memset(ones, 15, n);
	for (unsigned t = 0; t < p.tiles; t++)
		assert_int_equal(xp_chip_write(chip, t, 0, 0, p.rows, p.cols,
					       ones + (size_t)t * p.rows * p.cols * 2, NULL, NULL, 0), XP_OK);
	assert_int_equal(xp_chip_pulses(chip), n);
	snapshot(chip, g2);
	for (size_t i = 0; i < n; i++) {
		zeros += g2[i] == 0;
		if (g[i] == 255)
			assert_int_equal(g2[i], 255); /* stuck-at-max stays */
	}
	assert_true(zeros > 1310 - 180 && zeros < 1310 + 180);
	/* reset: back to the same reset state, counters cleared */
	xp_chip_reset(chip);
	assert_int_equal(xp_chip_pulses(chip), 0);
	snapshot(chip, g2);
	assert_memory_equal(g, g2, n);
	free(g);
	free(g2);
	free(ones);
	xp_chip_destroy(chip);
}

/* Programming statistics (numerics §6.2): mean = nominal, variance = (s_var/1024 * nominal)^2
 * + (s_prog/8)^2, each sigma 31.98/32 of nominal. */
static void test_program_statistics(void **state)
{
	(void)state;
	xp_params p;
	xp_params_default(&p);
	p.p_sa0 = p.p_samax = 0;
	xp_chip *chip = mk(&p);
	const size_t nc = (size_t)p.rows * p.cols;
	uint8_t *codes = malloc(nc * 2), *g = malloc(nc * 2);
	for (size_t i = 0; i < nc; i++) {
		codes[2 * i] = 12;    /* nominal 192: far enough from 255 that nothing clamps */
		codes[2 * i + 1] = 8; /* nominal 128 */
	}
	uint32_t changed = 0;
	assert_int_equal(xp_chip_write(chip, 0, 0, 0, p.rows, p.cols, codes, &changed, NULL, 0), XP_OK);
	assert_int_equal(xp_chip_read(chip, 0, 0, 0, p.rows, p.cols, g, NULL, 0), XP_OK);
	double s[2] = { 0, 0 }, s2[2] = { 0, 0 };
	for (size_t i = 0; i < nc * 2; i++) {
		s[i & 1] += g[i];
		s2[i & 1] += (double)g[i] * g[i];
	}
	for (int pol = 0; pol < 2; pol++) {
		const double nom = pol ? 128 : 192, mean = s[pol] / nc;
		const double var = s2[pol] / nc - mean * mean;
		const double want = (0.0498 * nom) * (0.0498 * nom) + 4.0 * 4.0;
		assert_true(mean > nom - 1.0 && mean < nom + 1.0);
		assert_true(var > want * 0.8 && var < want * 1.25);
	}
	assert_true(changed > nc * 2 * 95 / 100); /* from 0 to ~192 / ~128: nearly all changed */
	/* same codes again: fresh programming noise changes most devices, by small amounts */
	uint8_t *g2 = malloc(nc * 2);
	assert_int_equal(xp_chip_write(chip, 0, 0, 0, p.rows, p.cols, codes, &changed, NULL, 0), XP_OK);
	assert_int_equal(xp_chip_read(chip, 0, 0, 0, p.rows, p.cols, g2, NULL, 0), XP_OK);
	size_t diff = 0;
	for (size_t i = 0; i < nc * 2; i++) {
		diff += g[i] != g2[i];
		assert_true(abs((int)g[i] - (int)g2[i]) <= 2 * 93); /* two draws of at most 93 LSB */
	}
	assert_int_equal(changed, diff);
	assert_true(diff > nc * 2 * 80 / 100);
	free(codes);
	free(g);
	free(g2);
	xp_chip_destroy(chip);
}

/* Same seed, same board -> same conductances; another seed or board -> different. */
static void test_determinism(void **state)
{
	(void)state;
	xp_params p;
	xp_params_default(&p);
	uint8_t codes[2 * 64], g[4][2 * 64];
	for (int i = 0; i < 128; i++)
		codes[i] = (uint8_t)(i % 16);
	for (int k = 0; k < 4; k++) {
		p.dseed = k == 3 ? 2 : 1;
		xp_chip *chip = mk(&p);
		xp_chip_set_seed(chip, k == 2 ? 8 : 7);
		assert_int_equal(xp_chip_write(chip, 1, 5, 0, 1, 64, codes, NULL, NULL, 0), XP_OK);
		assert_int_equal(xp_chip_read(chip, 1, 5, 0, 1, 64, g[k], NULL, 0), XP_OK);
		xp_chip_destroy(chip);
	}
	assert_memory_equal(g[0], g[1], sizeof(g[0]));
	assert_memory_not_equal(g[0], g[2], sizeof(g[0]));
	assert_memory_not_equal(g[0], g[3], sizeof(g[0]));
}

/* Read noise has the configured sigma: v - acc over many inference indices. */
static void test_read_noise_sigma(void **state)
{
	(void)state;
	xp_params p;
	xp_params_default(&p);
	p.s_gain = p.s_off = 0;
	p.s_read = 4096;
	xp_chip *chip = mk(&p);
	xp_adc adc[64];
	for (int c = 0; c < 64; c++)
		adc[c] = (xp_adc){ .gain = 128, .shift = 14, .offset = 0 }; /* y = rnd(v / 128) */
	assert_int_equal(xp_chip_set_adc(chip, 0, 0, 64, adc, NULL, 0), XP_OK);
	uint8_t x[128] = { 0 };
	double s = 0, s2 = 0;
	const int N = 4096;
	for (int n = 0; n < N; n++) {
		int16_t code[64];
		assert_int_equal(xp_chip_tile(chip, 0, (uint64_t)n, x, 64, NULL, code), XP_OK);
		for (int c = 0; c < 64; c++) {
			s += code[c];
			s2 += (double)code[c] * code[c];
		}
	}
	const double mean = s / (N * 64.0), var = s2 / (N * 64.0) - mean * mean;
	/* sigma(v) = 4096 * sqrt(1023) / 32 = 4094; y = v / 128: variance 1023 + 1/12 (rounding) */
	assert_true(mean > -0.5 && mean < 0.5);
	assert_true(var > 1023 * 0.97 && var < 1023 * 1.03);
	xp_chip_destroy(chip);
}

/* ---- optimised vs _ref ---- */

static void compare_kernels(const xp_params *p, unsigned ncases, unsigned *done)
{
	const xp_kernels *ks[3];
	const unsigned nk = xp_kernels_all(ks);
	xp_chip *chip = mk(p);
	xp_adc adc[XP_MAX_COLS];
	uint8_t x[XP_MAX_ROWS + 2];
	const unsigned xmax = (1u << p->dac_bits) - 1, cmax = (1u << p->code_bits) - 1;
	xp_chip_set_seed(chip, rnd64());
	for (unsigned t = 0; t < p->tiles; t++)
		write_random(chip, t, p->rows, p->cols, cmax);
	for (unsigned i = 0; i < ncases; i++) {
		const unsigned t = rndu(p->tiles), ncols = 1 + rndu(p->cols);
		const uint64_t n = rnd64() & ((1ull << 40) - 1);
		if (i % 64 == 0) { /* new ADC settings now and then: gains, shifts, offsets everywhere */
			for (unsigned c = 0; c < p->cols; c++)
				adc[c] = (xp_adc){ .gain = (uint8_t)rndu(256), .shift = (uint8_t)rndu(32),
						   .offset = (int16_t)((int)rndu(4096) - 2048) };
			if (i % 128 == 0) /* and mid-range shifts that keep codes unsaturated */
				for (unsigned c = 0; c < p->cols; c++)
					adc[c] = (xp_adc){ .gain = (uint8_t)(128 + rndu(128)), .shift = (uint8_t)(10 + rndu(8)),
							   .offset = (int16_t)((int)rndu(9) - 4) };
			assert_int_equal(xp_chip_set_adc(chip, t, 0, p->cols, adc, NULL, 0), XP_OK);
		}
		const unsigned zero_pct = rndu(100);
		for (unsigned r = 0; r < p->rows; r++)
			x[r] = rndu(100) < zero_pct ? 0 : (uint8_t)(rndu(4) == 0 ? xmax : rndu(xmax + 1));
		x[p->rows] = x[p->rows + 1] = (uint8_t)rndu(256); /* past the end: must not matter */
		int32_t acc_ref[XP_MAX_COLS];
		int16_t code_ref[XP_MAX_COLS];
		assert_int_equal(xp_chip_tile_ref(chip, t, n, x, ncols, acc_ref, code_ref), XP_OK);
		for (unsigned k = 0; k < nk; k++) {
			int32_t acc[XP_MAX_COLS];
			int16_t code[XP_MAX_COLS];
			const xp_params g = xp_chip_geometry(chip);
			const uint32_t cpad = (g.cols + XP_CPAD_ALIGN - 1) / XP_CPAD_ALIGN * XP_CPAD_ALIGN;
			const uint32_t rp = (g.rows + 1u) / 2;
			/* rows past R are padding with weight 0; x[R] may be anything */
			ks[k]->mvm(chip->wpk + (size_t)t * rp * cpad * 2, cpad, x, rp, ncols, acc);
			ks[k]->adc(chip, t, n, ncols, acc, code);
			for (unsigned c = 0; c < ncols; c++) {
				if (acc[c] != acc_ref[c] || code[c] != code_ref[c])
					fail_msg("kernel %s, geometry %ux%u, case %u (XP_SEED=%llu), tile %u column %u: acc %d vs ref %d, code %d vs ref %d",
						 ks[k]->name, p->rows, p->cols, i, (unsigned long long)seed, t, c,
						 acc[c], acc_ref[c], code[c], code_ref[c]);
			}
		}
		(*done)++;
	}
	xp_chip_destroy(chip);
}

static void test_kernels_vs_ref(void **state)
{
	(void)state;
	unsigned done = 0;
	xp_params p;
	xp_params_default(&p);
	compare_kernels(&p, 60000, &done);           /* default tile */
	p.rows = 37; p.cols = 11; p.tiles = 3; p.code_bits = 3; p.dac_bits = 6; p.s_read = 65535;
	compare_kernels(&p, 20000, &done);           /* odd rows, columns below one vector */
	p.rows = 1024; p.cols = 256; p.tiles = 1; p.code_bits = 8; p.dac_bits = 8;
	p.s_var = p.s_prog = p.s_gain = p.s_off = 1023; p.adc_bits = 12;
	compare_kernels(&p, 3000, &done);            /* largest tile, extreme device */
	p.rows = 1; p.cols = 1; p.tiles = 2; p.adc_bits = 2;
	compare_kernels(&p, 20000, &done);           /* smallest */
	p.rows = 200; p.cols = 70; p.tiles = 2; p.adc_bits = 9;
	compare_kernels(&p, 10000, &done);           /* columns across several vectors, ragged */
	const xp_kernels *ks[3];
	const unsigned nk = xp_kernels_all(ks);
	print_message("%u random cases, kernels:", done);
	for (unsigned k = 0; k < nk; k++)
		print_message(" %s", ks[k]->name);
	print_message(" (selected: %s)\n", xp_kernel_name());
	assert_true(done >= 100000);
}

/* Network: optimised run on 1, 2, 3 and 7 threads equals the _ref run, also split in calls. */
static void test_run_vs_ref_threads(void **state)
{
	(void)state;
	xp_params p;
	xp_params_default(&p);
	xp_layer layers[2];
	uint16_t tiles[8];
	xp_netcfg cfg;
	enum { B = 48 };
	uint8_t *x = malloc((size_t)B * 784);
	int16_t out_ref[B * 10], ls_ref[B * 74], out[B * 10], ls[B * 74];
	xp_netcfg_reference(&cfg, layers, tiles);
	layers[0].amul = 200;
	layers[0].ash = 9;
	xp_chip *chips[5];
	for (int k = 0; k < 5; k++) {
		chips[k] = mk(&p);
		rs = seed * 31 + 1;
		xp_chip_set_seed(chips[k], 77);
		for (unsigned t = 0; t < 8; t++)
			write_random(chips[k], t, p.rows, p.cols, 15);
		xp_adc adc[64];
		for (unsigned t = 0; t < 8; t++) {
			for (int c = 0; c < 64; c++)
				adc[c] = (xp_adc){ .gain = (uint8_t)(128 + rndu(128)), .shift = (uint8_t)(11 + rndu(3)), .offset = 0 };
			assert_int_equal(xp_chip_set_adc(chips[k], t, 0, 64, adc, NULL, 0), XP_OK);
		}
		assert_int_equal(xp_chip_configure(chips[k], &cfg, NULL, 0), XP_OK);
	}
	for (size_t i = 0; i < (size_t)B * 784; i++)
		x[i] = rndu(2) ? 0 : (uint8_t)rndu(256);
	assert_int_equal(xp_chip_run_ref(chips[0], x, B, out_ref, ls_ref, NULL, 0), XP_OK);
	static const unsigned threads[4] = { 1, 2, 3, 7 };
	for (int k = 0; k < 4; k++) {
		assert_int_equal(xp_chip_run(chips[k + 1], x, B, out, ls, threads[k], NULL, 0), XP_OK);
		assert_memory_equal(out, out_ref, sizeof(out));
		assert_memory_equal(ls, ls_ref, sizeof(ls));
		assert_int_equal(xp_chip_inferences(chips[k + 1]), B);
	}
	/* the outputs are not trivially constant */
	int distinct = 0;
	for (int i = 1; i < B * 10; i++)
		distinct += out_ref[i] != out_ref[0];
	assert_true(distinct > B);
	/* a second run continues the inference counter: same images, other noise */
	assert_int_equal(xp_chip_run_ref(chips[0], x, B, out_ref, ls_ref, NULL, 0), XP_OK);
	assert_int_equal(xp_chip_run(chips[1], x, B / 2, out, ls, 2, NULL, 0), XP_OK);
	assert_int_equal(xp_chip_run(chips[1], x + (size_t)(B / 2) * 784, B - B / 2, out + (B / 2) * 10,
				     ls + (B / 2) * 74, 2, NULL, 0), XP_OK);
	assert_memory_equal(out, out_ref, sizeof(out));
	assert_memory_equal(ls, ls_ref, sizeof(ls));
	free(x);
	for (int k = 0; k < 5; k++)
		xp_chip_destroy(chips[k]);
}

/* One board, many runs with a changing number of threads (the worker pool grows, idles, sleeps
 * and wakes): every run equals the _ref run of a twin board. */
static void test_run_threads_vary(void **state)
{
	(void)state;
	xp_params p;
	xp_params_default(&p);
	p.tiles = 2;
	p.rows = 16;
	p.cols = 8;
	static const uint16_t t0[] = { 0 }, t1[] = { 1 };
	const xp_layer layers[2] = {
		{ .n_in = 15, .n_out = 8, .bias = 1, .act = XP_ACT_RELU, .amul = 64, .ash = 6, .ntiles = 1, .tiles = t0 },
		{ .n_in = 8, .n_out = 3, .bias = 1, .act = XP_ACT_IDENTITY, .amul = 1, .ash = 0, .ntiles = 1, .tiles = t1 },
	};
	const xp_netcfg cfg = { 2, layers };
	xp_chip *a = mk(&p), *b = mk(&p);
	for (int k = 0; k < 2; k++) {
		xp_chip *c = k ? b : a;
		rs = seed * 7 + 3;
		write_random(c, 0, 16, 8, 15);
		write_random(c, 1, 16, 8, 15);
		assert_int_equal(xp_chip_configure(c, &cfg, NULL, 0), XP_OK);
	}
	static const unsigned threads[] = { 2, 7, 1, 3, 64, 2, 5, 2, 2, 1, 4 };
	uint8_t x[200 * 15];
	int16_t out_a[200 * 3], out_b[200 * 3], ls_a[200 * 11], ls_b[200 * 11];
	for (size_t i = 0; i < sizeof(threads) / sizeof(threads[0]); i++) {
		const uint32_t batch = 1 + rndu(200);
		for (size_t j = 0; j < (size_t)batch * 15; j++)
			x[j] = (uint8_t)rndu(256);
		assert_int_equal(xp_chip_run(a, x, batch, out_a, ls_a, threads[i], NULL, 0), XP_OK);
		assert_int_equal(xp_chip_run_ref(b, x, batch, out_b, ls_b, NULL, 0), XP_OK);
		assert_memory_equal(out_a, out_b, (size_t)batch * 3 * sizeof(int16_t));
		assert_memory_equal(ls_a, ls_b, (size_t)batch * 11 * sizeof(int16_t));
		if (i % 3 == 2) { /* let the workers stop spinning and sleep */
			struct timespec ts = { 0, 5 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
	}
	assert_int_equal(xp_chip_inferences(a), xp_chip_inferences(b));
	xp_chip_destroy(a); /* with sleeping workers: must join them, not hang */
	xp_chip_destroy(b);
	for (int k = 0; k < 20; k++) { /* create, run on threads, destroy: no leak, no hang */
		xp_chip *c = mk(&p);
		assert_int_equal(xp_chip_configure(c, &cfg, NULL, 0), XP_OK);
		assert_int_equal(xp_chip_run(c, x, 16, out_a, NULL, 1 + (unsigned)k % 4, NULL, 0), XP_OK);
		xp_chip_destroy(c);
	}
}

int main(void)
{
	const char *e = getenv("XP_SEED");
	if (e && *e)
		seed = strtoull(e, NULL, 10);
	rs = seed;
	fprintf(stderr, "test_cmodel: XP_SEED=%llu (set XP_SEED to reproduce)\n", (unsigned long long)seed);
	e = getenv("XP_TEST_FILTER"); /* e.g. "test_run_*" for the ThreadSanitizer run */
	if (e && *e)
		cmocka_set_test_filter(e);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_params_messages),
		cmocka_unit_test(test_bad_input_changes_nothing),
		cmocka_unit_test(test_netcfg_messages),
		cmocka_unit_test(test_reset_and_stuck),
		cmocka_unit_test(test_program_statistics),
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_read_noise_sigma),
		cmocka_unit_test(test_kernels_vs_ref),
		cmocka_unit_test(test_run_vs_ref_threads),
		cmocka_unit_test(test_run_threads_vary),
	};
	return cmocka_run_group_tests_name("cmodel", tests, NULL, NULL);
}
