/*
 * twin_io.c — the model file: a float network as safetensors (docs/formats.md).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "meta.h"
#include "safetensors.h"
#include "twin.h"
#include "util.h"

int xpnn_net_save(const xpnn_net *n, const char *path, const char *extra_json, char *err,
		  size_t errlen)
{
	xpnn_tensor t[2 * XP_MAX_LAYERS];
	char names[2 * XP_MAX_LAYERS][32];
	json_t *x = json_object(), *meta = json_object(), *a;
	char *s = NULL;
	int rc = -1;

	if (!x || !meta)
		goto oom;
	json_object_set_new(x, "version", json_integer(XPNN_MODEL_VERSION));
	a = json_array();
	for (unsigned l = 0; l <= n->nlayers; l++)
		json_array_append_new(a, json_integer(n->width[l]));
	json_object_set_new(x, "layers", a);
	json_object_set_new(x, "activation", json_string("relu_clip"));
	json_object_set_new(x, "input", json_string("pixel/255"));
	json_object_set_new(x, "rows", json_integer(n->rows));
	json_object_set_new(x, "dac_bits", json_integer(n->dac_bits));
	json_object_set_new(x, "code_bits", json_integer(n->code_bits));
	json_object_set_new(x, "adc_bits", json_integer(n->adc_bits));
	a = json_array();
	for (unsigned l = 0; l + 1 < n->nlayers; l++)
		json_array_append_new(a, json_real(n->act_clip[l]));
	json_object_set_new(x, "act_clip", a);
	a = json_array();
	for (unsigned l = 0; l < n->nlayers; l++)
		json_array_append_new(a, json_real(n->adc_clip[l]));
	json_object_set_new(x, "adc_clip", a);
	if (extra_json) {
		json_error_t je;
		json_t *e = json_loads(extra_json, 0, &je);

		if (!e || !json_is_object(e)) {
			json_decref(e);
			xpnn_errf(err, errlen, "%s: internal: training summary is not a JSON object",
				  path);
			goto fail;
		}
		json_object_set_new(x, "train", e);
	}
	if (!(s = json_dumps(x, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(9))))
		goto oom;
	json_object_set_new(meta, "format", json_string("xpnn-model"));
	json_object_set_new(meta, "xpnn", json_string(s));
	for (unsigned l = 0; l < n->nlayers; l++) {
		xpnn_tensor *w = &t[2 * l], *b = &t[2 * l + 1];

		snprintf(names[2 * l], sizeof(names[0]), "layers.%u.weight", l);
		snprintf(names[2 * l + 1], sizeof(names[0]), "layers.%u.bias", l);
		*w = (xpnn_tensor){ .name = names[2 * l], .dtype = XPNN_F32, .ndim = 2,
				    .shape = { n->width[l + 1], n->width[l] },
				    .nbytes = sizeof(float) * n->width[l] * n->width[l + 1],
				    .data = n->w[l] };
		*b = (xpnn_tensor){ .name = names[2 * l + 1], .dtype = XPNN_F32, .ndim = 1,
				    .shape = { n->width[l + 1] },
				    .nbytes = sizeof(float) * n->width[l + 1], .data = n->b[l] };
	}
	rc = xpnn_st_write(path, t, 2 * n->nlayers, meta, err, errlen);
	goto fail;
oom:
	xpnn_errf(err, errlen, "%s: out of memory", path);
fail:
	free(s);
	json_decref(x);
	json_decref(meta);
	return rc;
}

/* A JSON array of exactly n finite numbers in [lo, hi]. */
static int jfloats(const char *path, json_t *o, const char *key, unsigned n, double lo,
		   double hi, float *out, char *err, size_t errlen)
{
	json_t *a = json_object_get(o, key);

	if (!a || !json_is_array(a) || json_array_size(a) != n) {
		xpnn_errf(err, errlen, "%s: metadata \"xpnn\": \"%s\" must be an array of %u "
			  "numbers (one per %s)", path, key, n,
			  strcmp(key, "act_clip") ? "layer" : "hidden layer");
		return -1;
	}
	for (unsigned i = 0; i < n; i++) {
		json_t *v = json_array_get(a, i);
		double d = json_is_number(v) ? json_number_value(v) : NAN;

		if (!(d >= lo && d <= hi)) {
			xpnn_errf(err, errlen, "%s: metadata \"xpnn\": \"%s\"[%u] is %s: legal "
				  "range %g … %g", path, key, i, json_is_number(v) ? "out of range" :
				  "not a number", lo, hi);
			return -1;
		}
		out[i] = (float)d;
	}
	return 0;
}

