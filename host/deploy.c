/*
 * deploy.c — an image onto a board, and evaluation on the board (compile.h). Everything goes
 * through the typed board API, so it works the same on every transport.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "util.h"

void xpnn_info_geometry(const xpnn_info *in, xp_params *g)
{
	xp_params_default(g);
	g->rows = in->rows;
	g->cols = in->cols;
	g->tiles = in->tiles;
	g->dac_bits = in->dac_bits;
	g->code_bits = in->code_bits;
	g->adc_bits = in->adc_bits;
}

int xpnn_image_fits_info(const xpnn_image *img, const xpnn_info *in, char *err, size_t errlen)
{
	xp_params g;

	xpnn_info_geometry(in, &g);
	if (xpnn_image_fits(img, &g, "the board (INFO)", err, errlen))
		return -1;
	for (unsigned l = 0; l < img->nlayers; l++) {
		const xpnn_image_layer *L = &img->layer[l];
		const char *f = L->n_in > in->max_width ? "n_in" : "n_out";
		const unsigned v = L->n_in > in->max_width ? L->n_in : L->n_out;

		if (v > in->max_width) {
			xpnn_errf(err, errlen, "layer %u: %s = %u: legal range 1 … %u (the board's "
				  "max_width, INFO); HINT: this board takes layers at most %u wide: "
				  "train a narrower network for it", l, f, v, in->max_width,
				  in->max_width);
			return -1;
		}
	}
	return 0;
}

/* Cells of layer L's block on one tile: rows [r0, r0+nr) and columns [c0, c0+nc) of the
 * layer's matrix, as (nr, nc, 2) codes. */
static void gather(const xpnn_image_layer *L, unsigned r0, unsigned nr, unsigned c0,
		   unsigned nc, uint8_t *out)
{
	for (unsigned r = 0; r < nr; r++)
		memcpy(out + (size_t)r * nc * 2, L->codes + ((size_t)(r0 + r) * L->n_out + c0) * 2,
		       (size_t)nc * 2);
}

int xpnn_image_program(xpnn_board *b, const xpnn_image *img, int verify, unsigned tol,
		       xpnn_load_stats *st, void (*progress)(void *ctx, unsigned done,
							     unsigned total), void *ctx,
		       char *err, size_t errlen)
{
	const xpnn_info *in = xpnn_board_info(b);
	xp_params g;
	xp_netcfg cfg;
	xp_layer layers[XP_MAX_LAYERS];
	xpnn_status s0, s1;
	uint8_t *buf = NULL, *rd = NULL;
	unsigned total = 0, done = 0, step = 1u << (8 - img->geom.code_bits);
	double abs_sum = 0;
	int64_t t0 = xpnn_now_ms();
	int rc;

	memset(st, 0, sizeof(*st));
	st->first_bad_tile = -1;
	xpnn_info_geometry(in, &g);
	if (xpnn_image_fits_info(img, in, err, errlen))
		return XPNN_EARG;
	for (unsigned l = 0; l < img->nlayers; l++)
		total += img->layer[l].ntiles;
	buf = malloc((size_t)g.rows * g.cols * 2);
	rd = malloc((size_t)g.rows * g.cols * 2);
	if (!buf || !rd) {
		rc = XPNN_ENOMEM;
		xpnn_errf(err, errlen, "out of memory");
		goto out;
	}
	if ((rc = xpnn_status_get(b, &s0)))
		goto board;
	xpnn_image_netcfg(img, &cfg, layers);
	if ((rc = xpnn_configure(b, &cfg, NULL)))
		goto board;
	for (unsigned l = 0; l < img->nlayers; l++) {
		const xpnn_image_layer *L = &img->layer[l];
		unsigned rows = L->n_in + L->bias;

		for (unsigned rb = 0; rb < L->nrb; rb++)
			for (unsigned cb = 0; cb < L->ncb; cb++) {
				unsigned t = L->tiles[rb * L->ncb + cb];
				unsigned r0 = rb * g.rows, c0 = cb * g.cols;
				unsigned nr = rows - r0 < g.rows ? rows - r0 : g.rows;
				unsigned nc = L->n_out - c0 < g.cols ? L->n_out - c0 : g.cols;
				xp_adc adc[XP_MAX_COLS];
				uint32_t changed = 0;

				for (unsigned c = 0; c < nc; c++)
					adc[c] = L->adc[(size_t)rb * L->n_out + c0 + c];
				if ((rc = xpnn_set_adc(b, t, 0, nc, adc)))
					goto board;
				gather(L, r0, nr, c0, nc, buf);
				if ((rc = xpnn_write_cells(b, t, 0, 0, nr, nc, buf, &changed)))
					goto board;
				st->cells += (uint64_t)nr * nc;
				st->devices_changed += changed;
				if (verify) {
					if ((rc = xpnn_read_cells(b, t, 0, 0, nr, nc, rd)))
						goto board;
					for (size_t k = 0; k < (size_t)nr * nc * 2; k++) {
						int nom = buf[k] * (int)step, gv = rd[k];
						int d = gv > nom ? gv - nom : nom - gv;

						abs_sum += d;
						st->verified++;
						if ((unsigned)d > tol && st->out_of_tol++ == 0) {
							st->first_bad_tile = (int)t;
							st->first_bad_row = (int)(k / 2 / nc);
							st->first_bad_col = (int)(k / 2 % nc);
							st->first_bad_g = gv;
							st->first_bad_nominal = nom;
						}
					}
				}
				if (progress)
					progress(ctx, ++done, total);
			}
	}
	if ((rc = xpnn_status_get(b, &s1)))
		goto board;
	st->pulses = s1.pulses - s0.pulses;
	st->mean_abs_err = st->verified ? abs_sum / (double)st->verified : 0.0;
	st->seconds = (double)(xpnn_now_ms() - t0) / 1e3;
	goto out;
board:
	xpnn_errf(err, errlen, "%s", xpnn_errmsg(b));
out:
	free(buf);
	free(rd);
	return rc;
}

