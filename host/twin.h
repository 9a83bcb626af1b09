/*
 * twin.h — the digital twin: a float model with the crossbar network's structure, its forward
 * and backward passes (OpenBLAS cblas_sgemm), cross-entropy, SGD with momentum and Adam,
 * training, calibration, and the model file (safetensors).
 *
 * Units. Layer l takes inputs x in [0, in_fs(l)]: the layer's DAC full scale (layer 0: a pixel
 * / 255, so 1.0; hidden layers: the previous layer's act_clip). Its weights W (n_out, n_in)
 * and bias b (n_out) are plain floats. The structure of the board is kept:
 *   - rows are cut into blocks of `rows` (the tile height): each block's partial sum is what
 *     one tile column's ADC sees, and ADC saturation is a clamp of that partial sum
 *     (adc_clip, once calibrated);
 *   - hidden layers are ReLU clipped at the next DAC's full scale (act_clip);
 *   - with quantisation on, the forward pass computes what the board computes for its integer
 *     image (weight codes per column scale, DAC codes, ADC codes per block, requantisation of
 *     S), and the backward pass uses the straight-through estimator; without noise the
 *     column sums are integers computed exactly, so the twin of an image equals an ideal
 *     board bit for bit;
 *   - with noise on (hardware-aware training), the forward pass perturbs weights and partial
 *     sums with noise of the device model's magnitude (variation, programming noise, stuck
 *     devices, read noise, ADC gain and offset errors).
 * Everything is deterministic for a given seed on a given machine.
 */
#ifndef XPNN_TWIN_H
#define XPNN_TWIN_H

#include <stddef.h>
#include <stdint.h>

#include "xp_cmodel.h"

