/*
 * compile.c — model → board image, the image file, and its ideal-board twin (compile.h).
 *
 * The mapping (docs/training.md):
 *   weight   W[j][i] ≈ (k+ - k-) * w_scale[j]        k± ∈ 0 … CMAX, one of them 0
 *   bias     b[j] ≈ (k+ - k-) * w_scale[j] * in_fs  on the bias row (driven at XMAX),
 *            the rest in ADC codes on the offset of the bias row's tile
 *   ADC      code ≈ partial sum / out_scale: gain / 2^shift ≈ in_scale * w_scale[j] /
 *            (step * out_scale), step = 2^(8 - code_bits) stored LSB per code
 *   RELU     next DAC code = rnd(S * amul, ash), amul / 2^ash = out_scale / next in_scale
 * out_scale is common to a layer (S sums the row blocks' codes, and one amul requantises all
 * columns); each column's own weight scale is undone by its ADC gain. out_scale comes from a
 * calibration batch: the pct-th percentile of |block partial sum| sits at the ADC's full
 * scale.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "compile.h"
#include "safetensors.h"
#include "util.h"

void xpnn_image_free(xpnn_image *img)
{
	for (unsigned l = 0; l < XP_MAX_LAYERS; l++) {
		free(img->layer[l].codes);
		free(img->layer[l].adc);
		free(img->layer[l].w_scale);
	}
	memset(img, 0, sizeof(*img));
}

static int layer_alloc(xpnn_image_layer *L)
{
	L->codes = calloc((size_t)(L->n_in + L->bias) * L->n_out * 2, 1);
	L->adc = calloc((size_t)L->nrb * L->n_out, sizeof(xp_adc));
	L->w_scale = calloc(L->n_out, sizeof(float));
	return L->codes && L->adc && L->w_scale ? 0 : -1;
}

int xpnn_image_copy(xpnn_image *dst, const xpnn_image *src)
{
	*dst = *src;
	for (unsigned l = 0; l < XP_MAX_LAYERS; l++) {
		dst->layer[l].codes = NULL;
		dst->layer[l].adc = NULL;
		dst->layer[l].w_scale = NULL;
	}
	for (unsigned l = 0; l < src->nlayers; l++) {
		const xpnn_image_layer *S = &src->layer[l];
		xpnn_image_layer *D = &dst->layer[l];

		if (layer_alloc(D)) {
			xpnn_image_free(dst);
			return -1;
		}
		memcpy(D->codes, S->codes, (size_t)(S->n_in + S->bias) * S->n_out * 2);
		memcpy(D->adc, S->adc, (size_t)S->nrb * S->n_out * sizeof(xp_adc));
		memcpy(D->w_scale, S->w_scale, S->n_out * sizeof(float));
	}
	return 0;
}

/* Tile lists, row and column blocks of every layer, given sizes; checks the limits of
 * numerics §9 against g and the target's max_width (protocol §4.5). */
static int place(xpnn_image *img, const xp_params *g, unsigned max_width, char *err,
		 size_t errlen)
{
	unsigned next = 0;

	for (unsigned l = 0; l < img->nlayers; l++) {
		xpnn_image_layer *L = &img->layer[l];
		unsigned rows = L->n_in + L->bias;

		if (L->n_in > max_width || L->n_out > max_width) {
			xpnn_errf(err, errlen, "layer %u: %s = %u: legal range 1 … %u (the target's "
				  "max_width: the widest layer it takes)", l,
				  L->n_in > max_width ? "n_in" : "n_out",
				  L->n_in > max_width ? L->n_in : L->n_out, max_width);
			return -1;
		}

		L->nrb = (rows + g->rows - 1) / g->rows;
		L->ncb = (L->n_out + g->cols - 1) / g->cols;
		L->ntiles = L->nrb * L->ncb;
		if ((uint64_t)L->nrb << (g->adc_bits - 1) > 32768) {
			xpnn_errf(err, errlen, "layer %u: %u rows (inputs + bias) make %u row blocks "
				  "of %u; S of %u blocks of %u-bit ADC codes must fit 16 bits "
				  "(numerics §8): at most %u row blocks", l, rows, L->nrb, g->rows,
				  L->nrb, g->adc_bits, 32768u >> (g->adc_bits - 1));
			return -1;
		}
		if (next + L->ntiles > g->tiles) {
			xpnn_errf(err, errlen, "layer %u (%u rows x %u columns) needs %u x %u = %u "
				  "tiles of %u x %u; layers 0 … %u need %u tiles, the target has %u",
				  l, rows, L->n_out, L->nrb, L->ncb, L->ntiles, g->rows, g->cols, l,
				  next + L->ntiles, g->tiles);
			return -1;
		}
		for (unsigned k = 0; k < L->ntiles; k++)
			L->tiles[k] = (uint16_t)(next + k);
		next += L->ntiles;
	}
	return 0;
}

