/*
 * test_twin.c — the digital twin (host/twin.h, host/train.h), the compiler and the image file
 * (host/compile.h), deployment to a board, and the model file:
 *   - backward pass against central finite differences (float pass, ADC clamps, ReLU clip);
 *   - training reaches 100 % on a separable set and repeats bit for bit for a seed;
 *   - the image twin computes what an ideal board (the C model, xp_chip) computes;
 *   - images and models survive save/load exactly, and corrupt files are refused with a
 *     message naming the file and what is wrong, leaving the struct zeroed;
 *   - a network or image that does not fit is refused before anything reaches the board.
 *
 * Random cases use XP_SEED (printed); XP_TEST_FILTER selects tests (e.g. "test_twin_*").
 * tests/indep/safetensors_std.py is found from the working directory or $XPNN_SRCDIR.
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "compile.h"
#include "safetensors.h"
#include "testrng.h"
#include "testrun.h"
#include "train.h"
#include "twin.h"
#include "xpnn.h"

#define PATHLEN 512
#define ERRLEN 1024

/* ---- tolerances ---- */

/* Finite differences: the twin computes in float32. Central differences with a step of 5e-3
 * have truncation and rounding errors of a few 1e-5 on gradients of up to ~0.5 (measured over
 * seeds 1 … 300: at most 0.25 of the element tolerance and a relative error of 3.9e-4 of the
 * whole gradient); a sign error, a wrong factor or a missing
 * term is off by the gradient itself.
 * Kinks: a parameter whose ±eps move could carry a clamped partial sum, a ReLU input or a
 * clipped activation across its kink for some example (bounded with the double-precision
 * reference pass, see near_kink) is skipped: there the difference quotient is meaningless. */
#define FD_EPS 5e-3f      /* step on each parameter */
#define FD_RTOL 1e-2      /* per element: |g - fd| <= FD_ATOL + FD_RTOL * max(|g|, |fd|) */
#define FD_ATOL 1e-4
#define FD_NORM_TOL 5e-3  /* all checked elements: ||g - fd|| <= FD_NORM_TOL * ||fd|| */
#define FD_KINK 1.1       /* skip a parameter whose ±eps move comes within 1.1x of a kink */
#define FD_MIN_CHECK 0.5  /* at least this fraction of the parameters is compared … */
#define FD_MIN_CHECK_L1 20 /* … or this many when layer 1 clamps: a layer-0 parameter moves
			    * every logit of every example, so most are near some kink */
#define FD_B 12           /* examples in the finite-difference batch (at most) */

/* Twin vs ideal board: tolerance zero. With quantisation on and noise off, the twin computes
 * the column sums Σ x_code · (k+ - k-) exactly (integers in float, below 2^24) and each ADC
 * conversion as round(sum · step · gain / 2^shift) in double, exact too: every output S equals
 * the board's, rounding ties (k + 1/2 exactly) included. The test also computes the board's
 * arithmetic in integers from numerics §6-§9 (ideal_board, which must equal the C model bit for
 * bit) and counts the vectors that hit a tie, so the report shows ties are exercised (1 … 23 %
 * of the vectors, depending on the bit widths). */
#define CMP_TIE 1e-4 /* a conversion this close (in codes) to k + 1/2 is a tie */

static uint64_t seed0 = 1;
static char tmpdir[200];

#define assert_has(msg, sub)                                                             \
	do {                                                                             \
		if (!strstr((msg), (sub)))                                               \
			fail_msg("message \"%s\"\n  lacks \"%s\"", (msg), (sub));        \
	} while (0)

static void tpath(char *buf, const char *name)
{
	snprintf(buf, PATHLEN, "%s/%s", tmpdir, name);
}

static float frand(void) /* [0, 1) */
{
	return (float)(rnd64() >> 40) * (1.0f / 16777216.0f);
}

static int all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return 0;
	return 1;
}

/* ======================================================================================
 * 1. Gradients against finite differences
 * ====================================================================================== */

typedef struct gcase {
	unsigned width[3];  /* a two-layer net */
	unsigned rows;
	double act_frac;    /* > 0: act_clip where this fraction of positive hidden units is above */
	double clamp_frac[2]; /* > 0: adc_clip[l] where this fraction of layer l's partials is out */
	uint64_t seed;
	unsigned B;         /* examples, 1 … FD_B */
} gcase;

/* A double-precision forward pass written from twin.h's description: per row block of
 * `rows` (bias row = row n_in, in its block) the partial sum, clamped to [-clip * 128/127,
 * clip] (the ADC's code range AMIN … AMAX scaled) when adc_clip > 0; hidden layers ReLU
 * clipped at act_clip. Used to check the twin's forward pass and to find kinks. */
typedef struct ref {
	unsigned L, nrb[XP_MAX_LAYERS];
	double *x[XP_MAX_LAYERS + 1]; /* (B, width[l]): inputs of layer l; x[L]: logits */
	double *p[XP_MAX_LAYERS];     /* (B, nrb, n_out): block partial sums before the clamp */
	double *h[XP_MAX_LAYERS];     /* (B, n_out): pre-activation */
} ref;

static void ref_free(ref *r)
{
	for (unsigned l = 0; l <= XP_MAX_LAYERS; l++)
		free(r->x[l]);
	for (unsigned l = 0; l < XP_MAX_LAYERS; l++) {
		free(r->p[l]);
		free(r->h[l]);
	}
	memset(r, 0, sizeof(*r));
}

static double clamp_lo(const xpnn_net *n, unsigned l)
{
	double amax = (double)((1 << (n->adc_bits - 1)) - 1);

	return -(double)n->adc_clip[l] * (amax + 1.0) / amax;
}

static void ref_forward(const xpnn_net *n, const float *x, unsigned B, ref *r)
{
	memset(r, 0, sizeof(*r));
	r->L = n->nlayers;
	r->x[0] = malloc(sizeof(double) * B * n->width[0]);
	assert_non_null(r->x[0]);
	for (size_t k = 0; k < (size_t)B * n->width[0]; k++)
		r->x[0][k] = x[k];
	for (unsigned l = 0; l < n->nlayers; l++) {
		unsigned ni = n->width[l], no = n->width[l + 1], R = n->rows;
		unsigned nrb = (ni + 1 + R - 1) / R;
		int hidden = l + 1 < n->nlayers;

		r->nrb[l] = nrb;
		r->p[l] = malloc(sizeof(double) * B * nrb * no);
		r->h[l] = malloc(sizeof(double) * B * no);
		r->x[l + 1] = malloc(sizeof(double) * B * no);
		assert_true(r->p[l] && r->h[l] && r->x[l + 1]);
		for (unsigned b = 0; b < B; b++)
			for (unsigned j = 0; j < no; j++) {
				double h = 0.0;

				for (unsigned rb = 0; rb < nrb; rb++) {
					double p = 0.0;

					for (unsigned i = rb * R; i < (rb + 1) * R && i <= ni; i++)
						p += i < ni ? (double)n->w[l][(size_t)j * ni + i] *
							      r->x[l][(size_t)b * ni + i] :
							      (double)n->b[l][j];
					r->p[l][((size_t)b * nrb + rb) * no + j] = p;
					if (n->adc_clip[l] > 0.0f)
						p = fmin(fmax(p, clamp_lo(n, l)), n->adc_clip[l]);
					h += p;
				}
				r->h[l][(size_t)b * no + j] = h;
				r->x[l + 1][(size_t)b * no + j] =
					hidden ? fmin(fmax(h, 0.0), n->act_clip[l]) : h;
			}
	}
}

/* Does moving parameter (l, j, i) — i == n_in is the bias — by up to ±eps bring a clamp or
 * ReLU kink within reach for some example? The change of every value downstream is bounded
 * (clamps and the ReLU clip are 1-Lipschitz) and compared with its distance to its kinks. */
static int near_kink(const xpnn_net *n, const ref *r, unsigned B, unsigned l0, unsigned j0,
		     unsigned i0, double eps)
{
	static double dx[XP_MAX_WIDTH], dh[XP_MAX_WIDTH];

	for (unsigned b = 0; b < B; b++) {
		unsigned ni0 = n->width[l0];
		double d0 = FD_KINK * eps * (i0 < ni0 ? fabs(r->x[l0][(size_t)b * ni0 + i0]) : 1.0);

		for (unsigned l = l0; l < n->nlayers; l++) {
			unsigned ni = n->width[l], no = n->width[l + 1], R = n->rows, nrb = r->nrb[l];

			for (unsigned k = 0; k < no; k++) {
				dh[k] = 0.0;
				for (unsigned rb = 0; rb < nrb; rb++) {
					double dp = 0.0;

					if (l == l0) {
						dp = k == j0 && rb == i0 / R ? d0 : 0.0;
					} else {
						for (unsigned i = rb * R; i < (rb + 1) * R && i < ni; i++)
							dp += fabs((double)n->w[l][(size_t)k * ni + i]) *
							      dx[i];
					}
					if (dp > 0.0 && n->adc_clip[l] > 0.0f) {
						double p = r->p[l][((size_t)b * nrb + rb) * no + k];

						if (fabs(p - n->adc_clip[l]) <= dp ||
						    fabs(p - clamp_lo(n, l)) <= dp)
							return 1;
					}
					dh[k] += dp;
				}
			}
			if (l + 1 < n->nlayers)
				for (unsigned k = 0; k < no; k++) {
					double h = r->h[l][(size_t)b * no + k];

					if (dh[k] > 0.0 &&
					    (fabs(h) <= dh[k] || fabs(h - n->act_clip[l]) <= dh[k]))
						return 1;
					dx[k] = dh[k];
				}
		}
	}
	return 0;
}

#define GMAX 512 /* parameters of a case (fixed arrays: nothing leaks when a check fails) */

typedef struct gres {
	size_t n;       /* parameters: per layer dw (n_out, n_in) then db (n_out) */
	float g[GMAX];  /* the twin's gradient */
	double fd[GMAX]; /* central differences */
	uint8_t skip[GMAX]; /* 1: a kink within reach, not compared */
	unsigned nskip;
	unsigned clamped;   /* block partial sums outside the ADC clamp (all layers) */
	unsigned clamped_last; /* those of the last layer */
	unsigned clipped;   /* hidden pre-activations above act_clip */
	unsigned negative;  /* hidden pre-activations below 0 */
	float loss;
} gres;

typedef struct gstat {
	unsigned checked, bad, first_bad;
	double worst;       /* largest |g - fd| / (FD_ATOL + FD_RTOL * max(|g|, |fd|)) */
	double rel_norm;    /* ||g - fd|| / ||fd|| over the checked elements */
} gstat;

/* Compare a gradient with the finite differences; returns the number of mismatches (an
 * element out of tolerance, or the whole vector's relative error above FD_NORM_TOL). */
