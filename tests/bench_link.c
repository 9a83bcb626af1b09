/*
 * bench_link.c — bench-link: RUN through the full link stack (typed API → link → COBS/CRC →
 * model transport → board engine → C model and back) against a direct xp_chip_run call, on the
 * reference network with Fashion-MNIST inputs (make bench).
 *
 * The two are timed alternately, repetition by repetition, and the overhead ratio is the median
 * of the per-repetition ratios (link time / direct time), so machine noise hits both alike.
 * Also: CRC-32C throughput, and COBS encode + decode of a 64-image RUN payload with the
 * protocol's delimiter 7E and, for comparison, with 00 (the same encoder on the data XOR 7E).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchutil.h"
#include "testrng.h"
#include "xpnn.h"

#define NHOT 256     /* a working set that stays in the caches */
#define NSTREAM 10000 /* the whole Fashion-MNIST test set, 7.8 MB: what an evaluation streams */

static void die(const char *what, const char *msg)
{
	fprintf(stderr, "bench-link: %s: %s\n", what, msg);
	exit(1);
}

typedef struct pair {
	xp_chip *chip;
	xpnn_board *board;
	unsigned threads;
} pair;

static void setup(pair *p, unsigned threads)
{
	char port[64], err[XPNN_ERRMSG];
	xp_params prm;
	xp_netcfg cfg;
	xp_layer L[2];
	uint16_t tl[8];
	static uint8_t codes[128 * 64 * 2];
	p->threads = threads;
	xp_params_default(&prm);
	if (xp_chip_create(&p->chip, &prm, err, sizeof(err)) != XP_OK)
		die("xp_chip_create", err);
	snprintf(port, sizeof(port), "model:threads=%u,boot=1", threads);
	if (xpnn_open(&p->board, port, NULL, err, sizeof(err)) != XPNN_OK)
		die(port, err);
	rs = 42;
	for (unsigned t = 0; t < 8; t++) {
		for (size_t i = 0; i < sizeof(codes); i++)
			codes[i] = (uint8_t)rndu(16);
		if (xp_chip_write(p->chip, t, 0, 0, 128, 64, codes, NULL, err, sizeof(err)) != XP_OK)
			die("xp_chip_write", err);
		if (xpnn_write_cells(p->board, t, 0, 0, 128, 64, codes, NULL) != XPNN_OK)
			die("xpnn_write_cells", xpnn_errmsg(p->board));
	}
	xp_netcfg_reference(&cfg, L, tl);
	if (xp_chip_configure(p->chip, &cfg, err, sizeof(err)) != XP_OK)
		die("xp_chip_configure", err);
	if (xpnn_configure(p->board, &cfg, NULL) != XPNN_OK)
		die("xpnn_configure", xpnn_errmsg(p->board));
}

static void teardown(pair *p)
{
	xp_chip_destroy(p->chip);
	xpnn_close(p->board);
}

/* Median over REPS of (link time / direct time) for `iters` runs of `batch` vectors each, taken
 * in turn from the nvec vectors at x, and the median rates (inferences/s) of both. */
static void compare(pair *p, const uint8_t *x, unsigned nvec, unsigned batch, double min_s,
		    double *direct, double *link, double *ratio)
{
	static int16_t out[NHOT * 10];
	const unsigned nb = nvec / batch;
	char msg[XP_ERRMSG];
	double rd[REPS], rl[REPS], rr[REPS];
	unsigned iters = 1;
	for (;;) { /* calibrate on the direct call */
		const double t0 = now();
		for (unsigned i = 0; i < iters; i++)
			xp_chip_run(p->chip, x, batch, out, NULL, p->threads, msg, sizeof(msg));
		if (now() - t0 >= min_s / 2)
			break;
		iters *= 2;
	}
	for (int r = 0; r < REPS; r++) {
		double t0 = now();
		for (unsigned i = 0; i < iters; i++)
			xp_chip_run(p->chip, x + (size_t)(i % nb) * batch * 784, batch, out,
				    NULL, p->threads, msg, sizeof(msg));
		const double td = now() - t0;
		t0 = now();
		for (unsigned i = 0; i < iters; i++)
			if (xpnn_run(p->board, x + (size_t)(i % nb) * batch * 784, batch, 0, out,
				     NULL) != XPNN_OK)
				die("xpnn_run", xpnn_errmsg(p->board));
		const double tl = now() - t0;
		rd[r] = (double)iters * batch / td;
		rl[r] = (double)iters * batch / tl;
		rr[r] = tl / td;
	}
	qsort(rd, REPS, sizeof(double), cmp_d);
	qsort(rl, REPS, sizeof(double), cmp_d);
	qsort(rr, REPS, sizeof(double), cmp_d);
	*direct = rd[REPS / 2];
	*link = rl[REPS / 2];
	*ratio = rr[REPS / 2];
}

typedef struct frame_ctx {
	const uint8_t *body;
	size_t n;
	uint8_t *wire, *dec;
	uint32_t sink;
} frame_ctx;

static void crc_work(void *v, unsigned iters)
{
	frame_ctx *c = v;
	for (unsigned i = 0; i < iters; i++)
		c->sink += xp_crc32c(i, c->body, c->n);
}