int xpnn_image_fits(const xpnn_image *img, const xp_params *g, const char *what, char *err,
		    size_t errlen)
{
	const xp_params *m = &img->geom;

	if (m->rows != g->rows || m->cols != g->cols) {
		xpnn_errf(err, errlen, "the image was compiled for tiles of %u x %u, %s has %u x %u; "
			  "HINT: compile again for this target (xpnn compile --target PORT)",
			  m->rows, m->cols, what, g->rows, g->cols);
		return -1;
	}
	if (m->dac_bits != g->dac_bits || m->code_bits != g->code_bits ||
	    m->adc_bits != g->adc_bits) {
		xpnn_errf(err, errlen, "the image was compiled for DAC/code/ADC bits %u/%u/%u, %s has "
			  "%u/%u/%u; HINT: compile again for this target (xpnn compile --target "
			  "PORT)", m->dac_bits, m->code_bits, m->adc_bits, what, g->dac_bits,
			  g->code_bits, g->adc_bits);
		return -1;
	}
	for (unsigned l = 0; l < img->nlayers; l++) {
		const xpnn_image_layer *L = &img->layer[l];

		for (unsigned k = 0; k < L->ntiles; k++)
			if (L->tiles[k] >= g->tiles) {
				xpnn_errf(err, errlen, "layer %u (%u rows x %u columns) uses tile %u, "
					  "but %s has %u tiles (0 … %u); HINT: compile again for "
					  "this target", l, L->n_in + L->bias, L->n_out, L->tiles[k],
					  what, g->tiles, g->tiles - 1u);
				return -1;
			}
	}
	return 0;
}

/* gain / 2^shift ≈ ratio with the most precision: the largest shift whose gain fits 8 bits.
 * Returns the realised ratio; 0 if even gain 255 at shift 0 is too small or the best gain is 0. */
static double pick_gain(double ratio, unsigned maxshift, unsigned *gain, unsigned *shift)
{
	for (int s = (int)maxshift; s >= 0; s--) {
		double gq = floor(ratio * ldexp(1.0, s) + 0.5);

		if (gq <= 255.0) {
			if (gq < 1.0)
				gq = 1.0;
			*gain = (unsigned)gq;
			*shift = (unsigned)s;
			return gq / ldexp(1.0, s);
		}
	}
	*gain = 255;
	*shift = 0;
	return 255.0;
}