#ifdef __cplusplus
extern "C" {
#endif

#define XPNN_MODEL_VERSION 1 /* "xpnn" metadata "version" of a model file */

/* Quantisation of one layer: what the board does with the layer's integer image. */
typedef struct xpnn_qlayer {
	float *sw;     /* (n_out) float weight of one code step (k+ - k- = 1) in column j */
	float *cg;     /* (nrb, n_out) ADC codes per unit of the block's integer column sum
			* Σ x_code · (k+ - k-), per row block and column: the board's
			* step · gain / 2^shift (step = 2^(8 - code_bits) stored LSB per code) */
	float *aoff;   /* (nrb, n_out) ADC offset in codes */
	float s_out;   /* float value of one S code (the layer's common output scale) */
	float amul_r;  /* hidden layers: next DAC code = clamp(round(S * amul_r), 0, xmax) */
	int fixed;     /* sw comes from an image (1) or from max|W| per column at each pass (0) */
} xpnn_qlayer;

typedef struct xpnn_net {
	unsigned nlayers;                   /* 1 … XP_MAX_LAYERS */
	unsigned width[XP_MAX_LAYERS + 1];  /* width[0] inputs, width[l + 1] outputs of layer l */
	unsigned rows;                      /* tile rows R: partial sums per block of R rows */
	unsigned dac_bits, code_bits, adc_bits; /* target bit widths (quantised passes) */
	float act_clip[XP_MAX_LAYERS];      /* hidden layer l: ReLU clip = layer l+1's in_fs */
	float adc_clip[XP_MAX_LAYERS];      /* |block partial sum| clamp; 0: not calibrated */
	float *w[XP_MAX_LAYERS];            /* (n_out, n_in) */
	float *b[XP_MAX_LAYERS];            /* (n_out) */
	int quant;                          /* quantised forward pass (q[] valid) */
	xpnn_qlayer q[XP_MAX_LAYERS];
} xpnn_net;

/* Inputs of layer l at full scale (the DAC's full-scale input in float). */
float xpnn_net_in_fs(const xpnn_net *n, unsigned l);
/* Row blocks of layer l (inputs + bias row, cut into blocks of n->rows). */
unsigned xpnn_net_nrb(const xpnn_net *n, unsigned l);

/* A new network with He-initialised weights (seeded) and zero biases; bit widths default to
 * the reference board (8, 4, 8). Returns 0, or -1 with err. */
int xpnn_net_init(xpnn_net *n, unsigned nlayers, const unsigned *width, unsigned rows,
		  float act_clip, uint64_t seed, char *err, size_t errlen);
void xpnn_net_free(xpnn_net *n);
/* Deep copy (quantisation state included). */
int xpnn_net_copy(xpnn_net *dst, const xpnn_net *src, char *err, size_t errlen);
/* Allocate the quantisation state (q[]) and switch quantisation on. */
int xpnn_net_quant_alloc(xpnn_net *n, char *err, size_t errlen);

/* Model file: safetensors with "layers.L.weight" F32 (n_out, n_in), "layers.L.bias" F32
 * (n_out) and metadata "format" = "xpnn-model", "xpnn" = JSON (docs/formats.md). extra_json
 * (may be NULL) is a JSON object merged into the metadata's "train" entry. Atomic write. */
int xpnn_net_save(const xpnn_net *n, const char *path, const char *extra_json, char *err,
		  size_t errlen);
int xpnn_net_load(xpnn_net *n, const char *path, char *err, size_t errlen);

/* Noise of hardware-aware training, in relative units (docs/training.md). */
typedef struct xpnn_noise {
	float var;    /* device-to-device programming gain sigma, relative (0.05) */
	float prog;   /* programming noise sigma, in weight code steps per device */
	float sa0;    /* stuck-at-0 probability per device */
	float samax;  /* stuck-at-max probability per device */
	float read;   /* read noise sigma, in units of (DAC code x weight code step) */
	float gain;   /* ADC gain error sigma, relative */
	float off;    /* ADC offset error sigma, in ADC codes */
} xpnn_noise;

/* The magnitudes of the model board's default device model (xp_params_default), times
 * scale. */
void xpnn_noise_default(xpnn_noise *nz, float scale);

/* Workspace for forward and backward passes of up to max_batch vectors. */
typedef struct xpnn_twin xpnn_twin;

xpnn_twin *xpnn_twin_create(xpnn_net *n, unsigned max_batch);
void xpnn_twin_destroy(xpnn_twin *t);
/* Hardware-aware noise in training passes (NULL: off); draws come from seed. */
void xpnn_twin_set_noise(xpnn_twin *t, const xpnn_noise *nz, uint64_t seed);

/* Forward pass of B vectors x (B, n_in) in [0, in_fs(0)]. Returns the logits (B, n_out),
 * valid until the next pass. train != 0 keeps what the backward pass needs and applies
 * the noise (if set). */
const float *xpnn_twin_forward(xpnn_twin *t, const float *x, unsigned B, int train);
/* Outputs measured on a board, for physics-aware training: h[l] (B, n_out of layer l) are
 * layer l's pre-activation outputs (S · s_out), a[l] the next layer's inputs the board
 * computed from them (DAC code · the next layer's input step; hidden layers). NULL entries:
 * the twin's own. */
typedef struct xpnn_measured {
	const float *h[XP_MAX_LAYERS];
	const float *a[XP_MAX_LAYERS];
} xpnn_measured;

/* Forward pass from layer l0 (x: its inputs (B, width[l0]) in [0, in_fs(l0)]), layers
 * below untouched. With m, each layer whose output is measured continues from the measured
 * values: the loss is taken on the board's outputs and the backward pass runs through the
 * twin's weights at the board's activations (ReLU and ADC masks from them). The backward
 * pass that follows computes gradients of layers l0 … L-1 only (the others are zeroed).
 * NULL if l0 is not a layer. */
const float *xpnn_twin_forward_ex(xpnn_twin *t, unsigned l0, const float *x, unsigned B,
				  int train, const xpnn_measured *m);
/* The same from pixel codes (B, n_in) u8: x = code / 255 * in_fs(0). */
const float *xpnn_twin_forward_u8(xpnn_twin *t, const uint8_t *x, unsigned B, int train);
/* Mean cross-entropy of the last forward pass against labels; sets the gradient of the
 * logits for the backward pass; *correct (may be NULL) counts argmax hits. */
float xpnn_twin_loss(xpnn_twin *t, const uint8_t *labels, unsigned B, unsigned *correct);
/* Backward pass of the last training forward pass: gradients of the mean loss into the
 * twin's dw/db (xpnn_twin_grads). */
void xpnn_twin_backward(xpnn_twin *t);
/* Gradient buffers (same shapes as n->w[l], n->b[l]). */
float *xpnn_twin_dw(xpnn_twin *t, unsigned l);
float *xpnn_twin_db(xpnn_twin *t, unsigned l);

/* Index of the largest of k values (the first on ties): the predicted class. */
unsigned xpnn_argmax_f(const float *v, unsigned k);
unsigned xpnn_argmax_i16(const int16_t *v, unsigned k);

/* ---- optimisers ---- */

enum xpnn_opt_kind { XPNN_OPT_SGD = 0, XPNN_OPT_ADAM = 1 };

typedef struct xpnn_opt {
	int kind;
	float lr, momentum, beta1, beta2, eps, weight_decay;
	uint64_t step;
	unsigned first;  /* layers below are frozen (not updated); 0 after init */
	float *m[XP_MAX_LAYERS][2], *v[XP_MAX_LAYERS][2]; /* state per layer: [0] w, [1] b */
} xpnn_opt;

int xpnn_opt_init(xpnn_opt *o, const xpnn_net *n, int kind, float lr, char *err, size_t errlen);
void xpnn_opt_free(xpnn_opt *o);
/* One update of every parameter from the twin's gradients, at learning rate lr. */
void xpnn_opt_step(xpnn_opt *o, xpnn_net *n, xpnn_twin *t, float lr);

/* ---- calibration ---- */

/* Run the calibration vectors x (count, n_in) pixel codes through the network layer by layer
 * with quantised weights and activations, and set each layer's ADC scale so that the pct-th
 * percentile (e.g. 99.99) of the block partial sums' magnitude sits at the ADC's full scale:
 * q[l].s_out, cg, amul_r, and adc_clip. Allocates q[] (quantisation on). */
int xpnn_net_calibrate(xpnn_net *n, const uint8_t *x, unsigned count, double pct, char *err,
		       size_t errlen);

/* The signed weight codes of layer l as the quantised pass and the compiler map them: k
 * (n_in + 1, n_out), row i < n_in the weight of input i, row n_in the bias row; each
 * clamp(round-half-up(w / sw[j]), ±(2^code_bits - 1)). q[l].sw must be valid. */
void xpnn_net_codes(const xpnn_net *n, unsigned l, int8_t *k);

/* Recompute q[l].sw from max |W| per column and cg from it (quantisation at training time;
 * layers whose q[l].fixed is set keep theirs). */
void xpnn_net_quant_weights(xpnn_net *n);

#ifdef __cplusplus
}
#endif
#endif /* XPNN_TWIN_H */
