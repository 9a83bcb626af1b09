/*
 * test_files.c — libxpnn's file formats: IDX datasets (host/dataset.h) and safetensors
 * (host/safetensors.h). Round trips; every kind of corruption rejected with a message that
 * names the file and says what is wrong; a seeded byte-flip fuzz of both readers; atomic
 * writes; Fashion-MNIST itself; and interoperation with an independent Python implementation
 * (tests/indep/safetensors_std.py, found from the working directory or $XPNN_SRCDIR).
 *
 * Random cases use XP_SEED (printed); XP_TEST_FILTER selects tests (e.g. "test_st_*").
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "dataset.h"
#include "safetensors.h"
#include "testrng.h"
#include "testrun.h"

#define PATHLEN 512
#define ERRLEN 1024
#define FUZZ_ST 3000  /* mutations of a safetensors file */
#define FUZZ_IDX 600  /* mutations of an IDX pair */

static uint64_t seed0 = 1;
static char tmpdir[200];

/* ---- helpers ---- */

#define assert_has(msg, sub)                                                             \
	do {                                                                             \
		if (!strstr((msg), (sub)))                                               \
			fail_msg("message \"%s\"\n  lacks \"%s\"", (msg), (sub));        \
	} while (0)

static void tpath(char *buf, const char *name)
{
	snprintf(buf, PATHLEN, "%s/%s", tmpdir, name);
}

static void put_file(const char *path, const void *p, size_t n, int gz)
{
	if (gz) {
		gzFile g = gzopen(path, "wb");

		assert_non_null(g);
		assert_int_equal(gzwrite(g, p, (unsigned)n), (int)n);
		assert_int_equal(gzclose(g), Z_OK);
	} else {
		FILE *f = fopen(path, "wb");

		assert_non_null(f);
		assert_int_equal(fwrite(p, 1, n, f), n);
		assert_int_equal(fclose(f), 0);
	}
}

/* The whole file in a malloc'd buffer (*n bytes); NULL if it does not exist. */
static uint8_t *get_file(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p;
	long sz;

	if (!f)
		return NULL;
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	sz = ftell(f);
	assert_true(sz >= 0);
	rewind(f);
	p = malloc((size_t)sz + 1);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)sz, f), (size_t)sz);
	fclose(f);
	*n = (size_t)sz;
	return p;
}

/* Files in tmpdir whose name contains sub. */
static int count_files(const char *sub)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;
	int k = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (strstr(e->d_name, sub))
			k++;
	closedir(d);
	return k;
}

static void be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static int is_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return 0;
	return 1;
}

/* ---- IDX ---- */

/* An IDX image file: magic, n, rows, cols, then npix bytes of pixels (pix, cycled). */
static size_t idx_images(uint8_t *out, uint32_t magic, uint32_t n, uint32_t rows, uint32_t cols,
			 const uint8_t *pix, size_t npix)
{
	be32(out, magic);
	be32(out + 4, n);
	be32(out + 8, rows);
	be32(out + 12, cols);
	for (size_t i = 0; i < npix; i++)
		out[16 + i] = pix ? pix[i] : (uint8_t)(i * 7);
	return 16 + npix;
}

static size_t idx_labels(uint8_t *out, uint32_t magic, uint32_t n, const uint8_t *lab,
			 size_t nlab)
{
	be32(out, magic);
	be32(out + 4, n);
	for (size_t i = 0; i < nlab; i++)
		out[8 + i] = lab ? lab[i] : (uint8_t)(i % 10);
	return 8 + nlab;
}

/* Random images and labels written raw and gzip'd (and mixed) read back exactly. */
static void test_idx_roundtrip(void **state)
{
	(void)state;
	enum { N = 37, R = 5, C = 7 };
	static uint8_t pix[N * R * C], lab[N], buf[16 + N * R * C];
	char ip[PATHLEN], lp[PATHLEN], err[ERRLEN];
	unsigned maxl = 0;
	xpnn_dataset d;

	rs = seed0 + 1;
	for (size_t i = 0; i < sizeof(pix); i++)
		pix[i] = (uint8_t)rnd64();
	for (size_t i = 0; i < N; i++) {
		lab[i] = (uint8_t)rndu(12);
		maxl = lab[i] > maxl ? lab[i] : maxl;
	}
	for (int mode = 0; mode < 4; mode++) { /* bit 0: images gzip'd, bit 1: labels */
		tpath(ip, mode & 1 ? "rt-images.gz" : "rt-images");
		tpath(lp, mode & 2 ? "rt-labels.gz" : "rt-labels");
		put_file(ip, buf, idx_images(buf, 0x803, N, R, C, pix, sizeof(pix)), mode & 1);
		put_file(lp, buf, idx_labels(buf, 0x801, N, lab, N), mode & 2);
		err[0] = 0;
		if (xpnn_dataset_load(&d, ip, lp, err, sizeof(err)))
			fail_msg("mode %d: %s", mode, err);
		assert_int_equal(d.n, N);
		assert_int_equal(d.rows, R);
		assert_int_equal(d.cols, C);
		assert_int_equal(d.nclasses, maxl + 1);
		assert_memory_equal(d.images, pix, sizeof(pix));
		assert_memory_equal(d.labels, lab, N);
		xpnn_dataset_free(&d);
		assert_null(d.images);
		assert_int_equal(d.n, 0);
		xpnn_dataset_free(&d); /* twice is harmless */
	}
	/* the smallest dataset: one 1x1 image of class 0 */
	tpath(ip, "one-images");
	tpath(lp, "one-labels");
	put_file(ip, buf, idx_images(buf, 0x803, 1, 1, 1, NULL, 1), 0);
	put_file(lp, buf, idx_labels(buf, 0x801, 1, NULL, 1), 1);
	assert_int_equal(xpnn_dataset_load(&d, ip, lp, err, sizeof(err)), 0);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.nclasses, 1);
	assert_int_equal(d.images[0], 0);
	xpnn_dataset_free(&d);
}

typedef struct idx_case {
	const char *what;
	int bad_labels;   /* the message names the label file (else the image file) */
	const char *want; /* phrase the message must contain ("%I"/"%L": the paths) */
} idx_case;

/* Expand %I and %L in want into the image and label paths. */
static void expand(char *out, const char *want, const char *ip, const char *lp)
{
	size_t k = 0;

	for (const char *s = want; *s && k < ERRLEN - PATHLEN; s++) {
		if (s[0] == '%' && (s[1] == 'I' || s[1] == 'L')) {
			k += (size_t)snprintf(out + k, ERRLEN - k, "%s", s[1] == 'I' ? ip : lp);
			s++;
		} else {
			out[k++] = *s;
		}
	}
	out[k] = 0;
}

static void idx_expect_fail(const char *what, const char *ip, const char *lp, int bad_labels,
			    const char *want)
{
	char err[ERRLEN], w[ERRLEN];
	xpnn_dataset d;

	memset(&d, 0xA5, sizeof(d));
	err[0] = 0;
	if (xpnn_dataset_load(&d, ip, lp, err, sizeof(err)) == 0)
		fail_msg("%s: accepted", what);
	assert_true(is_zero(&d, sizeof(d)));
	assert_has(err, bad_labels ? lp : ip);
	expand(w, want, ip, lp);
	if (!strstr(err, w))
		fail_msg("%s: message \"%s\"\n  lacks \"%s\"", what, err, w);
}

