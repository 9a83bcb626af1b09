/*
 * image_io.c — the board image file (docs/formats.md): safetensors with integer tensors and
 * a JSON description of the target geometry and the network configuration.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "compile.h"
#include "meta.h"
#include "safetensors.h"
#include "util.h"

int xpnn_image_save(const xpnn_image *img, const char *path, const char *source_json,
		    char *err, size_t errlen)
{
	xpnn_tensor t[3 * XP_MAX_LAYERS];
	char names[3 * XP_MAX_LAYERS][32];
	int16_t *adc[XP_MAX_LAYERS] = { 0 };
	json_t *x = json_object(), *meta = json_object(), *g = json_object(), *ls = json_array();
	char *s = NULL;
	int rc = -1;

	if (!x || !meta || !g || !ls)
		goto oom;
	json_object_set_new(x, "version", json_integer(XPNN_IMAGE_VERSION));
	json_object_set_new(x, "numerics_version", json_integer(XP_NUMERICS_VERSION));
	json_object_set_new(g, "rows", json_integer(img->geom.rows));
	json_object_set_new(g, "cols", json_integer(img->geom.cols));
	json_object_set_new(g, "tiles", json_integer(img->geom.tiles));
	json_object_set_new(g, "dac_bits", json_integer(img->geom.dac_bits));
	json_object_set_new(g, "code_bits", json_integer(img->geom.code_bits));
	json_object_set_new(g, "adc_bits", json_integer(img->geom.adc_bits));
	json_object_set_new(x, "geometry", g);
	g = NULL;
	for (unsigned l = 0; l < img->nlayers; l++) {
		const xpnn_image_layer *L = &img->layer[l];
		json_t *o = json_object(), *tl = json_array();

		json_object_set_new(o, "n_in", json_integer(L->n_in));
		json_object_set_new(o, "n_out", json_integer(L->n_out));
		json_object_set_new(o, "bias", json_integer(L->bias));
		json_object_set_new(o, "act", json_string(L->act == XP_ACT_RELU ? "relu" : "identity"));
		json_object_set_new(o, "amul", json_integer(L->amul));
		json_object_set_new(o, "ash", json_integer(L->ash));
		for (unsigned k = 0; k < L->ntiles; k++)
			json_array_append_new(tl, json_integer(L->tiles[k]));
		json_object_set_new(o, "tiles", tl);
		json_object_set_new(o, "in_scale", json_real(L->in_scale));
		json_object_set_new(o, "out_scale", json_real(L->out_scale));
		json_object_set_new(o, "act_clip", json_real(L->act_clip));
		json_array_append_new(ls, o);
	}
	json_object_set_new(x, "layers", ls);
	ls = NULL;
	json_object_set_new(x, "calibration", json_pack("{s:i,s:f}", "vectors", (int)img->calib_n,
							 "percentile", img->calib_pct));
	if (source_json) {
		json_error_t je;
		json_t *e = json_loads(source_json, 0, &je);

		if (!e || !json_is_object(e)) {
			json_decref(e);
			xpnn_errf(err, errlen, "%s: internal: source is not a JSON object", path);
			goto fail;
		}
		json_object_set_new(x, "source", e);
	}
	if (!(s = json_dumps(x, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(9))))
		goto oom;
	json_object_set_new(meta, "format", json_string("xpnn-image"));
	json_object_set_new(meta, "xpnn", json_string(s));
	for (unsigned l = 0; l < img->nlayers; l++) {
		const xpnn_image_layer *L = &img->layer[l];
		size_t na = (size_t)L->nrb * L->n_out;

		if (!(adc[l] = malloc(sizeof(int16_t) * 3 * (na ? na : 1))))
			goto oom;
		for (size_t k = 0; k < na; k++) {
			adc[l][3 * k + 0] = L->adc[k].gain;
			adc[l][3 * k + 1] = L->adc[k].shift;
			adc[l][3 * k + 2] = L->adc[k].offset;
		}
		snprintf(names[3 * l], sizeof(names[0]), "layers.%u.codes", l);
		snprintf(names[3 * l + 1], sizeof(names[0]), "layers.%u.adc", l);
		snprintf(names[3 * l + 2], sizeof(names[0]), "layers.%u.w_scale", l);
		t[3 * l] = (xpnn_tensor){ .name = names[3 * l], .dtype = XPNN_U8, .ndim = 3,
					  .shape = { L->n_in + L->bias, L->n_out, 2 },
					  .nbytes = (size_t)(L->n_in + L->bias) * L->n_out * 2,
					  .data = L->codes };
		t[3 * l + 1] = (xpnn_tensor){ .name = names[3 * l + 1], .dtype = XPNN_I16,
					      .ndim = 3, .shape = { L->nrb, L->n_out, 3 },
					      .nbytes = sizeof(int16_t) * 3 * na, .data = adc[l] };
		t[3 * l + 2] = (xpnn_tensor){ .name = names[3 * l + 2], .dtype = XPNN_F32,
					      .ndim = 1, .shape = { L->n_out },
					      .nbytes = sizeof(float) * L->n_out, .data = L->w_scale };
	}
	rc = xpnn_st_write(path, t, 3 * img->nlayers, meta, err, errlen);
	goto fail;
oom:
	xpnn_errf(err, errlen, "%s: out of memory", path);
fail:
	for (unsigned l = 0; l < XP_MAX_LAYERS; l++)
		free(adc[l]);
	free(s);
	json_decref(x);
	json_decref(meta);
	json_decref(g);
	json_decref(ls);
	return rc;
}

/* ---- reading: every field checked, messages name the file and the field ---- */