static unsigned gcompare(const float *g, const double *fd, const uint8_t *skip, size_t n,
			 gstat *s)
{
	double e2 = 0.0, f2 = 0.0;

	memset(s, 0, sizeof(*s));
	for (size_t k = 0; k < n; k++) {
		double d, tol;

		if (skip[k])
			continue;
		s->checked++;
		d = fabs((double)g[k] - fd[k]);
		tol = FD_ATOL + FD_RTOL * fmax(fabs((double)g[k]), fabs(fd[k]));
		if (d / tol > s->worst)
			s->worst = d / tol;
		if (d > tol && s->bad++ == 0)
			s->first_bad = (unsigned)k;
		e2 += d * d;
		f2 += fd[k] * fd[k];
	}
	s->rel_norm = f2 > 0.0 ? sqrt(e2 / f2) : sqrt(e2);
	return s->bad + (s->rel_norm > FD_NORM_TOL);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The value below which a fraction 1 - frac of v[0 … n-1] lies (v is sorted). */
static float quantile_above(double *v, size_t n, double frac)
{
	size_t k = (size_t)((1.0 - frac) * (double)n);

	assert_true(n > 0);
	qsort(v, n, sizeof(double), cmp_double);
	return (float)v[k < n ? k : n - 1];
}

/* The net, data and labels of a case: He weights from the seed, random biases, inputs in
 * [0, 1), random labels; the clips placed so that the wanted fractions are cut (measured with
 * the reference pass, layer after layer). */
static void gcase_net(const gcase *c, xpnn_net *n, float *x, uint8_t *y)
{
	char err[ERRLEN];
	ref r;
	static double v[FD_B * XP_MAX_WIDTH * 4];

	if (xpnn_net_init(n, 2, c->width, c->rows, 100.0f, c->seed, err, sizeof(err)))
		fail_msg("%s", err);
	rs = c->seed * 7919 + 5;
	for (unsigned l = 0; l < 2; l++)
		for (unsigned j = 0; j < c->width[l + 1]; j++)
			n->b[l][j] = l ? 0.6f * frand() - 0.3f : 0.4f * frand() - 0.1f;
	for (unsigned k = 0; k < c->B * c->width[0]; k++)
		x[k] = frand();
	for (unsigned b = 0; b < c->B; b++)
		y[b] = (uint8_t)rndu(c->width[2]);
	for (unsigned l = 0; l < 2; l++) {
		size_t m = 0;

		if (c->clamp_frac[l] > 0.0) {
			ref_forward(n, x, c->B, &r);
			for (size_t k = 0; k < (size_t)c->B * r.nrb[l] * c->width[l + 1]; k++)
				v[m++] = fabs(r.p[l][k]);
			ref_free(&r);
			n->adc_clip[l] = quantile_above(v, m, c->clamp_frac[l]);
		}
		if (l == 0 && c->act_frac > 0.0) {
			ref_forward(n, x, c->B, &r);
			for (size_t k = 0; k < (size_t)c->B * c->width[1]; k++)
				if (r.h[0][k] > 0.0)
					v[m++] = r.h[0][k];
			ref_free(&r);
			n->act_clip[0] = quantile_above(v, m, c->act_frac);
		}
	}
}

static float loss_of(xpnn_twin *t, const float *x, const uint8_t *y, unsigned B)
{
	xpnn_twin_forward(t, x, B, 0);
	return xpnn_twin_loss(t, y, B, NULL);
}

static void grad_run(const gcase *c, gres *r)
{
	xpnn_net n;
	ref rf;
	static float x[FD_B * XP_MAX_WIDTH];
	uint8_t y[FD_B];
	xpnn_twin *t;
	size_t k = 0;
	const unsigned B = c->B;

	assert_true(B >= 1 && B <= FD_B);
	memset(r, 0, sizeof(*r));
	gcase_net(c, &n, x, y);
	t = xpnn_twin_create(&n, B);
	assert_non_null(t);
	for (unsigned l = 0; l < 2; l++)
		r->n += (size_t)(c->width[l] + 1) * c->width[l + 1];
	assert_true(r->n <= GMAX);

	/* the twin's forward pass against the double-precision one */
	ref_forward(&n, x, B, &rf);
	{
		const float *z = xpnn_twin_forward(t, x, B, 0);
		unsigned K = c->width[2];

		for (unsigned i = 0; i < B * K; i++)
			if (fabs((double)z[i] - rf.x[2][i]) > 1e-4)
				fail_msg("forward pass: logit %u = %.7g, reference %.7g", i,
					 (double)z[i], rf.x[2][i]);
	}
	for (unsigned l = 0; l < 2; l++) {
		unsigned no = c->width[l + 1];

		for (size_t m = 0; m < (size_t)B * rf.nrb[l] * no; m++) {
			unsigned cl = n.adc_clip[l] > 0.0f && (rf.p[l][m] >= n.adc_clip[l] ||
							       rf.p[l][m] <= clamp_lo(&n, l));

			r->clamped += cl;
			r->clamped_last += l == 1 ? cl : 0;
		}
	}
	for (size_t m = 0; m < (size_t)B * c->width[1]; m++) {
		r->clipped += rf.h[0][m] > n.act_clip[0];
		r->negative += rf.h[0][m] < 0.0;
	}

	/* analytic gradient */
	xpnn_twin_forward(t, x, B, 1);
	r->loss = xpnn_twin_loss(t, y, B, NULL);
	xpnn_twin_backward(t);
	for (unsigned l = 0; l < 2; l++) {
		size_t nw = (size_t)c->width[l] * c->width[l + 1];

		memcpy(r->g + k, xpnn_twin_dw(t, l), sizeof(float) * nw);
		memcpy(r->g + k + nw, xpnn_twin_db(t, l), sizeof(float) * c->width[l + 1]);
		k += nw + c->width[l + 1];
	}

	/* central differences of the mean cross-entropy, with the steps float really took */
	k = 0;
	for (unsigned l = 0; l < 2; l++) {
		unsigned ni = c->width[l], no = c->width[l + 1];

		for (unsigned part = 0; part < 2; part++)
			for (unsigned j = 0; j < no; j++)
				for (unsigned i = 0; i < (part ? 1u : ni); i++, k++) {
					float *p = part ? &n.b[l][j] : &n.w[l][(size_t)j * ni + i];
					const float v = *p;
					float lp, lm, hp, hm;

					*p = v + FD_EPS;
					hp = *p - v;
					lp = loss_of(t, x, y, B);
					*p = v - FD_EPS;
					hm = v - *p;
					lm = loss_of(t, x, y, B);
					*p = v;
					r->fd[k] = ((double)lp - (double)lm) / ((double)hp + (double)hm);
					r->skip[k] = (uint8_t)near_kink(&n, &rf, B, l, j,
									part ? ni : i,
									FD_EPS);
					r->nskip += r->skip[k];
				}
	}
	/* the order above is dw row by row then db: the same layout as r->g */
	assert_int_equal(k, r->n);
	/* restoring the parameters restored the loss exactly */
	assert_true(loss_of(t, x, y, B) == r->loss);
	xpnn_twin_destroy(t);
	ref_free(&rf);
	xpnn_net_free(&n);
}

static void expect_match(const gres *r, const char *what, unsigned min_checked)
{
	gstat s;
	unsigned bad = gcompare(r->g, r->fd, r->skip, r->n, &s);

	fprintf(stderr, "  grad %s: %u of %zu compared (%u near a kink), worst %.3f of tolerance, "
		"relative error %.2e; %u clamped partial sums, %u clipped, %u negative\n", what,
		s.checked, r->n, r->nskip, s.worst, s.rel_norm, r->clamped, r->clipped, r->negative);
	if (bad)
		fail_msg("grad %s: %u elements out of tolerance, first #%u: twin %.6g, finite "
			 "difference %.6g; relative error of the whole gradient %.3g (limit %g)",
			 what, s.bad, s.first_bad, (double)r->g[s.first_bad], r->fd[s.first_bad],
			 s.rel_norm, FD_NORM_TOL);
	if (s.checked < min_checked)
		fail_msg("grad %s: %u of %zu parameters compared (the others near a kink), fewer "
			 "than %u", what, s.checked, r->n, min_checked);
}

/* How many elements of a and b differ by more than the comparison tolerance. */
static unsigned grad_differ(const gres *a, const gres *b)
{
	unsigned d = 0;

	assert_int_equal(a->n, b->n);
	for (size_t k = 0; k < a->n; k++)
		d += fabs((double)a->g[k] - b->g[k]) >
		     FD_ATOL + FD_RTOL * fmax(fabs((double)a->g[k]), fabs((double)b->g[k]));
	return d;
}

static void test_twin_grad_fd(void **state)
{
	(void)state;
	const gcase base = { { 13, 7, 5 }, 4, 0.0, { 0.0, 0.0 }, seed0, FD_B };
	gcase c;
	static gres ra, rb, rc;
	gstat s;

	/* (a) float pass, no clamp: 14 rows in 4 blocks, 8 rows in 2 */
	grad_run(&base, &ra);
	expect_match(&ra, "(a) float", (unsigned)(FD_MIN_CHECK * ra.n));
	assert_int_equal(ra.clamped, 0); /* nothing clamped or clipped */
	assert_int_equal(ra.clipped, 0);
	assert_true(ra.negative > 0); /* the ReLU is active: some units are cut */

	/* mutation sanity: the comparison catches a wrong gradient */
	{
		static float g[GMAX];
		size_t big = 0, small = ra.n;

		for (size_t k = 0; k < ra.n; k++) {
			if (!ra.skip[k] && (ra.skip[big] || fabsf(ra.g[k]) > fabsf(ra.g[big])))
				big = k;
			if (!ra.skip[k] && fabsf(ra.g[k]) > 2e-2f &&
			    (small == ra.n || fabsf(ra.g[k]) < fabsf(ra.g[small])))
				small = k;
		}
		assert_true(small < ra.n && !ra.skip[big] && fabsf(ra.g[big]) > 2e-2f);
		memcpy(g, ra.g, sizeof(float) * ra.n);
		g[big] = -g[big]; /* a sign error on one entry */
		assert_true(gcompare(g, ra.fd, ra.skip, ra.n, &s) > 0);
		memcpy(g, ra.g, sizeof(float) * ra.n);
		g[small] *= 1.05f; /* 5 % off on the smallest entry above 0.02 */
		assert_true(gcompare(g, ra.fd, ra.skip, ra.n, &s) > 0);
		assert_int_equal(s.first_bad, small);
		memcpy(g, ra.g, sizeof(float) * ra.n);
		/* a missing term: layer 0's bias gradient left at zero */
		memset(g + 13 * 7, 0, sizeof(float) * 7);
		assert_true(gcompare(g, ra.fd, ra.skip, ra.n, &s) > 0);
		memcpy(g, ra.g, sizeof(float) * ra.n);
		assert_int_equal(gcompare(g, ra.fd, ra.skip, ra.n, &s), 0);
	}

	/* (b) ADC clamp on layer 0's block partial sums: clamped partials pass no gradient */
	c = base;
	c.clamp_frac[0] = 0.3;
	grad_run(&c, &rb);
	expect_match(&rb, "(b) adc_clip layer 0", (unsigned)(FD_MIN_CHECK * rb.n));
	assert_true(rb.clamped >= FD_B * 4 * 7 / 4); /* about 30 % */
	assert_true(grad_differ(&ra, &rb) > 10); /* the clamp changed the gradient */

	/* (b') layer 1's partial sums clamped */
	c = base;
	c.clamp_frac[1] = 0.2;
	grad_run(&c, &rb);
	expect_match(&rb, "(b') adc_clip layer 1", FD_MIN_CHECK_L1);
	assert_true(rb.clamped_last >= FD_B * 2 * 5 / 10); /* about 20 % */
	assert_true(grad_differ(&ra, &rb) > 3);

	/* (c) hidden ReLU clip below the largest activations */
	c = base;
	c.act_frac = 0.25;
	grad_run(&c, &rc);
	expect_match(&rc, "(c) act_clip", (unsigned)(FD_MIN_CHECK * rc.n));
	assert_true(rc.clipped >= 3); /* a quarter of the positive units */
	assert_true(grad_differ(&ra, &rc) > 3);
}

/* A layer whose rows (inputs + bias) fit one tile has a single row block: its partial sum
 * is the whole pre-activation, and the ADC clamp still applies to it in the forward pass, so
 * a clamped sum must pass no gradient either (a regression test: the backward pass once
 * masked clamped partial sums only in layers of more than one row block). */
static void test_twin_grad_fd_one_block(void **state)
{
	(void)state;
	gcase c = { { 13, 7, 5 }, 16, 0.0, { 0.3, 0.0 }, seed0 + 1, FD_B };
	static gres r;

	/* (d) layer 0 (14 rows) clamped */
	grad_run(&c, &r);
	assert_true(r.clamped >= FD_B * 7 / 4); /* about 30 % */
	expect_match(&r, "(d) adc_clip layer 0, one row block", (unsigned)(FD_MIN_CHECK * r.n));
	/* (d') layer 1 (8 rows) clamped */
	c.clamp_frac[0] = 0.0;
	c.clamp_frac[1] = 0.3;
	c.B = 8;
	grad_run(&c, &r);
	assert_true(r.clamped_last >= 8 * 5 / 5); /* about 30 % */
	expect_match(&r, "(d') adc_clip layer 1, one row block", FD_MIN_CHECK_L1);
}

/* ======================================================================================
 * 2./3. Training
 * ====================================================================================== */

/* n examples of 16 pixels, 4 classes: class c has pixels 4c … 4c+3 bright (170 … 255), the
 * others dark (0 … 69): separable with a wide margin. */
static void tiny_set(xpnn_dataset *d, unsigned n, uint64_t seed)
{
	memset(d, 0, sizeof(*d));
	d->n = n;
	d->rows = 4;
	d->cols = 4;
	d->nclasses = 4;
	d->images = malloc((size_t)n * 16);
	d->labels = malloc(n);
	assert_true(d->images && d->labels);
	rs = seed;
	for (unsigned i = 0; i < n; i++) {
		unsigned c = i % 4;

		d->labels[i] = (uint8_t)c;
		for (unsigned f = 0; f < 16; f++)
			d->images[(size_t)i * 16 + f] =
				(uint8_t)(f / 4 == c ? 170 + rndu(86) : rndu(70));
	}
}

typedef struct prog_count {
	unsigned calls, epoch_ends, last_epoch;
} prog_count;

static void count_progress(void *ctx, const xpnn_train_progress *p)
{
	prog_count *c = ctx;

	c->calls++;
	if (p->epoch_end) {
		c->epoch_ends++;
		c->last_epoch = p->epoch;
	}
}

static void test_twin_tiny_100(void **state)
{
	(void)state;
	const unsigned width[3] = { 16, 8, 4 };
	xpnn_dataset d;
	xpnn_net n;
	xpnn_train_opts o;
	xpnn_train_result res;
	prog_count pc = { 0, 0, 0 };
	uint32_t conf[16];
	char err[ERRLEN];

	tiny_set(&d, 200, seed0 + 100);
	if (xpnn_net_init(&n, 2, width, 8, 4.0f, seed0, err, sizeof(err)))
		fail_msg("%s", err);
	xpnn_train_opts_default(&o);
	o.epochs = 30;
	o.batch = 16;
	o.opt = XPNN_OPT_ADAM;
	o.lr = 1e-2f;
	o.seed = seed0;
	o.progress = count_progress;
	o.ctx = &pc;
	if (xpnn_train(&n, &d, &d, &o, &res, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(res.epochs_done, 30);
	assert_int_equal(pc.epoch_ends, 30);
	assert_int_equal(pc.last_epoch, 30);
	assert_true(res.loss < 0.25f); /* last epoch's running mean; ≤ 0.12 over seeds 1 … 300 */
	assert_true(res.train_acc >= 0.95f);
	assert_true(res.test_acc == 1.0f); /* the test set is the training set here */
	assert_true(xpnn_twin_accuracy(&n, &d, conf) == 1.0f);
	for (unsigned a = 0; a < 4; a++)
		for (unsigned b = 0; b < 4; b++)
			assert_int_equal(conf[a * 4 + b], a == b ? 50 : 0);

	/* refusals: a data set that does not fit the network */
	d.cols = 3;
	assert_int_equal(xpnn_train(&n, &d, NULL, &o, &res, err, sizeof(err)), -1);
	assert_has(err, "training set: examples of 4x3 = 12 features, but the network takes 16");
	d.cols = 4;
	d.nclasses = 5;
	assert_int_equal(xpnn_train(&n, &d, NULL, &o, &res, err, sizeof(err)), -1);
	assert_has(err, "5 classes");
	d.nclasses = 4;
	o.lr = 0.0f;
	assert_int_equal(xpnn_train(&n, &d, NULL, &o, &res, err, sizeof(err)), -1);
	assert_has(err, "learning rate");
	xpnn_net_free(&n);
	xpnn_dataset_free(&d);
}

static void train_copy(const xpnn_net *init, const xpnn_dataset *d, uint64_t seed, int hw,
		       xpnn_net *out)
{
	xpnn_train_opts o;
	xpnn_train_result res;
	char err[ERRLEN];

	if (xpnn_net_copy(out, init, err, sizeof(err)))
		fail_msg("%s", err);
	xpnn_train_opts_default(&o);
	o.epochs = 4;
	o.batch = 16;
	o.lr = 1e-2f;
	o.seed = seed;
	o.hw_aware = hw;
	o.quant = hw;
	o.calib_n = 64;
	if (xpnn_train(out, d, NULL, &o, &res, err, sizeof(err)))
		fail_msg("%s", err);
}

static int same_weights(const xpnn_net *a, const xpnn_net *b)
{
	for (unsigned l = 0; l < a->nlayers; l++)
		if (memcmp(a->w[l], b->w[l], sizeof(float) * a->width[l] * a->width[l + 1]) ||
		    memcmp(a->b[l], b->b[l], sizeof(float) * a->width[l + 1]))
			return 0;
	return 1;
}

static void test_twin_deterministic(void **state)
{
	(void)state;
	const unsigned width[3] = { 16, 8, 4 };
	xpnn_dataset d;
	xpnn_net init, init2, a, b, c;
	char err[ERRLEN];

	tiny_set(&d, 200, seed0 + 200);
	if (xpnn_net_init(&init, 2, width, 8, 4.0f, seed0, err, sizeof(err)) ||
	    xpnn_net_init(&init2, 2, width, 8, 4.0f, seed0, err, sizeof(err)))
		fail_msg("%s", err);
	assert_true(same_weights(&init, &init2));
	xpnn_net_free(&init2);
	if (xpnn_net_init(&init2, 2, width, 8, 4.0f, seed0 + 1, err, sizeof(err)))
		fail_msg("%s", err);
	assert_false(same_weights(&init, &init2));
	xpnn_net_free(&init2);
	/* float training, then hardware-aware quantised training (noise, calibration) */
	for (int hw = 0; hw < 2; hw++) {
		train_copy(&init, &d, seed0 + 5, hw, &a);
		train_copy(&init, &d, seed0 + 5, hw, &b);
		train_copy(&init, &d, seed0 + 6, hw, &c);
		assert_false(same_weights(&a, &init)); /* training moved the weights */
		assert_true(same_weights(&a, &b));
		assert_false(same_weights(&a, &c));
		assert_int_equal(a.quant, hw);
		if (hw) {
			assert_memory_equal(a.q[0].cg, b.q[0].cg,
					    sizeof(float) * xpnn_net_nrb(&a, 0) * 8);
			assert_true(a.adc_clip[1] == b.adc_clip[1] && a.adc_clip[1] > 0.0f);
		}
		xpnn_net_free(&a);
		xpnn_net_free(&b);
		xpnn_net_free(&c);
	}
	xpnn_net_free(&init);
	xpnn_dataset_free(&d);
}

/* ======================================================================================
 * 4. Image twin against the C model of an ideal board
 * ====================================================================================== */

static void geom_set(xp_params *g, unsigned rows, unsigned cols, unsigned tiles, unsigned dac,
		     unsigned code, unsigned adc)
{
	xp_params_default(g);
	g->rows = (uint16_t)rows;
	g->cols = (uint16_t)cols;
	g->tiles = (uint16_t)tiles;
	g->dac_bits = (uint8_t)dac;
	g->code_bits = (uint8_t)code;
	g->adc_bits = (uint8_t)adc;
}

/* A net with He weights and random biases (so bias rows and ADC offsets carry something). */
static void rand_net(xpnn_net *n, unsigned nl, const unsigned *width, float act_clip,
		     uint64_t seed)
{
	char err[ERRLEN];

	if (xpnn_net_init(n, nl, width, 128, act_clip, seed, err, sizeof(err)))
		fail_msg("%s", err);
	rs = seed * 31 + 7;
	for (unsigned l = 0; l < nl; l++)
		for (unsigned j = 0; j < width[l + 1]; j++)
			n->b[l][j] = 0.4f * frand() - 0.2f;
}

static uint8_t *rand_pixels(unsigned count, unsigned features, uint64_t seed)
{
	uint8_t *p = malloc((size_t)count * features);

	assert_non_null(p);
	rs = seed;
	for (size_t k = 0; k < (size_t)count * features; k++)
		p[k] = (uint8_t)rnd64();
	return p;
}

static void compile_or_fail(xpnn_image *img, const xpnn_net *n, const xp_params *g,
			    const uint8_t *cal, unsigned ncal)
{
	xpnn_compile_opts co = { .calib_pct = 99.99, .warn = NULL, .ctx = NULL };
	char err[ERRLEN];

	if (xpnn_compile(img, n, g, cal, ncal, &co, err, sizeof(err)))
		fail_msg("compile: %s", err);
}

/* An ideal xp_chip (no variation, noise, stuck devices or ADC errors) programmed from the
 * image directly with the C model's API: every ADC column and every cell one at a time. */
static xp_chip *chip_from_image(const xpnn_image *img)
{
	xp_params p = img->geom;
	xp_chip *chip;
	xp_netcfg cfg;
	xp_layer layers[XP_MAX_LAYERS];
	char msg[XP_ERRMSG];
	const unsigned R = p.rows, C = p.cols;

	p.dseed = 1;
	p.p_sa0 = p.p_samax = 0;
	p.s_var = p.s_prog = p.s_read = p.s_gain = p.s_off = 0;
	if (xp_chip_create(&chip, &p, msg, sizeof(msg)) != XP_OK)
		fail_msg("xp_chip_create: %s", msg);
	xpnn_image_netcfg(img, &cfg, layers);
	if (xp_chip_configure(chip, &cfg, msg, sizeof(msg)) != XP_OK)
		fail_msg("xp_chip_configure: %s", msg);
	for (unsigned l = 0; l < img->nlayers; l++) {
		const xpnn_image_layer *L = &img->layer[l];

		for (unsigned rb = 0; rb < L->nrb; rb++)
			for (unsigned j = 0; j < L->n_out; j++)
				if (xp_chip_set_adc(chip, L->tiles[rb * L->ncb + j / C], j % C, 1,
						    &L->adc[(size_t)rb * L->n_out + j], msg,
						    sizeof(msg)) != XP_OK)
					fail_msg("xp_chip_set_adc: %s", msg);
		for (unsigned r = 0; r < L->n_in + L->bias; r++)
			for (unsigned j = 0; j < L->n_out; j++)
				if (xp_chip_write(chip, L->tiles[(r / R) * L->ncb + j / C], r % R,
						  j % C, 1, 1, &L->codes[((size_t)r * L->n_out + j) * 2],
						  NULL, msg, sizeof(msg)) != XP_OK)
					fail_msg("xp_chip_write: %s", msg);
	}
	return chip;
}

/* floor(v / 2^s) for any sign (numerics §1 asr). */
static int64_t asr64(int64_t v, unsigned s)
{
	const int64_t d = (int64_t)1 << s;
	int64_t q = v / d;

	return q - (v % d != 0 && v < 0);
}

/* The ideal board (numerics §6–§9 with every device error zero: G = k << (8 - code_bits),
 * eg = 1024, eo = 0, no read noise) for one vector of DAC codes, in integers, straight from
 * the image. Returns the smallest distance, in ADC codes, of a conversion's exact value
 * acc · gain / 2^shift from a rounding boundary k + 1/2 (0: an exact tie). */
static double ideal_board(const xpnn_image *img, const uint8_t *x, int16_t *out,
			  unsigned *saturated)
{
	static int32_t a[XP_MAX_WIDTH + 1], next[XP_MAX_WIDTH];
	const unsigned R = img->geom.rows, step = 1u << (8 - img->geom.code_bits);
	const int32_t xmax = (1 << img->geom.dac_bits) - 1;
	const int64_t amax = (1 << (img->geom.adc_bits - 1)) - 1, amin = -amax - 1;
	double dmin = 1.0;

	for (unsigned i = 0; i < img->layer[0].n_in; i++)
		a[i] = x[i];
	for (unsigned l = 0; l < img->nlayers; l++) {
		const xpnn_image_layer *L = &img->layer[l];
		const unsigned rows = L->n_in + L->bias;

		if (L->bias)
			a[L->n_in] = xmax; /* the bias row is driven at full scale */
		for (unsigned j = 0; j < L->n_out; j++) {
			int64_t S = 0;

			for (unsigned rb = 0; rb < L->nrb; rb++) {
				const xp_adc *ad = &L->adc[(size_t)rb * L->n_out + j];
				const unsigned sh = ad->shift + 10u;
				int64_t acc = 0, p, y, frac;

				for (unsigned r = rb * R; r < rows && r < (rb + 1) * R; r++) {
					const uint8_t *k = &L->codes[((size_t)r * L->n_out + j) * 2];

					acc += (int64_t)a[r] * ((int32_t)(k[0] * step) - (int32_t)(k[1] * step));
				}
				p = acc * ad->gain * 1024;
				y = asr64(p + ((int64_t)1 << (sh - 1)), sh) + ad->offset;
				frac = p - asr64(p, sh) * ((int64_t)1 << sh); /* p mod 2^sh */
				dmin = fmin(dmin, fabs(ldexp((double)frac, -(int)sh) - 0.5));
				*saturated += y < amin || y > amax;
				S += y < amin ? amin : y > amax ? amax : y;
			}
			if (L->act == XP_ACT_RELU) {
				int64_t v = L->ash ? asr64(S * L->amul + ((int64_t)1 << (L->ash - 1)), L->ash) :
						     S * L->amul;

				next[j] = (int32_t)(v < 0 ? 0 : v > xmax ? xmax : v);
			} else {
				out[j] = (int16_t)S;
			}
		}
		if (l + 1 < img->nlayers)
			memcpy(a, next, sizeof(int32_t) * L->n_out);
	}
	return dmin;
}

typedef struct cmpstat {
	unsigned n, exact, vectors, argmax_same;
	unsigned saturated;    /* ADC conversions that saturated (integer reference) */
	unsigned tie_vectors;  /* vectors with a conversion within CMP_TIE of a tie */
	unsigned bad_nontie;   /* vectors without one where the twin differs from the board */
	long maxdiff;
} cmpstat;

/* The board's outputs s (N, K) for DAC codes x: first against the integer reference, which
 * must match bit for bit; then the twin's logits z / out_scale, rounded, against s. */
static void cmp_outputs(const xpnn_image *img, const uint8_t *x, const int16_t *s,
			const float *z, unsigned N, cmpstat *st)
{
	const unsigned F = img->layer[0].n_in, K = img->layer[img->nlayers - 1].n_out;
	const double os = img->layer[img->nlayers - 1].out_scale;
	static int16_t ref_s[XP_MAX_WIDTH];

	memset(st, 0, sizeof(*st));
	st->vectors = N;
	for (unsigned i = 0; i < N; i++) {
		const double dtie = ideal_board(img, x + (size_t)i * F, ref_s, &st->saturated);
		int differ = 0;

		for (unsigned k = 0; k < K; k++) {
			long tw = lround(floor((double)z[(size_t)i * K + k] / os + 0.5));
			long d = labs(tw - s[(size_t)i * K + k]);

			if (ref_s[k] != s[(size_t)i * K + k])
				fail_msg("vector %u output %u: the board gives %d, the integer "
					 "reference %d", i, k, s[(size_t)i * K + k], ref_s[k]);
			st->n++;
			st->exact += d == 0;
			differ |= d != 0;
			st->maxdiff = d > st->maxdiff ? d : st->maxdiff;
		}
		st->tie_vectors += dtie < CMP_TIE;
		st->bad_nontie += differ && dtie >= CMP_TIE;
		st->argmax_same += xpnn_argmax_i16(s + (size_t)i * K, K) ==
				   xpnn_argmax_f(z + (size_t)i * K, K);
	}
}

/* The twin equals the board on every output (and so on every prediction). */
static int cmp_ok(const cmpstat *st)
{
	return st->exact == st->n && st->maxdiff == 0 && st->argmax_same == st->vectors;
}

/* Run N random vectors through the chip and the twin tn. */
static void twin_vs_chip(xp_chip *chip, xpnn_net *tn, const xpnn_image *img, const uint8_t *pix,
			 unsigned N, cmpstat *st)
{
	const unsigned F = img->layer[0].n_in, K = img->layer[img->nlayers - 1].n_out;
	const unsigned xmax = (1u << img->geom.dac_bits) - 1;
	uint8_t *codes = malloc((size_t)N * F), *codes2 = malloc((size_t)N * F);
	int16_t *s = malloc(sizeof(int16_t) * N * K);
	xpnn_twin *t = xpnn_twin_create(tn, N);
	char msg[XP_ERRMSG];

	assert_true(codes && codes2 && s && t);
	/* pixel → DAC code, round half up, written out here and checked against the library */
	for (size_t k = 0; k < (size_t)N * F; k++)
		codes[k] = (uint8_t)floor(pix[k] * (double)xmax / 255.0 + 0.5);
	xpnn_dac_codes(img->geom.dac_bits, pix, codes2, (size_t)N * F);
	assert_memory_equal(codes, codes2, (size_t)N * F);
	if (xp_chip_run(chip, codes, N, s, NULL, 1, msg, sizeof(msg)) != XP_OK)
		fail_msg("xp_chip_run: %s", msg);
	cmp_outputs(img, codes, s, xpnn_twin_forward_u8(t, pix, N, 0), N, st);
	xpnn_twin_destroy(t);
	free(codes);
	free(codes2);
	free(s);
}


static void vs_cmodel_case(const unsigned *width, const xp_params *g, double pct, uint64_t seed)
{
	xpnn_compile_opts co = { .calib_pct = pct, .warn = NULL, .ctx = NULL };
	const unsigned N = 3000, NCAL = 256;
	xpnn_net n, tn, mut;
	xpnn_image img;
	xp_chip *chip;
	uint8_t *cal, *pix;
	cmpstat st;
	char err[ERRLEN];
	const unsigned last = 1;

	rand_net(&n, 2, width, 2.0f, seed);
	cal = rand_pixels(NCAL, width[0], seed + 1);
	pix = rand_pixels(N, width[0], seed + 2);
	if (xpnn_compile(&img, &n, g, cal, NCAL, &co, err, sizeof(err)))
		fail_msg("compile: %s", err);
	chip = chip_from_image(&img);
	if (xpnn_image_twin(&img, &tn, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(tn.quant, 1);
	assert_int_equal(tn.q[0].fixed, 1);
	twin_vs_chip(chip, &tn, &img, pix, N, &st);
	fprintf(stderr, "  twin vs board %u-%u-%u on %ux%u x %u, %u/%u/%u bits: %u of %u outputs "
		"exact, max diff %ld, argmax %u of %u; %u vectors with a tie, %u others differ; %u "
		"saturated conversions (calibrated at %g %%)\n", width[0], width[1], width[2],
		g->rows, g->cols, g->tiles, g->dac_bits, g->code_bits, g->adc_bits, st.exact, st.n,
		st.maxdiff, st.argmax_same, st.vectors, st.tie_vectors, st.bad_nontie, st.saturated,
		pct);
	if (!cmp_ok(&st))
		fail_msg("twin vs board: %u of %u outputs exact (%u vectors without a rounding tie "
			 "differ), max diff %ld, argmax agrees on %u of %u: the tolerance is zero",
			 st.exact, st.n, st.bad_nontie, st.maxdiff, st.argmax_same, st.vectors);
	if (pct < 99.0)
		assert_true(st.saturated > N); /* saturation is exercised */

	/* mutants of the twin: the comparison must fail */
	if (xpnn_net_copy(&mut, &tn, err, sizeof(err)))
		fail_msg("%s", err);
	mut.q[0].amul_r *= 1.03f; /* hidden requantisation 3 % off */
	twin_vs_chip(chip, &mut, &img, pix, N, &st);
	assert_false(cmp_ok(&st));
	assert_true(st.bad_nontie > N / 100);
	mut.q[0].amul_r = tn.q[0].amul_r;
	mut.q[last].cg[0] *= 1.03f; /* one ADC column's scale 3 % off */
	twin_vs_chip(chip, &mut, &img, pix, N, &st);
	assert_false(cmp_ok(&st));
	assert_true(st.bad_nontie > N / 100);
	mut.q[last].cg[0] = tn.q[last].cg[0];
	/* one ADC offset one code off (the block holding the bias row of the last layer) */
	mut.q[last].aoff[(size_t)(img.layer[last].nrb - 1) * width[2]] += 1.0f;
	twin_vs_chip(chip, &mut, &img, pix, N, &st);
	assert_false(cmp_ok(&st));
	assert_true(st.bad_nontie > N / 100);
	xpnn_net_free(&mut);

	xp_chip_destroy(chip);
	xpnn_net_free(&tn);
	xpnn_image_free(&img);
	xpnn_net_free(&n);
	free(cal);
	free(pix);
}

static void test_twin_vs_cmodel(void **state)
{
	(void)state;
	xp_params g;
	/* 41 rows x 20 columns on 3 x 3 tiles, then 21 x 3 on 2 x 1 */
	const unsigned wa[3] = { 40, 20, 3 };
	/* 33 rows: the bias row alone in the third row block; other bit widths */
	const unsigned wb[3] = { 32, 12, 3 };

	geom_set(&g, 16, 8, 16, 8, 4, 8);
	vs_cmodel_case(wa, &g, 99.99, seed0 + 300);
	/* ADC scales calibrated at the 90th percentile: many conversions saturate */
	vs_cmodel_case(wa, &g, 90.0, seed0 + 350);
	geom_set(&g, 16, 8, 16, 6, 3, 7);
	vs_cmodel_case(wb, &g, 99.99, seed0 + 400);
}

/* Physics-aware passes (xpnn_twin_forward_ex). Measured outputs taken from an ideal C-model
 * chip equal what the twin computes itself, so the measured pass must give the very same
 * gradients, bit for bit; a changed measurement must change them; a pass from layer 1 on the
 * measured layer-0 activations gives layer 1 and 2 the same gradients and layer 0 none; and
 * an optimiser with first = 1 leaves layer 0 alone. */
static void test_twin_measured(void **state)
{
	(void)state;
	const unsigned w[4] = { 40, 20, 12, 3 }, B = 60, nl = 3;
	xp_params g;
	xpnn_net n, tn;
	xpnn_image img;
	uint8_t *pix = rand_pixels(B + 512, w[0], seed0 + 900), y[64];
	int16_t *S = malloc(sizeof(int16_t) * B * (w[1] + w[2] + w[3]));
	int16_t *out = malloc(sizeof(int16_t) * B * w[3]);
	float *mh[3], *ma[2], *g1w[3], *g1b[3], *xf = malloc(sizeof(float) * B * w[0]);
	xp_chip *chip;
	xpnn_twin *t;
	xpnn_measured m;
	char err[ERRLEN], msg[XP_ERRMSG];
	unsigned off = 0, xmax;

	assert_true(S && out && xf);
	geom_set(&g, 16, 8, 16, 8, 4, 8);
	rand_net(&n, nl, w, 4.0f, seed0 + 901);
	compile_or_fail(&img, &n, &g, pix + (size_t)B * w[0], 512);
	if (xpnn_image_twin(&img, &tn, err, sizeof(err)))
		fail_msg("%s", err);
	/* shadow weights off the code grid by less than half a step: the same codes */
	rs = seed0 + 902;
	for (unsigned l = 0; l < nl; l++)
		for (unsigned j = 0; j < w[l + 1]; j++)
			for (unsigned i = 0; i < w[l]; i++)
				tn.w[l][(size_t)j * w[l] + i] += (0.8f * frand() - 0.4f) * tn.q[l].sw[j];
	for (unsigned i = 0; i < B; i++)
		y[i] = (uint8_t)(rnd64() % w[3]);
	for (size_t k = 0; k < (size_t)B * w[0]; k++)
		xf[k] = (float)pix[k] / 255.0f;
	t = xpnn_twin_create(&tn, B);
	assert_non_null(t);

	/* the plain training pass */
	xpnn_twin_forward(t, xf, B, 1);
	float loss1 = xpnn_twin_loss(t, y, B, NULL);
	xpnn_twin_backward(t);
	for (unsigned l = 0; l < nl; l++) {
		g1w[l] = malloc(sizeof(float) * w[l] * w[l + 1]);
		g1b[l] = malloc(sizeof(float) * w[l + 1]);
		assert_true(g1w[l] && g1b[l]);
		memcpy(g1w[l], xpnn_twin_dw(t, l), sizeof(float) * w[l] * w[l + 1]);
		memcpy(g1b[l], xpnn_twin_db(t, l), sizeof(float) * w[l + 1]);
		assert_false(all_zero(g1w[l], sizeof(float) * w[l] * w[l + 1]));
	}

	/* the same batch on an ideal chip: every layer's S, then what the host measures */
	chip = chip_from_image(&img);
	if (xp_chip_run(chip, pix, B, out, S, 1, msg, sizeof(msg)) != XP_OK)
		fail_msg("xp_chip_run: %s", msg);
	xmax = (1u << g.dac_bits) - 1;
	memset(&m, 0, sizeof(m));
	for (unsigned l = 0; l < nl; l++) {
		const xpnn_image_layer *L = &img.layer[l];

		mh[l] = malloc(sizeof(float) * B * w[l + 1]);
		assert_non_null(mh[l]);
		if (l + 1 < nl) {
			ma[l] = malloc(sizeof(float) * B * w[l + 1]);
			assert_non_null(ma[l]);
		}
		for (unsigned i = 0; i < B; i++)
			for (unsigned j = 0; j < w[l + 1]; j++) {
				int v = S[(size_t)i * (w[1] + w[2] + w[3]) + off + j];
				size_t k = (size_t)i * w[l + 1] + j;

				mh[l][k] = (float)v * tn.q[l].s_out;
				if (l + 1 < nl) {
					int64_t a = xp_rnd((int64_t)v * L->amul, L->ash);

					a = a < 0 ? 0 : a > (int64_t)xmax ? (int64_t)xmax : a;
					ma[l][k] = (float)a * (tn.act_clip[l] / (float)xmax);
				}
			}
		m.h[l] = mh[l];
		m.a[l] = l + 1 < nl ? ma[l] : NULL;
		off += w[l + 1];
	}

	/* measured = the twin's own: identical loss and gradients */
	xpnn_twin_forward_ex(t, 0, xf, B, 1, &m);
	assert_true(xpnn_twin_loss(t, y, B, NULL) == loss1);
	xpnn_twin_backward(t);
	for (unsigned l = 0; l < nl; l++) {
		assert_memory_equal(xpnn_twin_dw(t, l), g1w[l], sizeof(float) * w[l] * w[l + 1]);
		assert_memory_equal(xpnn_twin_db(t, l), g1b[l], sizeof(float) * w[l + 1]);
	}

	/* a different measurement of layer 0 (one output of one vector, 3 S codes up, where
	 * the ReLU passes) changes the gradients: the pass uses what the board measured */
	{
		size_t k = 0;

		while (k < (size_t)B * w[1] && !(ma[0][k] > 0.0f && ma[0][k] < tn.act_clip[0] * 0.9f))
			k++;
		assert_true(k < (size_t)B * w[1]);
		mh[0][k] += 3.0f * tn.q[0].s_out;
		ma[0][k] += 3.0f * tn.q[0].s_out;
		xpnn_twin_forward_ex(t, 0, xf, B, 1, &m);
		xpnn_twin_loss(t, y, B, NULL);
		xpnn_twin_backward(t);
		assert_true(memcmp(xpnn_twin_dw(t, 1), g1w[1], sizeof(float) * w[1] * w[2]) != 0);
		mh[0][k] -= 3.0f * tn.q[0].s_out;
		ma[0][k] -= 3.0f * tn.q[0].s_out;
	}

	/* from layer 1 on the measured layer-0 activations: layers 1, 2 as before, layer 0 none */
	assert_null(xpnn_twin_forward_ex(t, nl, ma[0], B, 1, NULL));
	xpnn_twin_forward_ex(t, 1, ma[0], B, 1, &m);
	assert_true(xpnn_twin_loss(t, y, B, NULL) == loss1);
	xpnn_twin_backward(t);
	assert_true(all_zero(xpnn_twin_dw(t, 0), sizeof(float) * w[0] * w[1]));
	assert_true(all_zero(xpnn_twin_db(t, 0), sizeof(float) * w[1]));
	for (unsigned l = 1; l < nl; l++) {
		assert_memory_equal(xpnn_twin_dw(t, l), g1w[l], sizeof(float) * w[l] * w[l + 1]);
		assert_memory_equal(xpnn_twin_db(t, l), g1b[l], sizeof(float) * w[l + 1]);
	}

	/* a frozen first layer: Adam with first = 1 moves layers 1 and 2 only */
	{
		xpnn_opt o;
		float *w0 = malloc(sizeof(float) * w[0] * w[1]), *w1 = malloc(sizeof(float) * w[1] * w[2]);

		assert_true(w0 && w1);
		memcpy(w0, tn.w[0], sizeof(float) * w[0] * w[1]);
		memcpy(w1, tn.w[1], sizeof(float) * w[1] * w[2]);
		assert_int_equal(xpnn_opt_init(&o, &tn, XPNN_OPT_ADAM, 0.01f, err, sizeof(err)), 0);
		o.first = 1;
		memcpy(xpnn_twin_dw(t, 0), g1w[0], sizeof(float) * w[0] * w[1]); /* a gradient that
										   must be ignored */
		xpnn_opt_step(&o, &tn, t, 0.01f);
		assert_memory_equal(tn.w[0], w0, sizeof(float) * w[0] * w[1]);
		assert_true(memcmp(tn.w[1], w1, sizeof(float) * w[1] * w[2]) != 0);
		xpnn_opt_free(&o);
		free(w0);
		free(w1);
	}

	/* xpnn_net_codes is the compiler's mapping: layer 0 (off the grid by less than half a
	 * step, and frozen above) has the image's codes */
	{
		const xpnn_image_layer *L = &img.layer[0];
		int8_t *k = malloc((size_t)(L->n_in + 1) * L->n_out);

		assert_non_null(k);
		xpnn_net_codes(&tn, 0, k);
		for (size_t i = 0; i < (size_t)(L->n_in + 1) * L->n_out; i++)
			assert_int_equal(k[i], L->codes[2 * i] - L->codes[2 * i + 1]);
		free(k);
	}

	for (unsigned l = 0; l < nl; l++) {
		free(g1w[l]);
		free(g1b[l]);
		free(mh[l]);
		if (l + 1 < nl)
			free(ma[l]);
	}
	xp_chip_destroy(chip);
	xpnn_twin_destroy(t);
	xpnn_net_free(&n);
	xpnn_net_free(&tn);
	xpnn_image_free(&img);
	free(pix);
	free(S);
	free(out);
	free(xf);
}

/* ======================================================================================
 * 5. Compile → save → load → program a model board
 * ====================================================================================== */

static void image_equal(const xpnn_image *a, const xpnn_image *b)
{
	assert_int_equal(a->geom.rows, b->geom.rows);
	assert_int_equal(a->geom.cols, b->geom.cols);
	assert_int_equal(a->geom.tiles, b->geom.tiles);
	assert_int_equal(a->geom.dac_bits, b->geom.dac_bits);
	assert_int_equal(a->geom.code_bits, b->geom.code_bits);
	assert_int_equal(a->geom.adc_bits, b->geom.adc_bits);
	assert_int_equal(a->nlayers, b->nlayers);
	assert_int_equal(a->calib_n, b->calib_n);
	assert_true(a->calib_pct == b->calib_pct);
	for (unsigned l = 0; l < a->nlayers; l++) {
		const xpnn_image_layer *x = &a->layer[l], *y = &b->layer[l];

		assert_int_equal(x->n_in, y->n_in);
		assert_int_equal(x->n_out, y->n_out);
		assert_int_equal(x->bias, y->bias);
		assert_int_equal(x->act, y->act);
		assert_int_equal(x->amul, y->amul);
		assert_int_equal(x->ash, y->ash);
		assert_int_equal(x->nrb, y->nrb);
		assert_int_equal(x->ncb, y->ncb);
		assert_int_equal(x->ntiles, y->ntiles);
		assert_memory_equal(x->tiles, y->tiles, sizeof(x->tiles));
		assert_memory_equal(x->codes, y->codes, (size_t)(x->n_in + x->bias) * x->n_out * 2);
		for (size_t k = 0; k < (size_t)x->nrb * x->n_out; k++) {
			assert_int_equal(x->adc[k].gain, y->adc[k].gain);
			assert_int_equal(x->adc[k].shift, y->adc[k].shift);
			assert_int_equal(x->adc[k].offset, y->adc[k].offset);
		}
		assert_memory_equal(x->w_scale, y->w_scale, sizeof(float) * x->n_out);
		assert_true(x->in_scale == y->in_scale);
		assert_true(x->out_scale == y->out_scale);
		assert_true(x->act_clip == y->act_clip);
	}
}

typedef struct tile_prog {
	unsigned calls, done, total;
} tile_prog;

static void on_tile(void *ctx, unsigned done, unsigned total)
{
	tile_prog *p = ctx;

	p->calls++;
	assert_int_equal(done, p->done + 1); /* one call per tile, in order */
	p->done = done;
	p->total = total;
}

static void test_compile_roundtrip(void **state)
{
	(void)state;
	const unsigned width[3] = { 40, 20, 3 }, N = 600;
	xp_params g;
	xpnn_net n, tn;
	xpnn_image img, img2;
	xpnn_board *b;
	xpnn_load_stats st;
	xpnn_status s;
	tile_prog tp = { 0, 0, 0 };
	uint8_t *cal, *pix, labels[600];
	int16_t *out;
	uint32_t conf[9];
	uint64_t cells = 0, nonzero = 0;
	unsigned tiles_used = 0;
	float acc;
	cmpstat cs;
	char p[PATHLEN], err[ERRLEN];

	geom_set(&g, 16, 8, 16, 8, 4, 8);
	rand_net(&n, 2, width, 2.0f, seed0 + 500);
	cal = rand_pixels(256, 40, seed0 + 501);
	pix = rand_pixels(N, 40, seed0 + 502);
	compile_or_fail(&img, &n, &g, cal, 256);
	tpath(p, "roundtrip.xpi");
	if (xpnn_image_save(&img, p, "{\"model\":\"test\"}", err, sizeof(err)))
		fail_msg("%s", err);
	memset(&img2, 0xA5, sizeof(img2));
	if (xpnn_image_load(&img2, p, err, sizeof(err)))
		fail_msg("%s", err);
	image_equal(&img, &img2);
	assert_int_equal(img2.calib_n, 256);
	for (unsigned l = 0; l < img.nlayers; l++) {
		const xpnn_image_layer *L = &img.layer[l];
		size_t nc = (size_t)(L->n_in + L->bias) * L->n_out;

		cells += nc;
		tiles_used += L->ntiles;
		for (size_t k = 0; k < 2 * nc; k++)
			nonzero += L->codes[k] != 0;
	}
	assert_int_equal(cells, 41 * 20 + 21 * 3);
	assert_int_equal(tiles_used, 9 + 2);

	/* program a model board of the image's geometry */
	if (xpnn_open(&b, "model:ideal,rows=16,cols=8,tiles=16,dac_bits=8,code_bits=4,adc_bits=8,"
		      "seed=9", NULL, err, sizeof(err)))
		fail_msg("%s", err);
	if (xpnn_image_program(b, &img2, 1, 0, &st, on_tile, &tp, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(st.cells, cells);
	assert_int_equal(st.verified, 2 * cells);
	assert_int_equal(st.out_of_tol, 0);
	assert_true(st.mean_abs_err == 0.0);
	assert_int_equal(st.first_bad_tile, -1);
	assert_int_equal(st.pulses, 2 * cells);          /* one pulse per device */
	assert_int_equal(st.devices_changed, nonzero);  /* from erased (0) to its code */
	assert_int_equal(tp.calls, tiles_used);
	assert_int_equal(tp.total, tiles_used);

	/* every tile reads back its codes at nominal conductance k << (8 - code_bits) */
	for (unsigned l = 0; l < img2.nlayers; l++) {
		const xpnn_image_layer *L = &img2.layer[l];

		for (unsigned rb = 0; rb < L->nrb; rb++)
			for (unsigned cb = 0; cb < L->ncb; cb++) {
				unsigned r0 = rb * 16, c0 = cb * 8;
				unsigned nr = L->n_in + 1 - r0 < 16 ? L->n_in + 1 - r0 : 16;
				unsigned nc = L->n_out - c0 < 8 ? L->n_out - c0 : 8;
				uint8_t gv[16 * 8 * 2];

				if (xpnn_read_cells(b, L->tiles[rb * L->ncb + cb], 0, 0, nr, nc, gv))
					fail_msg("%s", xpnn_errmsg(b));
				for (unsigned r = 0; r < nr; r++)
					for (unsigned c = 0; c < nc * 2; c++)
						assert_int_equal(gv[(r * nc) * 2 + c],
								 L->codes[((size_t)(r0 + r) * L->n_out + c0) * 2 + c] << 4);
			}
	}
	if (xpnn_status_get(b, &s))
		fail_msg("%s", xpnn_errmsg(b));
	assert_int_equal(s.nlayers, 2);
	assert_int_equal(s.n_in, 40);
	assert_int_equal(s.n_out, 3);
	assert_int_equal(s.n_all, 23);
	assert_int_equal(s.pulses, 2 * cells);
	assert_int_equal(s.tiles, 16);
	assert_int_equal(s.tile_pulses[0], 2 * 16 * 8);  /* a full tile */
	assert_int_equal(s.tile_pulses[10], 2 * 5 * 3);  /* layer 1, rows 16 … 20 */
	assert_int_equal(s.tile_pulses[11], 0);          /* unused */

	/* the board's outputs and predictions are the image twin's */
	if (xpnn_image_twin(&img2, &tn, err, sizeof(err)))
		fail_msg("%s", err);
	{
		xpnn_twin *t = xpnn_twin_create(&tn, N);
		const float *z;

		assert_non_null(t);
		z = xpnn_twin_forward_u8(t, pix, N, 0);
		for (unsigned i = 0; i < N; i++)
			labels[i] = (uint8_t)xpnn_argmax_f(z + (size_t)i * 3, 3);
		out = malloc(sizeof(int16_t) * N * 3);
		assert_non_null(out);
		if (xpnn_run(b, pix, N, 0, out, NULL))
			fail_msg("%s", xpnn_errmsg(b));
		cmp_outputs(&img2, pix, out, z, N, &cs); /* DAC codes = pixels at 8 bits */
		fprintf(stderr, "  board vs twin: %u of %u outputs exact, %u vectors with a tie, %u "
			"others differ\n", cs.exact, cs.n, cs.tie_vectors, cs.bad_nontie);
		assert_true(cmp_ok(&cs));
		free(out);
		xpnn_twin_destroy(t);
	}
	if (xpnn_board_eval(b, pix, 40, labels, N, 3, conf, &acc, NULL, NULL, err, sizeof(err)))
		fail_msg("%s", err);
	assert_true(acc == 1.0f); /* every prediction is the twin's */
	{
		uint32_t diag = 0, sum = 0;

		for (unsigned k = 0; k < 9; k++) {
			sum += conf[k];
			diag += k % 4 == 0 ? conf[k] : 0;
		}
		assert_int_equal(sum, N);
		assert_int_equal(diag, (uint32_t)lroundf(acc * (float)N));
	}
	/* a data set of another width is refused */
	assert_int_equal(xpnn_board_eval(b, pix, 39, labels, N, 3, NULL, &acc, NULL, NULL, err,
					 sizeof(err)), XPNN_EARG);
	assert_has(err, "takes 40 inputs, the data set has 39");
	xpnn_close(b);

	/* the source is recorded in the file */
	{
		xpnn_st sf;
		json_t *x;

		if (xpnn_st_read(&sf, p, err, sizeof(err)))
			fail_msg("%s", err);
		x = json_loads(xpnn_st_meta(&sf, "xpnn"), 0, NULL);
		assert_non_null(x);
		assert_string_equal(json_string_value(json_object_get(json_object_get(x, "source"),
								      "model")), "test");
		json_decref(x);
		xpnn_st_free(&sf);
	}

	/* verification bites: a board with the default device model (variation, programming
	 * noise, stuck devices) does not hold the nominal conductances within 0 LSB */
	if (xpnn_open(&b, "model:rows=16,cols=8,tiles=16,seed=9", NULL, err, sizeof(err)))
		fail_msg("%s", err);
	if (xpnn_image_program(b, &img2, 1, 0, &st, NULL, NULL, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(st.verified, 2 * cells);
	assert_true(st.out_of_tol > cells / 2);
	assert_true(st.mean_abs_err > 0.5);
	assert_true(st.first_bad_tile >= 0 && st.first_bad_g != st.first_bad_nominal);
	{
		uint8_t gv[2];

		if (xpnn_read_cells(b, (unsigned)st.first_bad_tile, (unsigned)st.first_bad_row,
				    (unsigned)st.first_bad_col, 1, 1, gv))
			fail_msg("%s", xpnn_errmsg(b));
		assert_true(gv[0] == st.first_bad_g || gv[1] == st.first_bad_g);
	}
	/* within 255 LSB everything passes */
	if (xpnn_image_program(b, &img2, 1, 255, &st, NULL, NULL, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(st.out_of_tol, 0);
	assert_int_equal(st.first_bad_tile, -1);
	xpnn_close(b);
	xpnn_net_free(&tn);
	xpnn_image_free(&img);
	xpnn_image_free(&img2);
	xpnn_net_free(&n);
	free(cal);
	free(pix);
}

/* ======================================================================================
 * 6. What does not fit is refused
 * ====================================================================================== */

typedef struct warn_log {
	unsigned count;
	char first[512];
} warn_log;

static void on_warn(void *ctx, const char *line)
{
	warn_log *w = ctx;

	if (w->count++ == 0)
		snprintf(w->first, sizeof(w->first), "%s", line);
}

static void test_compile_too_big(void **state)
{
	(void)state;
	xp_params g, g2;
	xpnn_net n;
	xpnn_image img;
	xpnn_board *b;
	xpnn_load_stats st;
	xpnn_status s;
	uint8_t *cal = rand_pixels(64, 300, seed0 + 600);
	xpnn_compile_opts co = { .calib_pct = 99.99, .warn = NULL, .ctx = NULL };
	char err[ERRLEN];

	/* layer 1 (9 rows x 60 columns) needs 1 x 8 tiles: 2 + 8 = 10 > 8 */
	{
		const unsigned w[3] = { 30, 8, 60 };

		geom_set(&g, 16, 8, 8, 8, 4, 8);
		rand_net(&n, 2, w, 2.0f, seed0);
		memset(&img, 0xA5, sizeof(img));
		assert_int_equal(xpnn_compile(&img, &n, &g, cal, 64, &co, err, sizeof(err)), -1);
		assert_has(err, "layer 1 (9 rows x 60 columns) needs 1 x 8 = 8 tiles of 16 x 8");
		assert_has(err, "layers 0 … 1 need 10 tiles, the target has 8");
		xpnn_image_free(&img); /* nothing left allocated (ASan), freeing is safe */
		xpnn_net_free(&n);
	}
	/* layer 1 has 301 rows: 19 row blocks of 16, but 12-bit ADC codes allow 16 in 16 bits */
	{
		const unsigned w[3] = { 10, 300, 2 };

		geom_set(&g, 16, 64, 64, 8, 4, 12);
		rand_net(&n, 2, w, 2.0f, seed0);
		assert_int_equal(xpnn_compile(&img, &n, &g, cal, 64, &co, err, sizeof(err)), -1);
		assert_has(err, "layer 1: 301 rows");
		assert_has(err, "at most 16 row blocks");
		xpnn_net_free(&n);
	}

	/* a target narrower than the network (max_width, INFO): n_in 30 and n_out 20 of
	 * 30-20-3 on a board 20 wide, n_out 20 on one 19 wide */
	{
		const unsigned w[3] = { 30, 20, 3 };
		xpnn_compile_opts cn = co;

		geom_set(&g, 16, 8, 16, 8, 4, 8);
		rand_net(&n, 2, w, 2.0f, seed0);
		cn.max_width = 20;
		assert_int_equal(xpnn_compile(&img, &n, &g, cal, 64, &cn, err, sizeof(err)), -1);
		assert_has(err, "layer 0: n_in = 30: legal range 1 … 20 (the target's max_width");
		n.width[0] = 19;
		cn.max_width = 19;
		assert_int_equal(xpnn_compile(&img, &n, &g, cal, 64, &cn, err, sizeof(err)), -1);
		assert_has(err, "layer 0: n_out = 20: legal range 1 … 19 (the target's max_width");
		n.width[0] = 30;
		cn.max_width = 30; /* at the limit */
		if (xpnn_compile(&img, &n, &g, cal, 64, &cn, err, sizeof(err)))
			fail_msg("%s", err);
		xpnn_image_free(&img);
		xpnn_net_free(&n);
	}

	/* a bias beyond what the bias row (±15 code steps) and the ADC offset (≤ 127 codes)
	 * carry is clipped, with a warning naming it */
	{
		const unsigned w[3] = { 40, 20, 3 };
		warn_log wl = { 0, "" };
		xpnn_compile_opts cw = { .calib_pct = 99.99, .warn = on_warn, .ctx = &wl };
		const xpnn_image_layer *L;

		geom_set(&g, 16, 8, 16, 8, 4, 8);
		rand_net(&n, 2, w, 2.0f, seed0);
		n.b[1][2] = 1000.0f;
		if (xpnn_compile(&img, &n, &g, cal, 64, &cw, err, sizeof(err)))
			fail_msg("%s", err);
		assert_int_equal(wl.count, 1);
		assert_has(wl.first, "layer 1 column 2: bias 1000 exceeds what the bias row and the "
			   "ADC offset carry; clipped");
		L = &img.layer[1];
		assert_int_equal(L->codes[(20 * 3 + 2) * 2 + 0], 15); /* bias row 20, column 2 */
		assert_int_equal(L->codes[(20 * 3 + 2) * 2 + 1], 0);
		assert_int_equal(L->adc[(L->nrb - 1) * 3 + 2].offset, 127); /* its row block */
		assert_int_equal(L->adc[0 * 3 + 2].offset, 0);
		xpnn_image_free(&img);
		xpnn_net_free(&n);
	}

	/* an image for 16 tiles uses tiles 0 … 10 (layer 0: 0 … 8, layer 1: 9, 10) */
	{
		const unsigned w[3] = { 40, 20, 3 };

		geom_set(&g, 16, 8, 16, 8, 4, 8);
		rand_net(&n, 2, w, 2.0f, seed0);
		compile_or_fail(&img, &n, &g, cal, 64);
		xpnn_net_free(&n);
	}
	assert_int_equal(xpnn_image_fits(&img, &g, "the target", err, sizeof(err)), 0);
	g2 = g;
	g2.tiles = 11; /* just enough */
	assert_int_equal(xpnn_image_fits(&img, &g2, "the target", err, sizeof(err)), 0);
	g2.tiles = 10;
	assert_int_equal(xpnn_image_fits(&img, &g2, "the target", err, sizeof(err)), -1);
	assert_has(err, "layer 1 (21 rows x 3 columns) uses tile 10, but the target has 10 tiles");
	g2.tiles = 8;
	assert_int_equal(xpnn_image_fits(&img, &g2, "the target", err, sizeof(err)), -1);
	assert_has(err, "layer 0 (41 rows x 20 columns) uses tile 8, but the target has 8 tiles");
	g2 = g;
	g2.rows = 32;
	assert_int_equal(xpnn_image_fits(&img, &g2, "the target", err, sizeof(err)), -1);
	assert_has(err, "compiled for tiles of 16 x 8, the target has 32 x 8");
	g2 = g;
	g2.adc_bits = 10;
	assert_int_equal(xpnn_image_fits(&img, &g2, "the target", err, sizeof(err)), -1);
	assert_has(err, "DAC/code/ADC bits 8/4/8, the target has 8/4/10");

	/* a model board with 10 tiles: refused before anything is sent but INFO */
	if (xpnn_open(&b, "model:ideal,rows=16,cols=8,tiles=10", NULL, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(xpnn_image_program(b, &img, 1, 0, &st, NULL, NULL, err, sizeof(err)),
			 XPNN_EARG);
	assert_has(err, "uses tile 10, but the board (INFO) has 10 tiles");
	assert_int_equal(st.cells, 0);
	if (xpnn_status_get(b, &s))
		fail_msg("%s", xpnn_errmsg(b));
	assert_int_equal(s.nlayers, 0);  /* no CONFIGURE */
	assert_int_equal(s.n_in, 0);
	assert_int_equal(s.pulses, 0);   /* no WRITE_CELLS */
	assert_int_equal(s.frames_ok, 2); /* INFO of the session and this STATUS */
	xpnn_close(b);
	/* and one with other tiles */
	if (xpnn_open(&b, "model:ideal,rows=8,cols=8,tiles=64", NULL, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(xpnn_image_program(b, &img, 0, 0, &st, NULL, NULL, err, sizeof(err)),
			 XPNN_EARG);
	assert_has(err, "compiled for tiles of 16 x 8, the board (INFO) has 8 x 8");
	if (xpnn_status_get(b, &s))
		fail_msg("%s", xpnn_errmsg(b));
	assert_int_equal(s.nlayers, 0);
	assert_int_equal(s.pulses, 0);
	xpnn_close(b);
	/* and one of the same geometry whose layers are at most 39 wide (the image's n_in is 40) */
	if (xpnn_open(&b, "model:ideal,rows=16,cols=8,tiles=16,max_width=39", NULL, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(xpnn_image_program(b, &img, 0, 0, &st, NULL, NULL, err, sizeof(err)),
			 XPNN_EARG);
	assert_has(err, "layer 0: n_in = 40: legal range 1 … 39 (the board's max_width, INFO)");
	if (xpnn_status_get(b, &s))
		fail_msg("%s", xpnn_errmsg(b));
	assert_int_equal(s.nlayers, 0);
	assert_int_equal(s.pulses, 0);
	xpnn_close(b);
	xpnn_image_free(&img);
	free(cal);
}

/* ======================================================================================
 * 7. Corrupt files
 * ====================================================================================== */

/* A copy of a file's tensors and metadata to alter and write back. */
typedef struct variant {
	xpnn_tensor t[4 * XP_MAX_LAYERS];
	size_t n;
	json_t *meta; /* deep copy of "__metadata__" */
	json_t *x;    /* "xpnn" parsed (written back into meta), or NULL */
	void *own[8];
	unsigned nown;
} variant;

static void var_init(variant *v, const xpnn_st *st)
{
	const char *s;

	memset(v, 0, sizeof(*v));
	assert_true(st->n <= 4 * XP_MAX_LAYERS);
	memcpy(v->t, st->t, st->n * sizeof(xpnn_tensor));
	v->n = st->n;
	v->meta = json_deep_copy(st->meta);
	assert_non_null(v->meta);
	s = json_string_value(json_object_get(v->meta, "xpnn"));
	assert_non_null(s);
	v->x = json_loads(s, 0, NULL);
	assert_non_null(v->x);
}

static xpnn_tensor *var_t(variant *v, const char *name)
{
	for (size_t k = 0; k < v->n; k++)
		if (!strcmp(v->t[k].name, name))
			return &v->t[k];
	fail_msg("no tensor %s", name);
	return NULL;
}

/* The tensor's data, copied to a buffer of nbytes (≥ its size) that the variant owns. */
static void *var_data(variant *v, const char *name, size_t nbytes)
{
	xpnn_tensor *t = var_t(v, name);
	void *p = calloc(1, nbytes ? nbytes : 1);

	assert_non_null(p);
	assert_true(v->nown < 8);
	memcpy(p, t->data, t->nbytes < nbytes ? t->nbytes : nbytes);
	v->own[v->nown++] = p;
	t->data = p;
	return p;
}

static void var_drop(variant *v, const char *name)
{
	xpnn_tensor *t = var_t(v, name);
	size_t k = (size_t)(t - v->t);

	memmove(&v->t[k], &v->t[k + 1], (v->n - k - 1) * sizeof(xpnn_tensor));
	v->n--;
}

/* A layer object of the "xpnn" metadata. */
static json_t *var_layer(variant *v, unsigned l)
{
	json_t *o = json_array_get(json_object_get(v->x, "layers"), l);

	assert_non_null(o);
	return o;
}

static void var_write(variant *v, const char *path)
{
	char err[ERRLEN];

	if (v->x) {
		char *s = json_dumps(v->x, JSON_COMPACT | JSON_SORT_KEYS);

		assert_non_null(s);
		json_object_set_new(v->meta, "xpnn", json_string(s));
		free(s);
	}
	if (xpnn_st_write(path, v->t, v->n, v->meta, err, sizeof(err)))
		fail_msg("%s", err);
	json_decref(v->x);
	json_decref(v->meta);
	for (unsigned k = 0; k < v->nown; k++)
		free(v->own[k]);
	memset(v, 0, sizeof(*v));
}

static void image_fails(const char *path, const char *what)
{
	xpnn_image img;
	char err[ERRLEN] = "";

	memset(&img, 0xA5, sizeof(img));
	if (xpnn_image_load(&img, path, err, sizeof(err)) == 0) {
		xpnn_image_free(&img);
		fail_msg("%s: loaded; expected a refusal with \"%s\"", path, what);
	}
	assert_has(err, path);
	assert_has(err, what);
	if (!all_zero(&img, sizeof(img)))
		fail_msg("%s: refused (%s), but the image struct is not zeroed", path, err);
}

static void model_fails(const char *path, const char *what)
{
	xpnn_net n;
	char err[ERRLEN] = "";

	memset(&n, 0xA5, sizeof(n));
	if (xpnn_net_load(&n, path, err, sizeof(err)) == 0) {
		xpnn_net_free(&n);
		fail_msg("%s: loaded; expected a refusal with \"%s\"", path, what);
	}
	assert_has(err, path);
	assert_has(err, what);
	if (!all_zero(&n, sizeof(n)))
		fail_msg("%s: refused (%s), but the net struct is not zeroed", path, err);
}

static void st_load(xpnn_st *st, const char *path)
{
	char err[ERRLEN];

	if (xpnn_st_read(st, path, err, sizeof(err)))
		fail_msg("%s", err);
}

/* Copies of path cut to 4 bytes, into the header, and one byte short. */
static void truncations(const char *path, const char *stem, int image)
{
	FILE *f = fopen(path, "rb");
	static uint8_t buf[1 << 16];
	size_t n;
	const char *what[3] = { "shorter than the 8-byte header", "runs past the end of the file",
				"run past the end of" };

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	assert_true(n > 200 && n < sizeof(buf));
	for (int k = 0; k < 3; k++) {
		size_t len = k == 0 ? 4 : k == 1 ? 100 : n - 1;
		char p[PATHLEN], name[64];

		snprintf(name, sizeof(name), "%s-cut%zu.safetensors", stem, len);
		tpath(p, name);
		f = fopen(p, "wb");
		assert_non_null(f);
		assert_int_equal(fwrite(buf, 1, len, f), len);
		fclose(f);
		if (image)
			image_fails(p, what[k]);
		else
			model_fails(p, what[k]);
	}
}

/* The model and image of a small net: 40-20-3 on 16 x 8 tiles (16 of them). */
static void make_files(char *model, char *image)
{
	const unsigned w[3] = { 40, 20, 3 };
	xpnn_net n;
	xpnn_image img;
	xp_params g;
	uint8_t *cal = rand_pixels(128, 40, seed0 + 700);
	char err[ERRLEN];

	rand_net(&n, 2, w, 2.0f, seed0 + 700);
	geom_set(&g, 16, 8, 16, 8, 4, 8);
	compile_or_fail(&img, &n, &g, cal, 128);
	tpath(model, "valid.model");
	tpath(image, "valid.xpi");
	if (xpnn_net_save(&n, model, NULL, err, sizeof(err)) ||
	    xpnn_image_save(&img, image, NULL, err, sizeof(err)))
		fail_msg("%s", err);
	xpnn_image_free(&img);
	xpnn_net_free(&n);
	free(cal);
}

static void test_image_corrupt(void **state)
{
	(void)state;
	char model[PATHLEN], image[PATHLEN], p[PATHLEN];
	xpnn_st st;
	variant v;
	xpnn_image img;
	char err[ERRLEN];

	make_files(model, image);
	/* the valid file loads */
	if (xpnn_image_load(&img, image, err, sizeof(err)))
		fail_msg("%s", err);
	xpnn_image_free(&img);
	/* a model given to the image loader: the message says what to do */
	image_fails(model, "metadata \"format\" is \"xpnn-model\", expected \"xpnn-image\"");
	image_fails(model, "compile it first with `xpnn compile`");
	st_load(&st, image);

#define VARIANT(name, body, what)                      \
	do {                                           \
		var_init(&v, &st);                     \
		body;                                  \
		tpath(p, name);                        \
		var_write(&v, p);                      \
		image_fails(p, what);                  \
	} while (0)

	VARIANT("fmt.xpi", json_object_set_new(v.meta, "format", json_string("xpnn-imag")),
		"metadata \"format\" is \"xpnn-imag\", expected \"xpnn-image\"");
	VARIANT("nofmt.xpi", json_object_del(v.meta, "format"),
		"metadata \"format\" is missing, expected \"xpnn-image\"");
	VARIANT("noxpnn.xpi", (json_decref(v.x), v.x = NULL, json_object_del(v.meta, "xpnn")),
		"metadata \"xpnn\" is missing");
	VARIANT("badjson.xpi",
		(json_decref(v.x), v.x = NULL,
		 json_object_set_new(v.meta, "xpnn", json_string("{\"version\": 1,"))),
		"metadata \"xpnn\" is not a JSON object");
	VARIANT("version.xpi", json_object_set_new(v.x, "version", json_integer(2)),
		"\"version\" = 2: legal range 1 … 1");
	VARIANT("numver.xpi", json_object_set_new(v.x, "numerics_version", json_integer(2)),
		"\"numerics_version\" = 2: legal range 1 … 1");
	VARIANT("nogeom.xpi", json_object_del(v.x, "geometry"), "\"geometry\" is missing");
	VARIANT("rows0.xpi",
		json_object_set_new(json_object_get(v.x, "geometry"), "rows", json_integer(0)),
		"geometry: \"rows\" = 0: legal range 1 … 1024");
	VARIANT("nolayers.xpi", json_object_set_new(v.x, "layers", json_array()),
		"\"layers\" must be an array of 1 … 8 layers");
	VARIANT("notensor.xpi", var_drop(&v, "layers.1.adc"), "no tensor 'layers.1.adc'");
	VARIANT("extratensor.xpi",
		(v.t[v.n] = *var_t(&v, "layers.0.w_scale"), v.t[v.n].name = "extra", v.n++),
		"7 tensors, expected 6");
	VARIANT("f32codes.xpi",
		(var_data(&v, "layers.0.codes", 41 * 20 * 2 * 4),
		 var_t(&v, "layers.0.codes")->dtype = XPNN_F32,
		 var_t(&v, "layers.0.codes")->nbytes = 41 * 20 * 2 * 4),
		"tensor 'layers.0.codes': dtype F32, expected U8");
	VARIANT("shape.xpi",
		(var_t(&v, "layers.0.codes")->shape[0] = 20,
		 var_t(&v, "layers.0.codes")->shape[1] = 41),
		"tensor 'layers.0.codes': shape [20, 41, 2], expected [41, 20, 2]");
	VARIANT("code16.xpi",
		((uint8_t *)var_data(&v, "layers.1.codes", 21 * 3 * 2))[(5 * 3 + 2) * 2 + 1] = 16,
		"tensor 'layers.1.codes': code 16 at row 5, column 2 (k-): legal range 0 … 15");
	VARIANT("shift32.xpi",
		((int16_t *)var_data(&v, "layers.0.adc", 3 * 20 * 3 * 2))[(1 * 20 + 7) * 3 + 1] = 32,
		"tensor 'layers.0.adc': row block 1 column 7: gain");
	image_fails(p, "shift 32 offset 0: legal ranges 0 … 255, 0 … 31, -2048 … 2047");
	VARIANT("gain256.xpi",
		((int16_t *)var_data(&v, "layers.1.adc", 2 * 3 * 3 * 2))[0] = 256, "gain 256");
	VARIANT("offset.xpi",
		((int16_t *)var_data(&v, "layers.1.adc", 2 * 3 * 3 * 2))[2] = 2048, "offset 2048");
	VARIANT("twice.xpi",
		json_array_set_new(json_object_get(var_layer(&v, 1), "tiles"), 1, json_integer(3)),
		"layers[1]: \"tiles\"[1]: used twice");
	VARIANT("tile16.xpi",
		json_array_set_new(json_object_get(var_layer(&v, 0), "tiles"), 4, json_integer(16)),
		"layers[0]: \"tiles\"[4]: not a tile (the geometry has tiles 0 … 15");
	VARIANT("ntiles.xpi",
		json_array_remove(json_object_get(var_layer(&v, 1), "tiles"), 1),
		"layers[1]: \"tiles\" must list 2 x 1 = 2 tiles");
	VARIANT("wscale-neg.xpi",
		((float *)var_data(&v, "layers.1.w_scale", 12))[1] = -0.5f,
		"tensor 'layers.1.w_scale'[1] = -0.5: weight scales must be positive and finite");
	VARIANT("wscale-zero.xpi",
		((float *)var_data(&v, "layers.0.w_scale", 80))[19] = 0.0f,
		"tensor 'layers.0.w_scale'[19] = 0: weight scales must be positive");
	VARIANT("wscale-nan.xpi",
		((float *)var_data(&v, "layers.0.w_scale", 80))[0] = NAN,
		"weight scales must be positive and finite");
	VARIANT("identity.xpi",
		json_object_set_new(var_layer(&v, 0), "act", json_string("identity")),
		"layers[0]: hidden layers are \"relu\"");
	VARIANT("lastrelu.xpi",
		json_object_set_new(var_layer(&v, 1), "act", json_string("relu")),
		"layers[1]: hidden layers are \"relu\"");
	VARIANT("act.xpi",
		json_object_set_new(var_layer(&v, 1), "act", json_string("tanh")),
		"\"act\" must be \"relu\" or \"identity\"");
	VARIANT("actclip.xpi",
		json_object_set_new(var_layer(&v, 0), "act_clip", json_real(0.0)),
		"layers[0]: hidden layers are \"relu\" with act_clip > 0");
	VARIANT("nin.xpi", json_object_set_new(var_layer(&v, 1), "n_in", json_integer(19)),
		"layers[1]: \"n_in\" = 19, but layer 0 has 20 outputs");
	VARIANT("amul.xpi", json_object_set_new(var_layer(&v, 0), "amul", json_integer(256)),
		"layers[0]: \"amul\" = 256: legal range 0 … 255");
	VARIANT("ash.xpi", json_object_set_new(var_layer(&v, 0), "ash", json_integer(16)),
		"\"ash\" = 16: legal range 0 … 15");
	VARIANT("bias0.xpi", json_object_set_new(var_layer(&v, 1), "bias", json_integer(0)),
		"\"bias\" = 0");
	VARIANT("outscale.xpi", json_object_set_new(var_layer(&v, 1), "out_scale", json_real(-1)),
		"\"out_scale\" is out of range");
#undef VARIANT
	xpnn_st_free(&st);
	truncations(image, "image", 1);
}

/* The loader applies numerics §9's row-block limit (nrb · 2^(adc_bits−1) ≤ 32768) to every
 * layer, as the compiler and the board do: here layer 1 has 301 rows on tiles of 16 with a
 * 12-bit ADC, 19 row blocks where 16 is the limit (a regression test: the loader once checked
 * layer 0 only). */
static void test_image_rowblocks(void **state)
{
	(void)state;
	xpnn_image img;
	xp_netcfg cfg;
	xp_layer layers[2];
	char p[PATHLEN], err[ERRLEN], msg[XP_ERRMSG];
	const unsigned nin1[2] = { 239, 300 }; /* 15 row blocks (legal), 19 (not) */

	for (int bad = 0; bad < 2; bad++) {
		unsigned next = 0;

		memset(&img, 0, sizeof(img));
		geom_set(&img.geom, 16, 256, 64, 8, 4, 12);
		img.geom.dseed = 0;
		img.geom.p_sa0 = img.geom.p_samax = 0;
		img.geom.s_var = img.geom.s_prog = img.geom.s_read = img.geom.s_gain = 0;
		img.geom.s_off = 0;
		img.nlayers = 2;
		img.calib_pct = 99.99;
		for (unsigned l = 0; l < 2; l++) {
			xpnn_image_layer *L = &img.layer[l];

			L->n_in = l ? nin1[bad] : 10;
			L->n_out = l ? 2 : nin1[bad];
			L->bias = 1;
			L->act = l ? XP_ACT_IDENTITY : XP_ACT_RELU;
			L->amul = 1;
			L->nrb = (L->n_in + 1 + 15) / 16;
			L->ncb = (L->n_out + 255) / 256;
			L->ntiles = L->nrb * L->ncb;
			for (unsigned k = 0; k < L->ntiles; k++)
				L->tiles[k] = (uint16_t)next++;
			L->codes = calloc((size_t)(L->n_in + 1) * L->n_out * 2, 1);
			L->adc = calloc((size_t)L->nrb * L->n_out, sizeof(xp_adc));
			L->w_scale = malloc(sizeof(float) * L->n_out);
			assert_true(L->codes && L->adc && L->w_scale);
			for (unsigned j = 0; j < L->n_out; j++)
				L->w_scale[j] = 0.01f;
			for (size_t k = 0; k < (size_t)L->nrb * L->n_out; k++)
				L->adc[k].gain = 1;
			L->in_scale = 1.0f / 255.0f;
			L->out_scale = 0.1f;
			L->act_clip = l ? 0.0f : 2.0f;
		}
		/* the board's own check agrees that only the second one is illegal */
		xpnn_image_netcfg(&img, &cfg, layers);
		assert_int_equal(xp_netcfg_check(&img.geom, &cfg, msg, sizeof(msg)),
				 bad ? XP_EINVAL : XP_OK);
		tpath(p, bad ? "rowblocks-bad.xpi" : "rowblocks-ok.xpi");
		if (xpnn_image_save(&img, p, NULL, err, sizeof(err)))
			fail_msg("%s", err);
		xpnn_image_free(&img);
		if (bad) {
			image_fails(p, "layer 1");
			image_fails(p, "19 row blocks");
		} else if (xpnn_image_load(&img, p, err, sizeof(err))) {
			fail_msg("%s", err);
		} else {
			xpnn_image_free(&img);
		}
	}
}

static void test_model_corrupt(void **state)
{
	(void)state;
	char model[PATHLEN], image[PATHLEN], p[PATHLEN];
	xpnn_st st;
	variant v;

	make_files(model, image);
	model_fails(image, "metadata \"format\" is \"xpnn-image\", expected \"xpnn-model\"");
	model_fails(image, "this is a board image: give it to `xpnn load`");
	st_load(&st, model);

#define VARIANT(name, body, what)                      \
	do {                                           \
		var_init(&v, &st);                     \
		body;                                  \
		tpath(p, name);                        \
		var_write(&v, p);                      \
		model_fails(p, what);                  \
	} while (0)

	VARIANT("fmt.model", json_object_set_new(v.meta, "format", json_string("pytorch")),
		"metadata \"format\" is \"pytorch\", expected \"xpnn-model\"");
	VARIANT("noxpnn.model", (json_decref(v.x), v.x = NULL, json_object_del(v.meta, "xpnn")),
		"metadata \"xpnn\" is missing");
	VARIANT("version.model", json_object_set_new(v.x, "version", json_integer(2)),
		"\"version\" = 2: legal range 1 … 1");
	VARIANT("noversion.model", json_object_del(v.x, "version"), "\"version\" is missing");
	VARIANT("layers.model", json_object_set_new(v.x, "layers", json_pack("[i]", 40)),
		"\"layers\" must be an array of 2 … 9 widths");
	VARIANT("width0.model", json_array_set_new(json_object_get(v.x, "layers"), 1,
						   json_integer(0)),
		"\"layers\"[1] must be an integer 1 … 4096");
	VARIANT("rows.model", json_object_set_new(v.x, "rows", json_integer(0)),
		"\"rows\" = 0: legal range 1 … 1024");
	VARIANT("adcbits.model", json_object_set_new(v.x, "adc_bits", json_integer(13)),
		"\"adc_bits\" = 13: legal range 2 … 12");
	VARIANT("actclip-n.model", json_object_set_new(v.x, "act_clip", json_array()),
		"\"act_clip\" must be an array of 1 numbers (one per hidden layer)");
	VARIANT("actclip-0.model", json_object_set_new(v.x, "act_clip", json_pack("[f]", 0.0)),
		"\"act_clip\"[0] is out of range");
	VARIANT("adcclip.model", json_object_set_new(v.x, "adc_clip", json_pack("[f,s]", 0.0, "x")),
		"\"adc_clip\"[1] is not a number");
	VARIANT("notensor.model", var_drop(&v, "layers.1.bias"), "no tensor 'layers.1.bias'");
	VARIANT("f64.model",
		(var_data(&v, "layers.0.weight", 20 * 40 * 8),
		 var_t(&v, "layers.0.weight")->dtype = XPNN_F64,
		 var_t(&v, "layers.0.weight")->nbytes = 20 * 40 * 8),
		"tensor 'layers.0.weight': dtype F64, expected F32");
	VARIANT("shape.model",
		(var_t(&v, "layers.0.weight")->shape[0] = 40,
		 var_t(&v, "layers.0.weight")->shape[1] = 20),
		"tensor 'layers.0.weight': shape [40, 20], expected [20, 40]");
	VARIANT("nan.model", ((float *)var_data(&v, "layers.1.weight", 3 * 20 * 4))[17] = NAN,
		"tensor 'layers.1.weight': element 17 is nan: weights must be finite");
	VARIANT("inf.model", ((float *)var_data(&v, "layers.0.bias", 20 * 4))[3] = INFINITY,
		"tensor 'layers.0.bias': element 3 is inf: biases must be finite");
	VARIANT("act.model", json_object_set_new(v.x, "activation", json_string("identity")),
		"\"activation\" must be \"relu_clip\"");
	VARIANT("input.model", json_object_set_new(v.x, "input", json_string("pixel/127.5-1")),
		"\"input\" must be \"pixel/255\"");
#undef VARIANT
	xpnn_st_free(&st);
	truncations(model, "model", 0);
}

/* ======================================================================================
 * 8. The model file
 * ====================================================================================== */

static void script_path(char *out)
{
	const char *src = getenv("XPNN_SRCDIR");

	snprintf(out, PATHLEN, "%s/tests/indep/safetensors_std.py", src && *src ? src : ".");
	if (access(out, R_OK))
		fail_msg("cannot find %s: run from the repository root (make does) or set XPNN_SRCDIR "
			 "to it", out);
}


/* The independent reader accepts the file, and reports the tensors' dtype, shape and sum as
 * the C reader sees them, and the metadata. */
static void python_check(const char *path, const char *format)
{
	char script[PATHLEN], cmd[3 * PATHLEN], err[ERRLEN];
	char *out;
	json_t *j, *ts;
	json_error_t je;
	xpnn_st st;
	int rc;

	script_path(script);
	snprintf(cmd, sizeof(cmd), "python3 '%s' --check '%s'", script, path);
	rc = run(cmd, &out);
	if (rc != 0)
		fail_msg("%s: exit status %d, output: %s", cmd, rc, out);
	j = json_loads(out, 0, &je);
	if (!j)
		fail_msg("%s: output is not JSON (%s): %s", cmd, je.text, out);
	free(out);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "metadata"),
							      "format")), format);
	if (xpnn_st_read(&st, path, err, sizeof(err)))
		fail_msg("%s", err);
	ts = json_object_get(j, "tensors");
	assert_int_equal(json_object_size(ts), st.n);
	for (size_t k = 0; k < st.n; k++) {
		const xpnn_tensor *t = &st.t[k];
		json_t *e = json_object_get(ts, t->name), *sh;
		size_t cnt = t->nbytes / xpnn_dtype_size(t->dtype);
		double sum = 0.0;
		int64_t isum = 0;

		if (!e)
			fail_msg("python does not list tensor '%s'", t->name);
		assert_string_equal(json_string_value(json_object_get(e, "dtype")),
				    xpnn_dtype_name(t->dtype));
		sh = json_object_get(e, "shape");
		assert_int_equal(json_array_size(sh), t->ndim);
		for (int d = 0; d < t->ndim; d++)
			assert_int_equal(json_integer_value(json_array_get(sh, (size_t)d)),
					 t->shape[d]);
		for (size_t i = 0; i < cnt; i++)
			switch (t->dtype) {
			case XPNN_F32: sum += ((const float *)t->data)[i]; break;
			case XPNN_U8: isum += ((const uint8_t *)t->data)[i]; break;
			case XPNN_I16: isum += ((const int16_t *)t->data)[i]; break;
			default: fail_msg("unexpected dtype in '%s'", t->name);
			}
		if (t->dtype != XPNN_F32)
			sum = (double)isum;
		/* Python sums left to right in double, as above: the same bits */
		if (json_number_value(json_object_get(e, "sum")) != sum)
			fail_msg("tensor '%s': python's sum %.17g, C's %.17g", t->name,
				 json_number_value(json_object_get(e, "sum")), sum);
	}
	xpnn_st_free(&st);
	json_decref(j);
}

static void test_model_save_load(void **state)
{
	(void)state;
	const unsigned width[4] = { 13, 7, 6, 5 };
	xpnn_net n, m;
	xpnn_st st;
	char p[PATHLEN], q[PATHLEN], image[PATHLEN], err[ERRLEN];
	json_t *x;

	if (xpnn_net_init(&n, 3, width, 5, 1.5f, seed0, err, sizeof(err)))
		fail_msg("%s", err);
	rs = seed0 + 800;
	for (unsigned l = 0; l < 3; l++)
		for (unsigned j = 0; j < width[l + 1]; j++)
			n.b[l][j] = frand() - 0.5f;
	n.w[1][3] = -0.0f;            /* the sign of zero survives */
	n.w[2][0] = 1e-42f;           /* and a subnormal */
	n.act_clip[1] = 0.3333333433f;
	n.adc_clip[0] = 1.0f / 3.0f;  /* needs 9 digits in JSON */
	n.adc_clip[2] = 7.125f;
	n.dac_bits = 6;
	n.code_bits = 3;
	n.adc_bits = 10;
	tpath(p, "rt.model");
	if (xpnn_net_save(&n, p, "{\"epochs\":3,\"note\":\"x\"}", err, sizeof(err)))
		fail_msg("%s", err);
	memset(&m, 0xA5, sizeof(m));
	if (xpnn_net_load(&m, p, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(m.nlayers, 3);
	assert_memory_equal(m.width, n.width, sizeof(n.width));
	assert_int_equal(m.rows, 5);
	assert_int_equal(m.dac_bits, 6);
	assert_int_equal(m.code_bits, 3);
	assert_int_equal(m.adc_bits, 10);
	assert_memory_equal(m.act_clip, n.act_clip, sizeof(n.act_clip));
	assert_memory_equal(m.adc_clip, n.adc_clip, sizeof(n.adc_clip));
	assert_true(same_weights(&m, &n));
	assert_int_equal(m.quant, 0);
	/* saving the loaded net writes the same bytes */
	tpath(q, "rt2.model");
	if (xpnn_net_save(&m, q, "{\"epochs\":3,\"note\":\"x\"}", err, sizeof(err)))
		fail_msg("%s", err);
	{
		FILE *a = fopen(p, "rb"), *b = fopen(q, "rb");
		static uint8_t ba[1 << 14], bb[1 << 14];
		size_t na, nb;

		assert_true(a && b);
		na = fread(ba, 1, sizeof(ba), a);
		nb = fread(bb, 1, sizeof(bb), b);
		fclose(a);
		fclose(b);
		assert_int_equal(na, nb);
		assert_memory_equal(ba, bb, na);
	}
	/* the training summary is recorded in the metadata */
	st_load(&st, p);
	x = json_loads(xpnn_st_meta(&st, "xpnn"), 0, NULL);
	assert_non_null(x);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(x, "train"),
							    "epochs")), 3);
	json_decref(x);
	xpnn_st_free(&st);
	xpnn_net_free(&m);
	/* a bad summary is refused, the file untouched */
	assert_int_equal(xpnn_net_save(&n, p, "[1]", err, sizeof(err)), -1);
	assert_has(err, p);
	if (xpnn_net_load(&m, p, err, sizeof(err)))
		fail_msg("%s", err);
	assert_true(same_weights(&m, &n));
	xpnn_net_free(&m);

	/* an independent reader agrees with both files */
	python_check(p, "xpnn-model");
	make_files(q, image);
	python_check(image, "xpnn-image");
	xpnn_net_free(&n);
}

/* ---- main ---- */

static int setup(void **state)
{
	const char *t = getenv("TMPDIR");

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/xpnn-test-twin.XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(tmpdir)) {
		fprintf(stderr, "test_twin: mkdtemp %s: %s\n", tmpdir, strerror(errno));
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;
	char p[PATHLEN];

	(void)state;
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%.200s/%.200s", tmpdir, e->d_name);
		unlink(p);
	}
	closedir(d);
	return rmdir(tmpdir) < 0 ? -1 : 0;
}

int main(void)
{
	const char *e = getenv("XP_SEED");

	if (e && *e)
		seed0 = strtoull(e, NULL, 10);
	fprintf(stderr, "test_twin: XP_SEED=%llu (set XP_SEED to reproduce)\n",
		(unsigned long long)seed0);
	e = getenv("XP_TEST_FILTER");
	if (e && *e)
		cmocka_set_test_filter(e);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_twin_grad_fd),
		cmocka_unit_test(test_twin_grad_fd_one_block),
		cmocka_unit_test(test_twin_tiny_100),
		cmocka_unit_test(test_twin_deterministic),
		cmocka_unit_test(test_twin_vs_cmodel),
		cmocka_unit_test(test_twin_measured),
		cmocka_unit_test(test_compile_roundtrip),
		cmocka_unit_test(test_compile_too_big),
		cmocka_unit_test(test_image_corrupt),
		cmocka_unit_test(test_image_rowblocks),
		cmocka_unit_test(test_model_corrupt),
		cmocka_unit_test(test_model_save_load),
	};
	return cmocka_run_group_tests_name("twin", tests, setup, teardown);
}