/* Each corruption of an image or label file, raw and gzip'd, with its message. */
static void test_idx_corrupt(void **state)
{
	(void)state;
	enum { N = 4, R = 5, C = 7 };
	static uint8_t img[16 + N * R * C + 16], lab[8 + N + 16], buf[80000], big[16 + 70000];
	char ip[PATHLEN], lp[PATHLEN], gp[PATHLEN], np[PATHLEN], tmp[PATHLEN];
	size_t ni, nl, n;

	tpath(ip, "c-images");
	tpath(lp, "c-labels");
	tpath(gp, "c-images.gz");
	ni = idx_images(img, 0x803, N, R, C, NULL, N * R * C);
	nl = idx_labels(lab, 0x801, N, NULL, N);
	put_file(lp, lab, nl, 0);

	/* missing files */
	tpath(np, "nope-images");
	idx_expect_fail("missing images", np, lp, 0, "%I: cannot open: No such file or directory");
	put_file(ip, img, ni, 0);
	tpath(np, "nope-labels");
	idx_expect_fail("missing labels", ip, np, 1, "%L: cannot open: No such file or directory");

	/* truncated header, empty file */
	put_file(ip, img, 10, 0);
	idx_expect_fail("truncated header", ip, lp, 0,
			"%I: truncated header: the file ends after 10 bytes (an IDX image file's "
			"header is 16 bytes)");
	put_file(ip, img, 0, 0);
	idx_expect_fail("empty images", ip, lp, 0, "truncated header: the file ends after 0 bytes");
	put_file(ip, img, ni, 0);
	put_file(lp, lab, 6, 1);
	idx_expect_fail("truncated label header (gz)", ip, lp, 1,
			"%L: truncated header: the file ends after 6 bytes (an IDX label file's "
			"header is 8 bytes)");
	put_file(lp, lab, nl, 0);

	/* truncated data, raw and gzip'd (a valid gzip stream of too little data) */
	for (int gz = 0; gz < 2; gz++) {
		put_file(ip, img, 16 + 100, gz);
		idx_expect_fail("truncated pixels", ip, lp, 0,
				"%I: truncated: header says 4 images of 5x7 (140 bytes) but the file "
				"ends after 100 bytes of pixel data");
	}
	put_file(ip, img, ni, 0);
	put_file(lp, lab, nl - 2, 0);
	idx_expect_fail("truncated labels", ip, lp, 1,
			"%L: truncated: header says 4 labels (4 bytes) but the file ends after 2 "
			"bytes of label data");

	/* the two files swapped, other element types, dimensions, foreign files */
	idx_expect_fail("labels as images", lp, lp, 0,
			"%I: not an IDX image file: magic 0x00000801 (expected 0x00000803; is this "
			"the label file?)");
	idx_expect_fail("images as labels", ip, ip, 1,
			"%L: not an IDX label file: magic 0x00000803 (expected 0x00000801; is this "
			"the image file?)");
	put_file(lp, lab, nl, 0);
	memcpy(buf, img, ni);
	buf[2] = 0x0D;
	put_file(ip, buf, ni, 0);
	idx_expect_fail("f32 images", ip, lp, 0,
			"%I: IDX element type 0x0d (f32) is not supported: only 0x08 (u8)");
	buf[2] = 0x07;
	put_file(ip, buf, ni, 1);
	idx_expect_fail("type 7", ip, lp, 0, "IDX element type 0x07 (not an IDX type)");
	buf[2] = 0x08;
	buf[3] = 2;
	put_file(ip, buf, ni, 0);
	idx_expect_fail("2 dims", ip, lp, 0,
			"%I: IDX file with 2 dimensions, expected 3 for an image file");
	put_file(ip, "P5\n28 28\n255\n", 13, 0);
	idx_expect_fail("a PGM", ip, lp, 0,
			"%I: not an IDX file: magic 0x50350a32 (expected 0x00000803");

	/* sizes: zero and absurd, checked before any allocation */
	n = idx_images(buf, 0x803, 0, R, C, NULL, 0);
	put_file(ip, buf, n, 0);
	idx_expect_fail("0 images", ip, lp, 0, "%I: header says 0 images");
	n = idx_images(buf, 0x803, N, 0, C, NULL, 0);
	put_file(ip, buf, n, 0);
	idx_expect_fail("0 rows", ip, lp, 0,
			"%I: header says images of 0x7: rows and cols must be 1 … 4096");
	n = idx_images(buf, 0x803, N, R, 4097, NULL, 0);
	put_file(ip, buf, n, 0);
	idx_expect_fail("4097 cols", ip, lp, 0, "images of 5x4097: rows and cols must be 1 … 4096");
	n = idx_images(buf, 0x803, 100000001, 1, 1, NULL, 0);
	put_file(ip, buf, n, 0);
	idx_expect_fail("1e8+1 images", ip, lp, 0,
			"%I: header says 100000001 images, more than the limit 100000000");
	n = idx_images(buf, 0x803, 100000, 4096, 4096, NULL, 0);
	put_file(ip, buf, n, 0);
	idx_expect_fail("> 4 GiB", ip, lp, 0,
			"header says 100000 images of 4096x4096 = 1677721600000 bytes, more than "
			"the limit 4294967296");
	/* exactly at the limit: legal, so it is read, and the file is too short; the reader
	 * does not allocate 4 GiB for it (ASan would report an allocation that large) */
	n = idx_images(buf, 0x803, 256, 4096, 4096, NULL, 1000);
	put_file(ip, buf, n, 1);
	idx_expect_fail("4 GiB promised", ip, lp, 0,
			"header says 256 images of 4096x4096 (4294967296 bytes) but the file ends "
			"after 1000 bytes of pixel data");

	/* counts differ */
	put_file(ip, img, ni, 0);
	n = idx_labels(buf, 0x801, N + 1, NULL, N + 1);
	put_file(lp, buf, n, 0);
	idx_expect_fail("counts", ip, lp, 0, "%I: 4 images but %L: 5 labels: counts differ");

	/* trailing bytes, raw and gzip'd */
	put_file(lp, lab, nl, 0);
	for (int gz = 0; gz < 2; gz++) {
		memcpy(buf, img, ni);
		memcpy(buf + ni, "xyz", 3);
		put_file(ip, buf, ni + 3, gz);
		idx_expect_fail("trailing", ip, lp, 0,
				"%I: 3 trailing bytes after the 140 bytes of data the header declares "
				"(4 images of 5x7)");
	}
	put_file(ip, img, ni, 0);
	memcpy(buf, lab, nl);
	memset(buf + nl, 0, 70000 - nl);
	put_file(lp, buf, 70000, 0);
	idx_expect_fail("much trailing", ip, lp, 1,
			"%L: at least 65536 trailing bytes after the 4 bytes of data");
	put_file(lp, lab, nl, 0);

	/* gzip damage: bytes flipped in the middle of the deflate data, the CRC in the trailer
	 * (found only by reading through to the end), a stream cut short */
	rs = seed0 + 2;
	n = idx_images(big, 0x803, 1000, 10, 7, NULL, 70000);
	for (size_t i = 16; i < n; i++)
		big[i] = (uint8_t)(rndu(4) ? i / 100 : rnd64()); /* compressible, not trivially */
	put_file(gp, big, n, 1);
	{
		size_t gn;
		uint8_t *g = get_file(gp, &gn);
		uint8_t *l1000 = malloc(1008);
		char lp2[PATHLEN];

		assert_non_null(g);
		assert_non_null(l1000);
		tpath(lp2, "c-labels-1000");
		put_file(lp2, l1000, idx_labels(l1000, 0x801, 1000, NULL, 1000), 0);
		free(l1000);
		xpnn_dataset d;
		char err[ERRLEN];
		assert_int_equal(xpnn_dataset_load(&d, gp, lp2, err, sizeof(err)), 0);
		assert_memory_equal(d.images, big + 16, 70000);
		xpnn_dataset_free(&d);

		tpath(tmp, "c-flip.gz");
		for (int k = 0; k < 8; k++)
			g[gn / 2 + (size_t)k] ^= 0x5A;
		put_file(tmp, g, gn, 0);
		idx_expect_fail("flipped gzip", tmp, lp2, 0, "%I: corrupt gzip stream: ");
		for (int k = 0; k < 8; k++)
			g[gn / 2 + (size_t)k] ^= 0x5A;
		g[gn - 8] ^= 1; /* CRC-32 of the uncompressed data */
		put_file(tmp, g, gn, 0);
		idx_expect_fail("gzip CRC", tmp, lp2, 0, "%I: corrupt gzip stream: incorrect data check");
		g[gn - 8] ^= 1;
		g[gn - 1] ^= 1; /* ISIZE */
		put_file(tmp, g, gn, 0);
		idx_expect_fail("gzip length", tmp, lp2, 0,
				"%I: corrupt gzip stream: incorrect length check");
		g[gn - 1] ^= 1;
		put_file(tmp, g, gn / 2, 0);
		idx_expect_fail("gzip cut", tmp, lp2, 0, "%I: corrupt gzip stream: unexpected end of file");
		put_file(tmp, g, gn - 4, 0); /* only the trailer's ISIZE is missing */
		idx_expect_fail("gzip trailer cut", tmp, lp2, 0,
				"%I: corrupt gzip stream: unexpected end of file");
		free(g);
	}
	/* a directory is not a file */
	idx_expect_fail("directory", tmpdir, lp, 0, "read error: Is a directory");
}

