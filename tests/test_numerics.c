/*
 * test_numerics.c — known answers for the primitives of docs/numerics.md and the worst-case
 * widths of its §10, each value written here from the spec or an independent source.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "xp_cmodel.h"

/* Random123 kat_vectors, threefry2x32 20: ctr, key -> out. */
static void test_threefry_kat(void **state)
{
	(void)state;
	static const uint32_t kat[3][6] = {
		{ 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x6b200159, 0x99ba4efe },
		{ 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0x1cb996fc, 0xbb002be7 },
		{ 0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xc4923a9c, 0x483df7a0 },
	};
	for (int i = 0; i < 3; i++) {
		uint32_t out[2];
		xp_threefry2x32(kat[i][2], kat[i][3], kat[i][0], kat[i][1], out);
		assert_int_equal(out[0], kat[i][4]);
		assert_int_equal(out[1], kat[i][5]);
	}
}

static void test_gauss_kat(void **state)
{
	(void)state;
	/* numerics §5 */
	assert_int_equal(xp_gauss(0x6b200159, 0x99ba4efe), 19);
	assert_int_equal(xp_gauss(0, 0), -186);
	assert_int_equal(xp_gauss(0x3FFFFFFF, 0x3FFFFFFF), 186);
	assert_int_equal(xp_gauss(0xFFFFFFFF, 0xFFFFFFFF), 186); /* bits 31..30 unused */
	assert_int_equal(xp_gauss(0xC0000000, 0xC0000000), -186);
	/* by hand: 0x21 = fields 1 and 1; 0x3E0 = field1 = 31 */
	assert_int_equal(xp_gauss(0x21, 0), 2 - 186);
	assert_int_equal(xp_gauss(0, 0x3E0), 31 - 186);
	assert_int_equal(xp_gauss(0x3FFFFFFF, 0), 0);
	/* field 5 of x1 = bits 29..25 = 0b10101 = 21 */
	assert_int_equal(xp_gauss(0, 21u << 25), 21 - 186);
}

/* The recipe's moments over 2^20 consecutive counters: mean 0, variance 1023 (numerics §5). */
static void test_gauss_moments(void **state)
{
	(void)state;
	const int n = 1 << 20;
	double s = 0, s2 = 0;
	int lo = 0, hi = 0;
	for (int i = 0; i < n; i++) {
		uint32_t o[2];
		xp_threefry2x32(0xDEADBEEF, 7, (uint32_t)i, 0x11000000, o);
		const int z = xp_gauss(o[0], o[1]);
		assert_true(z >= -186 && z <= 186);
		lo = z < lo ? z : lo;
		hi = z > hi ? z : hi;
		s += z;
		s2 += (double)z * z;
	}
	const double mean = s / n, var = s2 / n - mean * mean;
	/* standard error of the mean: 32/1024 = 0.03; of the variance: ~1023*sqrt(2/n) = 1.4 */
	assert_true(mean > -0.2 && mean < 0.2);
	assert_true(var > 1023 - 10 && var < 1023 + 10);
	assert_true(lo < -100 && hi > 100); /* tails reach beyond 3 sigma */
}

static void test_asr_rnd(void **state)
{
	(void)state;
	assert_int_equal(xp_asr(5, 1), 2);
	assert_int_equal(xp_asr(-1, 1), -1);
	assert_int_equal(xp_asr(-3, 1), -2);
	assert_int_equal(xp_asr(-4, 2), -1);
	assert_int_equal(xp_asr(-5, 2), -2);
	assert_int_equal(xp_asr(INT64_MIN, 62), -2);
	assert_int_equal(xp_asr(INT64_MAX, 62), 1);
	/* round half up: ties towards +inf (numerics §1) */
	assert_int_equal(xp_rnd(1, 1), 1);
	assert_int_equal(xp_rnd(-1, 1), 0);
	assert_int_equal(xp_rnd(-3, 1), -1);
	assert_int_equal(xp_rnd(3, 1), 2);
	assert_int_equal(xp_rnd(5, 2), 1);   /* 1.25 */
	assert_int_equal(xp_rnd(6, 2), 2);   /* 1.5 */
	assert_int_equal(xp_rnd(-6, 2), -1); /* -1.5 */
	assert_int_equal(xp_rnd(-7, 2), -2); /* -1.75 */
	assert_int_equal(xp_rnd(-7, 0), -7);
	assert_int_equal(xp_rnd((int64_t)1 << 40, 41), 1);       /* exactly 0.5 */
	assert_int_equal(xp_rnd(-((int64_t)1 << 40), 41), 0);    /* exactly -0.5 */
}

