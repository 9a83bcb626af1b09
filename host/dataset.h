/*
 * dataset.h — IDX datasets (the MNIST file format), gzip'd or plain, e.g. Fashion-MNIST.
 *
 * An IDX file is a big-endian header (magic 00 00 TYPE NDIM, then NDIM u32 sizes) followed by
 * the elements. Images are type 0x08 (u8) with 3 dimensions (count, rows, cols); labels are
 * u8 with 1 dimension (count). The loaders read whole files into memory and reject anything
 * the header does not describe exactly: truncation, trailing bytes, absurd sizes, a gzip
 * stream that fails its CRC. Messages name the file, what is wrong, the value and the limit.
 */
#ifndef XPNN_DATASET_H
#define XPNN_DATASET_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Where Debian's dataset-fashion-mnist package (scripts/deps.sh) puts the files. */
#define XPNN_FASHION_DIR "/usr/share/datasets/fashion-mnist"

/* Limits a header must respect before anything is allocated. */
#define XPNN_IDX_MAX_N 100000000u        /* examples */
#define XPNN_IDX_MAX_SIDE 4096u          /* rows, cols */
#define XPNN_IDX_MAX_BYTES (1ull << 32)  /* n * rows * cols */

typedef struct xpnn_dataset {
	uint32_t n;          /* number of examples */
	uint32_t rows, cols; /* image size; features per example = rows * cols */
	uint8_t *images;     /* (n, rows, cols), row-major per image */
	uint8_t *labels;     /* (n) */
	unsigned nclasses;   /* max label + 1 */
} xpnn_dataset;

/* Load an IDX image file (magic 0x00000803: u8, 3 dimensions) and an IDX label file
 * (0x00000801: u8, 1 dimension) with the same count; either may be gzip'd. Returns 0, or -1
 * with err filled and *d zeroed (nothing allocated). */
int xpnn_dataset_load(xpnn_dataset *d, const char *images_path, const char *labels_path,
		      char *err, size_t errlen);

/* Fashion-MNIST from dir (NULL = XPNN_FASHION_DIR), split "train" (60000 examples) or "test"
 * (10000): {train,t10k}-{images-idx3,labels-idx1}-ubyte.gz. A missing file gets the hint to
 * install Debian's dataset-fashion-mnist (scripts/deps.sh). Returns 0 or -1 as above. */
int xpnn_dataset_fashion(xpnn_dataset *d, const char *dir, const char *split, char *err,
			 size_t errlen);

/* Free the arrays and zero *d (d may be NULL; freeing twice is harmless). */
void xpnn_dataset_free(xpnn_dataset *d);

#ifdef __cplusplus
}
#endif
#endif /* XPNN_DATASET_H */
