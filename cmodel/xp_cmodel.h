/*
 * xp_cmodel.h — the bit-accurate model of an xpnn crossbar board.
 *
 * This is the one public header of the C model. The arithmetic it implements is specified
 * normatively in docs/numerics.md (section numbers below refer to it); the RTL implements
 * the same spec and the golden vectors in tests/vectors/ hold both to it.
 *
 * The library is C11 (+ POSIX threads), does no I/O, has no global mutable state and never
 * exits; every failure is a negative xp_status with a message in a caller-owned buffer naming
 * the field, the value and the legal range. Runs are deterministic for given seeds and independent of
 * the number of threads.
 */
#ifndef XP_CMODEL_H
#define XP_CMODEL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define XP_NUMERICS_VERSION 1 /* docs/numerics.md "Spec version" */

/* Limits of numerics §2 and §9. */
#define XP_MAX_ROWS      1024
#define XP_MAX_COLS      256
#define XP_MAX_TILES     256
#define XP_MAX_LAYERS    8
#define XP_MAX_WIDTH     4096 /* n_in, n_out of a layer */
#define XP_GMAX          255  /* stored conductance full scale */
#define XP_ADC_OFF_MIN   (-2048)
#define XP_ADC_OFF_MAX   2047
#define XP_ADC_SHIFT_MAX 31
#define XP_ACT_SHIFT_MAX 15
#define XP_ERRMSG        256 /* a message buffer of this size never truncates our messages */

/* Status codes. Values are stable: they reach files and the wire. */
typedef enum xp_status {
	XP_OK = 0,
	XP_EINVAL = -1,  /* a parameter or argument is outside its legal range */
	XP_ENOMEM = -2,  /* allocation failed (creation only) */
	XP_ESTATE = -3,  /* operation needs state the board does not have (e.g. no network) */
} xp_status;

const char *xp_status_str(xp_status st);

/* Board parameters (numerics §2). Geometry is public; the device block is board-private. */
typedef struct xp_params {
	/* geometry */
	uint16_t rows;      /* R: rows per tile */
	uint16_t cols;      /* C: columns per tile */
	uint16_t tiles;     /* T */
	uint8_t dac_bits;
	uint8_t code_bits;
	uint8_t adc_bits;
	/* device (board-private) */
	uint64_t dseed;
	uint32_t p_sa0;     /* x 2^-16 */
	uint32_t p_samax;   /* x 2^-16 */
	uint16_t s_var;     /* Q10 */
	uint16_t s_prog;    /* 1/8 conductance LSB */
	uint16_t s_read;    /* accumulator LSB */
	uint16_t s_gain;    /* Q10 */
	uint16_t s_off;     /* 1/8 ADC LSB */
} xp_params;

/* Fill p with the defaults of numerics §2 (the reference configuration). */
void xp_params_default(xp_params *p);

/* Check every field against its legal range. On failure fills msg (may be NULL) with
 * "field = value: legal range lo … hi" and returns XP_EINVAL. */
xp_status xp_params_check(const xp_params *p, char *msg, size_t msglen);

/* ADC settings of one tile column (numerics §7), set by the host. */
typedef struct xp_adc {
	uint8_t gain;   /* 0 … 255 */
	uint8_t shift;  /* 0 … 31 */
	int16_t offset; /* -2048 … 2047, ADC LSB */
} xp_adc;

enum xp_act { XP_ACT_IDENTITY = 0, XP_ACT_RELU = 1 };

/* One layer of the network configuration (numerics §8, §9). */
typedef struct xp_layer {
	uint16_t n_in, n_out;
	uint8_t bias;       /* 0 or 1: extra row driven at full scale */
	uint8_t act;        /* enum xp_act */
	uint8_t amul;       /* requantisation multiplier 0 … 255 */
	uint8_t ash;        /* requantisation shift 0 … 15 */
	uint16_t ntiles;    /* must equal nrb * ncb */
	const uint16_t *tiles; /* (nrb, ncb) row-block-major tile indices */
} xp_layer;

typedef struct xp_netcfg {
	uint8_t nlayers;
	const xp_layer *layers;
} xp_netcfg;

/* Row and column blocks of a layer on this geometry (numerics §8). */
uint32_t xp_layer_row_blocks(const xp_params *p, const xp_layer *l);
uint32_t xp_layer_col_blocks(const xp_params *p, const xp_layer *l);

/* Fill layers/tiles with the reference network 784-64-10 on tiles 0 … 7 (requires the default
 * geometry). tiles must hold 8 entries. amul/ash get a neutral 1/0. */
void xp_netcfg_reference(xp_netcfg *cfg, xp_layer layers[2], uint16_t tiles[8]);

typedef struct xp_chip xp_chip;

/* Create a board in the reset state (numerics §3). The device model (stuck faults, variation,
 * ADC errors) is derived from p->dseed here and stays private to the board.
 * Returns XP_EINVAL with msg for bad parameters, XP_ENOMEM if allocation fails. */
xp_status xp_chip_create(xp_chip **out, const xp_params *p, char *msg, size_t msglen);
void xp_chip_destroy(xp_chip *chip);

