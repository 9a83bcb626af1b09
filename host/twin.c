/*
 * twin.c — the digital twin's passes, optimisers and calibration (twin.h).
 *
 * Layouts are row-major: activations (B, width), weights (n_out, n_in). A layer's rows are
 * cut into blocks of R (the tile height) whenever something acts on a block's partial sum
 * (ADC clamp, ADC quantisation, read noise); a plain float pass uses one block and one sgemm.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "twin.h"
#include "util.h"

#define MAXL XP_MAX_LAYERS

struct xpnn_twin {
	xpnn_net *n;
	unsigned maxb, B;
	unsigned l0;         /* the last pass started at layer l0 (backward stops there) */
	int train;
	float *x[MAXL + 1];  /* x[l] (B, width[l]): input of layer l as the pass used it;
				x[L]: logits */
	float *h[MAXL];      /* (B, n_out) pre-activation */
	uint8_t *pm[MAXL];   /* (nrb, B, n_out) 1 where the block's partial sum passed the ADC */
	unsigned nb[MAXL];   /* row blocks the pass used for layer l */
	int masked[MAXL];    /* pm[l] holds the ADC pass masks (else everything passed) */
	float *wq[MAXL];     /* (n_out, n_in) the weights the pass used */
	float *bq[MAXL];     /* (n_out) */
	float *wc[MAXL];     /* (n_out, n_in) quantised passes: the weight codes k+ - k- */
	float *bc[MAXL];     /* (n_out) and the bias row's codes */
	float *xc;           /* (B, max width) quantised passes: the layer's input DAC codes */
	float *dw[MAXL], *db[MAXL];
	float *p;            /* (B, max width) block partial sums */
	float *acc;          /* (B, max width) block sums (S in codes, or h) */
	float *da, *dp;      /* (B, max width) gradients */
	float *xin;          /* (B, width[0]) converted pixels */
	int noise;
	xpnn_noise nz;
	uint64_t rs[4];      /* xoshiro256** state of the noise */
};

/* ---- random numbers (noise, init): xoshiro256** seeded by splitmix64 ---- */

static void rng_seed(uint64_t s[4], uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		s[i] = xpnn_splitmix64(&seed);
}