int xpnn_compile(xpnn_image *img, const xpnn_net *n, const xp_params *geom, const uint8_t *cal,
		 unsigned ncal, const xpnn_compile_opts *o, char *err, size_t errlen)
{
	xpnn_net c;
	char msg[512];
	unsigned cmax = (1u << geom->code_bits) - 1, xmax = (1u << geom->dac_bits) - 1;
	double step = (double)(1u << (8 - geom->code_bits));
	int amax = (1 << (geom->adc_bits - 1)) - 1;

	memset(img, 0, sizeof(*img));
	img->geom = *geom;
	img->geom.dseed = 0;
	img->geom.p_sa0 = img->geom.p_samax = 0;
	img->geom.s_var = img->geom.s_prog = img->geom.s_read = img->geom.s_gain = 0;
	img->geom.s_off = 0;
	img->nlayers = n->nlayers;
	img->calib_n = ncal;
	img->calib_pct = o->calib_pct;
	for (unsigned l = 0; l < n->nlayers; l++) {
		xpnn_image_layer *L = &img->layer[l];

		L->n_in = n->width[l];
		L->n_out = n->width[l + 1];
		L->bias = 1;
		L->act = l + 1 < n->nlayers ? XP_ACT_RELU : XP_ACT_IDENTITY;
	}
	if (place(img, geom, o->max_width ? o->max_width : XP_MAX_WIDTH, err, errlen))
		return -1;
	for (unsigned l = 0; l < n->nlayers; l++)
		if (layer_alloc(&img->layer[l])) {
			xpnn_image_free(img);
			xpnn_errf(err, errlen, "out of memory");
			return -1;
		}
	/* Calibrate a copy laid out on the target's tiles and bit widths. */
	if (xpnn_net_copy(&c, n, err, errlen)) {
		xpnn_image_free(img);
		return -1;
	}
	c.rows = geom->rows;
	c.dac_bits = geom->dac_bits;
	c.code_bits = geom->code_bits;
	c.adc_bits = geom->adc_bits;
	for (unsigned l = 0; l < c.nlayers; l++) {
		free(c.q[l].sw);
		free(c.q[l].cg);
		free(c.q[l].aoff);
		memset(&c.q[l], 0, sizeof(c.q[l]));
	}
	c.quant = 0;
	if (xpnn_net_calibrate(&c, cal, ncal, o->calib_pct, err, errlen))
		goto fail;
	for (unsigned l = 0; l < n->nlayers; l++) {
		xpnn_image_layer *L = &img->layer[l];
		xpnn_qlayer *q = &c.q[l];
		unsigned ni = L->n_in, no = L->n_out;
		float fs = xpnn_net_in_fs(&c, l);
		double sx = fs / (double)xmax, s_out = q->s_out;

		L->in_scale = (float)sx;
		if (l + 1 < n->nlayers) {
			double sxn = c.act_clip[l] / (double)xmax, r;
			unsigned am, as;

			/* amul / 2^ash just above out_scale / next in_scale: S codes become
			 * coarser by < 1/128, never finer, so calibrated sums never saturate
			 * more than calibrated */
			r = pick_gain(s_out / sxn, XP_ACT_SHIFT_MAX, &am, &as);
			if (r < s_out / sxn && am < 255) {
				am++;
				r = am / ldexp(1.0, (int)as);
			}
			if (r * sxn < s_out * 0.5 || r * sxn > s_out * 2.0) {
				snprintf(msg, sizeof(msg), "layer %u: requantisation amul/2^ash = "
					 "%u/2^%u is far from the wanted %g: activations are "
					 "mis-scaled", l, am, as, s_out / sxn);
				if (o->warn)
					o->warn(o->ctx, msg);
			}
			L->amul = am;
			L->ash = as;
			s_out = r * sxn;
			L->act_clip = c.act_clip[l];
		}
		L->out_scale = (float)s_out;
		for (unsigned j = 0; j < no; j++) {
			float sw = q->sw[j];
			double res, ratio = sx * sw / (step * s_out);
			long off;
			int qb;

			L->w_scale[j] = sw;
			for (unsigned i = 0; i < ni; i++) {
				int k = (int)floorf(c.w[l][(size_t)j * ni + i] / sw + 0.5f);

				k = k < -(int)cmax ? -(int)cmax : k > (int)cmax ? (int)cmax : k;
				L->codes[((size_t)i * no + j) * 2 + 0] = (uint8_t)(k > 0 ? k : 0);
				L->codes[((size_t)i * no + j) * 2 + 1] = (uint8_t)(k < 0 ? -k : 0);
			}
			qb = (int)floor(c.b[l][j] / (sw * fs) + 0.5);
			qb = qb < -(int)cmax ? -(int)cmax : qb > (int)cmax ? (int)cmax : qb;
			L->codes[((size_t)ni * no + j) * 2 + 0] = (uint8_t)(qb > 0 ? qb : 0);
			L->codes[((size_t)ni * no + j) * 2 + 1] = (uint8_t)(qb < 0 ? -qb : 0);
			/* what the bias row cannot carry goes to the ADC offset of its block */
			res = (c.b[l][j] - (double)qb * sw * fs) / s_out;
			off = lround(res);
			if (off < -amax - 1 || off > amax) {
				snprintf(msg, sizeof(msg), "layer %u column %u: bias %g exceeds what the "
					 "bias row and the ADC offset carry; clipped", l, j,
					 (double)c.b[l][j]);
				if (o->warn)
					o->warn(o->ctx, msg);
				off = off < -amax - 1 ? -amax - 1 : amax;
			}
			/* every row block of the column reads out in out_scale */
			unsigned g, sh;

			pick_gain(ratio, XP_ADC_SHIFT_MAX, &g, &sh);
			for (unsigned rb = 0; rb < L->nrb; rb++)
				L->adc[(size_t)rb * no + j] = (xp_adc){
					.gain = (uint8_t)g, .shift = (uint8_t)sh,
					.offset = (int16_t)(rb == ni / geom->rows ? off : 0) };
		}
	}
	xpnn_net_free(&c);
	return 0;
fail:
	xpnn_net_free(&c);
	xpnn_image_free(img);
	return -1;
}

