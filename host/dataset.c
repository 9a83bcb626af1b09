/*
 * dataset.c — IDX datasets (MNIST format) through zlib: gzread passes plain files through, so
 * one path reads both. Files are read whole with large gzread calls (zlib then inflates
 * straight into the destination), which loads the 47 MB of Fashion-MNIST's training images in
 * a fraction of a second.
 *
 * Every header field is checked against its limit before anything is allocated from it, and
 * every file is read through to its end: that catches trailing bytes and, for a gzip stream,
 * makes zlib check the CRC and length in the trailer (gzread reports a bad CRC only when it
 * reaches the end of the stream).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "dataset.h"
#include "util.h"

#define IDX_IMAGES 0x00000803u
#define IDX_LABELS 0x00000801u
#define IDX_CHUNK (1u << 30)      /* largest single gzread (it takes an unsigned, returns int) */
#define IDX_GZBUF (1u << 20)      /* zlib's input buffer: few large read(2) calls */
#define IDX_TAIL 65536            /* how much of any trailing data is read to report it */
#define IDX_FIRST (64u << 20)     /* first buffer: Fashion-MNIST's 47 MB fit without a realloc */

typedef struct idx_file {
	const char *path;
	gzFile gz;
	int fd;
} idx_file;

static void idx_close(idx_file *f)
{
	if (f->gz)
		gzclose(f->gz);
	f->gz = NULL;
}

static int idx_open(idx_file *f, const char *path, char *err, size_t errlen)
{
	int fd;

	f->path = path;
	f->gz = NULL;
	/* open(2) ourselves: gzopen's errno is not reliable for the message */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		xpnn_errf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	f->fd = fd;
	f->gz = gzdopen(fd, "rb");
	if (!f->gz) {
		close(fd);
		xpnn_errf(err, errlen, "%s: cannot open: out of memory", path);
		return -1;
	}
	gzbuffer(f->gz, IDX_GZBUF);
	return 0;
}

static int idx_gzfail(const idx_file *f, char *err, size_t errlen)
{
	const int errno0 = errno; /* for Z_ERRNO, before anything else can change it */
	int e = Z_OK;
	const char *msg = gzerror(f->gz, &e);
	char pre[32];
	/* zlib prefixes the name it was opened with, "<fd:N>: " after gzdopen */
	const int k = snprintf(pre, sizeof(pre), "<fd:%d>: ", f->fd);

	if (k > 0 && !strncmp(msg, pre, (size_t)k))
		msg += k;
	if (e == Z_ERRNO)
		xpnn_errf(err, errlen, "%s: read error: %s", f->path, strerror(errno0));
	else if (e == Z_MEM_ERROR)
		xpnn_errf(err, errlen, "%s: out of memory while decompressing", f->path);
	else
		xpnn_errf(err, errlen, "%s: corrupt gzip stream: %s", f->path, msg);
	return -1;
}

/* Read up to n bytes; *got < n only at the end of the file. A gzip error (bad data, bad CRC,
 * a stream cut short) is an error even after a partial read. */
static int idx_read(const idx_file *f, void *buf, size_t n, size_t *got, char *err,
		    size_t errlen)
{
	size_t off = 0;
	int e = Z_OK;

	while (off < n) {
		const unsigned k = n - off > IDX_CHUNK ? IDX_CHUNK : (unsigned)(n - off);
		const int r = gzread(f->gz, (uint8_t *)buf + off, k);

		if (r < 0)
			return idx_gzfail(f, err, errlen);
		if (r == 0)
			break;
		off += (size_t)r;
	}
	*got = off;
	if (off < n) {
		gzerror(f->gz, &e); /* Z_BUF_ERROR: the gzip stream ends before its trailer */
		if (e != Z_OK)
			return idx_gzfail(f, err, errlen);
	}
	return 0;
}

static const char *idx_type_name(unsigned t)
{
	switch (t) {
	case 0x08: return "u8";
	case 0x09: return "i8";
	case 0x0B: return "i16";
	case 0x0C: return "i32";
	case 0x0D: return "f32";
	case 0x0E: return "f64";
	default: return "not an IDX type";
	}
}