/* Random byte flips and truncations of a gzip'd and a raw IDX pair: each load succeeds or
 * fails with a message naming a file; never a crash or a leak (run under ASan). */
static void test_idx_fuzz(void **state)
{
	(void)state;
	enum { N = 20, R = 6, C = 6 };
	static uint8_t img[16 + N * R * C], lab[8 + N];
	char ip[PATHLEN], lp[PATHLEN], ref_ip[PATHLEN], err[ERRLEN];
	size_t ni, nl, gn, n;
	int ok = 0, bad = 0;
	xpnn_dataset d;

	rs = seed0 + 3;
	ni = idx_images(img, 0x803, N, R, C, NULL, N * R * C);
	nl = idx_labels(lab, 0x801, N, NULL, N);
	tpath(ref_ip, "fz-ref.gz");
	put_file(ref_ip, img, ni, 1);
	uint8_t *gz = get_file(ref_ip, &gn);
	assert_non_null(gz);
	tpath(ip, "fz-images");
	tpath(lp, "fz-labels");
	for (int it = 0; it < FUZZ_IDX; it++) {
		const int which = (int)rndu(3); /* 0 raw images, 1 gzip'd images, 2 labels */
		const uint8_t *src = which == 0 ? img : which == 1 ? gz : lab;
		const size_t sn = which == 0 ? ni : which == 1 ? gn : nl;
		uint8_t *g = malloc(sn + 8);

		assert_non_null(g);
		memcpy(g, src, sn);
		n = sn;
		for (unsigned k = 1 + rndu(3); k; k--) {
			if (rndu(8) == 0)
				n = rndu((unsigned)n + 1);
			else if (n)
				g[rndu((unsigned)n)] ^= (uint8_t)(1u << rndu(8));
		}
		put_file(ip, which == 2 ? img : g, which == 2 ? ni : n, 0);
		put_file(lp, which == 2 ? g : lab, which == 2 ? n : nl, 0);
		memset(&d, 0xA5, sizeof(d));
		err[0] = 0;
		if (xpnn_dataset_load(&d, ip, lp, err, sizeof(err)) == 0) {
			ok++;
			assert_true(d.n >= 1 && d.rows >= 1 && d.cols >= 1);
			assert_non_null(d.images);
			assert_non_null(d.labels);
			assert_true(d.nclasses >= 1 && d.nclasses <= 256);
			xpnn_dataset_free(&d);
		} else {
			bad++;
			assert_true(is_zero(&d, sizeof(d)));
			if (!strstr(err, ip) && !strstr(err, lp))
				fail_msg("iteration %d: message names no file: \"%s\"", it, err);
		}
		free(g);
	}
	free(gz);
	fprintf(stderr, "test_idx_fuzz: %d mutations: %d loaded, %d rejected with a message\n",
		FUZZ_IDX, ok, bad);
	assert_true(ok > 0 && bad > 0);
}

/* Fashion-MNIST (Debian's dataset-fashion-mnist): both splits, 28x28, 10 balanced classes. */
static void test_idx_fashion(void **state)
{
	(void)state;
	static const struct {
		const char *split;
		uint32_t n;
	} sp[] = { { "train", 60000 }, { "test", 10000 } };
	char err[ERRLEN];
	struct stat sb;
	xpnn_dataset d;

	if (stat(XPNN_FASHION_DIR, &sb) < 0)
		fail_msg("%s is missing: install Debian's dataset-fashion-mnist: run scripts/deps.sh "
			 "(as root)", XPNN_FASHION_DIR);
	for (int s = 0; s < 2; s++) {
		struct timespec t0, t1;
		unsigned hist[256] = { 0 };

		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (xpnn_dataset_fashion(&d, NULL, sp[s].split, err, sizeof(err)))
			fail_msg("%s", err);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		fprintf(stderr, "test_idx_fashion: %s: %u images loaded in %.3f s\n", sp[s].split, d.n,
			(double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec));
		assert_int_equal(d.n, sp[s].n);
		assert_int_equal(d.rows, 28);
		assert_int_equal(d.cols, 28);
		assert_int_equal(d.nclasses, 10);
		for (uint32_t i = 0; i < d.n; i++)
			hist[d.labels[i]]++;
		for (int c = 0; c < 10; c++)
			if (hist[c] != sp[s].n / 10)
				fail_msg("%s: class %d has %u examples, expected %u", sp[s].split, c,
					 hist[c], sp[s].n / 10);
		xpnn_dataset_free(&d);
	}
}

/* Fashion-MNIST errors: a directory without the files gets the deps.sh hint; a bad split. */
static void test_idx_fashion_errors(void **state)
{
	(void)state;
	char dir[PATHLEN], err[ERRLEN], w[ERRLEN];
	xpnn_dataset d;

	tpath(dir, "no-fashion");
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(xpnn_dataset_fashion(&d, dir, "test", err, sizeof(err)), -1);
	assert_true(is_zero(&d, sizeof(d)));
	snprintf(w, sizeof(w), "%s/t10k-images-idx3-ubyte.gz: cannot open: No such file or directory",
		 dir);
	assert_has(err, w);
	assert_has(err, "HINT: install Debian's dataset-fashion-mnist (scripts/deps.sh)");
	assert_int_equal(xpnn_dataset_fashion(&d, dir, "validation", err, sizeof(err)), -1);
	assert_has(err, "split 'validation': expected \"train\" or \"test\"");
	rmdir(dir);
}

/* ---- safetensors ---- */

static void test_st_dtypes(void **state)
{
	(void)state;
	static const char *names[] = { "F32", "F64", "U8", "I8", "U16", "I16", "U32", "I32", "I64" };
	static const size_t sizes[] = { 4, 8, 1, 1, 2, 2, 4, 4, 8 };

	for (int i = 0; i < XPNN_NDTYPES; i++) {
		assert_string_equal(xpnn_dtype_name((xpnn_dtype)i), names[i]);
		assert_int_equal(xpnn_dtype_size((xpnn_dtype)i), sizes[i]);
		assert_int_equal(xpnn_dtype_parse(names[i]), i);
	}
	assert_string_equal(xpnn_dtype_name((xpnn_dtype)XPNN_NDTYPES), "?");
	assert_int_equal(xpnn_dtype_size((xpnn_dtype)-1), 0);
	assert_int_equal(xpnn_dtype_parse("BF16"), -1);
	assert_int_equal(xpnn_dtype_parse("f32"), -1);
}

/* A set of tensors of every dtype, 0 … 4 dimensions, zero-size ones included. */
enum { NT = 10 };
static float w_f32[12];
static double b_f64[4];
static int64_t s_i64 = -1234567890123ll;
static uint16_t u_u16[16];
static int8_t c_i8[5] = { -128, -1, 0, 1, 127 };
static uint32_t v_u32[3] = { 0, 1, 4294967295u };
static int32_t i_i32[1] = { -2147483647 - 1 };
static int16_t h_i16[3] = { -32768, 5, 32767 };
static uint8_t p_u8[7] = { 0, 1, 2, 128, 254, 255, 9 };

