/*
 * compile.h — the compiler (model → board image), the image file, and deployment of an image
 * to a board through libxpnn.
 *
 * A board image is everything the host sends to a board to run a network: the network
 * configuration (layers, tile lists, requantisation), the ADC settings of every used tile
 * column, and the conductance codes (k+, k-) of every used cell; plus the float scales that
 * relate the integers to the model (for the twin and for hardware-in-the-loop training).
 * docs/formats.md specifies the file; docs/training.md explains the mapping.
 */
#ifndef XPNN_COMPILE_H
#define XPNN_COMPILE_H

#include <stddef.h>
#include <stdint.h>

#include "twin.h"
#include "xpnn.h"

#ifdef __cplusplus
extern "C" {
#endif

#define XPNN_IMAGE_VERSION 1

typedef struct xpnn_image_layer {
	unsigned n_in, n_out, bias, act, amul, ash;
	unsigned nrb, ncb, ntiles;
	uint16_t tiles[XP_MAX_TILES]; /* (nrb, ncb) row-block-major, numerics §8 */
	uint8_t *codes;  /* (n_in + bias, n_out, 2): k+, k- */
	xp_adc *adc;     /* (nrb, n_out): ADC of row block rb's tile, column j mod C */
	float *w_scale;  /* (n_out): float weight of one code step in column j */
	float in_scale;  /* float value of one input DAC code */
	float out_scale; /* float value of one S code */
	float act_clip;  /* hidden layers: ReLU clip (= next layer's full scale); 0 for the last */
} xpnn_image_layer;

typedef struct xpnn_image {
	xp_params geom;  /* target geometry; the device fields are zero */
	unsigned nlayers;
	xpnn_image_layer layer[XP_MAX_LAYERS];
	unsigned calib_n;
	double calib_pct;
} xpnn_image;

typedef struct xpnn_compile_opts {
	double calib_pct;   /* percentile of block partial sums at ADC full scale (99.99) */
	void (*warn)(void *ctx, const char *line); /* non-fatal findings; may be NULL */
	void *ctx;
	unsigned max_width; /* the target's widest layer, n_in and n_out (INFO); 0: XP_MAX_WIDTH */
} xpnn_compile_opts;

/* Compile n for the geometry geom (device fields ignored) and the width limit o->max_width
 * with calibration vectors cal (ncal, n_in) pixel codes. Refuses a network that does not fit
 * with a message naming the layer and the limit. */
int xpnn_compile(xpnn_image *img, const xpnn_net *n, const xp_params *geom, const uint8_t *cal,
		 unsigned ncal, const xpnn_compile_opts *o, char *err, size_t errlen);
void xpnn_image_free(xpnn_image *img);
/* Deep copy; 0, or -1 (out of memory) with *dst freed. */
int xpnn_image_copy(xpnn_image *dst, const xpnn_image *src);

/* Does the image fit geometry g (rows, cols, bit widths equal; tiles within T)? */
int xpnn_image_fits(const xpnn_image *img, const xp_params *g, const char *what, char *err,
		    size_t errlen);

/* The image file (safetensors + metadata "format" = "xpnn-image"). source_json (may be NULL)
 * is a JSON object recorded as "source". Atomic write. */
int xpnn_image_save(const xpnn_image *img, const char *path, const char *source_json,
		    char *err, size_t errlen);
int xpnn_image_load(xpnn_image *img, const char *path, char *err, size_t errlen);

/* The network configuration of the image; layers/tiles must hold nlayers entries (tiles point
 * into img). */
void xpnn_image_netcfg(const xpnn_image *img, xp_netcfg *cfg, xp_layer *layers);

/* The twin that computes what an ideal board (no device errors, no noise) computes for this
 * image: weights and biases on the code grid, ADC and requantisation scales of the image.
 * Quantisation is on and fixed. */
int xpnn_image_twin(const xpnn_image *img, xpnn_net *n, char *err, size_t errlen);

/* Pixel codes (0 … 255) to DAC codes of dac_bits (round half up; identity for 8 bits). */
void xpnn_dac_codes(unsigned dac_bits, const uint8_t *pix, uint8_t *codes, size_t n);

/* ---- deployment ---- */

/* The geometry a board reports in INFO, as parameters (device fields: the defaults). */
void xpnn_info_geometry(const xpnn_info *in, xp_params *g);
/* Does the image fit the board whose INFO this is: its geometry (xpnn_image_fits) and its
 * max_width (every layer's n_in and n_out)? 0, or -1 with a message naming the layer, the
 * field, the value and the limit. */
int xpnn_image_fits_info(const xpnn_image *img, const xpnn_info *in, char *err, size_t errlen);

typedef struct xpnn_load_stats {
	uint64_t cells, devices_changed, pulses;
	/* verification (read back): devices compared, and those farther than tol from nominal */
	uint64_t verified, out_of_tol;
	double mean_abs_err;  /* stored vs nominal conductance, LSB */
	int first_bad_tile, first_bad_row, first_bad_col, first_bad_g, first_bad_nominal;
	double seconds;
} xpnn_load_stats;

/* Program the image onto the board: CONFIGURE, SET_ADC, WRITE_CELLS (tile by tile, rows in
 * order). With verify, READ_CELLS every written cell back and compare each device with its
 * nominal conductance (k << (8 - code_bits)) within tol LSB. The board's INFO must match the
 * image (xpnn_image_fits_info) before anything is sent. progress (may be NULL) is called after
 * each tile with (tiles done, tiles). */
int xpnn_image_program(xpnn_board *b, const xpnn_image *img, int verify, unsigned tol,
		       xpnn_load_stats *st, void (*progress)(void *ctx, unsigned done,
							     unsigned total), void *ctx,
		       char *err, size_t errlen);

/* Evaluate a labelled set on the board as configured: pixels (0 … 255, scaled to the board's
 * DAC codes) through RUN (frames of Bmax), argmax of the outputs (the first on ties).
 * confusion (K*K, row = label, K = the board's n_out) may be NULL. *acc gets the accuracy.
 * progress as above with (vectors done, vectors). */
int xpnn_board_eval(xpnn_board *b, const uint8_t *pix, unsigned features,
		    const uint8_t *labels, uint32_t count, unsigned nclasses, uint32_t *confusion,
		    float *acc, void (*progress)(void *ctx, unsigned done, unsigned total),
		    void *ctx, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif /* XPNN_COMPILE_H */
