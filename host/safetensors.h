/*
 * safetensors.h — read and write safetensors files (the tensor format of Hugging Face's
 * safetensors library), for trained weights and checkpoints.
 *
 * Layout: u64 little-endian N, then N bytes of UTF-8 JSON header, then the data buffer. The
 * header maps each tensor name to {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin,
 * end]} (byte offsets into the data buffer, little-endian elements, row-major), plus an
 * optional "__metadata__" object of string values. The tensors cover the data buffer exactly,
 * without holes or overlaps.
 *
 * The reader validates everything before it allocates and never trusts a size it has not
 * checked against the file; its messages name the file, the tensor, the field, the value and
 * the limit. The writer is deterministic (sorted compact JSON, padded with spaces to a multiple
 * of 8 bytes, tensors in the order given) and atomic (temporary file, fsync, rename).
 * tests/indep/safetensors_std.py is an independent reader/writer in standard Python.
 */
#ifndef XPNN_SAFETENSORS_H
#define XPNN_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Element types. The file stores the name (xpnn_dtype_name), never the number. */
typedef enum xpnn_dtype {
	XPNN_F32 = 0,
	XPNN_F64 = 1,
	XPNN_U8 = 2,
	XPNN_I8 = 3,
	XPNN_U16 = 4,
	XPNN_I16 = 5,
	XPNN_U32 = 6,
	XPNN_I32 = 7,
	XPNN_I64 = 8,
} xpnn_dtype;
#define XPNN_NDTYPES 9

/* "F32", … as safetensors spells them; "?" for a value outside the enum. */
const char *xpnn_dtype_name(xpnn_dtype t);
/* Bytes per element; 0 for a value outside the enum. */
size_t xpnn_dtype_size(xpnn_dtype t);
/* The dtype named s (exact spelling), or -1. */
int xpnn_dtype_parse(const char *s);

#define XPNN_ST_MAXDIM 4
#define XPNN_ST_MAXNAME 255                  /* bytes in a tensor name */
#define XPNN_ST_MAXHEADER 100000000ull       /* bytes of JSON header */
#define XPNN_ST_MAXBYTES (1ull << 34)        /* bytes in one tensor */

typedef struct xpnn_tensor {
	char *name;
	xpnn_dtype dtype;
	int ndim;                       /* 0 … XPNN_ST_MAXDIM; 0 is a scalar (one element) */
	uint64_t shape[XPNN_ST_MAXDIM];
	size_t nbytes;                  /* product of shape × xpnn_dtype_size */
	void *data;                     /* malloc'd by the reader (8-byte aligned, never NULL);
					 * not owned when writing (may be NULL if nbytes is 0) */
} xpnn_tensor;

typedef struct xpnn_st {
	char *path;          /* for messages */
	size_t n;
	xpnn_tensor *t;      /* in the order of their data in the file */
	json_t *meta;        /* the "__metadata__" object (all values strings), or NULL */
} xpnn_st;

/* Read and validate a whole file. Returns 0, or -1 with err filled and *st zeroed. */
int xpnn_st_read(xpnn_st *st, const char *path, char *err, size_t errlen);
/* Free everything and zero *st (st may be NULL; freeing twice is harmless). */
void xpnn_st_free(xpnn_st *st);

/* Look a tensor up and check it: dtype, ndim and shape (shape may be NULL: any shape;
 * shape[i] == 0 means any size; ndim < 0 means any rank and shape). On failure NULL, and err
 * names the file, the tensor and expected vs found, e.g.
 * "m.safetensors: tensor 'layers.0.weight': dtype I8, expected F32". */
const xpnn_tensor *xpnn_st_get(const xpnn_st *st, const char *name, xpnn_dtype dtype, int ndim,
			       const uint64_t *shape, char *err, size_t errlen);

/* A metadata string value, or NULL. */
const char *xpnn_st_meta(const xpnn_st *st, const char *key);

/* Write n tensors atomically: path.tmp.<pid>, fwrite, fflush, fsync, rename over path, fsync
 * the directory. On any failure before the rename the temporary file is removed and path is
 * untouched. meta may be NULL; its values must be strings. Names must be unique, 1 … 255
 * bytes and not "__metadata__"; nbytes must match dtype and shape. Returns 0 or -1. */
int xpnn_st_write(const char *path, const xpnn_tensor *t, size_t n, const json_t *meta,
		  char *err, size_t errlen);

/* Write n bytes to path atomically, the same way (temporary file, fsync, rename, directory
 * fsync). Returns 0, or -1 with err; path is untouched on failure before the rename. */
int xpnn_write_file_atomic(const char *path, const void *buf, size_t n, char *err,
			   size_t errlen);

#ifdef __cplusplus
}
#endif
#endif /* XPNN_SAFETENSORS_H */