static void sample(xpnn_tensor *t)
{
	for (int i = 0; i < 12; i++)
		w_f32[i] = 0.5f * (float)i - 3.0f;
	for (int i = 0; i < 4; i++)
		b_f64[i] = 1.0 / (1 << i) - 0.3;
	for (int i = 0; i < 16; i++)
		u_u16[i] = (uint16_t)(i * 4099);
	const xpnn_tensor ts[NT] = {
		{ "layers.0.weight", XPNN_F32, 2, { 3, 4 }, sizeof(w_f32), w_f32 },
		{ "layers.0.bias", XPNN_F64, 1, { 4 }, sizeof(b_f64), b_f64 },
		{ "step", XPNN_I64, 0, { 0 }, 8, &s_i64 },
		{ "empty", XPNN_U8, 1, { 0 }, 0, NULL },
		{ "u16.4d", XPNN_U16, 4, { 2, 2, 2, 2 }, sizeof(u_u16), u_u16 },
		{ "codes", XPNN_I8, 1, { 5 }, 5, c_i8 },
		{ "empty3", XPNN_I16, 3, { 2, 0, 3 }, 0, NULL },
		{ "u32", XPNN_U32, 1, { 3 }, 12, v_u32 },
		{ "i32", XPNN_I32, 2, { 1, 1 }, 4, i_i32 },
		{ "mixed/ÄÖ ü", XPNN_I16, 1, { 3 }, 6, h_i16 },
	};
	memcpy(t, ts, sizeof(ts));
	(void)p_u8;
}

static json_t *sample_meta(void)
{
	return json_pack("{ssssss}", "arch", "mlp-784-256-10", "epoch", "7", "note", "ünïcode ✓");
}

static void check_same(const xpnn_tensor *a, const xpnn_tensor *b)
{
	assert_string_equal(a->name, b->name);
	assert_int_equal(a->dtype, b->dtype);
	assert_int_equal(a->ndim, b->ndim);
	for (int d = 0; d < a->ndim; d++)
		assert_int_equal(a->shape[d], b->shape[d]);
	assert_int_equal(a->nbytes, b->nbytes);
	assert_non_null(b->data);
	assert_int_equal((uintptr_t)b->data % 8, 0);
	if (a->nbytes)
		assert_memory_equal(a->data, b->data, a->nbytes);
}

/* Write, read back exactly; lookups with their messages; metadata; the empty file. */
static void test_st_roundtrip(void **state)
{
	(void)state;
	xpnn_tensor t[NT];
	char p[PATHLEN], err[ERRLEN], w[ERRLEN];
	json_t *meta = sample_meta();
	const uint64_t any4[2] = { 0, 4 }, s35[2] = { 3, 5 }, s0x5[2] = { 0, 5 };
	const xpnn_tensor *x;
	xpnn_st st;

	sample(t);
	tpath(p, "rt.safetensors");
	if (xpnn_st_write(p, t, NT, meta, err, sizeof(err)))
		fail_msg("%s", err);
	if (xpnn_st_read(&st, p, err, sizeof(err)))
		fail_msg("%s", err);
	assert_string_equal(st.path, p);
	assert_int_equal(st.n, NT);
	for (int i = 0; i < NT; i++) /* written contiguously in the order given: read in it */
		check_same(&t[i], &st.t[i]);
	assert_non_null(st.meta);
	assert_true(json_equal(st.meta, meta));
	assert_string_equal(xpnn_st_meta(&st, "arch"), "mlp-784-256-10");
	assert_string_equal(xpnn_st_meta(&st, "note"), "ünïcode ✓");
	assert_null(xpnn_st_meta(&st, "nope"));

	x = xpnn_st_get(&st, "layers.0.weight", XPNN_F32, 2, any4, err, sizeof(err));
	assert_non_null(x);
	assert_ptr_equal(x, &st.t[0]);
	assert_non_null(xpnn_st_get(&st, "step", XPNN_I64, 0, NULL, err, sizeof(err)));
	assert_non_null(xpnn_st_get(&st, "u16.4d", XPNN_U16, -1, NULL, err, sizeof(err)));
	assert_null(xpnn_st_get(&st, "layers.0.weight", XPNN_I8, 2, NULL, err, sizeof(err)));
	snprintf(w, sizeof(w), "%s: tensor 'layers.0.weight': dtype F32, expected I8", p);
	assert_string_equal(err, w);
	assert_null(xpnn_st_get(&st, "layers.0.weight", XPNN_F32, 3, NULL, err, sizeof(err)));
	snprintf(w, sizeof(w), "%s: tensor 'layers.0.weight': shape [3, 4] has 2 dimensions, "
		 "expected 3", p);
	assert_string_equal(err, w);
	assert_null(xpnn_st_get(&st, "layers.0.weight", XPNN_F32, 2, s35, err, sizeof(err)));
	snprintf(w, sizeof(w), "%s: tensor 'layers.0.weight': shape [3, 4], expected [3, 5]", p);
	assert_string_equal(err, w);
	assert_null(xpnn_st_get(&st, "layers.0.weight", XPNN_F32, 2, s0x5, err, sizeof(err)));
	assert_has(err, "shape [3, 4], expected [*, 5]");
	assert_null(xpnn_st_get(&st, "layers.1.weight", XPNN_F32, 2, NULL, err, sizeof(err)));
	snprintf(w, sizeof(w), "%s: no tensor 'layers.1.weight' (the file holds 10: "
		 "'layers.0.weight', 'layers.0.bias',", p);
	assert_has(err, w);
	assert_has(err, " …)");
	xpnn_st_free(&st);
	assert_null(st.t);
	xpnn_st_free(&st);

	/* no metadata: meta is NULL; no tensors at all: an 8-byte padded "{}" */
	if (xpnn_st_write(p, t + 5, 1, NULL, err, sizeof(err)) || xpnn_st_read(&st, p, err, sizeof(err)))
		fail_msg("%s", err);
	assert_null(st.meta);
	assert_null(xpnn_st_meta(&st, "arch"));
	assert_int_equal(st.n, 1);
	check_same(&t[5], &st.t[0]);
	assert_null(xpnn_st_get(&st, "x", XPNN_F32, 0, NULL, err, sizeof(err)));
	assert_has(err, "no tensor 'x' (the file holds 1: 'codes')");
	xpnn_st_free(&st);
	assert_int_equal(xpnn_st_write(p, NULL, 0, NULL, err, sizeof(err)), 0);
	{
		size_t n;
		uint8_t *b = get_file(p, &n);

		assert_int_equal(n, 16);
		assert_memory_equal(b, "\x08\0\0\0\0\0\0\0{}      ", 16);
		free(b);
	}
	assert_int_equal(xpnn_st_read(&st, p, err, sizeof(err)), 0);
	assert_int_equal(st.n, 0);
	assert_null(xpnn_st_get(&st, "x", XPNN_F32, 0, NULL, err, sizeof(err)));
	assert_has(err, "no tensor 'x' (the file holds 0)");
	xpnn_st_free(&st);
	json_decref(meta);
}

/* A fixed input gives exactly these bytes: sorted compact JSON, space padding, data in the
 * order given. */
static void test_st_golden(void **state)
{
	(void)state;
	static const int8_t b[2] = { 1, -2 };
	static const float a = 1.0f;
	const xpnn_tensor t[2] = {
		{ "b", XPNN_I8, 1, { 2 }, 2, (void *)b },
		{ "a", XPNN_F32, 0, { 0 }, 4, (void *)&a },
	};
	static const char hdr[] = "{\"__metadata__\":{\"k\":\"v\"},"
				  "\"a\":{\"data_offsets\":[2,6],\"dtype\":\"F32\",\"shape\":[]},"
				  "\"b\":{\"data_offsets\":[0,2],\"dtype\":\"I8\",\"shape\":[2]}}"
				  "      "; /* 130 bytes of JSON, 6 spaces */
	static const uint8_t data[6] = { 0x01, 0xFE, 0x00, 0x00, 0x80, 0x3F };
	uint8_t want[8 + sizeof(hdr) - 1 + 6];
	char p[PATHLEN], err[ERRLEN];
	json_t *meta = json_pack("{ss}", "k", "v");
	size_t n;
	uint8_t *got;

	assert_int_equal((sizeof(hdr) - 1) % 8, 0);
	le64(want, sizeof(hdr) - 1);
	memcpy(want + 8, hdr, sizeof(hdr) - 1);
	memcpy(want + 8 + sizeof(hdr) - 1, data, 6);
	tpath(p, "golden.safetensors");
	if (xpnn_st_write(p, t, 2, meta, err, sizeof(err)))
		fail_msg("%s", err);
	got = get_file(p, &n);
	assert_non_null(got);
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(got, want, sizeof(want));
	free(got);
	json_decref(meta);
}

