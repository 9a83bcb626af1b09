/*
 * safetensors.c — safetensors files: a validating reader and an atomic, deterministic writer.
 *
 * Reader: fstat, the 8-byte header length, the JSON header (jansson, duplicate keys rejected),
 * then every entry is checked (dtype, shape, offsets, sizes) and the tensors sorted by offset
 * must cover the data buffer exactly, before one byte of tensor memory is allocated. The data
 * is then read tensor by tensor, in file order, straight into each tensor's own buffer.
 *
 * Writer: the header as json_dumps(JSON_COMPACT | JSON_SORT_KEYS) padded with spaces to a
 * multiple of 8 bytes (as the reference implementation pads it), the tensors contiguous in the
 * order given; written to path.tmp.<pid>, flushed, fsync'd, renamed over path, and the
 * directory fsync'd, so that a crash leaves either the old file or the new one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "safetensors.h"
#include "util.h"

/* Tensor data goes between memory and file unconverted: the file is little-endian. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors.c assumes a little-endian host"
#endif

#define ST_READ_CHUNK (1u << 30)
#define ST_SHAPE_STR 128 /* "[a, b, c, d]" with 20-digit numbers */
#define ST_META "__metadata__"

static const struct {
	const char *name;
	size_t size;
} dtypes[XPNN_NDTYPES] = {
	[XPNN_F32] = { "F32", 4 }, [XPNN_F64] = { "F64", 8 }, [XPNN_U8] = { "U8", 1 },
	[XPNN_I8] = { "I8", 1 },   [XPNN_U16] = { "U16", 2 }, [XPNN_I16] = { "I16", 2 },
	[XPNN_U32] = { "U32", 4 }, [XPNN_I32] = { "I32", 4 }, [XPNN_I64] = { "I64", 8 },
};
#define ST_SUPPORTED "F32, F64, U8, I8, U16, I16, U32, I32, I64"

const char *xpnn_dtype_name(xpnn_dtype t)
{
	return (unsigned)t < XPNN_NDTYPES ? dtypes[t].name : "?";
}

size_t xpnn_dtype_size(xpnn_dtype t)
{
	return (unsigned)t < XPNN_NDTYPES ? dtypes[t].size : 0;
}

int xpnn_dtype_parse(const char *s)
{
	for (int i = 0; i < XPNN_NDTYPES; i++)
		if (!strcmp(s, dtypes[i].name))
			return i;
	return -1;
}

static const char *jtype(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "array";
	case JSON_STRING: return "string";
	case JSON_INTEGER: return "integer";
	case JSON_REAL: return "non-integer number";
	case JSON_TRUE:
	case JSON_FALSE: return "boolean";
	default: return "null";
	}
}

/* "[2, 3]"; with any = 1 a zero prints as "*" (any size). */
static const char *shape_str(char *buf, const uint64_t *shape, int ndim, int any)
{
	size_t k = 0;

	k += (size_t)snprintf(buf, ST_SHAPE_STR, "[");
	for (int i = 0; i < ndim && i < XPNN_ST_MAXDIM; i++) {
		if (any && !shape[i])
			k += (size_t)snprintf(buf + k, ST_SHAPE_STR - k, "%s*", i ? ", " : "");
		else
			k += (size_t)snprintf(buf + k, ST_SHAPE_STR - k, "%s%llu", i ? ", " : "",
					      (unsigned long long)shape[i]);
	}
	snprintf(buf + k, ST_SHAPE_STR - k, "]");
	return buf;
}

/* Bytes of a tensor of dtype and shape, or -1 if above XPNN_ST_MAXBYTES (or overflowing). */
static int st_nbytes(xpnn_dtype dtype, int ndim, const uint64_t *shape, uint64_t *nbytes)
{
	const uint64_t size = xpnn_dtype_size(dtype);
	uint64_t count = 1;

	for (int i = 0; i < ndim; i++)
		if (!shape[i]) {
			*nbytes = 0;
			return 0;
		}
	for (int i = 0; i < ndim; i++) {
		if (count > XPNN_ST_MAXBYTES / shape[i])
			return -1;
		count *= shape[i];
	}
	if (count > XPNN_ST_MAXBYTES / size)
		return -1;
	*nbytes = count * size;
	return 0;
}