/* The geometry the board was created with (the device block is zeroed: it is private). */
xp_params xp_chip_geometry(const xp_chip *chip);

/* Back to the reset state: devices erased (stuck ones keep their value), ADC defaults,
 * no network, nseed = P = N = 0. */
void xp_chip_reset(xp_chip *chip);

/* SET_SEED: nseed = seed, P = N = 0. */
void xp_chip_set_seed(xp_chip *chip, uint64_t seed);

/* Counters (numerics §3): programming pulses P and inferences N. */
uint64_t xp_chip_pulses(const xp_chip *chip);
uint64_t xp_chip_inferences(const xp_chip *chip);

/* Program the rectangle rows r0 … r0+nr-1, columns c0 … c0+nc-1 of tile t with codes
 * (nr, nc, 2) = (k+, k-) per cell, in the order of numerics §6.2. *changed (may be NULL)
 * receives the number of devices whose stored conductance changed. Every code and the
 * rectangle are checked before anything is programmed: on error nothing changes. */
xp_status xp_chip_write(xp_chip *chip, unsigned t, unsigned r0, unsigned c0, unsigned nr,
			unsigned nc, const uint8_t *codes, uint32_t *changed, char *msg,
			size_t msglen);

/* Read back stored conductances g (nr, nc, 2) = (G+, G-) of a rectangle. */
xp_status xp_chip_read(const xp_chip *chip, unsigned t, unsigned r0, unsigned c0, unsigned nr,
		       unsigned nc, uint8_t *g, char *msg, size_t msglen);

/* Set the ADC of columns c0 … c0+nc-1 of tile t. All-or-nothing. */
xp_status xp_chip_set_adc(xp_chip *chip, unsigned t, unsigned c0, unsigned nc, const xp_adc *adc,
			  char *msg, size_t msglen);

/* Check a network configuration against numerics §9 without applying it. */
xp_status xp_netcfg_check(const xp_params *p, const xp_netcfg *cfg, char *msg, size_t msglen);

/* Apply a network configuration (copied). All-or-nothing. */
xp_status xp_chip_configure(xp_chip *chip, const xp_netcfg *cfg, char *msg, size_t msglen);

/* Network shape of the configured network: number of layers (0 if none), inputs of layer 0,
 * outputs of the last layer, and the sum of n_out over all layers. */
unsigned xp_chip_nlayers(const xp_chip *chip);
unsigned xp_chip_n_in(const xp_chip *chip);
unsigned xp_chip_n_out(const xp_chip *chip);
unsigned xp_chip_n_all_out(const xp_chip *chip);

/* Inference of a batch (numerics §9): x (batch, n_in) DAC codes; out (batch, n_out) the
 * network outputs; layer_s (batch, n_all_out) every layer's partial sums S, layer after layer,
 * or NULL. Vector i uses inference index N + i; N advances by batch. nthreads >= 1 (at most 64);
 * the result does not depend on it. With nthreads > 1 the board starts nthreads - 1 worker
 * threads on first use and keeps them (sleeping when idle) until xp_chip_destroy; one board is
 * not to be run from two threads at once. Inputs above full scale are rejected (XP_EINVAL)
 * before anything runs. No allocation in the MVM path. */
xp_status xp_chip_run(xp_chip *chip, const uint8_t *x, uint32_t batch, int16_t *out,
		      int16_t *layer_s, unsigned nthreads, char *msg, size_t msglen);

/* The same with the deliberately simple reference kernels, one thread. */
xp_status xp_chip_run_ref(xp_chip *chip, const uint8_t *x, uint32_t batch, int16_t *out,
			  int16_t *layer_s, char *msg, size_t msglen);

/* One tile (numerics §7) for inference index n, columns 0 … ncols-1, all rows: x (R) DAC
 * codes; acc (ncols) the exact column sums (may be NULL); code (ncols) the ADC outputs.
 * Does not touch N. _ref is the simple version of the same. XP_EINVAL for a tile or ncols out
 * of range or an input above full scale. */
xp_status xp_chip_tile(const xp_chip *chip, unsigned t, uint64_t n, const uint8_t *x,
		       unsigned ncols, int32_t *acc, int16_t *code);
xp_status xp_chip_tile_ref(const xp_chip *chip, unsigned t, uint64_t n, const uint8_t *x,
			   unsigned ncols, int32_t *acc, int16_t *code);

/* Advance N by count (used after xp_chip_tile calls that model a run). */
void xp_chip_advance(xp_chip *chip, uint64_t count);

/* Primitives of numerics §4–§5, exported for tests and for other implementations' checks. */
void xp_threefry2x32(uint32_t k0, uint32_t k1, uint32_t c0, uint32_t c1, uint32_t out[2]);
int32_t xp_gauss(uint32_t x0, uint32_t x1);
int64_t xp_asr(int64_t x, unsigned s);
int64_t xp_rnd(int64_t x, unsigned s);
int32_t xp_scale(int32_t z, uint32_t sigma, unsigned f);

/* Name of the MVM kernel selected at run time ("generic", "avx2", "avx512vnni"). */
const char *xp_kernel_name(void);

#ifdef __cplusplus
}
#endif
#endif /* XP_CMODEL_H */
