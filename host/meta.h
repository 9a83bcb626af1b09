/*
 * meta.h — what the model and image files share (internal): the safetensors file of one of
 * our formats with its "xpnn" JSON metadata, and checked JSON fields.
 */
#ifndef XPNN_META_H
#define XPNN_META_H

#include <stddef.h>

#include <jansson.h>

#include "safetensors.h"

/* Read path, check that metadata "format" is want (if it is other, say so with other_hint;
 * if it is anything else, add hint), and parse the "xpnn" metadata JSON object. Returns the
 * object (caller decrefs; st filled, caller frees) or NULL with err and st freed. */
json_t *xpnn_meta_open(xpnn_st *st, const char *path, const char *want, const char *other,
		       const char *other_hint, const char *hint, char *err, size_t errlen);

/* An integer field key of o in lo … hi; the message names path, where (a prefix such as
 * "metadata \"xpnn\": "), the key, the value and the range. Returns 0 or -1. */
int xpnn_meta_int(const char *path, const char *where, json_t *o, const char *key, long lo,
		  long hi, long *out, char *err, size_t errlen);

#endif /* XPNN_META_H */