/* Bounds of numerics §10 for the noise terms. */
static void test_scale_bounds(void **state)
{
	(void)state;
	assert_int_equal(xp_scale(186, 65535, 0), 380922);   /* read noise */
	assert_int_equal(xp_scale(-186, 65535, 0), -380922);
	assert_int_equal(xp_scale(186, 1023, 3), 743);       /* programming noise, eo */
	assert_int_equal(xp_scale(-186, 1023, 3), -743);
	assert_int_equal(xp_scale(186, 1023, 0), 5946);      /* fv, eg deviation before clamp */
	assert_int_equal(xp_scale(32, 64, 3), 8);            /* z = 1 sigma, s_prog = 64/8 = 8 LSB */
	assert_int_equal(xp_scale(16, 1, 0), 1);             /* 0.5 rounds up */
	assert_int_equal(xp_scale(-16, 1, 0), 0);            /* -0.5 rounds up */
}

static xp_params ideal(uint16_t rows, uint16_t cols, uint16_t tiles, uint8_t code_bits)
{
	xp_params p;
	xp_params_default(&p);
	p.rows = rows;
	p.cols = cols;
	p.tiles = tiles;
	p.code_bits = code_bits;
	p.p_sa0 = p.p_samax = 0;
	p.s_var = p.s_prog = p.s_read = p.s_gain = p.s_off = 0;
	return p;
}

/* |acc| reaches exactly 1024 * 255 * 255 = 66,585,600 (numerics §10). */
static void test_width_acc_max(void **state)
{
	(void)state;
	xp_params p = ideal(1024, 2, 1, 8);
	xp_chip *chip;
	char m[XP_ERRMSG];
	assert_int_equal(xp_chip_create(&chip, &p, m, sizeof(m)), XP_OK);
	uint8_t *codes = malloc(1024 * 2 * 2), x[1024];
	for (int r = 0; r < 1024; r++) {
		codes[r * 4 + 0] = 255; codes[r * 4 + 1] = 0;   /* column 0: +255 */
		codes[r * 4 + 2] = 0;   codes[r * 4 + 3] = 255; /* column 1: -255 */
	}
	assert_int_equal(xp_chip_write(chip, 0, 0, 0, 1024, 2, codes, NULL, m, sizeof(m)), XP_OK);
	memset(x, 255, sizeof(x));
	int32_t acc[2], acc_ref[2];
	int16_t code[2], code_ref[2];
	assert_int_equal(xp_chip_tile(chip, 0, 0, x, 2, acc, code), XP_OK);
	assert_int_equal(xp_chip_tile_ref(chip, 0, 0, x, 2, acc_ref, code_ref), XP_OK);
	assert_int_equal(acc[0], 66585600);
	assert_int_equal(acc[1], -66585600);
	assert_int_equal(acc_ref[0], 66585600);
	assert_int_equal(acc_ref[1], -66585600);
	/* unity ADC saturates at both ends */
	assert_int_equal(code[0], 127);
	assert_int_equal(code[1], -128);
	/* maximum gain, minimum shift: p = acc * 255 * 1024, still exact */
	xp_adc adc[2] = { { .gain = 255, .shift = 0, .offset = 0 }, { .gain = 255, .shift = 0, .offset = 0 } };
	assert_int_equal(xp_chip_set_adc(chip, 0, 0, 2, adc, m, sizeof(m)), XP_OK);
	assert_int_equal(xp_chip_tile(chip, 0, 0, x, 2, acc, code), XP_OK);
	assert_int_equal(code[0], 127);
	assert_int_equal(code[1], -128);
	/* shift 23: 66,585,600 * 255 / 2^23 = 2024.08 -> unsaturated at adc_bits 12 */
	adc[0].shift = adc[1].shift = 23;
	xp_chip_destroy(chip);
	p.adc_bits = 12;
	assert_int_equal(xp_chip_create(&chip, &p, m, sizeof(m)), XP_OK);
	assert_int_equal(xp_chip_write(chip, 0, 0, 0, 1024, 2, codes, NULL, m, sizeof(m)), XP_OK);
	assert_int_equal(xp_chip_set_adc(chip, 0, 0, 2, adc, m, sizeof(m)), XP_OK);
	assert_int_equal(xp_chip_tile(chip, 0, 0, x, 2, acc, code), XP_OK);
	assert_int_equal(code[0], 2024);
	assert_int_equal(code[1], -2024);
	free(codes);
	xp_chip_destroy(chip);
}

