/*
 * test_vectors.c — replay every golden vector file of tests/vectors/ on the C model (optimised
 * and _ref kernels), and show that the replay can fail: a corrupted expectation is reported as
 * a mismatch, and corrupt files (truncated, bad CRC, bad magic, absurd lengths, trailing
 * bytes, unknown opcodes) are rejected with a message. The mutant builds of the model
 * (make mutants) show the other half: an altered rounding rule fails these files.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "xpv.h"

#define MAX_FILES 64

static const char *vdir = "tests/vectors";
static char *files[MAX_FILES];
static int nfiles;

static int load_list(void **state)
{
	(void)state;
	DIR *d = opendir(vdir);
	struct dirent *e;
	if (!d) {
		fprintf(stderr, "test_vectors: cannot open %s (run from the repository root or set XP_VECTORS)\n", vdir);
		return -1;
	}
	while ((e = readdir(d)) && nfiles < MAX_FILES) {
		const size_t n = strlen(e->d_name);
		if (n > 4 && strcmp(e->d_name + n - 4, ".xpv") == 0) {
			files[nfiles] = malloc(strlen(vdir) + n + 2);
			sprintf(files[nfiles++], "%s/%s", vdir, e->d_name);
		}
	}
	closedir(d);
	return 0;
}

static int free_list(void **state)
{
	(void)state;
	for (int i = 0; i < nfiles; i++)
		free(files[i]);
	return 0;
}

static uint8_t *load(const char *path, size_t *len)
{
	char m[512];
	uint8_t *b = xpv_load(path, len, m, sizeof(m));
	if (!b)
		fail_msg("%s", m);
	return b;
}

static void test_replay_all(void **state)
{
	(void)state;
	static const char *const must[] = { "tile_corners", "widths", "program", "tile_random",
					    "net_reference", "net_odd", "device_extremes", "device_all_stuck" };
	int seen[8] = { 0 };
	assert_true(nfiles >= 8);
	for (int i = 0; i < nfiles; i++) {
		size_t len;
		uint8_t *b = load(files[i], &len);
		for (int ref = 0; ref < 2; ref++) {
			char m[1024];
			xpv_stats st;
			const xpv_result r = xpv_replay_mem(b, len, files[i], ref, 2, &st, m, sizeof(m));
			if (r != XPV_PASS)
				fail_msg("%s", m);
			assert_true(st.checked > 0);
			for (int k = 0; k < 8; k++)
				seen[k] |= strcmp(st.name, must[k]) == 0;
		}
		free(b);
	}
	for (int k = 0; k < 8; k++)
		if (!seen[k])
			fail_msg("vector file '%s' missing from %s", must[k], vdir);
}

static void fix_crc(uint8_t *b, size_t len)
{
	const uint32_t c = xpv_crc32(b, len - 8);
	for (int i = 0; i < 4; i++)
		b[len - 4 + i] = (uint8_t)(c >> (8 * i));
}

/* Flipping one expected value makes the replay report a mismatch naming it. */
static void test_corrupted_expectation_caught(void **state)
{
	(void)state;
	for (int i = 0; i < nfiles; i++) {
		size_t len;
		uint8_t *b = load(files[i], &len);
		char m[1024];
		xpv_stats st;
		/* every generated file ends with an operation whose last bytes are expected values */
		b[len - 9] ^= 0x01;
		fix_crc(b, len);
		assert_int_equal(xpv_replay_mem(b, len, files[i], 0, 1, &st, m, sizeof(m)), XPV_MISMATCH);
		assert_non_null(strstr(m, "mismatch"));
		assert_non_null(strstr(m, "expected"));
		assert_non_null(strstr(m, files[i]));
		free(b);
	}
}

static void expect_malformed(const uint8_t *b, size_t len, const char *want)
{
	char m[1024] = "";
	xpv_stats st;
	assert_int_equal(xpv_replay_mem(b, len, "f.xpv", 0, 1, &st, m, sizeof(m)), XPV_MALFORMED);
	if (!strstr(m, want))
		fail_msg("message '%s' lacks '%s'", m, want);
	assert_non_null(strstr(m, "f.xpv"));
}