/* Magic and dimensions of an images (3 dims) or labels (1 dim) file. */
static int idx_header(const idx_file *f, uint32_t want, uint32_t *dims, char *err, size_t errlen)
{
	const unsigned ndim = want & 0xFF, hlen = 4 + 4 * ndim;
	const char *what = want == IDX_IMAGES ? "image" : "label";
	const char *other = want == IDX_IMAGES ? "label" : "image";
	uint8_t h[16];
	size_t got;
	uint32_t magic;

	if (idx_read(f, h, hlen, &got, err, errlen))
		return -1;
	if (got >= 4) {
		magic = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
		if (magic == (want ^ IDX_IMAGES ^ IDX_LABELS)) {
			xpnn_errf(err, errlen, "%s: not an IDX %s file: magic 0x%08x (expected 0x%08x; "
				  "is this the %s file?)", f->path, what, magic, want, other);
			return -1;
		}
		if (magic >> 16) {
			xpnn_errf(err, errlen, "%s: not an IDX file: magic 0x%08x (expected 0x%08x: an "
				  "IDX file starts with two zero bytes)", f->path, magic, want);
			return -1;
		}
		if (h[2] != 0x08) {
			xpnn_errf(err, errlen, "%s: IDX element type 0x%02x (%s) is not supported: only "
				  "0x08 (u8) (magic 0x%08x, expected 0x%08x)", f->path, h[2],
				  idx_type_name(h[2]), magic, want);
			return -1;
		}
		if (h[3] != ndim) {
			xpnn_errf(err, errlen, "%s: IDX file with %u dimensions, expected %u for an %s "
				  "file (magic 0x%08x, expected 0x%08x)", f->path, h[3], ndim, what,
				  magic, want);
			return -1;
		}
	}
	if (got < hlen) {
		xpnn_errf(err, errlen, "%s: truncated header: the file ends after %zu bytes (an IDX %s "
			  "file's header is %u bytes)", f->path, got, what, hlen);
		return -1;
	}
	for (unsigned i = 0; i < ndim; i++)
		dims[i] = (uint32_t)h[4 + 4 * i] << 24 | (uint32_t)h[5 + 4 * i] << 16 |
			  (uint32_t)h[6 + 4 * i] << 8 | h[7 + 4 * i];
	return 0;
}

/* Read the n bytes the header declares into a new buffer, then through to the end of the
 * file. The buffer grows with the data that actually arrives (from IDX_FIRST bytes on), so a
 * header that promises gigabytes costs no more memory than the file holds. */
static int idx_body(const idx_file *f, size_t n, uint8_t **out, const char *declared,
		    const char *kind, char *err, size_t errlen)
{
	size_t cap = n < IDX_FIRST ? n : IDX_FIRST, have = 0, got;
	uint8_t *buf = malloc(cap), *grown, *tail = NULL;

	if (!buf)
		goto oom;
	for (;;) {
		if (idx_read(f, buf + have, cap - have, &got, err, errlen))
			goto fail;
		have += got;
		if (have < cap || cap == n)
			break;
		cap = cap > n / 2 ? n : 2 * cap;
		grown = realloc(buf, cap);
		if (!grown)
			goto oom;
		buf = grown;
	}
	if (have < n) {
		xpnn_errf(err, errlen, "%s: truncated: header says %s (%zu bytes) but the file ends "
			  "after %zu bytes of %s data", f->path, declared, n, have, kind);
		goto fail;
	}
	tail = malloc(IDX_TAIL);
	if (!tail)
		goto oom;
	if (idx_read(f, tail, IDX_TAIL, &got, err, errlen))
		goto fail;
	if (got) {
		xpnn_errf(err, errlen, "%s: %s%zu trailing bytes after the %zu bytes of data the header "
			  "declares (%s)", f->path, got == IDX_TAIL ? "at least " : "", got, n, declared);
		goto fail;
	}
	free(tail);
	*out = buf;
	return 0;

oom:
	xpnn_errf(err, errlen, "%s: out of memory (%s: %zu bytes)", f->path, declared, n);
fail:
	free(tail);
	free(buf);
	return -1;
}

