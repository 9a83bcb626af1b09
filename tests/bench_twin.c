/*
 * bench_twin.c — bench-twin: the main job's speed and quality (make bench).
 *
 *   - twin training throughput at batch 64 (Adam), float, quantisation-aware and
 *     hardware-aware, median of REPS timed runs; OpenBLAS on 1 and 2 threads
 *   - quality: the reference 784-64-10 trained 10 epochs; float twin, ideal board and model
 *     board (default device parameters) test accuracy: the naive deployment loss
 *   - on-board evaluation of the 10,000 test images through the model transport (in-process
 *     board, full link stack), median of REPS
 * --quick: one epoch and short timings (the smoke run of make test; no figure is asserted).
 */
#include <cblas.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchutil.h"
#include "compile.h"
#include "train.h"

static void die(const char *what, const char *msg)
{
	fprintf(stderr, "bench-twin: %s: %s\n", what, msg);
	exit(1);
}

typedef struct tctx {
	xpnn_net *n;
	xpnn_twin *t;
	xpnn_opt *o;
	const xpnn_dataset *d;
	uint32_t at;
} tctx;

/* iters training steps of batch 64 over consecutive examples */
static void train_steps(void *ctx, unsigned iters)
{
	tctx *c = ctx;
	unsigned F = c->n->width[0];

	for (unsigned i = 0; i < iters; i++) {
		if (c->at + 64 > c->d->n)
			c->at = 0;
		xpnn_twin_forward_u8(c->t, c->d->images + (size_t)c->at * F, 64, 1);
		xpnn_twin_loss(c->t, c->d->labels + c->at, 64, NULL);
		xpnn_twin_backward(c->t);
		xpnn_opt_step(c->o, c->n, c->t, 1e-3f);
		c->at += 64;
	}
}

static double train_rate(const xpnn_dataset *d, int mode, double min_s)
{
	unsigned w[3] = { 784, 64, 10 };
	xpnn_net n;
	xpnn_opt o;
	xpnn_noise nz;
	char err[512];
	xpnn_twin *t;
	double r;

	if (xpnn_net_init(&n, 2, w, 128, 4.0f, 1, err, sizeof(err)) ||
	    xpnn_opt_init(&o, &n, XPNN_OPT_ADAM, 1e-3f, err, sizeof(err)))
		die("init", err);
	if (mode >= 1 && xpnn_net_calibrate(&n, d->images, 1024, 99.99, err, sizeof(err)))
		die("calibrate", err);
	if (!(t = xpnn_twin_create(&n, 64)))
		die("twin", "out of memory");
	if (mode == 2) {
		xpnn_noise_default(&nz, 1.0f);
		xpnn_twin_set_noise(t, &nz, 1);
	}
	tctx c = { &n, t, &o, d, 0 };
	r = median_rate(train_steps, &c, 64, min_s);
	xpnn_twin_destroy(t);
	xpnn_opt_free(&o);
	xpnn_net_free(&n);
	return r;
}

typedef struct ectx {
	xpnn_board *b;
	const xpnn_dataset *d;
	float acc;
} ectx;