/* A file of raw header text and data bytes. */
static void st_raw(const char *path, const char *hdr, const void *data, size_t dn)
{
	const size_t hn = strlen(hdr);
	uint8_t *b = malloc(8 + hn + dn + 1);

	assert_non_null(b);
	le64(b, hn);
	memcpy(b + 8, hdr, hn);
	if (dn)
		memcpy(b + 8 + hn, data, dn);
	put_file(path, b, 8 + hn + dn, 0);
	free(b);
}

static void st_expect_fail(const char *path, const char *what, const char *want)
{
	char err[ERRLEN];
	xpnn_st st;

	memset(&st, 0xA5, sizeof(st));
	err[0] = 0;
	if (xpnn_st_read(&st, path, err, sizeof(err)) == 0)
		fail_msg("%s: accepted", what);
	assert_true(is_zero(&st, sizeof(st)));
	if (strncmp(err, path, strlen(path)) || !strstr(err, want))
		fail_msg("%s: message \"%s\"\n  should name %s and contain \"%s\"", what, err, path,
			 want);
}

/* Every malformed header and layout rejected with a message naming the file and the fault. */
static void test_st_corrupt(void **state)
{
	(void)state;
#define X8 "\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}"
	static const struct {
		const char *what, *hdr;
		size_t dn; /* data bytes after the header */
		const char *want;
	} cases[] = {
		{ "utf-8", "{\"x\xff\":1}", 0,
		  "the header is not valid JSON: unable to decode byte 0xff near '\"x' (line 1, "
		  "column 3, byte 3 of the header)" },
		{ "cut json", "{\"x\":", 0, "the header is not valid JSON: unexpected token" },
		{ "empty header", "", 0, "the header is not valid JSON: '[' or '{' expected" },
		{ "garbage after", "{" X8 "} x", 8, "the header is not valid JSON: end of file expected" },
		{ "array", "[1,2]", 0, "the header is a JSON array, expected an object" },
		{ "duplicate", "{" X8 "," X8 "}", 8, "duplicate object key near '\"x\"'" },
		{ "entry", "{\"x\":5}", 0,
		  "tensor 'x': its entry is a JSON integer, expected an object with \"dtype\", "
		  "\"shape\" and \"data_offsets\"" },
		{ "no dtype", "{\"x\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8,
		  "tensor 'x': \"dtype\" is missing" },
		{ "no shape", "{\"x\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", 8,
		  "tensor 'x': \"shape\" is missing" },
		{ "no offsets", "{\"x\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8,
		  "tensor 'x': \"data_offsets\" is missing" },
		{ "dtype type", "{\"x\":{\"dtype\":4,\"shape\":[2],\"data_offsets\":[0,8]}}", 8,
		  "tensor 'x': \"dtype\" is a JSON integer, expected a string" },
		{ "bf16", "{\"x\":{\"dtype\":\"BF16\",\"shape\":[4],\"data_offsets\":[0,8]}}", 8,
		  "tensor 'x': dtype \"BF16\" is not supported (supported: F32, F64, U8, I8, U16, I16, "
		  "U32, I32, I64)" },
		{ "shape type", "{\"x\":{\"dtype\":\"F32\",\"shape\":2,\"data_offsets\":[0,8]}}", 8,
		  "tensor 'x': \"shape\" is a JSON integer, expected an array of non-negative integers" },
		{ "5 dims", "{\"x\":{\"dtype\":\"U8\",\"shape\":[1,1,2,2,2],\"data_offsets\":[0,8]}}", 8,
		  "tensor 'x': shape has 5 dimensions, more than the limit 4" },
		{ "negative dim", "{\"x\":{\"dtype\":\"U8\",\"shape\":[4,-2],\"data_offsets\":[0,8]}}", 8,
		  "tensor 'x': shape[1] = -2 is negative" },
		{ "real dim", "{\"x\":{\"dtype\":\"U8\",\"shape\":[2.0,4],\"data_offsets\":[0,8]}}", 8,
		  "tensor 'x': shape[0] is a JSON non-integer number, expected a non-negative integer" },
		{ "string dim", "{\"x\":{\"dtype\":\"U8\",\"shape\":[\"8\"],\"data_offsets\":[0,8]}}", 8,
		  "tensor 'x': shape[0] is a JSON string" },
		{ "overflow", "{\"x\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],"
		  "\"data_offsets\":[0,8]}}", 8,
		  "tensor 'x': absurd shape [4294967296, 4294967296, 4294967296]: more than 2^34 bytes "
		  "of F32" },
		{ "2^35 bytes", "{\"x\":{\"dtype\":\"F32\",\"shape\":[4294967296,2],\"data_offsets\":"
		  "[0,8]}}", 8, "tensor 'x': absurd shape [4294967296, 2]: more than 2^34 bytes of F32" },
		{ "2^34 bytes", "{\"x\":{\"dtype\":\"U8\",\"shape\":[17179869184],\"data_offsets\":"
		  "[0,17179869184]}}", 8,
		  "tensor 'x': data_offsets [0, 17179869184] run past the end of the data buffer "
		  "(8 bytes)" },
		{ "offsets type", "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":\"0-8\"}}", 8,
		  "tensor 'x': \"data_offsets\" is a JSON string, expected an array [begin, end]" },
		{ "3 offsets", "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4,8]}}", 8,
		  "tensor 'x': \"data_offsets\" has 3 elements, expected 2 [begin, end]" },
		{ "negative offset", "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]}}", 8,
		  "tensor 'x': data_offsets[0] = -8 is negative" },
		{ "real offset", "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8.5]}}", 8,
		  "tensor 'x': data_offsets[1] is a JSON non-integer number" },
		{ "begin > end", "{\"x\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[8,0]}}", 8,
		  "tensor 'x': data_offsets [8, 0]: begin after end" },
		{ "span", "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 8,
		  "tensor 'x': data_offsets [0, 4] span 4 bytes, but dtype F32 and shape [2] need 8" },
		{ "past end", "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 8,
		  "tensor 'x': data_offsets [8, 16] run past the end of the data buffer (8 bytes)" },
		{ "overlap", "{" X8 ",\"y\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8,
		  "tensors 'x' [0, 8] and 'y' [4, 8] overlap in the data buffer" },
		{ "empty inside", "{" X8 ",\"y\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]}}",
		  8, "tensors 'x' [0, 8] and 'y' [4, 4] overlap in the data buffer" },
		{ "hole", "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
		  "\"y\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[6,10]}}", 10,
		  "hole in the data buffer: bytes 4 … 5 belong to no tensor (the next is 'y' at 6)" },
		{ "hole at start", "{\"y\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8,
		  "hole in the data buffer: bytes 0 … 3 belong to no tensor" },
		{ "hole at end", "{" X8 "}", 12,
		  "hole in the data buffer: bytes 8 … 11 at its end belong to no tensor (the data buffer "
		  "is 12 bytes, the tensors cover 8)" },
		{ "no tensors", "{}", 4, "bytes 0 … 3 at its end belong to no tensor" },
		{ "meta array", "{\"__metadata__\":[\"a\"]," X8 "}", 8,
		  "\"__metadata__\" is a JSON array, expected an object of strings" },
		{ "meta value", "{\"__metadata__\":{\"a\":\"b\",\"epoch\":7}," X8 "}", 8,
		  "\"__metadata__\": the value of 'epoch' is a JSON integer, expected a string" },
		{ "empty name", "{\"\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8,
		  "a tensor name is empty (names are 1 … 255 bytes)" },
		{ "nul in name", "{\"a\\u0000b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
		  8, "the header is not valid JSON: NUL byte in object key not supported" },
	};
#undef X8
	static const uint8_t zeros[64];
	char p[PATHLEN], hdr[1024], w[ERRLEN];
	uint8_t b[32];
	xpnn_st st;

	tpath(p, "bad.safetensors");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		st_raw(p, cases[i].hdr, zeros, cases[i].dn);
		st_expect_fail(p, cases[i].what, cases[i].want);
	}

	/* the length field */
	put_file(p, "\x08\0\0\0\0", 5, 0);
	st_expect_fail(p, "5 bytes", "the file is 5 bytes, shorter than the 8-byte header length");
	put_file(p, "", 0, 0);
	st_expect_fail(p, "empty", "the file is 0 bytes");
	le64(b, 1000);
	memset(b + 8, ' ', 20);
	put_file(p, b, 28, 0);
	st_expect_fail(p, "past eof",
		       "header length 1000 runs past the end of the file (20 bytes follow the length "
		       "field)");
	le64(b, 0x4000000000000000ull);
	put_file(p, b, 28, 0);
	st_expect_fail(p, "absurd length",
		       "header length 4611686018427387904 is more than the limit 100000000");
	le64(b, 100000001);
	put_file(p, b, 28, 0);
	st_expect_fail(p, "1e8+1", "header length 100000001 is more than the limit 100000000");
	tpath(w, "nope.safetensors");
	st_expect_fail(w, "missing", "cannot open: No such file or directory");
	st_expect_fail(tmpdir, "directory", "not a regular file");

	/* names: 255 bytes is legal, 256 is not */
	for (int len = 255; len <= 256; len++) {
		char name[300];

		memset(name, 'n', (size_t)len);
		name[len] = 0;
		snprintf(hdr, sizeof(hdr), "{\"%s\":{\"dtype\":\"F32\",\"shape\":[2],"
			 "\"data_offsets\":[0,8]}}", name);
		st_raw(p, hdr, zeros, 8);
		if (len == 255) {
			char err[ERRLEN];

			if (xpnn_st_read(&st, p, err, sizeof(err)))
				fail_msg("255-byte name: %s", err);
			assert_int_equal(strlen(st.t[0].name), 255);
			xpnn_st_free(&st);
		} else {
			st_expect_fail(p, "long name",
				       "tensor name 'nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn…' is 256 "
				       "bytes long, more than the limit 255");
		}
	}

	/* legal variants: padding, extra keys in an entry (ignored as the reference does), a
	 * zero-size tensor at the end, metadata with no tensors */
	{
		static const char *ok[] = {
			"{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}    \n\t ",
			"{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"extra\":1}}",
			"{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
			"\"e\":{\"dtype\":\"F64\",\"shape\":[3,0],\"data_offsets\":[8,8]}}",
			"{\"__metadata__\":{}}",
		};
		char err[ERRLEN];

		for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
			st_raw(p, ok[i], zeros, i == 3 ? 0 : 8);
			if (xpnn_st_read(&st, p, err, sizeof(err)))
				fail_msg("legal header %zu: %s", i, err);
			assert_int_equal(st.n, i == 3 ? 0 : i == 2 ? 2 : 1);
			xpnn_st_free(&st);
		}
	}
}