static void cobs_work(void *v, unsigned iters)
{
	frame_ctx *c = v;
	for (unsigned i = 0; i < iters; i++) {
		xp_cobs_enc e;
		xp_cobs_dec d;
		int done, inc;
		c->wire[0] = 0x7E;
		xp_cobs_enc_init(&e, c->wire + 1);
		xp_cobs_enc_feed(&e, c->body, c->n);
		const size_t w = xp_cobs_enc_finish(&e, c->wire + 1);
		c->wire[w + 1] = 0x7E;
		xp_cobs_dec_init(&d, c->dec, c->n + 16);
		xp_cobs_dec_feed(&d, c->wire, w + 2, &done, &inc);
		c->sink += d.len;
	}
}

int main(int argc, char **argv)
{
	static const struct option lo[] = { { "threads", required_argument, 0, 't' },
					    { "quick", no_argument, 0, 'q' },
					    { "help", no_argument, 0, 'h' },
					    { 0, 0, 0, 0 } };
	unsigned threads = 2;
	double min_s = 0.2;
	int c;
	while ((c = getopt_long(argc, argv, "t:qh", lo, NULL)) != -1) {
		if (c == 't') {
			char *end;
			const unsigned long v = strtoul(optarg, &end, 10);
			if (*end || v < 1 || v > 64) {
				fprintf(stderr, "bench-link: --threads %s: legal range 1 … 64\n", optarg);
				return 2;
			}
			threads = (unsigned)v;
		} else if (c == 'q') {
			min_s = 0.02;
		} else {
			printf("usage: bench-link [--threads N] [--quick]\n"
			       "RUN throughput through the full link stack on the model transport against a\n"
			       "direct xp_chip_run call (reference network, Fashion-MNIST inputs), with the\n"
			       "overhead ratio; CRC-32C and COBS/7E throughput. Medians of %d repetitions.\n",
			       REPS);
			return c == 'h' ? 0 : 2;
		}
	}
	static uint8_t x[NSTREAM * 784];
	const char *src = "Fashion-MNIST test images";
	if (load_images(FMNIST_IMAGES, x, NSTREAM) != 0) {
		src = "synthetic images, 50 % zero pixels";
		rs = 7;
		for (size_t i = 0; i < sizeof(x); i++)
			x[i] = rndu(2) ? 0 : (uint8_t)(1 + rndu(255));
	}
	printf("bench-link: RUN through typed API + link + COBS/CRC + model transport + board engine,\n"
	       "against xp_chip_run directly; reference network 784-64-10, %s, kernel %s\n",
	       src, xp_kernel_name());
	printf("%-40s %13s %13s %7s\n", "", "direct inf/s", "link inf/s", "ratio");
	const unsigned tset[2] = { 1, threads };
	for (int k = 0; k < (threads > 1 ? 2 : 1); k++) {
		pair p;
		setup(&p, tset[k]);
		/* batch 1 and 64 on a cached working set of 256 images; batch 64 streaming the whole
		 * test set, as an evaluation does (inputs arrive from memory on both paths) */
		static const unsigned batches[] = { 1, 64, 64 }, pools[] = { NHOT, NHOT, NSTREAM };
		for (int j = 0; j < 3; j++) {
			double d, l, r;
			compare(&p, x, pools[j], batches[j], min_s, &d, &l, &r);
			char row[64];
			snprintf(row, sizeof(row), "batch %u, %u thread%s, %s", batches[j], tset[k],
				 tset[k] > 1 ? "s" : "", pools[j] == NHOT ? "256 images" : "10000 images");
			printf("%-40s %13.0f %13.0f %7.3f\n", row, d, l, r);
		}
		teardown(&p);
	}

	/* framing: a RUN request body of 64 images */
	const size_t n = 2 + 3 + 64 * 784 + 4;
	uint8_t *body = malloc(n), *wire = malloc(XP_COBS_MAX(n) + 2), *dec = malloc(n + 16);
	if (!body || !wire || !dec)
		die("framing", "out of memory");
	body[0] = XP_CMD_RUN;
	body[1] = 0;
	body[2] = 64;
	body[3] = 0;
	body[4] = 0;
	memcpy(body + 5, x, 64 * 784);
	memset(body + n - 4, 0x11, 4);
	frame_ctx fc = { body, n, wire, dec, 0 };
	const double crc = median_rate(crc_work, &fc, (double)n, min_s);
	const double c7e = median_rate(cobs_work, &fc, (double)n, min_s);
	for (size_t i = 0; i < n; i++)
		body[i] ^= 0x7E; /* zeros become the delimiter: what 00-delimited COBS would face */
	const double c00 = median_rate(cobs_work, &fc, (double)n, min_s);
	printf("CRC-32C: %.2f GB/s; COBS encode+decode of a 64-image RUN frame (%zu bytes): %.2f GB/s with delimiter 7E, %.2f GB/s with 00 (%.1fx slower)\n",
	       crc / 1e9, n, c7e / 1e9, c00 / 1e9, c7e / c00);
	free(body);
	free(wire);
	free(dec);
	return fc.sink == 1 ? 3 : 0; /* keep the work observable */
}
