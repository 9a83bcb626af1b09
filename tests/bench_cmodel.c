/*
 * bench_cmodel.c — bench-cmodel: throughput of the C model (make bench).
 *
 * Reports, as medians over repeated timed runs:
 *   - tile MVM throughput (MAC/s, one core) of the default 128x64 tile with noise on, for the
 *     optimised kernel and the _ref kernel, and their ratio;
 *   - whole-network inferences/s of the reference 784-64-10 network at batch 1 (one thread)
 *     and batch 256 (one thread, and --threads threads).
 * Inputs: the first 256 Fashion-MNIST test images when Debian's dataset-fashion-mnist is
 * installed; synthetic images with a given fraction of zero pixels; dense inputs (no zeros),
 * the worst case.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zlib.h>

#include "xp_cmodel.h"
#include "testrng.h"

#include "benchutil.h"

typedef struct tile_ctx {
	xp_chip *chip;
	const uint8_t *x; /* 64 vectors of 128 */
	int ref;
	uint64_t n;
} tile_ctx;

static void tile_work(void *p, unsigned iters)
{
	tile_ctx *c = p;
	int16_t code[64];
	for (unsigned i = 0; i < iters; i++, c->n++) {
		const uint8_t *x = c->x + (c->n % 64) * 128;
		if (c->ref)
			xp_chip_tile_ref(c->chip, c->n % 7, c->n, x, 64, NULL, code);
		else
			xp_chip_tile(c->chip, c->n % 7, c->n, x, 64, NULL, code);
	}
}

typedef struct net_ctx {
	xp_chip *chip;
	const uint8_t *x; /* 256 images */
	uint32_t batch;
	unsigned threads;
	int16_t *out;
} net_ctx;

static void net_work(void *p, unsigned iters)
{
	net_ctx *c = p;
	for (unsigned i = 0; i < iters; i++)
		xp_chip_run(c->chip, c->x + (size_t)(i * c->batch % 256) * 784 * (c->batch == 1), c->batch,
			    c->out, NULL, c->threads, NULL, 0);
}

