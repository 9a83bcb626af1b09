/*
 * xp_cmodel_impl.h — internals of the C model shared by its translation units.
 * Not installed; nothing outside cmodel/ and its white-box tests includes it.
 */
#ifndef XP_CMODEL_IMPL_H
#define XP_CMODEL_IMPL_H

#include "xp_cmodel.h"

/* Hash domains of numerics §4.1. Values are part of the spec: never renumber. */
enum {
	XP_DOM_STUCK = 0x01,
	XP_DOM_VAR_POS = 0x02,
	XP_DOM_VAR_NEG = 0x03,
	XP_DOM_ADC_GAIN = 0x04,
	XP_DOM_ADC_OFFSET = 0x05,
	XP_DOM_PROG = 0x10,
	XP_DOM_READ = 0x11,
};

enum { XP_HEALTHY = 0, XP_STUCK0 = 1, XP_STUCKMAX = 2 };

#define XP_CPAD_ALIGN 16 /* columns of a packed tile are padded to a multiple of this */

/*
 * Mutants for the "the gate bites" tests: building the model with -DXP_MUTANT=k alters one
 * rule of the spec. Golden-vector replay against such a build must fail. 0 = the real model.
 *   1  rnd(): ties round down instead of up
 *   2  ADC: saturates at AMAX - 1 instead of AMAX
 *   3  gauss(): offset 185 instead of 186
 *   4  programming: variation applied with floor instead of rnd
 *   5  READ counter: bits 39..32 of the inference index dropped
 *   6  bias row driven at XMAX - 1 instead of XMAX
 * Mutants of the board engine (docs/protocol.md): the conformance suite must fail on them.
 *   7  duplicate detection compares seq only, not the request's CRC
 *   8  RESET keeps the boot id
 *   9  ERR_RANGE of a rectangle's nr reports hi = R - r0 + 1
 */
#ifndef XP_MUTANT
#define XP_MUTANT 0
#endif

struct xp_kernels;
struct xp_pool;

#define XP_MAX_THREADS 64

struct xp_chip {
	xp_params p;
	const struct xp_kernels *k; /* the optimised kernels chosen for this CPU at creation */
	uint32_t dk0, dk1;    /* device key (numerics §4.1) */
	uint32_t nk0, nk1;    /* run-time noise key = dseed ^ nseed */
	uint64_t nseed, P, N; /* numerics §3 counters */
	int32_t amin, amax, xmax;
	uint32_t cpad;        /* C rounded up to XP_CPAD_ALIGN */
	uint32_t rpairs;      /* ceil(R / 2) */

	/* per device, index ((t * R + r) * C + c) * 2 + pol */
	uint8_t *g;           /* stored conductance */
	uint8_t *stuck;       /* XP_HEALTHY / XP_STUCK0 / XP_STUCKMAX */
	uint16_t *fv;         /* variation factor, Q10 */

	/* per tile column, index t * C + c */
	int32_t *eg;          /* ADC gain error, Q10 (private) */
	int32_t *eo;          /* ADC offset error, ADC LSB (private) */
	xp_adc *adc;          /* host settings */
	int32_t *geff;        /* gain * eg */
	int32_t *oeff;        /* offset + eo */
	uint8_t *ashift;      /* shift, copied for the kernel */

	/* packed effective weights for the optimised kernel:
	 * tile t, row pair k, column c, lane j -> wpk[((t * rpairs + k) * cpad + c) * 2 + j]
	 * = G+ - G- of row 2k + j (0 for rows >= R and columns >= C) */
	int16_t *wpk;

	/* network configuration */
	uint8_t nlayers;
	xp_layer layers[XP_MAX_LAYERS];
	uint16_t tilebuf[XP_MAX_TILES];
	uint32_t n_all_out;

	struct xp_pool *pool; /* worker threads of xp_chip_run, started on first use */
};

void xp_pool_destroy(struct xp_pool *pool);

/* Message helper: formats into msg if msg != NULL. Returns st. */
xp_status xp_fail(char *msg, size_t msglen, xp_status st, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 4, 5)))
#endif
	;

static inline uint32_t xp_rotl32(uint32_t x, unsigned n)
{
	return (x << n) | (x >> (32u - n));
}

/* Threefry-2x32-20, inline for the kernels (numerics §4). */
static inline void xp_tf(uint32_t k0, uint32_t k1, uint32_t c0, uint32_t c1, uint32_t *o0,
			 uint32_t *o1)
{
	const uint32_t k2 = 0x1BD11BDAu ^ k0 ^ k1;
	uint32_t x0 = c0 + k0, x1 = c1 + k1;
#define XP_TF_R(r)                                                                              \
	do {                                                                                    \
		x0 += x1;                                                                       \
		x1 = xp_rotl32(x1, r);                                                          \
		x1 ^= x0;                                                                       \
	} while (0)
	XP_TF_R(13); XP_TF_R(15); XP_TF_R(26); XP_TF_R(6);
	x0 += k1; x1 += k2 + 1u;
	XP_TF_R(17); XP_TF_R(29); XP_TF_R(16); XP_TF_R(24);
	x0 += k2; x1 += k0 + 2u;
	XP_TF_R(13); XP_TF_R(15); XP_TF_R(26); XP_TF_R(6);
	x0 += k0; x1 += k1 + 3u;
	XP_TF_R(17); XP_TF_R(29); XP_TF_R(16); XP_TF_R(24);
	x0 += k1; x1 += k2 + 4u;
	XP_TF_R(13); XP_TF_R(15); XP_TF_R(26); XP_TF_R(6);
	x0 += k2; x1 += k0 + 5u;
#undef XP_TF_R
	*o0 = x0;
	*o1 = x1;
}