static int getf(const char *path, const char *where, json_t *o, const char *key, double lo,
		double hi, float *out, char *err, size_t errlen)
{
	json_t *v = json_object_get(o, key);
	double d = v && json_is_number(v) ? json_number_value(v) : NAN;

	if (!(d >= lo && d <= hi)) {
		xpnn_errf(err, errlen, "%s: %s\"%s\" %s: a number %g … %g", path, where, key,
			  !v ? "is missing" : json_is_number(v) ? "is out of range" :
			  "is not a number", lo, hi);
		return -1;
	}
	*out = (float)d;
	return 0;
}

static int load_layers(xpnn_image *img, const char *path, json_t *ls, const xpnn_st *st,
		       char *err, size_t errlen)
{
	const xp_params *g = &img->geom;
	unsigned cmax = (1u << g->code_bits) - 1;
	uint8_t used[XP_MAX_TILES] = { 0 };

	for (unsigned l = 0; l < img->nlayers; l++) {
		xpnn_image_layer *L = &img->layer[l];
		json_t *o = json_array_get(ls, l), *tl, *act;
		char where[48], name[3][32];
		long v[6];
		const xpnn_tensor *tc, *ta, *tw;
		uint64_t sc[3], sa[3], sw[1];

		snprintf(where, sizeof(where), "metadata \"xpnn\": layers[%u]: ", l);
		if (!json_is_object(o)) {
			xpnn_errf(err, errlen, "%s: %sis not an object", path, where);
			return -1;
		}
		if (xpnn_meta_int(path, where, o, "n_in", 1, XP_MAX_WIDTH, &v[0], err, errlen) ||
		    xpnn_meta_int(path, where, o, "n_out", 1, XP_MAX_WIDTH, &v[1], err, errlen) ||
		    xpnn_meta_int(path, where, o, "bias", 1, 1, &v[2], err, errlen) ||
		    xpnn_meta_int(path, where, o, "amul", 0, 255, &v[3], err, errlen) ||
		    xpnn_meta_int(path, where, o, "ash", 0, XP_ACT_SHIFT_MAX, &v[4], err, errlen) ||
		    getf(path, where, o, "in_scale", 1e-30, 1e30, &L->in_scale, err, errlen) ||
		    getf(path, where, o, "out_scale", 1e-30, 1e30, &L->out_scale, err, errlen) ||
		    getf(path, where, o, "act_clip", 0, 1e30, &L->act_clip, err, errlen))
			return -1;
		L->n_in = (unsigned)v[0];
		L->n_out = (unsigned)v[1];
		L->bias = (unsigned)v[2];
		L->amul = (unsigned)v[3];
		L->ash = (unsigned)v[4];
		if (l > 0 && L->n_in != img->layer[l - 1].n_out) {
			xpnn_errf(err, errlen, "%s: %s\"n_in\" = %u, but layer %u has %u outputs", path,
				  where, L->n_in, l - 1, img->layer[l - 1].n_out);
			return -1;
		}
		act = json_object_get(o, "act");
		if (!json_is_string(act) || (strcmp(json_string_value(act), "relu") &&
					     strcmp(json_string_value(act), "identity"))) {
			xpnn_errf(err, errlen, "%s: %s\"act\" must be \"relu\" or \"identity\"", path,
				  where);
			return -1;
		}
		L->act = strcmp(json_string_value(act), "relu") ? XP_ACT_IDENTITY : XP_ACT_RELU;
		if ((l + 1 < img->nlayers) != (L->act == XP_ACT_RELU) ||
		    (l + 1 < img->nlayers && !(L->act_clip > 0))) {
			xpnn_errf(err, errlen, "%s: %shidden layers are \"relu\" with act_clip > 0, "
				  "the last is \"identity\"", path, where);
			return -1;
		}
		L->nrb = (L->n_in + L->bias + g->rows - 1) / g->rows;
		L->ncb = (L->n_out + g->cols - 1) / g->cols;
		L->ntiles = L->nrb * L->ncb;
		tl = json_object_get(o, "tiles");
		if (!json_is_array(tl) || json_array_size(tl) != L->ntiles) {
			xpnn_errf(err, errlen, "%s: %s\"tiles\" must list %u x %u = %u tiles for "
				  "%u rows x %u columns on tiles of %u x %u", path, where, L->nrb,
				  L->ncb, L->ntiles, L->n_in + L->bias, L->n_out, g->rows, g->cols);
			return -1;
		}
		for (unsigned k = 0; k < L->ntiles; k++) {
			json_t *e = json_array_get(tl, k);
			long tv = json_is_integer(e) ? (long)json_integer_value(e) : -1;

			if (tv < 0 || tv >= g->tiles || used[tv]) {
				xpnn_errf(err, errlen, "%s: %s\"tiles\"[%u]: %s (the geometry has "
					  "tiles 0 … %u, each used once)", path, where, k,
					  tv < 0 || tv >= g->tiles ? "not a tile" : "used twice",
					  g->tiles - 1u);
				return -1;
			}
			used[tv] = 1;
			L->tiles[k] = (uint16_t)tv;
		}
		snprintf(name[0], sizeof(name[0]), "layers.%u.codes", l);
		snprintf(name[1], sizeof(name[1]), "layers.%u.adc", l);
		snprintf(name[2], sizeof(name[2]), "layers.%u.w_scale", l);
		sc[0] = L->n_in + L->bias;
		sc[1] = L->n_out;
		sc[2] = 2;
		sa[0] = L->nrb;
		sa[1] = L->n_out;
		sa[2] = 3;
		sw[0] = L->n_out;
		if (!(tc = xpnn_st_get(st, name[0], XPNN_U8, 3, sc, err, errlen)) ||
		    !(ta = xpnn_st_get(st, name[1], XPNN_I16, 3, sa, err, errlen)) ||
		    !(tw = xpnn_st_get(st, name[2], XPNN_F32, 1, sw, err, errlen)))
			return -1;
		L->codes = malloc(tc->nbytes);
		L->adc = calloc((size_t)L->nrb * L->n_out, sizeof(xp_adc));
		L->w_scale = malloc(tw->nbytes);
		if (!L->codes || !L->adc || !L->w_scale) {
			xpnn_errf(err, errlen, "%s: out of memory", path);
			return -1;
		}
		memcpy(L->codes, tc->data, tc->nbytes);
		memcpy(L->w_scale, tw->data, tw->nbytes);
		for (size_t k = 0; k < tc->nbytes; k++)
			if (L->codes[k] > cmax) {
				xpnn_errf(err, errlen, "%s: tensor '%s': code %u at row %zu, column %zu "
					  "(%s): legal range 0 … %u (code_bits %u)", path, name[0],
					  L->codes[k], k / 2 / L->n_out, k / 2 % L->n_out,
					  k % 2 ? "k-" : "k+", cmax, g->code_bits);
				return -1;
			}
		for (size_t k = 0; k < (size_t)L->nrb * L->n_out; k++) {
			const int16_t *a = (const int16_t *)ta->data + 3 * k;

			if (a[0] < 0 || a[0] > 255 || a[1] < 0 || a[1] > XP_ADC_SHIFT_MAX ||
			    a[2] < XP_ADC_OFF_MIN || a[2] > XP_ADC_OFF_MAX) {
				xpnn_errf(err, errlen, "%s: tensor '%s': row block %zu column %zu: "
					  "gain %d shift %d offset %d: legal ranges 0 … 255, 0 … %d, "
					  "%d … %d", path, name[1], k / L->n_out, k % L->n_out, a[0],
					  a[1], a[2], XP_ADC_SHIFT_MAX, XP_ADC_OFF_MIN, XP_ADC_OFF_MAX);
				return -1;
			}
			L->adc[k] = (xp_adc){ (uint8_t)a[0], (uint8_t)a[1], a[2] };
		}
		for (unsigned j = 0; j < L->n_out; j++)
			if (!(L->w_scale[j] > 0 && L->w_scale[j] < 1e30f)) {
				xpnn_errf(err, errlen, "%s: tensor '%s'[%u] = %g: weight scales must be "
					  "positive and finite", path, name[2], j,
					  (double)L->w_scale[j]);
				return -1;
			}
	}
	for (unsigned l = 0; l < img->nlayers; l++)
		if ((uint64_t)img->layer[l].nrb << (g->adc_bits - 1) > 32768) {
			xpnn_errf(err, errlen, "%s: layer %u: %u row blocks of %u-bit ADC codes overflow "
				  "the 16-bit S (numerics §8): at most %u", path, l, img->layer[l].nrb,
				  g->adc_bits, 32768u >> (g->adc_bits - 1));
			return -1;
		}
	return 0;
}