/* ---- reading ---- */

/* Read n bytes; returns the count read (< n only at the end of the file) or -1 (errno). */
static long long read_full(int fd, void *buf, size_t n)
{
	size_t off = 0;

	while (off < n) {
		const size_t k = n - off > ST_READ_CHUNK ? ST_READ_CHUNK : n - off;
		const ssize_t r = read(fd, (uint8_t *)buf + off, k);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		off += (size_t)r;
	}
	return (long long)off;
}

/* Read exactly n bytes of what (for the message). */
static int read_exact(int fd, const char *path, void *buf, size_t n, const char *what,
		      char *err, size_t errlen)
{
	const long long r = read_full(fd, buf, n);

	if (r < 0) {
		xpnn_errf(err, errlen, "%s: read error in %s: %s", path, what, strerror(errno));
		return -1;
	}
	if ((unsigned long long)r != n) {
		xpnn_errf(err, errlen, "%s: the file ended in %s, before the size fstat gave (did it "
			  "change while being read?)", path, what);
		return -1;
	}
	return 0;
}

/* One validated header entry; name points into the parsed header. */
typedef struct st_ent {
	const char *name;
	xpnn_dtype dtype;
	int ndim;
	uint64_t shape[XPNN_ST_MAXDIM];
	uint64_t begin, end;
} st_ent;

