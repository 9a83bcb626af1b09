/*
 * meta.c — the metadata shared by model and image files (meta.h).
 */
#include <string.h>

#include "meta.h"
#include "util.h"

json_t *xpnn_meta_open(xpnn_st *st, const char *path, const char *want, const char *other,
		       const char *other_hint, const char *hint, char *err, size_t errlen)
{
	const char *fmt, *js;
	json_error_t je;
	json_t *x;

	if (xpnn_st_read(st, path, err, errlen))
		return NULL;
	fmt = xpnn_st_meta(st, "format");
	if (!fmt || strcmp(fmt, want)) {
		xpnn_errf(err, errlen, "%s: metadata \"format\" is %s%s%s, expected \"%s\" (%s)", path,
			  fmt ? "\"" : "", fmt ? fmt : "missing", fmt ? "\"" : "", want,
			  fmt && !strcmp(fmt, other) ? other_hint : hint);
		goto fail;
	}
	if (!(js = xpnn_st_meta(st, "xpnn"))) {
		xpnn_errf(err, errlen, "%s: metadata \"xpnn\" is missing (docs/formats.md)", path);
		goto fail;
	}
	x = json_loads(js, JSON_REJECT_DUPLICATES, &je);
	if (!x || !json_is_object(x)) {
		xpnn_errf(err, errlen, "%s: metadata \"xpnn\" is not a JSON object: %s", path,
			  x ? "wrong type" : je.text);
		json_decref(x);
		goto fail;
	}
	return x;
fail:
	xpnn_st_free(st);
	return NULL;
}

int xpnn_meta_int(const char *path, const char *where, json_t *o, const char *key, long lo,
		  long hi, long *out, char *err, size_t errlen)
{
	json_t *v = json_object_get(o, key);

	if (!v || !json_is_integer(v)) {
		xpnn_errf(err, errlen, "%s: %s\"%s\" %s (an integer %ld … %ld)", path, where, key,
			  v ? "is not an integer" : "is missing", lo, hi);
		return -1;
	}
	if (json_integer_value(v) < lo || json_integer_value(v) > hi) {
		xpnn_errf(err, errlen, "%s: %s\"%s\" = %lld: legal range %ld … %ld", path, where, key,
			  (long long)json_integer_value(v), lo, hi);
		return -1;
	}
	*out = (long)json_integer_value(v);
	return 0;
}