/* Random bit flips, byte substitutions, truncations and length changes of a valid file: the
 * reader accepts (and the result is consistent) or rejects with a message naming the file. */
static void test_st_fuzz(void **state)
{
	(void)state;
	static const char tokens[] = "{}[]\",:-0123456789eE. \\";
	xpnn_tensor t[NT];
	char p[PATHLEN], q[PATHLEN], err[ERRLEN];
	json_t *meta = sample_meta();
	size_t n, m, hlen;
	uint8_t *ref, *b;
	int ok = 0, bad = 0;
	xpnn_st st;

	rs = seed0 + 4;
	sample(t);
	tpath(p, "fz-ref.safetensors");
	tpath(q, "fz.safetensors");
	if (xpnn_st_write(p, t, NT, meta, err, sizeof(err)))
		fail_msg("%s", err);
	json_decref(meta);
	ref = get_file(p, &n);
	assert_non_null(ref);
	hlen = (size_t)ref[0] | (size_t)ref[1] << 8;
	b = malloc(n);
	assert_non_null(b);
	for (int it = 0; it < FUZZ_ST; it++) {
		memcpy(b, ref, n);
		m = n;
		for (unsigned k = 1 + rndu(4); k; k--) {
			const unsigned r = rndu(16);
			/* mostly the header, where the structure is */
			const size_t at = rndu(4) ? 8 + rndu((unsigned)hlen) : rndu((unsigned)n);

			if (at >= m)
				continue;
			if (r < 6)
				b[at] ^= (uint8_t)(1u << rndu(8));
			else if (r < 12)
				b[at] = (uint8_t)tokens[rndu(sizeof(tokens) - 1)];
			else if (r < 14)
				m = rndu((unsigned)m + 1);
			else if (r < 15)
				b[rndu(8)] = (uint8_t)rnd64();
			else
				b[at] = (uint8_t)rnd64();
		}
		put_file(q, b, m, 0);
		memset(&st, 0xA5, sizeof(st));
		err[0] = 0;
		if (xpnn_st_read(&st, q, err, sizeof(err)) == 0) {
			uint64_t h = 0, sum = 0;

			ok++;
			for (int i = 0; i < 8; i++)
				h |= (uint64_t)b[i] << (8 * i);
			for (size_t i = 0; i < st.n; i++) {
				assert_non_null(st.t[i].data);
				assert_true(st.t[i].ndim >= 0 && st.t[i].ndim <= XPNN_ST_MAXDIM);
				sum += st.t[i].nbytes;
			}
			assert_int_equal(8 + h + sum, m); /* the tensors cover the data exactly */
			xpnn_st_free(&st);
		} else {
			bad++;
			assert_true(is_zero(&st, sizeof(st)));
			if (strncmp(err, q, strlen(q)))
				fail_msg("mutation %d: message does not name the file: \"%s\"", it, err);
		}
	}
	free(b);
	free(ref);
	fprintf(stderr, "test_st_fuzz: %d mutations: %d read, %d rejected with a message\n",
		FUZZ_ST, ok, bad);
	assert_true(ok > 0 && bad > 0);
}

/* Bad arguments to the writer: a message, and the existing file and directory untouched. */
static void test_st_write_refusals(void **state)
{
	(void)state;
	static const float f2[2] = { 1, 2 };
	char p[PATHLEN], err[ERRLEN], name300[300];
	size_t n0, n1;
	uint8_t *before, *after;
	json_t *m_int = json_pack("{sssi}", "a", "b", "epoch", 7);
	json_t *m_arr = json_pack("[s]", "a");
	json_t *meta = json_pack("{ss}", "a", "b");
	static const struct {
		const char *name;
		int dtype, ndim;
		uint64_t d0;
		size_t nbytes;
		int nulldata;
		const char *want;
	} cases[] = {
		{ "", XPNN_F32, 1, 2, 8, 0, "tensor 1: name '' is 0 bytes, expected 1 … 255" },
		{ "a", XPNN_F32, 1, 2, 8, 0, "tensor 1: name 'a' is used twice" },
		{ "__metadata__", XPNN_F32, 1, 2, 8, 0,
		  "tensor 1: name '__metadata__' is reserved for the metadata" },
		{ "bad\xff", XPNN_F32, 1, 2, 8, 0, "tensor 1: name 'bad\xff' is not valid UTF-8" },
		{ "d", 42, 1, 2, 8, 0, "tensor 'd': dtype 42 is not an xpnn_dtype" },
		{ "d", XPNN_F32, 5, 2, 8, 0, "tensor 'd': ndim 5, legal range 0 … 4" },
		{ "d", XPNN_F32, -1, 2, 8, 0, "tensor 'd': ndim -1, legal range 0 … 4" },
		{ "d", XPNN_F32, 1, 2, 12, 0, "tensor 'd': nbytes 12, but dtype F32 and shape [2] need 8" },
		{ "d", XPNN_F32, 1, 1ull << 33, 8, 0,
		  "tensor 'd': absurd shape [8589934592]: more than 2^34 bytes of F32" },
		{ "d", XPNN_F32, 1, 1ull << 63, 8, 0, "tensor 'd': absurd shape [9223372036854775808]" },
		{ "d", XPNN_F32, 1, 2, 8, 1, "tensor 'd': data is NULL" },
	};

	tpath(p, "keep.safetensors");
	{
		const xpnn_tensor a = { "a", XPNN_F32, 1, { 2 }, 8, (void *)f2 };

		assert_int_equal(xpnn_st_write(p, &a, 1, NULL, err, sizeof(err)), 0);
	}
	before = get_file(p, &n0);
	assert_non_null(before);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		xpnn_tensor t[2] = {
			{ "a", XPNN_F32, 1, { 2 }, 8, (void *)f2 },
			{ (char *)cases[i].name, (xpnn_dtype)cases[i].dtype, cases[i].ndim,
			  { cases[i].d0 }, cases[i].nbytes, cases[i].nulldata ? NULL : (void *)f2 },
		};

		err[0] = 0;
		assert_int_equal(xpnn_st_write(p, t, 2, NULL, err, sizeof(err)), -1);
		assert_has(err, p);
		assert_has(err, cases[i].want);
	}
	/* long and NULL names */
	memset(name300, 'n', 256);
	name300[256] = 0;
	{
		xpnn_tensor t = { name300, XPNN_F32, 1, { 2 }, 8, (void *)f2 };

		assert_int_equal(xpnn_st_write(p, &t, 1, NULL, err, sizeof(err)), -1);
		assert_has(err, "is 256 bytes, expected 1 … 255");
		t.name = NULL;
		assert_int_equal(xpnn_st_write(p, &t, 1, NULL, err, sizeof(err)), -1);
		assert_has(err, "tensor 0: name '(null)' is 0 bytes");
		t.name = "x";
		assert_int_equal(xpnn_st_write(p, &t, 1, m_int, err, sizeof(err)), -1);
		assert_has(err, "metadata: the value of 'epoch' is a JSON integer, expected a string");
		assert_int_equal(xpnn_st_write(p, &t, 1, m_arr, err, sizeof(err)), -1);
		assert_has(err, "metadata is a JSON array, expected an object of strings");
		t.name = "__metadata__";
		assert_int_equal(xpnn_st_write(p, &t, 1, meta, err, sizeof(err)), -1);
		assert_has(err, "is reserved for the metadata");
	}
	after = get_file(p, &n1);
	assert_non_null(after);
	assert_int_equal(n0, n1);
	assert_memory_equal(before, after, n0);
	assert_int_equal(count_files(".tmp."), 0);
	free(before);
	free(after);
	json_decref(m_int);
	json_decref(m_arr);
	json_decref(meta);
}