int xpnn_dataset_load(xpnn_dataset *d, const char *images_path, const char *labels_path,
		      char *err, size_t errlen)
{
	xpnn_dataset z = { 0 };
	idx_file f = { 0 };
	uint32_t dims[3], nl;
	char declared[96];
	uint64_t size;

	if (!d || !images_path || !labels_path) {
		xpnn_errf(err, errlen, "xpnn_dataset_load: NULL argument");
		if (d)
			memset(d, 0, sizeof(*d));
		return -1;
	}
	memset(d, 0, sizeof(*d));

	if (idx_open(&f, images_path, err, errlen) ||
	    idx_header(&f, IDX_IMAGES, dims, err, errlen))
		goto fail;
	z.n = dims[0];
	z.rows = dims[1];
	z.cols = dims[2];
	if (z.n == 0) {
		xpnn_errf(err, errlen, "%s: header says 0 images: an image file holds 1 … %u",
			  images_path, XPNN_IDX_MAX_N);
		goto fail;
	}
	if (z.n > XPNN_IDX_MAX_N) {
		xpnn_errf(err, errlen, "%s: header says %u images, more than the limit %u",
			  images_path, z.n, XPNN_IDX_MAX_N);
		goto fail;
	}
	if (z.rows < 1 || z.rows > XPNN_IDX_MAX_SIDE || z.cols < 1 || z.cols > XPNN_IDX_MAX_SIDE) {
		xpnn_errf(err, errlen, "%s: header says images of %ux%u: rows and cols must be 1 … %u",
			  images_path, z.rows, z.cols, XPNN_IDX_MAX_SIDE);
		goto fail;
	}
	size = (uint64_t)z.n * z.rows * z.cols;
	if (size > XPNN_IDX_MAX_BYTES || size > SIZE_MAX) {
		xpnn_errf(err, errlen, "%s: header says %u images of %ux%u = %llu bytes, more than the "
			  "limit %llu", images_path, z.n, z.rows, z.cols, (unsigned long long)size,
			  (unsigned long long)XPNN_IDX_MAX_BYTES);
		goto fail;
	}
	snprintf(declared, sizeof(declared), "%u images of %ux%u", z.n, z.rows, z.cols);
	if (idx_body(&f, (size_t)size, &z.images, declared, "pixel", err, errlen))
		goto fail;
	idx_close(&f);

	if (idx_open(&f, labels_path, err, errlen) ||
	    idx_header(&f, IDX_LABELS, &nl, err, errlen))
		goto fail;
	if (nl != z.n) {
		xpnn_errf(err, errlen, "%s: %u images but %s: %u labels: counts differ", images_path,
			  z.n, labels_path, nl);
		goto fail;
	}
	snprintf(declared, sizeof(declared), "%u labels", z.n);
	if (idx_body(&f, z.n, &z.labels, declared, "label", err, errlen))
		goto fail;
	idx_close(&f);

	/* u8 labels are < 256 by construction: the classes are 0 … max label */
	for (uint32_t i = 0; i < z.n; i++)
		if (z.labels[i] >= z.nclasses)
			z.nclasses = z.labels[i] + 1u;
	*d = z;
	return 0;

fail:
	idx_close(&f);
	free(z.images);
	free(z.labels);
	return -1;
}

static char *path_join(const char *dir, const char *name)
{
	const size_t a = strlen(dir), b = strlen(name);
	char *p = malloc(a + b + 2);

	if (p) {
		memcpy(p, dir, a);
		p[a] = '/';
		memcpy(p + a + 1, name, b + 1);
	}
	return p;
}

int xpnn_dataset_fashion(xpnn_dataset *d, const char *dir, const char *split, char *err,
			 size_t errlen)
{
	const char *prefix;
	char *img = NULL, *lab = NULL;
	char name[64];
	struct stat st;
	int rc = -1;

	if (d)
		memset(d, 0, sizeof(*d));
	if (!d || !split) {
		xpnn_errf(err, errlen, "xpnn_dataset_fashion: NULL argument");
		return -1;
	}
	if (!dir)
		dir = XPNN_FASHION_DIR;
	if (!strcmp(split, "train")) {
		prefix = "train";
	} else if (!strcmp(split, "test")) {
		prefix = "t10k";
	} else {
		xpnn_errf(err, errlen, "Fashion-MNIST: split '%s': expected \"train\" or \"test\"",
			  split);
		return -1;
	}
	snprintf(name, sizeof(name), "%s-images-idx3-ubyte.gz", prefix);
	img = path_join(dir, name);
	snprintf(name, sizeof(name), "%s-labels-idx1-ubyte.gz", prefix);
	lab = path_join(dir, name);
	if (!img || !lab) {
		xpnn_errf(err, errlen, "Fashion-MNIST: out of memory");
		goto out;
	}
	rc = xpnn_dataset_load(d, img, lab, err, errlen);
	if (rc && err && errlen && (stat(img, &st) < 0 || stat(lab, &st) < 0) &&
	    (errno == ENOENT || errno == ENOTDIR)) {
		const size_t k = strlen(err);

		snprintf(err + k, errlen - k, "; HINT: install Debian's dataset-fashion-mnist "
			 "(scripts/deps.sh), or pass the directory that holds the files");
	}
out:
	free(img);
	free(lab);
	return rc;
}

void xpnn_dataset_free(xpnn_dataset *d)
{
	if (!d)
		return;
	free(d->images);
	free(d->labels);
	memset(d, 0, sizeof(*d));
}