static void fill(uint8_t *x, size_t n, unsigned zero_pct)
{
	for (size_t i = 0; i < n; i++)
		x[i] = rnd64() % 100 < zero_pct ? 0 : (uint8_t)(1 + rnd64() % 255);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bench-cmodel [--threads N] [--zeros PCT] [--quick] [--fixed N]\n"
		"Benchmark the C model (kernel selected here: %s). Rates are medians of %d runs.\n"
		"  --threads N   threads for the batch-256 network run (1 … 64, default 2)\n"
		"  --zeros PCT   percentage of zero pixels in the synthetic images (default 50)\n"
		"  --quick       shorter runs (for smoke tests; the figures are noisier)\n"
		"  --fixed N     no timing: run exactly N inferences (batches of 256, one thread) of the\n"
		"                reference network on Fashion-MNIST images, for instruction counting\n"
		"                (make bench-ir runs it under callgrind)\n"
		"  -h, --help    this help\n",
		xp_kernel_name(), REPS);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "threads", required_argument, NULL, 't' },
					      { "zeros", required_argument, NULL, 'z' },
					      { "quick", no_argument, NULL, 'q' },
					      { "fixed", required_argument, NULL, 'f' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	unsigned threads = 2, zeros = 50;
	double min_s = 0.25;
	long fixed = 0;
	int c;
	while ((c = getopt_long(argc, argv, "t:z:qf:h", opts, NULL)) != -1) {
		char *end;
		long v;
		switch (c) {
		case 't':
		case 'z':
			v = strtol(optarg, &end, 10);
			if (*end || v < (c == 't' ? 1 : 0) || v > (c == 't' ? 64 : 100)) {
				fprintf(stderr, "bench-cmodel: --%s %s: must be an integer %s\n",
					c == 't' ? "threads" : "zeros", optarg, c == 't' ? "1 … 64" : "0 … 100");
				return 2;
			}
			*(c == 't' ? &threads : &zeros) = (unsigned)v;
			break;
		case 'q': min_s = 0.02; break;
		case 'f':
			fixed = strtol(optarg, &end, 10);
			if (*end || fixed < 1 || fixed > 1000000) {
				fprintf(stderr, "bench-cmodel: --fixed %s: must be an integer 1 … 1000000\n", optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}

	xp_params p;
	xp_chip *chip;
	char m[XP_ERRMSG];
	xp_layer layers[2];
	uint16_t tiles[8];
	xp_netcfg cfg;
	rs = 12345;
	xp_params_default(&p);
	if (xp_chip_create(&chip, &p, m, sizeof(m)) != XP_OK) {
		fprintf(stderr, "bench-cmodel: %s\n", m);
		return 1;
	}
	uint8_t *codes = malloc(128 * 64 * 2), *x = malloc(256 * 784), *xt = malloc(64 * 128);
	int16_t *out = calloc(256 * 10, sizeof(int16_t));
	for (unsigned t = 0; t < 8; t++) {
		for (size_t i = 0; i < 128 * 64 * 2; i++)
			codes[i] = (uint8_t)(rnd64() % 16);
		xp_chip_write(chip, t, 0, 0, 128, 64, codes, NULL, NULL, 0);
		xp_adc adc[64];
		for (int k = 0; k < 64; k++)
			adc[k] = (xp_adc){ .gain = 200, .shift = 12, .offset = 0 };
		xp_chip_set_adc(chip, t, 0, 64, adc, NULL, 0);
	}
	xp_netcfg_reference(&cfg, layers, tiles);
	layers[0].amul = 128;
	layers[0].ash = 8;
	xp_chip_configure(chip, &cfg, NULL, 0);

	if (fixed) {
		if (load_images(FMNIST_IMAGES, x, 256) != 0)
			fill(x, 256 * 784, zeros);
		for (long done = 0; done < fixed; done += 256)
			xp_chip_run(chip, x, (uint32_t)(fixed - done < 256 ? fixed - done : 256), out, NULL, 1, NULL, 0);
		printf("bench-cmodel: ran %ld inferences (kernel %s)\n", fixed, xp_kernel_name());
		goto done;
	}
	printf("bench-cmodel: kernel %s, %u threads, images with %u %% zero pixels, median of %d runs\n",
	       xp_kernel_name(), threads, zeros, REPS);
	/* tile MVM, one core, noise on, dense inputs (the MAC rate counts every cell) */
	fill(xt, 64 * 128, 0);
	tile_ctx tc = { chip, xt, 0, 0 };
	const double macs = 128.0 * 64;
	const double opt = median_rate(tile_work, &tc, macs, min_s);
	tc.ref = 1;
	const double ref = median_rate(tile_work, &tc, macs, min_s);
	printf("tile 128x64 MVM+noise+ADC, 1 thread, dense: optimised %.3g MAC/s, _ref %.3g MAC/s, ratio %.1f\n",
	       opt, ref, opt / ref);

	for (int kind = 0; kind < 3; kind++) {
		static const char *const names[3] = { "Fashion-MNIST", "synthetic", "dense" };
		if (kind == 0 && load_images(FMNIST_IMAGES, x, 256) != 0) {
			printf("network 784-64-10, Fashion-MNIST inputs: skipped (%s not readable)\n", FMNIST_IMAGES);
			continue;
		}
		if (kind > 0)
			fill(x, 256 * 784, kind == 2 ? 0 : zeros);
		net_ctx nc = { chip, x, 1, 1, out };
		const double b1 = median_rate(net_work, &nc, 1, min_s);
		nc.batch = 256;
		const double b256_1 = median_rate(net_work, &nc, 256, min_s);
		nc.threads = threads;
		const double b256_n = median_rate(net_work, &nc, 256, min_s);
		printf("network 784-64-10, %s inputs: batch 1: %.0f inf/s; batch 256: %.0f inf/s (1 thread), %.0f inf/s (%u threads)\n",
		       names[kind], b1, b256_1, b256_n, threads);
	}
done:
	free(codes);
	free(x);
	free(xt);
	free(out);
	xp_chip_destroy(chip);
	return 0;
}