static void test_corrupt_files_rejected(void **state)
{
	(void)state;
	size_t len;
	char path[4096];
	snprintf(path, sizeof(path), "%s/program.xpv", vdir);
	uint8_t *orig = load(path, &len), *b = malloc(len + 16);

	memcpy(b, orig, len);
	b[0] = 'Y';
	expect_malformed(b, len, "bad magic");

	memcpy(b, orig, len);
	b[len / 2] ^= 0x40;
	expect_malformed(b, len, "CRC-32");

	expect_malformed(orig, len - 1, "trailer");      /* truncated */
	expect_malformed(orig, 40, "too short");

	for (size_t cut = 100; cut < len - 8; cut += (len - 108) / 7) {
		/* truncated inside the operations, then re-trailered: runs past the end */
		memcpy(b, orig, cut);
		memcpy(b + cut, "END", 4);
		fix_crc(b, cut + 8);
		expect_malformed(b, cut + 8, "op ");
	}

	memcpy(b, orig, len);
	b[8] = 2; /* format version */
	fix_crc(b, len);
	expect_malformed(b, len, "format version 2");

	memcpy(b, orig, len);
	b[12] = 9; /* numerics version */
	fix_crc(b, len);
	expect_malformed(b, len, "numerics spec version 9");

	memcpy(b, orig, len);
	b[24] = 13; /* adc_bits */
	fix_crc(b, len);
	expect_malformed(b, len, "adc_bits = 13");

	/* trailing bytes before the trailer */
	memcpy(b, orig, len - 8);
	memset(b + len - 8, 0, 3);
	memcpy(b + len - 5, "END", 4);
	fix_crc(b, len + 3);
	expect_malformed(b, len + 3, "3 bytes after the last operation");
	free(orig);
	free(b);
}

/* Hand-built files: unknown opcode, absurd batch, RUN before CONFIG. */
static void test_bad_operations_rejected(void **state)
{
	(void)state;
	xp_params p;
	xp_params_default(&p);
	xp_chip *chip;
	assert_int_equal(xp_chip_create(&chip, &p, NULL, 0), XP_OK);
	for (int k = 0; k < 3; k++) {
		xpv_writer w;
		assert_int_equal(xpv_begin(&w, &p, "bad"), 0);
		xpv_seed(&w, chip, 1);
		/* hand-append one raw operation and bump the count */
		static const uint8_t unknown[] = { 0x7E };
		static const uint8_t run_huge[] = { XPV_RUN, 0xFF, 0xFF, 0xFF, 0x7F };
		static const uint8_t tile_huge[] = { XPV_TILE, 0, 0, 64, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0 };
		const uint8_t *raw = k == 0 ? unknown : k == 1 ? run_huge : tile_huge;
		const size_t rl = k == 0 ? sizeof(unknown) : k == 1 ? sizeof(run_huge) : sizeof(tile_huge);
		uint8_t *b = malloc(w.len + rl + 8);
		memcpy(b, w.buf, w.len);
		memcpy(b + w.len, raw, rl);
		const size_t len = w.len + rl + 8;
		b[w.nops_at] = 2;
		memcpy(b + len - 8, "END", 4);
		fix_crc(b, len);
		expect_malformed(b, len, k == 0 ? "unknown opcode 0x7e" : k == 1 ? "RUN before any CONFIG" : "needs more bytes than the file has left");
		free(b);
		free(w.buf);
	}
	xp_chip_destroy(chip);
}

static void test_crc32_kat(void **state)
{
	(void)state;
	assert_int_equal(xpv_crc32((const uint8_t *)"123456789", 9), 0xCBF43926u);
	assert_int_equal(xpv_crc32((const uint8_t *)"", 0), 0);
}

int main(void)
{
	const char *e = getenv("XP_VECTORS");
	if (e && *e)
		vdir = e;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32_kat),
		cmocka_unit_test(test_replay_all),
		cmocka_unit_test(test_corrupted_expectation_caught),
		cmocka_unit_test(test_corrupt_files_rejected),
		cmocka_unit_test(test_bad_operations_rejected),
	};
	return cmocka_run_group_tests_name("vectors", tests, load_list, free_list);
}