static inline uint64_t rotl64(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t rng_next(uint64_t s[4])
{
	uint64_t r = rotl64(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl64(s[3], 45);
	return r;
}

static inline float rng_unit(uint64_t s[4]) /* [0, 1) */
{
	return (float)(rng_next(s) >> 40) * (1.0f / 16777216.0f);
}

/* Approximately normal, unit variance: Irwin–Hall sum of four 16-bit uniforms (tails stop at
 * ±3.5 sigma; enough for noise injection, and one generator call per draw). */
static inline float rng_gauss_fast(uint64_t s[4])
{
	uint64_t r = rng_next(s);
	int32_t sum = (int32_t)(r & 0xFFFF) + (int32_t)((r >> 16) & 0xFFFF) +
		      (int32_t)((r >> 32) & 0xFFFF) + (int32_t)(r >> 48) - 2 * 65535;

	return (float)sum * (1.7320508f / 65536.0f);
}

static double rng_gauss(uint64_t s[4]) /* Box–Muller, for initialisation */
{
	double u1 = ((double)(rng_next(s) >> 11) + 1.0) * (1.0 / 9007199254740993.0);
	double u2 = (double)(rng_next(s) >> 11) * (1.0 / 9007199254740992.0);

	return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* ---- the network ---- */

float xpnn_net_in_fs(const xpnn_net *n, unsigned l)
{
	return l == 0 ? 1.0f : n->act_clip[l - 1];
}

unsigned xpnn_net_nrb(const xpnn_net *n, unsigned l)
{
	return (n->width[l] + 1 + n->rows - 1) / n->rows;
}

void xpnn_net_free(xpnn_net *n)
{
	for (unsigned l = 0; l < MAXL; l++) {
		free(n->w[l]);
		free(n->b[l]);
		free(n->q[l].sw);
		free(n->q[l].cg);
		free(n->q[l].aoff);
	}
	memset(n, 0, sizeof(*n));
}

static int net_alloc(xpnn_net *n, unsigned nlayers, const unsigned *width, unsigned rows,
		     char *err, size_t errlen)
{
	memset(n, 0, sizeof(*n));
	if (nlayers < 1 || nlayers > MAXL) {
		xpnn_errf(err, errlen, "layers = %u: legal range 1 … %d", nlayers, MAXL);
		return -1;
	}
	if (rows < 1 || rows > XP_MAX_ROWS) {
		xpnn_errf(err, errlen, "rows = %u: legal range 1 … %d", rows, XP_MAX_ROWS);
		return -1;
	}
	for (unsigned l = 0; l <= nlayers; l++)
		if (width[l] < 1 || width[l] > XP_MAX_WIDTH) {
			xpnn_errf(err, errlen, "width of %s %u = %u: legal range 1 … %d",
				  l ? "layer" : "the input", l ? l - 1 : 0, width[l], XP_MAX_WIDTH);
			return -1;
		}
	n->nlayers = nlayers;
	n->rows = rows;
	n->dac_bits = 8;
	n->code_bits = 4;
	n->adc_bits = 8;
	memcpy(n->width, width, (nlayers + 1) * sizeof(width[0]));
	for (unsigned l = 0; l < nlayers; l++) {
		n->w[l] = calloc((size_t)width[l] * width[l + 1], sizeof(float));
		n->b[l] = calloc(width[l + 1], sizeof(float));
		if (!n->w[l] || !n->b[l]) {
			xpnn_net_free(n);
			xpnn_errf(err, errlen, "out of memory");
			return -1;
		}
	}
	return 0;
}

int xpnn_net_init(xpnn_net *n, unsigned nlayers, const unsigned *width, unsigned rows,
		  float act_clip, uint64_t seed, char *err, size_t errlen)
{
	uint64_t s[4];

	if (!(act_clip > 0.0f) || act_clip > 1e6f) {
		xpnn_errf(err, errlen, "act_clip = %g: must be > 0 and ≤ 1e6", (double)act_clip);
		return -1;
	}
	if (net_alloc(n, nlayers, width, rows, err, errlen))
		return -1;
	rng_seed(s, seed);
	for (unsigned l = 0; l < nlayers; l++) {
		double sd = sqrt(2.0 / width[l]);
		size_t nw = (size_t)width[l] * width[l + 1];

		for (size_t i = 0; i < nw; i++)
			n->w[l][i] = (float)(rng_gauss(s) * sd);
		if (l + 1 < nlayers)
			n->act_clip[l] = act_clip;
	}
	return 0;
}

int xpnn_net_quant_alloc(xpnn_net *n, char *err, size_t errlen)
{
	for (unsigned l = 0; l < n->nlayers; l++) {
		xpnn_qlayer *q = &n->q[l];
		size_t nb = (size_t)xpnn_net_nrb(n, l) * n->width[l + 1];

		if (q->sw)
			continue;
		q->sw = calloc(n->width[l + 1], sizeof(float));
		q->cg = calloc(nb, sizeof(float));
		q->aoff = calloc(nb, sizeof(float));
		if (!q->sw || !q->cg || !q->aoff) {
			xpnn_errf(err, errlen, "out of memory");
			return -1;
		}
		for (size_t i = 0; i < nb; i++)
			q->cg[i] = 1.0f;
		q->s_out = 1.0f;
		q->amul_r = 1.0f;
	}
	n->quant = 1;
	return 0;
}

int xpnn_net_copy(xpnn_net *dst, const xpnn_net *src, char *err, size_t errlen)
{
	if (net_alloc(dst, src->nlayers, src->width, src->rows, err, errlen))
		return -1;
	dst->dac_bits = src->dac_bits;
	dst->code_bits = src->code_bits;
	dst->adc_bits = src->adc_bits;
	memcpy(dst->act_clip, src->act_clip, sizeof(dst->act_clip));
	memcpy(dst->adc_clip, src->adc_clip, sizeof(dst->adc_clip));
	for (unsigned l = 0; l < src->nlayers; l++) {
		memcpy(dst->w[l], src->w[l], sizeof(float) * src->width[l] * src->width[l + 1]);
		memcpy(dst->b[l], src->b[l], sizeof(float) * src->width[l + 1]);
	}
	if (src->q[0].sw) {
		if (xpnn_net_quant_alloc(dst, err, errlen)) {
			xpnn_net_free(dst);
			return -1;
		}
		for (unsigned l = 0; l < src->nlayers; l++) {
			const xpnn_qlayer *a = &src->q[l];
			xpnn_qlayer *b = &dst->q[l];
			size_t nb = (size_t)xpnn_net_nrb(src, l) * src->width[l + 1];

			memcpy(b->sw, a->sw, sizeof(float) * src->width[l + 1]);
			memcpy(b->cg, a->cg, sizeof(float) * nb);
			memcpy(b->aoff, a->aoff, sizeof(float) * nb);
			b->s_out = a->s_out;
			b->amul_r = a->amul_r;
			b->fixed = a->fixed;
		}
	}
	dst->quant = src->quant;
	return 0;
}

/* cg of layer l for its current sw and s_out: every column reads out in s_out */
static void set_cg(xpnn_net *n, unsigned l)
{
	xpnn_qlayer *q = &n->q[l];
	unsigned no = n->width[l + 1], nrb = xpnn_net_nrb(n, l);
	double sx = (double)xpnn_net_in_fs(n, l) / (double)((1u << n->dac_bits) - 1);

	for (unsigned rb = 0; rb < nrb; rb++)
		for (unsigned j = 0; j < no; j++)
			q->cg[(size_t)rb * no + j] = (float)(sx * q->sw[j] / q->s_out);
}

void xpnn_net_quant_weights(xpnn_net *n)
{
	float cmax = (float)((1u << n->code_bits) - 1);

	for (unsigned l = 0; l < n->nlayers; l++) {
		unsigned ni = n->width[l], no = n->width[l + 1];

		if (!n->q[l].sw || n->q[l].fixed)
			continue;
		for (unsigned j = 0; j < no; j++) {
			const float *w = n->w[l] + (size_t)j * ni;
			float m = 0.0f;

			for (unsigned i = 0; i < ni; i++)
				m = fmaxf(m, fabsf(w[i]));
			n->q[l].sw[j] = m > 0.0f ? m / cmax : 1.0f;
		}
		set_cg(n, l);
	}
}

/* A weight or bias code: round half up, clamped to ±cmax — the compiler's mapping. */
static inline float code_of(float v, float step, float cmax)
{
	return fminf(fmaxf(floorf(v / step + 0.5f), -cmax), cmax);
}

void xpnn_net_codes(const xpnn_net *n, unsigned l, int8_t *k)
{
	unsigned ni = n->width[l], no = n->width[l + 1];
	float cmax = (float)((1u << n->code_bits) - 1), fs = xpnn_net_in_fs(n, l);

	for (unsigned j = 0; j < no; j++) {
		float sw = n->q[l].sw[j];

		for (unsigned i = 0; i < ni; i++)
			k[(size_t)i * no + j] =
				(int8_t)code_of(n->w[l][(size_t)j * ni + i], sw, cmax);
		k[(size_t)ni * no + j] = (int8_t)code_of(n->b[l][j], sw * fs, cmax);
	}
}

/* ---- noise ---- */

void xpnn_noise_default(xpnn_noise *nz, float scale)
{
	xp_params p;
	float step; /* stored-conductance LSBs per code step */

	xp_params_default(&p);
	step = (float)(1u << (8 - p.code_bits));
	nz->var = scale * (float)p.s_var / 1024.0f;
	/* two devices' programming noise, in code steps: sqrt(2) * sigma / step */
	nz->prog = scale * 1.41421356f * ((float)p.s_prog / 8.0f) / step;
	nz->sa0 = scale * (float)p.p_sa0 / 65536.0f;
	nz->samax = scale * (float)p.p_samax / 65536.0f;
	/* read noise in accumulator LSBs; one DAC code times one code step is `step` LSBs */
	nz->read = scale * (float)p.s_read / step;
	nz->gain = scale * (float)p.s_gain / 1024.0f;
	nz->off = scale * (float)p.s_off / 8.0f;
}

/* ---- workspace ---- */

xpnn_twin *xpnn_twin_create(xpnn_net *n, unsigned max_batch)
{
	xpnn_twin *t = calloc(1, sizeof(*t));
	unsigned wmax = 0;
	int ok = 1;

	if (!t || !max_batch) {
		free(t);
		return NULL;
	}
	t->n = n;
	t->maxb = max_batch;
	for (unsigned l = 0; l <= n->nlayers; l++)
		wmax = wmax > n->width[l] ? wmax : n->width[l];
	for (unsigned l = 0; l <= n->nlayers; l++) {
		t->x[l] = malloc(sizeof(float) * max_batch * n->width[l]);
		ok &= !!t->x[l];
	}
	for (unsigned l = 0; l < n->nlayers; l++) {
		size_t nw = (size_t)n->width[l] * n->width[l + 1];

		t->h[l] = malloc(sizeof(float) * max_batch * n->width[l + 1]);
		t->pm[l] = malloc((size_t)xpnn_net_nrb(n, l) * max_batch * n->width[l + 1]);
		t->wq[l] = malloc(sizeof(float) * nw);
		t->bq[l] = malloc(sizeof(float) * n->width[l + 1]);
		t->wc[l] = malloc(sizeof(float) * nw);
		t->bc[l] = malloc(sizeof(float) * n->width[l + 1]);
		t->dw[l] = calloc(nw, sizeof(float));
		t->db[l] = calloc(n->width[l + 1], sizeof(float));
		ok &= t->h[l] && t->pm[l] && t->wq[l] && t->bq[l] && t->dw[l] && t->db[l] &&
		      t->wc[l] && t->bc[l];
	}
	t->p = malloc(sizeof(float) * max_batch * wmax);
	t->acc = malloc(sizeof(float) * max_batch * wmax);
	t->da = malloc(sizeof(float) * max_batch * wmax);
	t->dp = malloc(sizeof(float) * max_batch * wmax);
	t->xin = malloc(sizeof(float) * max_batch * n->width[0]);
	t->xc = malloc(sizeof(float) * max_batch * wmax);
	if (!ok || !t->p || !t->acc || !t->da || !t->dp || !t->xin || !t->xc) {
		xpnn_twin_destroy(t);
		return NULL;
	}
	return t;
}

void xpnn_twin_destroy(xpnn_twin *t)
{
	if (!t)
		return;
	for (unsigned l = 0; l <= MAXL; l++)
		free(t->x[l]);
	for (unsigned l = 0; l < MAXL; l++) {
		free(t->h[l]);
		free(t->pm[l]);
		free(t->wq[l]);
		free(t->bq[l]);
		free(t->wc[l]);
		free(t->bc[l]);
		free(t->dw[l]);
		free(t->db[l]);
	}
	free(t->p);
	free(t->acc);
	free(t->da);
	free(t->dp);
	free(t->xin);
	free(t->xc);
	free(t);
}

void xpnn_twin_set_noise(xpnn_twin *t, const xpnn_noise *nz, uint64_t seed)
{
	t->noise = nz != NULL;
	if (nz)
		t->nz = *nz;
	rng_seed(t->rs, seed ^ 0x6E6F697365ull);
}

float *xpnn_twin_dw(xpnn_twin *t, unsigned l)
{
	return t->dw[l];
}

float *xpnn_twin_db(xpnn_twin *t, unsigned l)
{
	return t->db[l];
}

/* ---- forward ---- */

static inline float round_half_up(float v)
{
	return floorf(v + 0.5f);
}

/* The weights this pass uses: quantised to codes per column scale, perturbed by noise. */
static void pass_weights(xpnn_twin *t, unsigned l, int noisy)
{
	const xpnn_net *n = t->n;
	unsigned ni = n->width[l], no = n->width[l + 1];
	float cmax = (float)((1u << n->code_bits) - 1);
	/* a stuck-at-max device: 255 stored LSBs, in code steps */
	float gmaxc = 255.0f / (float)(1u << (8 - n->code_bits));
	float fs = xpnn_net_in_fs(n, l);

	for (unsigned j = 0; j < no; j++) {
		const float *w = n->w[l] + (size_t)j * ni;
		float *wq = t->wq[l] + (size_t)j * ni;
		float sw, b;

		if (n->quant) {
			float *wc = t->wc[l] + (size_t)j * ni, bc;

			sw = n->q[l].sw[j];
			for (unsigned i = 0; i < ni; i++) {
				wc[i] = code_of(w[i], sw, cmax);
				wq[i] = wc[i] * sw;
			}
			bc = code_of(n->b[l][j], sw * fs, cmax);
			t->bc[l][j] = bc;
			b = bc * sw * fs;
		} else {
			float m = 0.0f;

			memcpy(wq, w, sizeof(float) * ni);
			b = n->b[l][j];
			if (noisy) {
				for (unsigned i = 0; i < ni; i++)
					m = fmaxf(m, fabsf(w[i]));
			}
			sw = m > 0.0f ? m / cmax : 1.0f;
		}
		if (noisy) {
			const xpnn_noise *z = &t->nz;

			for (unsigned i = 0; i < ni; i++) {
				float u = rng_unit(t->rs), v = wq[i];
				float sgn = v > 0.0f ? 1.0f : v < 0.0f ? -1.0f :
					    (u < 0.5f ? 1.0f : -1.0f);

				if (v != 0.0f && u < z->sa0) {
					v = 0.0f; /* the driven device stuck at 0 */
				} else if (u >= z->sa0 && u < z->sa0 + z->samax) {
					v = sgn * gmaxc * sw; /* the driven device stuck at max */
				} else if (u >= z->sa0 + z->samax && u < z->sa0 + 2 * z->samax) {
					v -= sgn * gmaxc * sw; /* its partner stuck at max */
				} else {
					v += v * z->var * rng_gauss_fast(t->rs) +
					     z->prog * sw * rng_gauss_fast(t->rs);
				}
				wq[i] = v;
			}
			b += b * z->var * rng_gauss_fast(t->rs);
		}
		t->bq[l][j] = b;
	}
}

/* Partial sums of row block [r0, r1) of layer l (bias added if the bias row is in it). */
static void block_psum(xpnn_twin *t, unsigned l, unsigned r0, unsigned r1, int has_bias,
		       float *p)
{
	const xpnn_net *n = t->n;
	unsigned ni = n->width[l], no = n->width[l + 1], B = t->B;

	if (r1 > r0)
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)B, (int)no,
			    (int)(r1 - r0), 1.0f, t->x[l] + r0, (int)ni, t->wq[l] + r0, (int)ni,
			    0.0f, p, (int)no);
	else
		memset(p, 0, sizeof(float) * B * no);
	if (has_bias)
		for (unsigned i = 0; i < B; i++)
			for (unsigned j = 0; j < no; j++)
				p[(size_t)i * no + j] += t->bq[l][j];
}

/* The integer column sums Σ x_code · (k+ - k-) of row block [r0, r1) of layer l, bias row
 * (driven at XMAX) included if it is in the block: exact, as sgemm adds integers below 2^24
 * without rounding (layer_forward takes this path only while R · XMAX · CMAX < 2^24). */
static void block_isum(xpnn_twin *t, unsigned l, unsigned r0, unsigned r1, int has_bias,
		       float *p)
{
	const xpnn_net *n = t->n;
	unsigned ni = n->width[l], no = n->width[l + 1], B = t->B;
	float xmax = (float)((1u << n->dac_bits) - 1);

	if (r1 > r0)
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)B, (int)no,
			    (int)(r1 - r0), 1.0f, t->xc + r0, (int)ni, t->wc[l] + r0, (int)ni,
			    0.0f, p, (int)no);
	else
		memset(p, 0, sizeof(float) * B * no);
	if (has_bias)
		for (unsigned i = 0; i < B; i++)
			for (unsigned j = 0; j < no; j++)
				p[(size_t)i * no + j] += t->bc[l][j] * xmax;
}