/* Atomic replacement: a successful write replaces the content; a failed one (missing or
 * non-directory parent, path is a directory, a write error, no permission) leaves the old
 * file as it was and no temporary file behind. */
static void test_st_atomic(void **state)
{
	(void)state;
	static uint8_t big[65536];
	static const int32_t v1[2] = { 1, 2 }, v2[3] = { 7, 8, 9 };
	const xpnn_tensor a = { "v", XPNN_I32, 1, { 2 }, 8, (void *)v1 };
	const xpnn_tensor b = { "v", XPNN_I32, 1, { 3 }, 12, (void *)v2 };
	const xpnn_tensor c = { "big", XPNN_U8, 1, { sizeof(big) }, sizeof(big), big };
	char p[PATHLEN], q[PATHLEN + 32], err[ERRLEN], w[3 * PATHLEN];
	uint8_t *before, *after;
	size_t n0, n1;
	struct stat sb;
	xpnn_st st;

	tpath(p, "atomic.safetensors");
	assert_int_equal(xpnn_st_write(p, &a, 1, NULL, err, sizeof(err)), 0);
	assert_int_equal(xpnn_st_write(p, &b, 1, NULL, err, sizeof(err)), 0);
	assert_int_equal(xpnn_st_read(&st, p, err, sizeof(err)), 0);
	assert_int_equal(st.n, 1);
	check_same(&b, &st.t[0]);
	xpnn_st_free(&st);
	assert_int_equal(count_files(".tmp."), 0);
	before = get_file(p, &n0);
	assert_non_null(before);

	/* the parent directory does not exist / is a file */
	tpath(q, "no-such-dir/x.safetensors");
	assert_int_equal(xpnn_st_write(q, &a, 1, NULL, err, sizeof(err)), -1);
	snprintf(w, sizeof(w), "%s: cannot create %s.tmp.", q, q);
	assert_has(err, w);
	assert_has(err, "No such file or directory");
	snprintf(q, sizeof(q), "%s/x.safetensors", p);
	assert_int_equal(xpnn_st_write(q, &a, 1, NULL, err, sizeof(err)), -1);
	assert_has(err, "Not a directory");

	/* the path is a non-empty directory: the rename fails after the data was written */
	tpath(q, "is-a-dir");
	assert_int_equal(mkdir(q, 0755), 0);
	snprintf(w, sizeof(w), "%s/inside", q);
	put_file(w, "x", 1, 0);
	assert_int_equal(xpnn_st_write(q, &a, 1, NULL, err, sizeof(err)), -1);
	snprintf(w, sizeof(w), "%s: cannot rename %s.tmp.", q, q);
	assert_has(err, w);
	assert_has(err, "Is a directory");
	assert_int_equal(stat(q, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	assert_int_equal(count_files(".tmp."), 0);
	snprintf(w, sizeof(w), "%s/inside", q);
	unlink(w);
	rmdir(q);

	/* a write error mid-file (RLIMIT_FSIZE): the old file stays */
	{
		struct rlimit old, lim;
		void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);

		assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
		lim = old;
		lim.rlim_cur = 4096;
		assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
		const int rc = xpnn_st_write(p, &c, 1, NULL, err, sizeof(err));
		assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
		signal(SIGXFSZ, prev);
		assert_int_equal(rc, -1);
		snprintf(w, sizeof(w), "%s: cannot write %s.tmp.", p, p);
		assert_has(err, w);
		assert_has(err, "File too large");
		assert_int_equal(count_files(".tmp."), 0);
	}

	/* a directory without write permission (not enforced for root) */
	if (geteuid() != 0) {
		tpath(q, "ro");
		assert_int_equal(mkdir(q, 0755), 0);
		snprintf(w, sizeof(w), "%s/x.safetensors", q);
		assert_int_equal(xpnn_st_write(w, &a, 1, NULL, err, sizeof(err)), 0);
		assert_int_equal(chmod(q, 0555), 0);
		assert_int_equal(xpnn_st_write(w, &b, 1, NULL, err, sizeof(err)), -1);
		assert_has(err, "Permission denied");
		assert_int_equal(chmod(q, 0755), 0);
		assert_int_equal(xpnn_st_read(&st, w, err, sizeof(err)), 0);
		check_same(&a, &st.t[0]);
		xpnn_st_free(&st);
		unlink(w);
		rmdir(q);
	} else {
		fprintf(stderr, "test_st_atomic: running as root: the read-only directory case is "
			"not checked (root ignores permissions); the cases above cover the same path\n");
	}

	after = get_file(p, &n1);
	assert_non_null(after);
	assert_int_equal(n0, n1);
	assert_memory_equal(before, after, n0);
	free(before);
	free(after);
}

/* ---- interoperation with tests/indep/safetensors_std.py ---- */

static void script_path(char *out)
{
	const char *src = getenv("XPNN_SRCDIR");

	snprintf(out, PATHLEN, "%s/tests/indep/safetensors_std.py", src && *src ? src : ".");
	if (access(out, R_OK))
		fail_msg("cannot find %s: run from the repository root (make does) or set XPNN_SRCDIR "
			 "to it", out);
}


static double tensor_sum(const xpnn_tensor *t)
{
	const size_t k = t->nbytes / xpnn_dtype_size(t->dtype);
	double s = 0;
	int64_t si = 0;

	for (size_t i = 0; i < k; i++) {
		switch (t->dtype) {
		case XPNN_F32: s += ((const float *)t->data)[i]; break;
		case XPNN_F64: s += ((const double *)t->data)[i]; break;
		case XPNN_U8: si += ((const uint8_t *)t->data)[i]; break;
		case XPNN_I8: si += ((const int8_t *)t->data)[i]; break;
		case XPNN_U16: si += ((const uint16_t *)t->data)[i]; break;
		case XPNN_I16: si += ((const int16_t *)t->data)[i]; break;
		case XPNN_U32: si += ((const uint32_t *)t->data)[i]; break;
		case XPNN_I32: si += ((const int32_t *)t->data)[i]; break;
		case XPNN_I64: si += ((const int64_t *)t->data)[i]; break;
		}
	}
	/* Python sums integers exactly, then rounds once to a float; floats left to right */
	return t->dtype == XPNN_F32 || t->dtype == XPNN_F64 ? s : (double)si;
}

/* C writes, Python reads (names, dtypes, shapes, sums, metadata); Python writes, C reads the
 * values; C re-writes what Python wrote byte for byte; Python rejects a file with a hole. */
static void test_st_python(void **state)
{
	(void)state;
	xpnn_tensor t[NT];
	char script[PATHLEN], p[PATHLEN], q[PATHLEN], cmd[3 * PATHLEN], err[ERRLEN];
	const char *py = getenv("PYTHON");
	json_t *meta = sample_meta(), *js, *jt;
	json_error_t je;
	char *out;
	int rc;
	xpnn_st st;

	if (!py || !*py)
		py = "python3";
	script_path(script);
	sample(t);
	tpath(p, "c-written.safetensors");
	if (xpnn_st_write(p, t, NT, meta, err, sizeof(err)))
		fail_msg("%s", err);
	snprintf(cmd, sizeof(cmd), "%s '%s' --check '%s'", py, script, p);
	rc = run(cmd, &out);
	if (rc)
		fail_msg("%s: exit status %d, output: %s", cmd, rc, out);
	js = json_loads(out, 0, &je);
	if (!js)
		fail_msg("%s printed no JSON (%s): %s", cmd, je.text, out);
	assert_true(json_equal(json_object_get(js, "metadata"), meta));
	jt = json_object_get(js, "tensors");
	assert_int_equal(json_object_size(jt), NT);
	for (int i = 0; i < NT; i++) {
		const json_t *e = json_object_get(jt, t[i].name), *sh;

		if (!e)
			fail_msg("Python does not see tensor '%s'", t[i].name);
		assert_string_equal(json_string_value(json_object_get(e, "dtype")),
				    xpnn_dtype_name(t[i].dtype));
		sh = json_object_get(e, "shape");
		assert_int_equal(json_array_size(sh), t[i].ndim);
		for (int d = 0; d < t[i].ndim; d++)
			assert_int_equal(json_integer_value(json_array_get(sh, (size_t)d)), t[i].shape[d]);
		if (json_real_value(json_object_get(e, "sum")) != tensor_sum(&t[i]))
			fail_msg("tensor '%s': Python's sum %.17g, C's %.17g", t[i].name,
				 json_real_value(json_object_get(e, "sum")), tensor_sum(&t[i]));
	}
	json_decref(js);
	free(out);

	/* Python's sample, read by C */
	tpath(q, "py-written.safetensors");
	snprintf(cmd, sizeof(cmd), "%s '%s' --write-sample '%s'", py, script, q);
	rc = run(cmd, &out);
	free(out);
	if (rc)
		fail_msg("%s: exit status %d", cmd, rc);
	if (xpnn_st_read(&st, q, err, sizeof(err)))
		fail_msg("%s", err);
	{
		static const float w[6] = { -1.5f, -1.0f, 0.0f, 0.25f, 2.0f, 1e6f };
		static const int32_t bias[3] = { -7, 0, 2147483647 };
		static const double scale = 3.125;
		static const int8_t codes[4] = { -128, -1, 0, 127 };
		static const uint16_t counts[4] = { 0, 1, 300, 65535 };
		static const int64_t big[2] = { -(1ll << 62), (1ll << 40) + 1 };
		static const uint64_t s23[2] = { 2, 3 }, s3[1] = { 3 }, s22[2] = { 2, 2 },
				      s4[1] = { 4 }, s2[1] = { 2 }, s05[2] = { 0, 5 };
		const xpnn_tensor *x;

		assert_int_equal(st.n, 7);
#define GET(name, dt, nd, shape, ref)                                                     \
	do {                                                                              \
		x = xpnn_st_get(&st, name, dt, nd, shape, err, sizeof(err));              \
		if (!x)                                                                   \
			fail_msg("%s", err);                                              \
		assert_int_equal(x->nbytes, sizeof(ref));                                 \
		assert_memory_equal(x->data, &(ref), sizeof(ref));                        \
	} while (0)
		GET("weight", XPNN_F32, 2, s23, w);
		GET("bias", XPNN_I32, 1, s3, bias);
		GET("scale", XPNN_F64, 0, NULL, scale);
		GET("codes", XPNN_I8, 2, s22, codes);
		GET("counts", XPNN_U16, 1, s4, counts);
		GET("big", XPNN_I64, 1, s2, big);
#undef GET
		x = xpnn_st_get(&st, "empty", XPNN_U8, 2, s05, err, sizeof(err));
		if (!x)
			fail_msg("%s", err);
		assert_int_equal(x->nbytes, 0);
		assert_string_equal(xpnn_st_meta(&st, "format"), "xpnn-sample");
		assert_string_equal(xpnn_st_meta(&st, "writer"), "safetensors_std.py");
	}
	/* both writers are deterministic the same way: C re-writes Python's file byte for byte */
	{
		char r[PATHLEN];
		size_t n1, n2;
		uint8_t *b1, *b2;

		tpath(r, "c-rewritten.safetensors");
		if (xpnn_st_write(r, st.t, st.n, st.meta, err, sizeof(err)))
			fail_msg("%s", err);
		b1 = get_file(q, &n1);
		b2 = get_file(r, &n2);
		assert_non_null(b1);
		assert_non_null(b2);
		assert_int_equal(n1, n2);
		assert_memory_equal(b1, b2, n1);
		free(b1);
		free(b2);
	}
	xpnn_st_free(&st);

	/* the Python reader is a checker too: it rejects a file with a hole */
	st_raw(p, "{\"y\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", "12345678", 8);
	snprintf(cmd, sizeof(cmd), "%s '%s' --check '%s' 2>&1", py, script, p);
	rc = run(cmd, &out);
	if (rc == 0 || !strstr(out, "hole or overlap at byte 0"))
		fail_msg("%s: exit status %d, output: %s", cmd, rc, out);
	free(out);
	json_decref(meta);
}

/* ---- main ---- */

static int setup(void **state)
{
	const char *t = getenv("TMPDIR");

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/xpnn-test-files.XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(tmpdir)) {
		fprintf(stderr, "test_files: mkdtemp %s: %s\n", tmpdir, strerror(errno));
		return -1;
	}
	return 0;
}