void xpnn_dac_codes(unsigned dac_bits, const uint8_t *pix, uint8_t *codes, size_t n)
{
	unsigned xmax = (1u << dac_bits) - 1;

	if (xmax == 255) {
		if (codes != pix)
			memcpy(codes, pix, n);
		return;
	}
	for (size_t i = 0; i < n; i++)
		codes[i] = (uint8_t)((pix[i] * xmax * 2 + 255) / 510);
}

void xpnn_image_netcfg(const xpnn_image *img, xp_netcfg *cfg, xp_layer *layers)
{
	for (unsigned l = 0; l < img->nlayers; l++) {
		const xpnn_image_layer *L = &img->layer[l];

		layers[l] = (xp_layer){ .n_in = (uint16_t)L->n_in, .n_out = (uint16_t)L->n_out,
					.bias = (uint8_t)L->bias, .act = (uint8_t)L->act,
					.amul = (uint8_t)L->amul, .ash = (uint8_t)L->ash,
					.ntiles = (uint16_t)L->ntiles, .tiles = L->tiles };
	}
	cfg->nlayers = (uint8_t)img->nlayers;
	cfg->layers = layers;
}

int xpnn_image_twin(const xpnn_image *img, xpnn_net *n, char *err, size_t errlen)
{
	unsigned width[XP_MAX_LAYERS + 1];
	double step = (double)(1u << (8 - img->geom.code_bits));

	width[0] = img->layer[0].n_in;
	for (unsigned l = 0; l < img->nlayers; l++)
		width[l + 1] = img->layer[l].n_out;
	if (xpnn_net_init(n, img->nlayers, width, img->geom.rows, 1.0f, 0, err, errlen))
		return -1;
	n->dac_bits = img->geom.dac_bits;
	n->code_bits = img->geom.code_bits;
	n->adc_bits = img->geom.adc_bits;
	if (xpnn_net_quant_alloc(n, err, errlen)) {
		xpnn_net_free(n);
		return -1;
	}
	for (unsigned l = 0; l + 1 < img->nlayers; l++)
		n->act_clip[l] = img->layer[l].act_clip;
	for (unsigned l = 0; l < img->nlayers; l++) {
		const xpnn_image_layer *L = &img->layer[l];
		xpnn_qlayer *q = &n->q[l];
		unsigned ni = L->n_in, no = L->n_out;
		float fs = xpnn_net_in_fs(n, l);
		int amax = (1 << (img->geom.adc_bits - 1)) - 1;

		q->fixed = 1;
		q->s_out = L->out_scale;
		q->amul_r = (float)ldexp((double)L->amul, -(int)L->ash);
		n->adc_clip[l] = L->out_scale * (float)amax;
		for (unsigned j = 0; j < no; j++) {
			float sw = L->w_scale[j];

			q->sw[j] = sw;
			for (unsigned i = 0; i <= ni; i++) {
				const uint8_t *k = &L->codes[((size_t)i * no + j) * 2];
				float w = (float)((int)k[0] - (int)k[1]) * sw;

				if (i < ni)
					n->w[l][(size_t)j * ni + i] = w;
				else
					n->b[l][j] = L->bias ? w * fs : 0.0f;
			}
			for (unsigned rb = 0; rb < L->nrb; rb++) {
				const xp_adc *a = &L->adc[(size_t)rb * no + j];

				/* codes per unit of Σ x_code (k+ - k-): exact in float */
				q->cg[(size_t)rb * no + j] = (float)ldexp(step * a->gain, -(int)a->shift);
				q->aoff[(size_t)rb * no + j] = (float)a->offset;
			}
		}
	}
	n->quant = 1;
	return 0;
}