int xpnn_net_load(xpnn_net *n, const char *path, char *err, size_t errlen)
{
	xpnn_st st;
	json_t *x, *a;
	unsigned width[XP_MAX_LAYERS + 1], nl;
	long v, rows, bits[3];
	int rc = -1;

	memset(n, 0, sizeof(*n));
	x = xpnn_meta_open(&st, path, "xpnn-model", "xpnn-image",
			   "this is a board image: give it to `xpnn load`",
			   "a model written by `xpnn train`, or by PyTorch as in docs/formats.md",
			   err, errlen);
	if (!x)
		return -1;
	if (xpnn_meta_int(path, "metadata \"xpnn\": ", x, "version", XPNN_MODEL_VERSION, XPNN_MODEL_VERSION, &v, err, errlen))
		goto fail;
	{
		/* optional, but if given they must be what the twin computes */
		static const char *const want[2][2] = { { "activation", "relu_clip" },
							{ "input", "pixel/255" } };

		for (int k = 0; k < 2; k++) {
			json_t *e = json_object_get(x, want[k][0]);

			if (e && (!json_is_string(e) || strcmp(json_string_value(e), want[k][1]))) {
				xpnn_errf(err, errlen, "%s: metadata \"xpnn\": \"%s\" must be \"%s\": "
					  "xpnn's twin takes pixel / 255 and clips hidden ReLUs at "
					  "act_clip (docs/formats.md)", path, want[k][0], want[k][1]);
				goto fail;
			}
		}
	}
	a = json_object_get(x, "layers");
	if (!a || !json_is_array(a) || json_array_size(a) < 2 ||
	    json_array_size(a) > XP_MAX_LAYERS + 1) {
		xpnn_errf(err, errlen, "%s: metadata \"xpnn\": \"layers\" must be an array of 2 … %d "
			  "widths (inputs, then each layer's outputs)", path, XP_MAX_LAYERS + 1);
		goto fail;
	}
	nl = (unsigned)json_array_size(a) - 1;
	for (unsigned l = 0; l <= nl; l++) {
		json_t *e = json_array_get(a, l);

		if (!json_is_integer(e) || json_integer_value(e) < 1 ||
		    json_integer_value(e) > XP_MAX_WIDTH) {
			xpnn_errf(err, errlen, "%s: metadata \"xpnn\": \"layers\"[%u] must be an "
				  "integer 1 … %d", path, l, XP_MAX_WIDTH);
			goto fail;
		}
		width[l] = (unsigned)json_integer_value(e);
	}
	if (xpnn_meta_int(path, "metadata \"xpnn\": ", x, "rows", 1, XP_MAX_ROWS, &rows, err, errlen) ||
	    xpnn_meta_int(path, "metadata \"xpnn\": ", x, "dac_bits", 1, 8, &bits[0], err, errlen) ||
	    xpnn_meta_int(path, "metadata \"xpnn\": ", x, "code_bits", 1, 8, &bits[1], err, errlen) ||
	    xpnn_meta_int(path, "metadata \"xpnn\": ", x, "adc_bits", 2, 12, &bits[2], err, errlen))
		goto fail;
	{
		char e2[256];

		if (xpnn_net_init(n, nl, width, (unsigned)rows, 1.0f, 0, e2, sizeof(e2))) {
			xpnn_errf(err, errlen, "%s: %s", path, e2);
			goto fail;
		}
	}
	n->dac_bits = (unsigned)bits[0];
	n->code_bits = (unsigned)bits[1];
	n->adc_bits = (unsigned)bits[2];
	if (jfloats(path, x, "act_clip", nl - 1, 1e-6, 1e6, n->act_clip, err, errlen) ||
	    jfloats(path, x, "adc_clip", nl, 0, 1e9, n->adc_clip, err, errlen))
		goto fail;
	for (unsigned l = 0; l < nl; l++) {
		char name[2][32];
		uint64_t ws[2] = { width[l + 1], width[l] }, bs[1] = { width[l + 1] };
		const xpnn_tensor *w, *b;

		snprintf(name[0], sizeof(name[0]), "layers.%u.weight", l);
		snprintf(name[1], sizeof(name[1]), "layers.%u.bias", l);
		if (!(w = xpnn_st_get(&st, name[0], XPNN_F32, 2, ws, err, errlen)) ||
		    !(b = xpnn_st_get(&st, name[1], XPNN_F32, 1, bs, err, errlen)))
			goto fail;
		memcpy(n->w[l], w->data, w->nbytes);
		memcpy(n->b[l], b->data, b->nbytes);
		for (size_t i = 0; i < (size_t)width[l] * width[l + 1]; i++)
			if (!isfinite(n->w[l][i])) {
				xpnn_errf(err, errlen, "%s: tensor '%s': element %zu is %g: weights "
					  "must be finite", path, name[0], i, (double)n->w[l][i]);
				goto fail;
			}
		for (size_t i = 0; i < width[l + 1]; i++)
			if (!isfinite(n->b[l][i])) {
				xpnn_errf(err, errlen, "%s: tensor '%s': element %zu is %g: biases "
					  "must be finite", path, name[1], i, (double)n->b[l][i]);
				goto fail;
			}
	}
	rc = 0;
fail:
	if (rc)
		xpnn_net_free(n);
	json_decref(x);
	xpnn_st_free(&st);
	return rc;
}