/* Remove dir and what is in it, one level of subdirectories deep (what a failed test may
 * leave behind). */
static int remove_dir(const char *dir, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[PATHLEN];

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%.200s/%.200s", dir, e->d_name);
		if (unlink(p) < 0 && depth > 0)
			remove_dir(p, depth - 1);
	}
	closedir(d);
	return rmdir(dir);
}

static int teardown(void **state)
{
	(void)state;
	return remove_dir(tmpdir, 1) < 0 ? -1 : 0;
}

int main(void)
{
	const char *e = getenv("XP_SEED");

	if (e && *e)
		seed0 = strtoull(e, NULL, 10);
	fprintf(stderr, "test_files: XP_SEED=%llu (set XP_SEED to reproduce)\n",
		(unsigned long long)seed0);
	e = getenv("XP_TEST_FILTER");
	if (e && *e)
		cmocka_set_test_filter(e);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idx_roundtrip),
		cmocka_unit_test(test_idx_corrupt),
		cmocka_unit_test(test_idx_fuzz),
		cmocka_unit_test(test_idx_fashion),
		cmocka_unit_test(test_idx_fashion_errors),
		cmocka_unit_test(test_st_dtypes),
		cmocka_unit_test(test_st_roundtrip),
		cmocka_unit_test(test_st_golden),
		cmocka_unit_test(test_st_corrupt),
		cmocka_unit_test(test_st_fuzz),
		cmocka_unit_test(test_st_write_refusals),
		cmocka_unit_test(test_st_atomic),
		cmocka_unit_test(test_st_python),
	};
	return cmocka_run_group_tests_name("files", tests, setup, teardown);
}