static void layer_forward(xpnn_twin *t, unsigned l, int noisy)
{
	const xpnn_net *n = t->n;
	const xpnn_qlayer *q = &n->q[l];
	unsigned ni = n->width[l], no = n->width[l + 1], B = t->B, R = n->rows;
	int last = l + 1 == n->nlayers;
	int blocks = n->quant || n->adc_clip[l] > 0.0f || noisy;
	unsigned nrb = blocks ? xpnn_net_nrb(n, l) : 1;
	float amax = (float)((1 << (n->adc_bits - 1)) - 1), amin = -amax - 1.0f;
	float *h = t->h[l], *acc = t->acc;

	pass_weights(t, l, noisy);
	t->nb[l] = nrb;
	t->masked[l] = blocks;
	if (nrb == 1 && !blocks) {
		block_psum(t, l, 0, ni, 1, h);
	} else {
		float clip_hi = n->adc_clip[l], clip_lo = clip_hi * amin / amax;
		float fs = xpnn_net_in_fs(n, l);
		float sx = fs / (float)((1u << n->dac_bits) - 1);

		/* exact while every block sum stays below 2^24 (float's integers) */
		int exact = n->quant && !noisy &&
			    (double)R * ((1u << n->dac_bits) - 1) * ((1u << n->code_bits) - 1) <
				    16777216.0;

		if (exact) {
			/* the layer's input as DAC codes (x holds code * sx) */
			for (size_t k = 0; k < (size_t)B * ni; k++)
				t->xc[k] = round_half_up(t->x[l][k] / sx);
		}
		memset(acc, 0, sizeof(float) * B * no);
		for (unsigned rb = 0; rb < nrb; rb++) {
			unsigned r0 = rb * R, r1 = r0 + R < ni ? r0 + R : ni;
			int has_bias = ni >= r0 && ni < r0 + R;
			uint8_t *pm = t->pm[l] + (size_t)rb * B * no;
			float *p = t->p;
			float gerr[XP_MAX_WIDTH], oerr[XP_MAX_WIDTH];

			if (exact) {
				block_isum(t, l, r0 < ni ? r0 : ni, r1 > r0 ? r1 : r0, has_bias, p);
				for (unsigned i = 0; i < B; i++)
					for (unsigned j = 0; j < no; j++) {
						size_t k = (size_t)i * no + j;
						/* in double: exact, as cg = step * gain / 2^shift
						 * is for an image, so rounding ties are the board's */
						double c = floor((double)p[k] *
								 (double)q->cg[rb * no + j] + 0.5) +
							   (double)q->aoff[rb * no + j];

						pm[k] = c >= amin && c <= amax;
						acc[k] += (float)(c < amin ? amin : c > amax ? amax : c);
					}
				continue;
			}
			block_psum(t, l, r0 < ni ? r0 : ni, r1 > r0 ? r1 : r0, has_bias, p);
			if (noisy)
				for (unsigned j = 0; j < no; j++) {
					gerr[j] = 1.0f + t->nz.gain * rng_gauss_fast(t->rs);
					oerr[j] = t->nz.off * rng_gauss_fast(t->rs);
				}
			for (unsigned i = 0; i < B; i++)
				for (unsigned j = 0; j < no; j++) {
					size_t k = (size_t)i * no + j;
					float v = p[k];

					/* float partial sum of one ADC code */
					float lsb = n->quant ? sx * q->sw[j] / q->cg[rb * no + j] :
						    (clip_hi > 0.0f ? clip_hi / amax : 0.0f);

					if (noisy) {
						float sw = n->quant ? q->sw[j] : 1.0f;

						v = v * gerr[j] + t->nz.read * sx * sw *
							rng_gauss_fast(t->rs) + oerr[j] * lsb;
					}
					if (n->quant) {
						float c = round_half_up(v / lsb) + q->aoff[rb * no + j];

						pm[k] = c >= amin && c <= amax;
						acc[k] += fminf(fmaxf(c, amin), amax);
					} else if (clip_hi > 0.0f) {
						pm[k] = v > clip_lo && v < clip_hi;
						acc[k] += fminf(fmaxf(v, clip_lo), clip_hi);
					} else {
						pm[k] = 1;
						acc[k] += v;
					}
				}
		}
		for (size_t k = 0; k < (size_t)B * no; k++)
			h[k] = n->quant ? acc[k] * q->s_out : acc[k];
		if (n->quant && !last) {
			/* the board requantises S, not h: keep its rounding exactly */
			float xmax = (float)((1u << n->dac_bits) - 1);
			float sxn = n->act_clip[l] / xmax;
			float *a = t->x[l + 1];

			for (size_t k = 0; k < (size_t)B * no; k++)
				a[k] = fminf(fmaxf(round_half_up(acc[k] * q->amul_r), 0.0f), xmax) *
				       sxn;
			return;
		}
	}
	if (last) {
		memcpy(t->x[l + 1], h, sizeof(float) * B * no);
	} else {
		float clip = n->act_clip[l];
		float *a = t->x[l + 1];

		for (size_t k = 0; k < (size_t)B * no; k++)
			a[k] = fminf(fmaxf(h[k], 0.0f), clip);
	}
}

