/*
 * benchutil.h — what the benchmarks share: a monotonic clock, medians of repeated timed runs,
 * and the first Fashion-MNIST test images as realistic inputs.
 */
#ifndef XP_BENCHUTIL_H
#define XP_BENCHUTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <zlib.h>

#define FMNIST_IMAGES "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"


static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_d(const void *a, const void *b)
{
	const double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

#define REPS 7

/* Median rate (units/s) of fn over REPS runs of at least min_s seconds each. */
typedef void (*work_fn)(void *ctx, unsigned iters);
static double median_rate(work_fn fn, void *ctx, double units_per_iter, double min_s)
{
	double rates[REPS];
	unsigned iters = 1;
	for (;;) { /* calibrate */
		const double t0 = now();
		fn(ctx, iters);
		const double dt = now() - t0;
		if (dt >= min_s / 4)
			break;
		iters *= 2;
	}
	for (int r = 0; r < REPS; r++) {
		const double t0 = now();
		fn(ctx, iters * 4);
		rates[r] = units_per_iter * iters * 4 / (now() - t0);
	}
	qsort(rates, REPS, sizeof(double), cmp_d);
	return rates[REPS / 2];
}

/* The first n images of the IDX file (gzip), or -1 with a message. */
static inline int load_images(const char *path, uint8_t *x, unsigned n)
{
	gzFile f = gzopen(path, "rb");
	uint8_t hdr[16];
	if (!f)
		return -1;
	int ok = gzread(f, hdr, 16) == 16 && hdr[0] == 0 && hdr[1] == 0 && hdr[2] == 0x08 && hdr[3] == 3;
	const uint32_t count = (uint32_t)hdr[4] << 24 | (uint32_t)hdr[5] << 16 | (uint32_t)hdr[6] << 8 | hdr[7];
	ok = ok && count >= n && hdr[8] == 0 && hdr[9] == 0 && hdr[10] == 0 && hdr[11] == 28 &&
	     hdr[12] == 0 && hdr[13] == 0 && hdr[14] == 0 && hdr[15] == 28 &&
	     gzread(f, x, n * 784) == (int)(n * 784);
	gzclose(f);
	if (!ok)
		fprintf(stderr, "%s: not an IDX file of 28x28 images with %u images\n", path, n);
	return ok ? 0 : -1;
}

#endif /* XP_BENCHUTIL_H */