static int ent_cmp(const void *a, const void *b)
{
	const st_ent *x = a, *y = b;

	if (x->begin != y->begin)
		return x->begin < y->begin ? -1 : 1;
	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Validate the entry of one tensor against a data buffer of dsize bytes. */
static int st_entry(const char *path, const char *name, const json_t *v, uint64_t dsize,
		    st_ent *e, char *err, size_t errlen)
{
	const size_t nlen = strlen(name);
	const json_t *dt, *sh, *off;
	char s[ST_SHAPE_STR];
	json_int_t o[2];
	uint64_t nbytes;
	int k;

	if (!nlen) {
		xpnn_errf(err, errlen, "%s: a tensor name is empty (names are 1 … %d bytes)", path,
			  XPNN_ST_MAXNAME);
		return -1;
	}
	if (nlen > XPNN_ST_MAXNAME) {
		xpnn_errf(err, errlen, "%s: tensor name '%.40s…' is %zu bytes long, more than the "
			  "limit %d", path, name, nlen, XPNN_ST_MAXNAME);
		return -1;
	}
	e->name = name;
	if (!json_is_object(v)) {
		xpnn_errf(err, errlen, "%s: tensor '%s': its entry is a JSON %s, expected an object "
			  "with \"dtype\", \"shape\" and \"data_offsets\"", path, name, jtype(v));
		return -1;
	}
	dt = json_object_get(v, "dtype");
	sh = json_object_get(v, "shape");
	off = json_object_get(v, "data_offsets");
	if (!dt || !sh || !off) {
		xpnn_errf(err, errlen, "%s: tensor '%s': \"%s\" is missing", path, name,
			  !dt ? "dtype" : !sh ? "shape" : "data_offsets");
		return -1;
	}

	if (!json_is_string(dt)) {
		xpnn_errf(err, errlen, "%s: tensor '%s': \"dtype\" is a JSON %s, expected a string "
			  "(one of %s)", path, name, jtype(dt), ST_SUPPORTED);
		return -1;
	}
	k = xpnn_dtype_parse(json_string_value(dt));
	if (k < 0) {
		xpnn_errf(err, errlen, "%s: tensor '%s': dtype \"%.32s\" is not supported (supported: "
			  "%s)", path, name, json_string_value(dt), ST_SUPPORTED);
		return -1;
	}
	e->dtype = (xpnn_dtype)k;

	if (!json_is_array(sh)) {
		xpnn_errf(err, errlen, "%s: tensor '%s': \"shape\" is a JSON %s, expected an array of "
			  "non-negative integers", path, name, jtype(sh));
		return -1;
	}
	if (json_array_size(sh) > XPNN_ST_MAXDIM) {
		xpnn_errf(err, errlen, "%s: tensor '%s': shape has %zu dimensions, more than the limit "
			  "%d", path, name, json_array_size(sh), XPNN_ST_MAXDIM);
		return -1;
	}
	e->ndim = (int)json_array_size(sh);
	for (int i = 0; i < e->ndim; i++) {
		const json_t *d = json_array_get(sh, (size_t)i);

		if (!json_is_integer(d)) {
			xpnn_errf(err, errlen, "%s: tensor '%s': shape[%d] is a JSON %s, expected a "
				  "non-negative integer", path, name, i, jtype(d));
			return -1;
		}
		if (json_integer_value(d) < 0) {
			xpnn_errf(err, errlen, "%s: tensor '%s': shape[%d] = %lld is negative", path,
				  name, i, (long long)json_integer_value(d));
			return -1;
		}
		e->shape[i] = (uint64_t)json_integer_value(d);
	}
	if (st_nbytes(e->dtype, e->ndim, e->shape, &nbytes)) {
		xpnn_errf(err, errlen, "%s: tensor '%s': absurd shape %s: more than 2^34 bytes of %s",
			  path, name, shape_str(s, e->shape, e->ndim, 0), xpnn_dtype_name(e->dtype));
		return -1;
	}

	if (!json_is_array(off)) {
		xpnn_errf(err, errlen, "%s: tensor '%s': \"data_offsets\" is a JSON %s, expected an "
			  "array [begin, end]", path, name, jtype(off));
		return -1;
	}
	if (json_array_size(off) != 2) {
		xpnn_errf(err, errlen, "%s: tensor '%s': \"data_offsets\" has %zu elements, expected 2 "
			  "[begin, end]", path, name, json_array_size(off));
		return -1;
	}
	for (int i = 0; i < 2; i++) {
		const json_t *d = json_array_get(off, (size_t)i);

		if (!json_is_integer(d)) {
			xpnn_errf(err, errlen, "%s: tensor '%s': data_offsets[%d] is a JSON %s, expected "
				  "a non-negative integer", path, name, i, jtype(d));
			return -1;
		}
		o[i] = json_integer_value(d);
		if (o[i] < 0) {
			xpnn_errf(err, errlen, "%s: tensor '%s': data_offsets[%d] = %lld is negative",
				  path, name, i, (long long)o[i]);
			return -1;
		}
	}
	e->begin = (uint64_t)o[0];
	e->end = (uint64_t)o[1];
	if (e->begin > e->end) {
		xpnn_errf(err, errlen, "%s: tensor '%s': data_offsets [%llu, %llu]: begin after end",
			  path, name, (unsigned long long)e->begin, (unsigned long long)e->end);
		return -1;
	}
	if (e->end - e->begin != nbytes) {
		xpnn_errf(err, errlen, "%s: tensor '%s': data_offsets [%llu, %llu] span %llu bytes, but "
			  "dtype %s and shape %s need %llu", path, name,
			  (unsigned long long)e->begin, (unsigned long long)e->end,
			  (unsigned long long)(e->end - e->begin), xpnn_dtype_name(e->dtype),
			  shape_str(s, e->shape, e->ndim, 0), (unsigned long long)nbytes);
		return -1;
	}
	if (e->end > dsize) {
		xpnn_errf(err, errlen, "%s: tensor '%s': data_offsets [%llu, %llu] run past the end of "
			  "the data buffer (%llu bytes)", path, name, (unsigned long long)e->begin,
			  (unsigned long long)e->end, (unsigned long long)dsize);
		return -1;
	}
	return 0;
}

static int st_metadata(const char *path, const json_t *m, char *err, size_t errlen)
{
	const char *k;
	const json_t *v;

	if (!json_is_object(m)) {
		xpnn_errf(err, errlen, "%s: \"" ST_META "\" is a JSON %s, expected an object of "
			  "strings", path, jtype(m));
		return -1;
	}
	json_object_foreach((json_t *)m, k, v) {
		if (!json_is_string(v)) {
			xpnn_errf(err, errlen, "%s: \"" ST_META "\": the value of '%s' is a JSON %s, "
				  "expected a string", path, k, jtype(v));
			return -1;
		}
	}
	return 0;
}

/* The sorted entries must cover [0, dsize) exactly (safetensors forbids holes and overlaps). */
static int st_coverage(const char *path, const st_ent *e, size_t n, uint64_t dsize, char *err,
		       size_t errlen)
{
	uint64_t pos = 0;

	for (size_t i = 0; i < n; i++) {
		if (e[i].begin < pos) {
			xpnn_errf(err, errlen, "%s: tensors '%s' [%llu, %llu] and '%s' [%llu, %llu] "
				  "overlap in the data buffer", path, e[i - 1].name,
				  (unsigned long long)e[i - 1].begin, (unsigned long long)e[i - 1].end,
				  e[i].name, (unsigned long long)e[i].begin,
				  (unsigned long long)e[i].end);
			return -1;
		}
		if (e[i].begin > pos) {
			xpnn_errf(err, errlen, "%s: hole in the data buffer: bytes %llu … %llu belong to "
				  "no tensor (the next is '%s' at %llu)", path, (unsigned long long)pos,
				  (unsigned long long)e[i].begin - 1, e[i].name,
				  (unsigned long long)e[i].begin);
			return -1;
		}
		pos = e[i].end;
	}
	if (pos != dsize) {
		xpnn_errf(err, errlen, "%s: hole in the data buffer: bytes %llu … %llu at its end belong "
			  "to no tensor (the data buffer is %llu bytes, the tensors cover %llu)", path,
			  (unsigned long long)pos, (unsigned long long)dsize - 1,
			  (unsigned long long)dsize, (unsigned long long)pos);
		return -1;
	}
	return 0;
}

int xpnn_st_read(xpnn_st *st, const char *path, char *err, size_t errlen)
{
	xpnn_st z = { 0 };
	struct stat sb;
	uint8_t len8[8];
	uint64_t hlen = 0, fsize, dsize;
	char *hdr = NULL;
	json_t *root = NULL, *meta = NULL;
	json_error_t je;
	st_ent *ents = NULL;
	const char *key;
	json_t *v;
	size_t n = 0, i;
	int fd = -1;

	if (st)
		memset(st, 0, sizeof(*st));
	if (!st || !path) {
		xpnn_errf(err, errlen, "xpnn_st_read: NULL argument");
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		xpnn_errf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) < 0) {
		xpnn_errf(err, errlen, "%s: cannot stat: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(sb.st_mode)) {
		xpnn_errf(err, errlen, "%s: not a regular file", path);
		goto fail;
	}
	fsize = (uint64_t)sb.st_size;
	if (fsize < 8) {
		xpnn_errf(err, errlen, "%s: the file is %llu bytes, shorter than the 8-byte header "
			  "length that starts a safetensors file", path, (unsigned long long)fsize);
		goto fail;
	}
	if (read_exact(fd, path, len8, 8, "the header length", err, errlen))
		goto fail;
	for (i = 0; i < 8; i++)
		hlen |= (uint64_t)len8[i] << (8 * i);
	if (hlen > XPNN_ST_MAXHEADER) {
		xpnn_errf(err, errlen, "%s: header length %llu is more than the limit %llu (is this a "
			  "safetensors file?)", path, (unsigned long long)hlen, XPNN_ST_MAXHEADER);
		goto fail;
	}
	if (hlen > fsize - 8) {
		xpnn_errf(err, errlen, "%s: header length %llu runs past the end of the file (%llu "
			  "bytes follow the length field)", path, (unsigned long long)hlen,
			  (unsigned long long)(fsize - 8));
		goto fail;
	}
	dsize = fsize - 8 - hlen;
	hdr = malloc(hlen ? (size_t)hlen : 1);
	if (!hdr) {
		xpnn_errf(err, errlen, "%s: out of memory for a %llu-byte header", path,
			  (unsigned long long)hlen);
		goto fail;
	}
	if (read_exact(fd, path, hdr, (size_t)hlen, "the header", err, errlen))
		goto fail;

	root = json_loadb(hdr, (size_t)hlen, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		xpnn_errf(err, errlen, "%s: the header is not valid JSON: %s (line %d, column %d, byte "
			  "%d of the header)", path, je.text, je.line, je.column, je.position);
		goto fail;
	}
	if (!json_is_object(root)) {
		xpnn_errf(err, errlen, "%s: the header is a JSON %s, expected an object", path,
			  jtype(root));
		goto fail;
	}
	ents = calloc(json_object_size(root) + 1, sizeof(*ents));
	if (!ents) {
		xpnn_errf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	json_object_foreach(root, key, v) {
		if (!strcmp(key, ST_META)) {
			if (st_metadata(path, v, err, errlen))
				goto fail;
			meta = v;
			continue;
		}
		if (st_entry(path, key, v, dsize, &ents[n], err, errlen))
			goto fail;
		n++;
	}
	qsort(ents, n, sizeof(*ents), ent_cmp);
	if (st_coverage(path, ents, n, dsize, err, errlen))
		goto fail;

	/* Everything is validated: allocate and read, in file order. */
	z.path = strdup(path);
	z.t = calloc(n + 1, sizeof(*z.t));
	if (!z.path || !z.t) {
		xpnn_errf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	for (i = 0; i < n; i++) {
		xpnn_tensor *t = &z.t[i];
		const uint64_t nb = ents[i].end - ents[i].begin;

		t->name = strdup(ents[i].name);
		t->data = malloc(nb ? (size_t)nb : 1);
		z.n = i + 1;
		if (!t->name || !t->data) {
			xpnn_errf(err, errlen, "%s: tensor '%s': out of memory for %llu bytes", path,
				  ents[i].name, (unsigned long long)nb);
			goto fail;
		}
		t->dtype = ents[i].dtype;
		t->ndim = ents[i].ndim;
		memcpy(t->shape, ents[i].shape, sizeof(t->shape));
		t->nbytes = (size_t)nb;
		if (read_exact(fd, path, t->data, t->nbytes, "the data", err, errlen))
			goto fail;
	}
	if (meta)
		z.meta = json_incref(meta);
	free(ents);
	json_decref(root);
	free(hdr);
	close(fd);
	*st = z;
	return 0;

fail:
	xpnn_st_free(&z);
	free(ents);
	json_decref(root);
	free(hdr);
	close(fd);
	return -1;
}

void xpnn_st_free(xpnn_st *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->n; i++) {
		free(st->t[i].name);
		free(st->t[i].data);
	}
	free(st->t);
	free(st->path);
	json_decref(st->meta);
	memset(st, 0, sizeof(*st));
}

/* ---- lookup ---- */

const xpnn_tensor *xpnn_st_get(const xpnn_st *st, const char *name, xpnn_dtype dtype, int ndim,
			       const uint64_t *shape, char *err, size_t errlen)
{
	const xpnn_tensor *t = NULL;
	char s1[ST_SHAPE_STR], s2[ST_SHAPE_STR];

	if (!st || !name) {
		xpnn_errf(err, errlen, "xpnn_st_get: NULL argument");
		return NULL;
	}
	for (size_t i = 0; i < st->n && !t; i++)
		if (!strcmp(st->t[i].name, name))
			t = &st->t[i];
	if (!t) {
		size_t k;

		xpnn_errf(err, errlen, "%s: no tensor '%s' (the file holds %zu%s", st->path, name,
			  st->n, st->n ? ":" : ")");
		for (size_t i = 0; err && errlen && i < st->n; i++) {
			k = strlen(err);
			if (i == 8) {
				snprintf(err + k, errlen - k, " …)");
				break;
			}
			snprintf(err + k, errlen - k, " '%s'%s", st->t[i].name,
				 i + 1 < st->n ? "," : ")");
		}
		return NULL;
	}
	if (t->dtype != dtype) {
		xpnn_errf(err, errlen, "%s: tensor '%s': dtype %s, expected %s", st->path, name,
			  xpnn_dtype_name(t->dtype), xpnn_dtype_name(dtype));
		return NULL;
	}
	if (ndim < 0)
		return t;
	if (t->ndim != ndim) {
		xpnn_errf(err, errlen, "%s: tensor '%s': shape %s has %d dimensions, expected %d",
			  st->path, name, shape_str(s1, t->shape, t->ndim, 0), t->ndim, ndim);
		return NULL;
	}
	for (int i = 0; shape && i < ndim; i++) {
		if (shape[i] && shape[i] != t->shape[i]) {
			xpnn_errf(err, errlen, "%s: tensor '%s': shape %s, expected %s", st->path, name,
				  shape_str(s1, t->shape, t->ndim, 0), shape_str(s2, shape, ndim, 1));
			return NULL;
		}
	}
	return t;
}

const char *xpnn_st_meta(const xpnn_st *st, const char *key)
{
	if (!st || !st->meta || !key)
		return NULL;
	return json_string_value(json_object_get(st->meta, key));
}

/* ---- writing ---- */

/* The header of n tensors (validated) as a JSON object, or NULL with err filled. */
static json_t *st_header(const char *path, const xpnn_tensor *t, size_t n, const json_t *meta,
			 char *err, size_t errlen)
{
	json_t *root = json_object(), *m = NULL, *e = NULL, *sh = NULL, *chk;
	char s[ST_SHAPE_STR];
	int rc;
	uint64_t off = 0, nbytes;
	const char *k;
	const json_t *v;

	if (!root)
		goto oom;
	if (meta) {
		if (!json_is_object(meta)) {
			xpnn_errf(err, errlen, "%s: metadata is a JSON %s, expected an object of "
				  "strings", path, jtype(meta));
			goto fail;
		}
		json_object_foreach((json_t *)meta, k, v) {
			if (!json_is_string(v)) {
				xpnn_errf(err, errlen, "%s: metadata: the value of '%s' is a JSON %s, "
					  "expected a string", path, k, jtype(v));
				goto fail;
			}
		}
		m = json_deep_copy(meta);
		if (!m || json_object_set_new(root, ST_META, m))
			goto oom;
	}
	for (size_t i = 0; i < n; i++) {
		const xpnn_tensor *x = &t[i];
		const size_t nlen = x->name ? strlen(x->name) : 0;

		if (!nlen || nlen > XPNN_ST_MAXNAME) {
			xpnn_errf(err, errlen, "%s: tensor %zu: name '%.40s' is %zu bytes, expected 1 … "
				  "%d", path, i, x->name ? x->name : "(null)", nlen, XPNN_ST_MAXNAME);
			goto fail;
		}
		chk = json_string(x->name); /* NULL unless valid UTF-8, as JSON keys must be */
		if (!chk) {
			xpnn_errf(err, errlen, "%s: tensor %zu: name '%.40s' is not valid UTF-8", path, i,
				  x->name);
			goto fail;
		}
		json_decref(chk);
		if (!strcmp(x->name, ST_META) || json_object_get(root, x->name)) {
			xpnn_errf(err, errlen, "%s: tensor %zu: name '%s' %s", path, i, x->name,
				  !strcmp(x->name, ST_META) ? "is reserved for the metadata" :
				  "is used twice");
			goto fail;
		}
		if (!xpnn_dtype_size(x->dtype)) {
			xpnn_errf(err, errlen, "%s: tensor '%s': dtype %d is not an xpnn_dtype", path,
				  x->name, (int)x->dtype);
			goto fail;
		}
		if (x->ndim < 0 || x->ndim > XPNN_ST_MAXDIM) {
			xpnn_errf(err, errlen, "%s: tensor '%s': ndim %d, legal range 0 … %d", path,
				  x->name, x->ndim, XPNN_ST_MAXDIM);
			goto fail;
		}
		for (int d = 0; d < x->ndim; d++)
			if (x->shape[d] > (uint64_t)INT64_MAX)
				goto absurd;
		if (st_nbytes(x->dtype, x->ndim, x->shape, &nbytes))
			goto absurd;
		if (x->nbytes != nbytes) {
			xpnn_errf(err, errlen, "%s: tensor '%s': nbytes %zu, but dtype %s and shape %s "
				  "need %llu", path, x->name, x->nbytes, xpnn_dtype_name(x->dtype),
				  shape_str(s, x->shape, x->ndim, 0), (unsigned long long)nbytes);
			goto fail;
		}
		if (nbytes && !x->data) {
			xpnn_errf(err, errlen, "%s: tensor '%s': data is NULL", path, x->name);
			goto fail;
		}
		sh = json_array();
		e = json_object();
		if (!sh || !e)
			goto oom;
		for (int d = 0; d < x->ndim; d++)
			if (json_array_append_new(sh, json_integer((json_int_t)x->shape[d])))
				goto oom;
		/* json_object_set_new takes the reference even when it fails */
		rc = json_object_set_new(e, "shape", sh);
		sh = NULL;
		if (rc || json_object_set_new(e, "dtype", json_string(xpnn_dtype_name(x->dtype))) ||
		    json_object_set_new(e, "data_offsets", json_pack("[II]", (json_int_t)off,
								     (json_int_t)(off + nbytes))))
			goto oom;
		rc = json_object_set_new(root, x->name, e);
		e = NULL;
		if (rc)
			goto oom;
		off += nbytes;
		continue;
absurd:
		xpnn_errf(err, errlen, "%s: tensor '%s': absurd shape %s: more than 2^34 bytes of %s",
			  path, x->name, shape_str(s, x->shape, x->ndim, 0), xpnn_dtype_name(x->dtype));
		goto fail;
	}
	return root;

oom:
	xpnn_errf(err, errlen, "%s: out of memory", path);
fail:
	json_decref(sh);
	json_decref(e);
	json_decref(root);
	return NULL;
}

/* fsync the directory that holds path, so that the rename itself is durable. */
static int fsync_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd, rc = 0;

	if (!slash)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (!dir)
		return -1;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (fd < 0)
		return -1;
	/* some file systems cannot fsync a directory (EINVAL): nothing more to do there */
	if (fsync(fd) < 0 && errno != EINVAL)
		rc = -1;
	close(fd);
	return rc;
}

int xpnn_write_file_atomic(const char *path, const void *buf, size_t n, char *err,
			   size_t errlen)
{
	char *tmp = malloc(strlen(path) + 32);
	FILE *f;

	if (!tmp) {
		xpnn_errf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	sprintf(tmp, "%s.tmp.%ld", path, (long)getpid());
	f = fopen(tmp, "wb");
	if (!f) {
		xpnn_errf(err, errlen, "%s: cannot create %s: %s: check that the directory exists and "
			  "is writable", path, tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	if ((n && fwrite(buf, 1, n, f) != n) || fflush(f) || fsync(fileno(f)) < 0) {
		xpnn_errf(err, errlen, "%s: cannot write %s: %s", path, tmp, strerror(errno));
		fclose(f);
		goto fail;
	}
	if (fclose(f)) {
		xpnn_errf(err, errlen, "%s: cannot write %s: %s", path, tmp, strerror(errno));
		goto fail;
	}
	if (rename(tmp, path) < 0) {
		xpnn_errf(err, errlen, "%s: cannot rename %s over it: %s", path, tmp, strerror(errno));
		goto fail;
	}
	free(tmp);
	if (fsync_dir(path) < 0) {
		xpnn_errf(err, errlen, "%s: written, but its directory cannot be fsync'd: %s", path,
			  strerror(errno));
		return -1;
	}
	return 0;
fail:
	unlink(tmp);
	free(tmp);
	return -1;
}

int xpnn_st_write(const char *path, const xpnn_tensor *t, size_t n, const json_t *meta,
		  char *err, size_t errlen)
{
	static const char spaces[8] = "        ";
	json_t *root = NULL;
	char *hdr = NULL, *tmp = NULL;
	uint8_t len8[8];
	size_t hlen, pad;
	FILE *f = NULL;
	int rc = -1;

	if (!path || (n && !t)) {
		xpnn_errf(err, errlen, "xpnn_st_write: NULL argument");
		return -1;
	}
	root = st_header(path, t, n, meta, err, errlen);
	if (!root)
		return -1;
	hdr = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
	if (!hdr) {
		xpnn_errf(err, errlen, "%s: out of memory for the header", path);
		goto out;
	}
	hlen = strlen(hdr);
	pad = (8 - hlen % 8) % 8;
	if (hlen + pad > XPNN_ST_MAXHEADER) {
		xpnn_errf(err, errlen, "%s: the header would be %zu bytes, more than the limit %llu",
			  path, hlen + pad, XPNN_ST_MAXHEADER);
		goto out;
	}
	for (int i = 0; i < 8; i++)
		len8[i] = (uint8_t)((uint64_t)(hlen + pad) >> (8 * i));

	tmp = malloc(strlen(path) + 32);
	if (!tmp) {
		xpnn_errf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	sprintf(tmp, "%s.tmp.%ld", path, (long)getpid());
	f = fopen(tmp, "wb");
	if (!f) {
		xpnn_errf(err, errlen, "%s: cannot create %s: %s: check that the directory exists and "
			  "is writable", path, tmp, strerror(errno));
		goto out;
	}
	if (fwrite(len8, 1, 8, f) != 8 || fwrite(hdr, 1, hlen, f) != hlen ||
	    fwrite(spaces, 1, pad, f) != pad)
		goto fail_io;
	for (size_t i = 0; i < n; i++)
		if (t[i].nbytes && fwrite(t[i].data, 1, t[i].nbytes, f) != t[i].nbytes)
			goto fail_io;
	if (fflush(f) || fsync(fileno(f)) < 0)
		goto fail_io;
	if (fclose(f)) {
		f = NULL;
		goto fail_io;
	}
	f = NULL;
	if (rename(tmp, path) < 0) {
		xpnn_errf(err, errlen, "%s: cannot rename %s over it: %s", path, tmp, strerror(errno));
		unlink(tmp);
		goto out;
	}
	if (fsync_dir(path) < 0) {
		xpnn_errf(err, errlen, "%s: written, but its directory cannot be fsync'd: %s", path,
			  strerror(errno));
		goto out;
	}
	rc = 0;
	goto out;

fail_io:
	xpnn_errf(err, errlen, "%s: cannot write %s: %s", path, tmp, strerror(errno));
	if (f)
		fclose(f);
	unlink(tmp);
out:
	free(tmp);
	free(hdr);
	json_decref(root);
	return rc;
}