/* The forward pass through layers l0 … nl-1 (their inputs x[l0 … nl]), x the input of layer
 * l0; measured outputs (may be NULL) replace the twin's where given. */
static void forward_layers(xpnn_twin *t, unsigned l0, const float *x, unsigned B, int train,
			   unsigned nl, const xpnn_measured *m)
{
	xpnn_net *n = t->n;

	if (B > t->maxb)
		B = t->maxb;
	t->B = B;
	t->l0 = l0;
	t->train = train;
	if (n->quant) {
		xpnn_net_quant_weights(n);
		/* the board's DAC takes codes: quantise the input */
		float xmax = (float)((1u << n->dac_bits) - 1);
		float sx = xpnn_net_in_fs(n, l0) / xmax;

		for (size_t k = 0; k < (size_t)B * n->width[l0]; k++)
			t->x[l0][k] = fminf(fmaxf(round_half_up(x[k] / sx), 0.0f), xmax) * sx;
	} else {
		memcpy(t->x[l0], x, sizeof(float) * B * n->width[l0]);
	}
	for (unsigned l = l0; l < nl; l++) {
		size_t sz = sizeof(float) * B * n->width[l + 1];

		layer_forward(t, l, train && t->noise);
		if (!m || !m->h[l])
			continue;
		/* physics-aware training: the board's outputs are the pass's; the next layer
		 * runs on the board's activations, and the backward pass goes through them */
		memcpy(t->h[l], m->h[l], sz);
		if (l + 1 == n->nlayers)
			memcpy(t->x[l + 1], m->h[l], sz);
		else if (m->a[l])
			memcpy(t->x[l + 1], m->a[l], sz);
	}
}