/* ADC rounding ties (numerics §7): acc = ±16, gain 1, shift 5 -> ±0.5 -> 1 and 0. */
static void test_adc_ties(void **state)
{
	(void)state;
	xp_params p = ideal(4, 4, 1, 4);
	xp_chip *chip;
	char m[XP_ERRMSG];
	assert_int_equal(xp_chip_create(&chip, &p, m, sizeof(m)), XP_OK);
	/* row 0: +1, -1, +3, -3 code steps = +16, -16, +48, -48 */
	const uint8_t codes[8] = { 1, 0, 0, 1, 3, 0, 0, 3 };
	assert_int_equal(xp_chip_write(chip, 0, 0, 0, 1, 4, codes, NULL, m, sizeof(m)), XP_OK);
	xp_adc adc[4];
	for (int c = 0; c < 4; c++)
		adc[c] = (xp_adc){ .gain = 1, .shift = 5, .offset = 0 };
	assert_int_equal(xp_chip_set_adc(chip, 0, 0, 4, adc, m, sizeof(m)), XP_OK);
	const uint8_t x[4] = { 1, 0, 0, 0 };
	int32_t acc[4];
	int16_t code[4];
	assert_int_equal(xp_chip_tile(chip, 0, 0, x, 4, acc, code), XP_OK);
	assert_int_equal(acc[0], 16);
	assert_int_equal(acc[1], -16);
	assert_int_equal(code[0], 1);  /* 0.5 */
	assert_int_equal(code[1], 0);  /* -0.5 */
	assert_int_equal(code[2], 2);  /* 1.5 */
	assert_int_equal(code[3], -1); /* -1.5 */
	/* offset is added after rounding, before saturation */
	for (int c = 0; c < 4; c++)
		adc[c] = (xp_adc){ .gain = 255, .shift = 0, .offset = -2048 };
	assert_int_equal(xp_chip_set_adc(chip, 0, 0, 4, adc, m, sizeof(m)), XP_OK);
	assert_int_equal(xp_chip_tile(chip, 0, 0, x, 4, acc, code), XP_OK);
	assert_int_equal(code[0], 16 * 255 - 2048 > 127 ? 127 : 16 * 255 - 2048);
	assert_int_equal(code[1], -128);
	xp_chip_destroy(chip);
}

/* S reaches exactly -32768 and 32512 with 256 row blocks of 8-bit ADC codes (numerics §8). */
static void test_width_partial_sum(void **state)
{
	(void)state;
	xp_params p = ideal(1, 1, 256, 4);
	xp_chip *chip;
	char m[XP_ERRMSG];
	uint16_t tiles[256];
	uint8_t x[255];
	int16_t out[1], ls[1];
	assert_int_equal(xp_chip_create(&chip, &p, m, sizeof(m)), XP_OK);
	for (int t = 0; t < 256; t++) {
		const uint8_t neg[2] = { 0, 15 };
		tiles[t] = (uint16_t)t;
		assert_int_equal(xp_chip_write(chip, (unsigned)t, 0, 0, 1, 1, neg, NULL, m, sizeof(m)), XP_OK);
	}
	xp_layer l = { .n_in = 255, .n_out = 1, .bias = 1, .act = XP_ACT_IDENTITY, .amul = 1,
		       .ash = 0, .ntiles = 256, .tiles = tiles };
	xp_netcfg cfg = { 1, &l };
	assert_int_equal(xp_chip_configure(chip, &cfg, m, sizeof(m)), XP_OK);
	memset(x, 255, sizeof(x));
	assert_int_equal(xp_chip_run(chip, x, 1, out, ls, 1, m, sizeof(m)), XP_OK);
	assert_int_equal(out[0], -32768);
	assert_int_equal(ls[0], -32768);
	assert_int_equal(xp_chip_run_ref(chip, x, 1, out, ls, m, sizeof(m)), XP_OK);
	assert_int_equal(out[0], -32768);
	for (int t = 0; t < 256; t++) {
		const uint8_t pos[2] = { 15, 0 };
		assert_int_equal(xp_chip_write(chip, (unsigned)t, 0, 0, 1, 1, pos, NULL, m, sizeof(m)), XP_OK);
	}
	assert_int_equal(xp_chip_run(chip, x, 1, out, ls, 1, m, sizeof(m)), XP_OK);
	assert_int_equal(out[0], 32512);
	/* 257 row blocks would overflow: refused */
	l.n_in = 256;
	assert_int_equal(xp_chip_configure(chip, &cfg, m, sizeof(m)), XP_EINVAL);
	assert_non_null(strstr(m, "row blocks"));
	xp_chip_destroy(chip);
}