int xpnn_image_load(xpnn_image *img, const char *path, char *err, size_t errlen)
{
	xpnn_st st;
	json_t *x, *g, *ls;
	long v[6], nv;
	xp_params p;
	char msg[XP_ERRMSG];
	int rc = -1;

	memset(img, 0, sizeof(*img));
	x = xpnn_meta_open(&st, path, "xpnn-image", "xpnn-model",
			   "this is a float model: compile it first with `xpnn compile`",
			   "an image written by `xpnn compile`", err, errlen);
	if (!x)
		return -1;
	if (xpnn_meta_int(path, "metadata \"xpnn\": ", x, "version", XPNN_IMAGE_VERSION, XPNN_IMAGE_VERSION,
		 &v[0], err, errlen))
		goto fail;
	if (xpnn_meta_int(path, "metadata \"xpnn\": ", x, "numerics_version", XP_NUMERICS_VERSION,
		 XP_NUMERICS_VERSION, &nv, err, errlen))
		goto fail;
	g = json_object_get(x, "geometry");
	if (!json_is_object(g)) {
		xpnn_errf(err, errlen, "%s: metadata \"xpnn\": \"geometry\" is missing", path);
		goto fail;
	}
	if (xpnn_meta_int(path, "geometry: ", g, "rows", 1, XP_MAX_ROWS, &v[0], err, errlen) ||
	    xpnn_meta_int(path, "geometry: ", g, "cols", 1, XP_MAX_COLS, &v[1], err, errlen) ||
	    xpnn_meta_int(path, "geometry: ", g, "tiles", 1, XP_MAX_TILES, &v[2], err, errlen) ||
	    xpnn_meta_int(path, "geometry: ", g, "dac_bits", 1, 8, &v[3], err, errlen) ||
	    xpnn_meta_int(path, "geometry: ", g, "code_bits", 1, 8, &v[4], err, errlen) ||
	    xpnn_meta_int(path, "geometry: ", g, "adc_bits", 2, 12, &v[5], err, errlen))
		goto fail;
	xp_params_default(&p);
	p.rows = (uint16_t)v[0];
	p.cols = (uint16_t)v[1];
	p.tiles = (uint16_t)v[2];
	p.dac_bits = (uint8_t)v[3];
	p.code_bits = (uint8_t)v[4];
	p.adc_bits = (uint8_t)v[5];
	if (xp_params_check(&p, msg, sizeof(msg))) {
		xpnn_errf(err, errlen, "%s: geometry: %s", path, msg);
		goto fail;
	}
	p.dseed = 0;
	p.p_sa0 = p.p_samax = 0;
	p.s_var = p.s_prog = p.s_read = p.s_gain = p.s_off = 0;
	img->geom = p;
	ls = json_object_get(x, "layers");
	if (!json_is_array(ls) || json_array_size(ls) < 1 ||
	    json_array_size(ls) > XP_MAX_LAYERS) {
		xpnn_errf(err, errlen, "%s: metadata \"xpnn\": \"layers\" must be an array of 1 … %d "
			  "layers", path, XP_MAX_LAYERS);
		goto fail;
	}
	img->nlayers = (unsigned)json_array_size(ls);
	if (load_layers(img, path, ls, &st, err, errlen))
		goto fail;
	{
		/* and the board's own rules (numerics §9), as CONFIGURE will apply them */
		xp_netcfg cfg;
		xp_layer layers[XP_MAX_LAYERS];

		xpnn_image_netcfg(img, &cfg, layers);
		if (xp_netcfg_check(&img->geom, &cfg, msg, sizeof(msg))) {
			xpnn_errf(err, errlen, "%s: %s", path, msg);
			goto fail;
		}
	}
	{
		json_t *c = json_object_get(x, "calibration");

		img->calib_n = (unsigned)json_integer_value(json_object_get(c, "vectors"));
		img->calib_pct = json_number_value(json_object_get(c, "percentile"));
	}
	if (st.n != 3 * img->nlayers) {
		xpnn_errf(err, errlen, "%s: %zu tensors, expected %u (codes, adc, w_scale per layer)",
			  path, st.n, 3 * img->nlayers);
		goto fail;
	}
	rc = 0;
fail:
	if (rc)
		xpnn_image_free(img);
	json_decref(x);
	xpnn_st_free(&st);
	return rc;
}