const float *xpnn_twin_forward(xpnn_twin *t, const float *x, unsigned B, int train)
{
	forward_layers(t, 0, x, B, train, t->n->nlayers, NULL);
	return t->x[t->n->nlayers];
}

const float *xpnn_twin_forward_ex(xpnn_twin *t, unsigned l0, const float *x, unsigned B,
				  int train, const xpnn_measured *m)
{
	if (l0 >= t->n->nlayers)
		return NULL;
	forward_layers(t, l0, x, B, train, t->n->nlayers, m);
	return t->x[t->n->nlayers];
}

const float *xpnn_twin_forward_u8(xpnn_twin *t, const uint8_t *x, unsigned B, int train)
{
	size_t m = (size_t)(B < t->maxb ? B : t->maxb) * t->n->width[0];

	for (size_t k = 0; k < m; k++)
		t->xin[k] = (float)x[k] * (1.0f / 255.0f);
	return xpnn_twin_forward(t, t->xin, B, train);
}

unsigned xpnn_argmax_f(const float *v, unsigned k)
{
	unsigned best = 0;

	for (unsigned j = 1; j < k; j++)
		if (v[j] > v[best])
			best = j;
	return best;
}

unsigned xpnn_argmax_i16(const int16_t *v, unsigned k)
{
	unsigned best = 0;

	for (unsigned j = 1; j < k; j++)
		if (v[j] > v[best])
			best = j;
	return best;
}