/* The worked example of numerics §11, values from the independent Python implementation. */
static void test_worked_example(void **state)
{
	(void)state;
	uint32_t o[2];
	xp_threefry2x32(1, 0, 0x01020000, 0x00050007, o);
	assert_int_equal(o[0], 0x99dcec0d);
	assert_int_equal(o[1], 0x06832064);
	xp_threefry2x32(1, 0, 0x02020000, 0x00050007, o);
	assert_int_equal(o[0], 0xd7fe0fa7);
	assert_int_equal(o[1], 0x5040f4bb);
	assert_int_equal(xp_gauss(o[0], o[1]), -3);
	assert_int_equal(xp_scale(-3, 51, 0), -5);
	xp_threefry2x32(1, 0, 0x04020000, 7, o);
	assert_int_equal(o[0], 0xf7a26b32);
	assert_int_equal(xp_gauss(o[0], o[1]), 30);
	xp_threefry2x32(1, 0, 0x05020000, 7, o);
	assert_int_equal(o[0], 0x3a4d1b55);
	assert_int_equal(xp_gauss(o[0], o[1]), 16);
	xp_threefry2x32(43, 0, 0x10000000, 0, o);
	assert_int_equal(o[0], 0x760c6bdd);
	assert_int_equal(o[1], 0xdfb77a78);
	assert_int_equal(xp_gauss(o[0], o[1]), 79);
	xp_threefry2x32(43, 0, 0x11020700, 3, o);
	assert_int_equal(o[0], 0x97bf4712);
	assert_int_equal(o[1], 0x2761de0f);
	assert_int_equal(xp_gauss(o[0], o[1]), 39);

	xp_params p;
	xp_chip *chip;
	char m[XP_ERRMSG];
	xp_params_default(&p);
	assert_int_equal(xp_chip_create(&chip, &p, m, sizeof(m)), XP_OK);
	xp_chip_set_seed(chip, 42);
	const uint8_t codes[2] = { 9, 0 };
	uint8_t g[2];
	uint32_t changed = 0;
	assert_int_equal(xp_chip_write(chip, 2, 5, 7, 1, 1, codes, &changed, m, sizeof(m)), XP_OK);
	assert_int_equal(xp_chip_read(chip, 2, 5, 7, 1, 1, g, m, sizeof(m)), XP_OK);
	assert_int_equal(changed, 2);
	assert_int_equal(g[0], 153);
	assert_int_equal(g[1], 2);
	assert_int_equal(xp_chip_pulses(chip), 2);
	const xp_adc adc = { .gain = 150, .shift = 16, .offset = -3 };
	assert_int_equal(xp_chip_set_adc(chip, 2, 7, 1, &adc, m, sizeof(m)), XP_OK);
	uint8_t x[128] = { 0 };
	x[5] = 200;
	int32_t acc[8];
	int16_t code[8];
	assert_int_equal(xp_chip_tile(chip, 2, 3, x, 8, acc, code), XP_OK);
	assert_int_equal(acc[7], 30200);
	assert_int_equal(code[7], 71);
	assert_int_equal(xp_chip_tile_ref(chip, 2, 3, x, 8, acc, code), XP_OK);
	assert_int_equal(acc[7], 30200);
	assert_int_equal(code[7], 71);
	xp_chip_destroy(chip);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threefry_kat),
		cmocka_unit_test(test_gauss_kat),
		cmocka_unit_test(test_gauss_moments),
		cmocka_unit_test(test_asr_rnd),
		cmocka_unit_test(test_scale_bounds),
		cmocka_unit_test(test_width_acc_max),
		cmocka_unit_test(test_adc_ties),
		cmocka_unit_test(test_width_partial_sum),
		cmocka_unit_test(test_worked_example),
	};
	return cmocka_run_group_tests_name("numerics", tests, NULL, NULL);
}