static inline int32_t xp_gauss_inl(uint32_t x0, uint32_t x1)
{
	/* Sum of six 5-bit fields per word, SWAR: fields 0,2,4 and 1,3,5 at bits 0,10,20. */
	const uint32_t m = 0x01F07C1Fu;
	uint32_t a = (x0 & m) + ((x0 >> 5) & m) + (x1 & m) + ((x1 >> 5) & m);
	int32_t s = (int32_t)((a & 0x3FFu) + ((a >> 10) & 0x3FFu) + ((a >> 20) & 0x3FFu));
#if XP_MUTANT == 3
	return s - 185;
#else
	return s - 186;
#endif
}

static inline int64_t xp_asr_inl(int64_t x, unsigned s)
{
	/* floor(x / 2^s) without relying on implementation-defined >> of negatives */
	return x >= 0 ? (int64_t)((uint64_t)x >> s) : -1 - (int64_t)((uint64_t)(-1 - x) >> s);
}

static inline int64_t xp_rnd_inl(int64_t x, unsigned s)
{
	if (s == 0)
		return x;
#if XP_MUTANT == 1
	return xp_asr_inl(x + ((int64_t)1 << (s - 1)) - 1, s);
#else
	return xp_asr_inl(x + ((int64_t)1 << (s - 1)), s);
#endif
}

static inline int32_t xp_clamp32(int64_t x, int32_t lo, int32_t hi)
{
	return x < lo ? lo : x > hi ? hi : (int32_t)x;
}

/* READ draw of numerics §4.1 / §7 for tile t, column c, inference n, scaled by s_read. */
static inline int32_t xp_read_noise(const struct xp_chip *chip, unsigned t, unsigned c,
				    uint64_t n)
{
	uint32_t o0, o1;
#if XP_MUTANT == 5
	n &= 0xFFFFFFFFu;
#endif
	xp_tf(chip->nk0, chip->nk1,
	      (uint32_t)XP_DOM_READ << 24 | (uint32_t)t << 16 | (uint32_t)c << 8 |
		      (uint32_t)((n >> 32) & 0xFF),
	      (uint32_t)n, &o0, &o1);
	return (int32_t)xp_rnd_inl((int64_t)xp_gauss_inl(o0, o1) * chip->p.s_read, 5);
}

/* ADC of numerics §7 for one column given v = acc + read noise. */
static inline int16_t xp_adc_code(const struct xp_chip *chip, unsigned t, unsigned c, int32_t v)
{
	const size_t i = (size_t)t * chip->p.cols + c;
	int64_t y = xp_rnd_inl((int64_t)v * chip->geff[i], chip->ashift[i] + 10u) + chip->oeff[i];
#if XP_MUTANT == 2
	return (int16_t)xp_clamp32(y, chip->amin, chip->amax - 1);
#else
	return (int16_t)xp_clamp32(y, chip->amin, chip->amax);
#endif
}

/* ---- optimised kernels (xp_kernel.c, compiled once per ISA) ---- */

/* acc[c] = sum over row pairs k < kpairs of x[2k]*w[k][c][0] + x[2k+1]*w[k][c][1], c < ncols.
 * w points at the tile's packed weights; x must be readable for 2*kpairs bytes. */
typedef void (*xp_mvm_fn)(const int16_t *w, uint32_t cpad, const uint8_t *x, uint32_t kpairs,
			  uint32_t ncols, int32_t *acc);
/* code[c] = ADC(acc[c] + read noise(t, c, n)) for c < ncols. */
typedef void (*xp_adc_fn)(const struct xp_chip *chip, unsigned t, uint64_t n, uint32_t ncols,
			  const int32_t *acc, int16_t *code);

typedef struct xp_kernels {
	const char *name;
	xp_mvm_fn mvm;
	xp_adc_fn adc;
} xp_kernels;

const xp_kernels *xp_kernels_select(void);
/* Every kernel variant this CPU can run (for tests); returns the count. */
unsigned xp_kernels_all(const xp_kernels *ks[3]);

#define XP_DECLARE_KERNELS(sfx)                                                                 \
	void xp_mvm_##sfx(const int16_t *w, uint32_t cpad, const uint8_t *x, uint32_t kpairs,   \
			  uint32_t ncols, int32_t *acc);                                        \
	void xp_adc_##sfx(const struct xp_chip *chip, unsigned t, uint64_t n, uint32_t ncols,   \
			  const int32_t *acc, int16_t *code);
XP_DECLARE_KERNELS(generic)
XP_DECLARE_KERNELS(avx2)
XP_DECLARE_KERNELS(avx512vnni)

#endif /* XP_CMODEL_IMPL_H */