float xpnn_twin_loss(xpnn_twin *t, const uint8_t *labels, unsigned B, unsigned *correct)
{
	const xpnn_net *n = t->n;
	unsigned K = n->width[n->nlayers];
	const float *z = t->x[n->nlayers];
	float *d = t->da;
	double loss = 0.0;
	unsigned hits = 0;

	if (B > t->B)
		B = t->B;
	for (unsigned i = 0; i < B; i++) {
		const float *zi = z + (size_t)i * K;
		float *di = d + (size_t)i * K;
		unsigned y = labels[i] < K ? labels[i] : K - 1;
		float m = zi[0], s = 0.0f;

		for (unsigned j = 1; j < K; j++)
			m = fmaxf(m, zi[j]);
		for (unsigned j = 0; j < K; j++)
			s += (di[j] = expf(zi[j] - m));
		for (unsigned j = 0; j < K; j++)
			di[j] = di[j] / s / (float)B;
		di[y] -= 1.0f / (float)B;
		loss += (double)(logf(fmaxf(s, 1.0f)) + m - zi[y]); /* s ≥ 1: exp(0) is in it */
		hits += xpnn_argmax_f(zi, K) == labels[i];
	}
	if (correct)
		*correct = hits;
	return B ? (float)(loss / B) : 0.0f;
}