static void eval_all(void *ctx, unsigned iters)
{
	ectx *c = ctx;
	char err[768];

	for (unsigned i = 0; i < iters; i++)
		if (xpnn_board_eval(c->b, c->d->images, 784, c->d->labels, c->d->n, 10, NULL, &c->acc,
				    NULL, NULL, err, sizeof(err)))
			die("eval", err);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "threads", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int quick = 0, o;
	unsigned threads = 2;
	xpnn_dataset tr, te;
	char err[768], port[64];

	while ((o = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (o) {
		case 'q':
			quick = 1;
			break;
		case 't':
			threads = (unsigned)atoi(optarg);
			if (threads < 1 || threads > 64)
				die("--threads", "legal range 1 … 64");
			break;
		default:
			printf("usage: bench-twin [--quick] [--threads N (board threads, default 2)]\n");
			return o == 'h' ? 0 : 2;
		}
	}
	if (xpnn_dataset_fashion(&tr, NULL, "train", err, sizeof(err)) ||
	    xpnn_dataset_fashion(&te, NULL, "test", err, sizeof(err)))
		die("Fashion-MNIST", err);
	double min_s = quick ? 0.05 : 0.5;

	printf("bench-twin: 784-64-10, batch 64, Adam, median of %d runs%s\n", REPS,
	       quick ? " (quick: no figure is meaningful)" : "");
	openblas_set_num_threads(1);
	double r1 = train_rate(&tr, 0, min_s);
	double rq = train_rate(&tr, 1, min_s);
	double rh = train_rate(&tr, 2, min_s);
	openblas_set_num_threads(2);
	double r2 = train_rate(&tr, 0, min_s);
	openblas_set_num_threads(1);
	printf("  twin training, float, 1 BLAS thread   %9.0f samples/s  (target 50,000: %.2fx; "
	       "PyTorch 1.13 CPU measured 16,000: %.1fx)\n", r1, r1 / 50000, r1 / 16000);
	printf("  twin training, float, 2 BLAS threads  %9.0f samples/s  (%.2fx of 1 thread)\n",
	       r2, r2 / r1);
	printf("  twin training, quantisation-aware      %9.0f samples/s\n", rq);
	printf("  twin training, hardware-aware noise    %9.0f samples/s\n", rh);

	/* quality: the demo's pipeline in-process */
	unsigned w[3] = { 784, 64, 10 };
	xpnn_net n, tw;
	xpnn_train_opts to;
	xpnn_train_result res;
	xpnn_image img;
	xpnn_compile_opts co = { .calib_pct = 99.99, .warn = NULL, .ctx = NULL };
	xp_params g;
	xpnn_board *b;
	xpnn_load_stats st;

	xpnn_train_opts_default(&to);
	if (quick)
		to.epochs = 1;
	if (xpnn_net_init(&n, 2, w, 128, 4.0f, 1, err, sizeof(err)) ||
	    xpnn_train(&n, &tr, NULL, &to, &res, err, sizeof(err)))
		die("train", err);
	float af = xpnn_twin_accuracy(&n, &te, NULL);
	xp_params_default(&g);
	if (xpnn_compile(&img, &n, &g, tr.images, 1024, &co, err, sizeof(err)) ||
	    xpnn_image_twin(&img, &tw, err, sizeof(err)))
		die("compile", err);
	float ai = xpnn_twin_accuracy(&tw, &te, NULL);
	snprintf(port, sizeof(port), "model:threads=%u", threads);
	if (xpnn_open(&b, port, NULL, err, sizeof(err)))
		die(port, err);
	if (xpnn_image_program(b, &img, 0, 0, &st, NULL, NULL, err, sizeof(err)))
		die("load", err);
	ectx ec = { b, &te, 0 };
	double er = median_rate(eval_all, &ec, 1, quick ? 0.05 : 0.3);
	printf("  quality after %u epochs (%.1f s of training at %.0f samples/s):\n", to.epochs,
	       res.seconds, res.samples_per_s);
	printf("    float twin test accuracy             %6.2f %%  (target >= 88 %%)\n",
	       100.0 * af);
	printf("    ideal board (image twin)             %6.2f %%\n", 100.0 * ai);
	printf("    model board, default device model    %6.2f %%  (naive deployment loss %.2f "
	       "points)\n", 100.0 * ec.acc, 100.0 * (af - ec.acc));
	printf("  image load onto the model board        %9.4f s (%lu cells)\n", st.seconds,
	       (unsigned long)st.cells);
	printf("  on-board evaluation of %u test images  %9.4f s median, model transport, %u "
	       "board threads (target < 0.1 s)\n", te.n, 1.0 / er, threads);
	xpnn_close(b);
	xpnn_image_free(&img);
	xpnn_net_free(&tw);
	xpnn_net_free(&n);
	xpnn_dataset_free(&tr);
	xpnn_dataset_free(&te);
	return 0;
}