int xpnn_board_eval(xpnn_board *b, const uint8_t *pix, unsigned features, const uint8_t *labels,
		    uint32_t count, unsigned nclasses, uint32_t *confusion, float *acc,
		    void (*progress)(void *ctx, unsigned done, unsigned total), void *ctx,
		    char *err, size_t errlen)
{
	const xpnn_info *in = xpnn_board_info(b);
	xpnn_shape sh;
	uint32_t chunk = 4096, hits = 0;
	uint8_t *x = NULL;
	int16_t *y = NULL;
	int rc;

	*acc = 0;
	if ((rc = xpnn_shape_get(b, &sh))) {
		xpnn_errf(err, errlen, "%s", xpnn_errmsg(b));
		return rc;
	}
	if (sh.n_in != features) {
		xpnn_errf(err, errlen, "the board's network takes %u inputs, the data set has %u "
			  "features per example", sh.n_in, features);
		return XPNN_EARG;
	}
	if (sh.n_out < nclasses) {
		xpnn_errf(err, errlen, "the board's network has %u outputs, the data set %u classes",
			  sh.n_out, nclasses);
		return XPNN_EARG;
	}
	if (confusion)
		memset(confusion, 0, sizeof(uint32_t) * sh.n_out * sh.n_out);
	x = malloc((size_t)chunk * sh.n_in);
	y = malloc(sizeof(int16_t) * chunk * sh.n_out);
	if (!x || !y) {
		rc = XPNN_ENOMEM;
		xpnn_errf(err, errlen, "out of memory");
		goto out;
	}
	for (uint32_t s = 0; s < count; s += chunk) {
		uint32_t B = count - s < chunk ? count - s : chunk;

		const uint8_t *codes = pix + (size_t)s * sh.n_in;

		if (in->dac_bits != 8) { /* 8-bit DAC codes are the pixels: no copy */
			xpnn_dac_codes(in->dac_bits, codes, x, (size_t)B * sh.n_in);
			codes = x;
		}
		if ((rc = xpnn_run(b, codes, B, 0, y, NULL))) {
			xpnn_errf(err, errlen, "%s", xpnn_errmsg(b));
			goto out;
		}
		for (uint32_t i = 0; i < B; i++) {
			unsigned p = xpnn_argmax_i16(y + (size_t)i * sh.n_out, sh.n_out);
			unsigned t = labels[s + i];

			hits += p == t;
			if (confusion && t < sh.n_out)
				confusion[t * sh.n_out + p]++;
		}
		if (progress)
			progress(ctx, s + B, count);
	}
	*acc = count ? (float)hits / (float)count : 0.0f;
out:
	free(x);
	free(y);
	return rc;
}