/* ---- backward ---- */

void xpnn_twin_backward(xpnn_twin *t)
{
	const xpnn_net *n = t->n;
	unsigned B = t->B, R = n->rows;

	/* t->da holds the gradient of the logits (xpnn_twin_loss); layers below the pass's
	 * first get no gradient */
	for (unsigned li = 0; li < t->l0; li++) {
		memset(t->dw[li], 0, sizeof(float) * n->width[li] * n->width[li + 1]);
		memset(t->db[li], 0, sizeof(float) * n->width[li + 1]);
	}
	for (unsigned li = n->nlayers; li-- > t->l0;) {
		unsigned ni = n->width[li], no = n->width[li + 1], nrb = t->nb[li];
		int masked = t->masked[li];
		float *dh = t->da;

		if (li + 1 < n->nlayers) {
			float clip = n->act_clip[li];
			const float *h = t->h[li];

			for (size_t k = 0; k < (size_t)B * no; k++)
				if (!(h[k] > 0.0f && h[k] < clip))
					dh[k] = 0.0f;
		}
		memset(t->db[li], 0, sizeof(float) * no);
		for (unsigned rb = 0; rb < nrb; rb++) {
			unsigned r0 = masked ? rb * R : 0;
			unsigned r1 = masked ? (r0 + R < ni ? r0 + R : ni) : ni;
			int has_bias = !masked || (ni >= r0 && ni < r0 + R);
			const float *dp = dh;

			if (masked) {
				const uint8_t *pm = t->pm[li] + (size_t)rb * B * no;
				float *d = t->dp;

				for (size_t k = 0; k < (size_t)B * no; k++)
					d[k] = pm[k] ? dh[k] : 0.0f;
				dp = d;
			}
			if (r1 > r0)
				cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)no,
					    (int)(r1 - r0), (int)B, 1.0f, dp, (int)no, t->x[li] + r0,
					    (int)ni, 0.0f, t->dw[li] + r0, (int)ni);
			if (has_bias)
				for (unsigned i = 0; i < B; i++)
					for (unsigned j = 0; j < no; j++)
						t->db[li][j] += dp[(size_t)i * no + j];
			if (li > t->l0 && r1 > r0)
				/* the gradient of the layer's input goes to t->p, then t->da */
				cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)B,
					    (int)(r1 - r0), (int)no, 1.0f, dp, (int)no,
					    t->wq[li] + r0, (int)ni, 0.0f, t->p + r0, (int)ni);
		}
		if (li > t->l0)
			memcpy(t->da, t->p, sizeof(float) * B * ni);
	}
}

/* ---- optimisers ---- */

int xpnn_opt_init(xpnn_opt *o, const xpnn_net *n, int kind, float lr, char *err, size_t errlen)
{
	memset(o, 0, sizeof(*o));
	o->kind = kind;
	o->lr = lr;
	o->momentum = 0.9f;
	o->beta1 = 0.9f;
	o->beta2 = 0.999f;
	o->eps = 1e-8f;
	for (unsigned l = 0; l < n->nlayers; l++) {
		size_t sz[2] = { (size_t)n->width[l] * n->width[l + 1], n->width[l + 1] };

		for (int k = 0; k < 2; k++) {
			o->m[l][k] = calloc(sz[k], sizeof(float));
			o->v[l][k] = kind == XPNN_OPT_ADAM ? calloc(sz[k], sizeof(float)) : NULL;
			if (!o->m[l][k] || (kind == XPNN_OPT_ADAM && !o->v[l][k])) {
				xpnn_opt_free(o);
				xpnn_errf(err, errlen, "out of memory");
				return -1;
			}
		}
	}
	return 0;
}

void xpnn_opt_free(xpnn_opt *o)
{
	for (unsigned l = 0; l < MAXL; l++)
		for (int k = 0; k < 2; k++) {
			free(o->m[l][k]);
			free(o->v[l][k]);
		}
	memset(o, 0, sizeof(*o));
}

void xpnn_opt_step(xpnn_opt *o, xpnn_net *n, xpnn_twin *t, float lr)
{
	o->step++;
	float bc1 = 1.0f - powf(o->beta1, (float)o->step);
	float bc2 = 1.0f - powf(o->beta2, (float)o->step);
	float a = lr * sqrtf(bc2) / bc1;

	for (unsigned l = o->first; l < n->nlayers; l++) {
		size_t sz[2] = { (size_t)n->width[l] * n->width[l + 1], n->width[l + 1] };
		float *p[2] = { n->w[l], n->b[l] };
		const float *g[2] = { t->dw[l], t->db[l] };

		for (int k = 0; k < 2; k++) {
			float *m = o->m[l][k], *v = o->v[l][k], *pk = p[k];
			const float *gk = g[k];
			float wd = k == 0 ? o->weight_decay : 0.0f;

			if (o->kind == XPNN_OPT_ADAM) {
				float b1 = o->beta1, b2 = o->beta2, eps = o->eps;

				for (size_t i = 0; i < sz[k]; i++) {
					float gi = gk[i] + wd * pk[i];

					m[i] = b1 * m[i] + (1.0f - b1) * gi;
					v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
					pk[i] -= a * m[i] / (sqrtf(v[i]) + eps);
				}
			} else {
				float mu = o->momentum;

				for (size_t i = 0; i < sz[k]; i++) {
					m[i] = mu * m[i] + gk[i] + wd * pk[i];
					pk[i] -= lr * m[i];
				}
			}
		}
	}
}

/* ---- calibration ---- */

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return (x > y) - (x < y);
}

int xpnn_net_calibrate(xpnn_net *n, const uint8_t *x, unsigned count, double pct, char *err,
		       size_t errlen)
{
	unsigned chunk = 256;
	xpnn_twin *t;
	float *mag[MAXL] = { 0 };
	size_t nmag[MAXL] = { 0 };
	int rc = -1;
	float amax = (float)((1 << (n->adc_bits - 1)) - 1);

	if (!count) {
		xpnn_errf(err, errlen, "calibration needs at least one vector");
		return -1;
	}
	if (!(pct > 0.0 && pct <= 100.0)) {
		xpnn_errf(err, errlen, "calibration percentile %g: legal range (0, 100]", pct);
		return -1;
	}
	if (xpnn_net_quant_alloc(n, err, errlen))
		return -1;
	xpnn_net_quant_weights(n);
	t = xpnn_twin_create(n, chunk);
	if (!t) {
		xpnn_errf(err, errlen, "out of memory");
		return -1;
	}
	for (unsigned l = 0; l < n->nlayers; l++) {
		mag[l] = malloc(sizeof(float) * (size_t)count * xpnn_net_nrb(n, l) *
				n->width[l + 1]);
		if (!mag[l]) {
			xpnn_errf(err, errlen, "out of memory");
			goto fail;
		}
	}
	/* Layer by layer: the partial sums of layer l are measured with layers 0 … l-1 already
	 * quantised as the board will run them. Each layer is calibrated over all vectors
	 * before the next one is touched. */
	for (unsigned l = 0; l < n->nlayers; l++) {
		unsigned ni = n->width[l], no = n->width[l + 1], nrb = xpnn_net_nrb(n, l);
		unsigned R = n->rows;

		for (unsigned s = 0; s < count; s += chunk) {
			unsigned B = count - s < chunk ? count - s : chunk;

			for (size_t k = 0; k < (size_t)B * n->width[0]; k++)
				t->xin[k] = (float)x[(size_t)s * n->width[0] + k] / 255.0f;
			forward_layers(t, 0, t->xin, B, 0, l, NULL); /* layers < l are calibrated */
			pass_weights(t, l, 0);
			for (unsigned rb = 0; rb < nrb; rb++) {
				unsigned r0 = rb * R, r1 = r0 + R < ni ? r0 + R : ni;
				int has_bias = ni >= r0 && ni < r0 + R;

				block_psum(t, l, r0 < ni ? r0 : ni, r1 > r0 ? r1 : r0, has_bias,
					   t->p);
				for (size_t k = 0; k < (size_t)B * no; k++)
					mag[l][nmag[l]++] = fabsf(t->p[k]);
			}
		}
		qsort(mag[l], nmag[l], sizeof(float), cmp_float);
		size_t at = (size_t)ceil(pct / 100.0 * (double)nmag[l]);
		float top = mag[l][at ? (at > nmag[l] ? nmag[l] - 1 : at - 1) : 0];
		xpnn_qlayer *q = &n->q[l];

		if (!(top > 0.0f))
			top = 1.0f;
		q->s_out = top / amax;
		for (size_t k = 0; k < (size_t)nrb * no; k++)
			q->aoff[k] = 0.0f;
		set_cg(n, l);
		if (l + 1 < n->nlayers)
			q->amul_r = q->s_out / (n->act_clip[l] / (float)((1u << n->dac_bits) - 1));
		n->adc_clip[l] = q->s_out * amax;
	}
	rc = 0;
fail:
	for (unsigned l = 0; l < MAXL; l++)
		free(mag[l]);
	xpnn_twin_destroy(t);
	return rc;
}
