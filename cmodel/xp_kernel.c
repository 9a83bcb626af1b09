/*
 * xp_kernel.c — the optimised tile kernels (numerics §7).
 *
 * This file is compiled once per instruction set with XP_KSUFFIX set (generic, avx2,
 * avx512vnni) and the matching -m flags; xp_kernels_select() picks one at run time. All
 * arithmetic is integer and exact, so every variant is bit-identical to the _ref path in
 * xp_run.c; tests/test_cmodel.c checks that on random cases for every variant this CPU runs.
 */
#include "xp_cmodel_impl.h"

#include <string.h>

#if defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#endif

#ifndef XP_KSUFFIX
#error "compile with -DXP_KSUFFIX=generic|avx2|avx512vnni"
#endif
#define XP_CAT2(a, b) a##_##b
#define XP_CAT(a, b) XP_CAT2(a, b)
#define KFN(name) XP_CAT(name, XP_KSUFFIX)

/* floor(x / 2^s) for |x| < 2^31 with unsigned shifts only, so that it vectorises. */
static inline int32_t asr32(int32_t x, unsigned s)
{
	return (int32_t)((((uint32_t)x + 0x80000000u) >> s) - (0x80000000u >> s));
}

/* floor(x / 2^s) for |x| < 2^63, 0 <= s <= 62. */
static inline int64_t asr64(int64_t x, unsigned s)
{
	return (int64_t)((((uint64_t)x + 0x8000000000000000ull) >> s) - (0x8000000000000000ull >> s));
}

void KFN(xp_mvm)(const int16_t *w, uint32_t cpad, const uint8_t *x, uint32_t kpairs,
		 uint32_t ncols, int32_t *acc)
{
#if defined(__AVX512F__) && defined(__AVX512BW__)
	/* 16 columns per zmm; up to 4 zmm (64 columns) per pass. Two row pairs per step into two
	 * sets of accumulators: eight independent dependency chains hide the multiply latency. */
	for (uint32_t c0 = 0; c0 < ncols; c0 += 64) {
		const uint32_t nv = (ncols - c0 + 15) / 16 < 4 ? (ncols - c0 + 15) / 16 : 4;
		__m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
		__m512i b0 = a0, b1 = a0, b2 = a0, b3 = a0;
		const size_t ws = (size_t)cpad * 2;
		const int16_t *wk = w + (size_t)c0 * 2;
#ifdef __AVX512VNNI__
#define XP_MAC(a, xb, wp, i) a = _mm512_dpwssd_epi32(a, xb, _mm512_loadu_si512((const void *)((wp) + 32 * (i))))
#else
#define XP_MAC(a, xb, wp, i) a = _mm512_add_epi32(a, _mm512_madd_epi16(xb, _mm512_loadu_si512((const void *)((wp) + 32 * (i)))))
#endif
		uint32_t k = 0;
		for (; k + 2 <= kpairs; k += 2, wk += 2 * ws) {
			uint32_t x4;
			memcpy(&x4, x + 2 * k, 4);
			if (!x4)
				continue;
			const uint32_t xx0 = (x4 & 0xFF) | (x4 & 0xFF00) << 8;
			const uint32_t xx1 = (x4 >> 16 & 0xFF) | (x4 >> 24) << 16;
			const __m512i xa = _mm512_set1_epi32((int)xx0), xb = _mm512_set1_epi32((int)xx1);
			XP_MAC(a0, xa, wk, 0);
			XP_MAC(b0, xb, wk + ws, 0);
			if (nv > 1) { XP_MAC(a1, xa, wk, 1); XP_MAC(b1, xb, wk + ws, 1); }
			if (nv > 2) { XP_MAC(a2, xa, wk, 2); XP_MAC(b2, xb, wk + ws, 2); }
			if (nv > 3) { XP_MAC(a3, xa, wk, 3); XP_MAC(b3, xb, wk + ws, 3); }
		}
		if (k < kpairs) {
			const uint32_t xx = (uint32_t)x[2 * k] | (uint32_t)x[2 * k + 1] << 16;
			const __m512i xa = _mm512_set1_epi32((int)xx);
			XP_MAC(a0, xa, wk, 0);
			if (nv > 1) XP_MAC(a1, xa, wk, 1);
			if (nv > 2) XP_MAC(a2, xa, wk, 2);
			if (nv > 3) XP_MAC(a3, xa, wk, 3);
		}
#undef XP_MAC
		int32_t tmp[64];
		_mm512_storeu_si512((void *)&tmp[0], _mm512_add_epi32(a0, b0));
		_mm512_storeu_si512((void *)&tmp[16], _mm512_add_epi32(a1, b1));
		_mm512_storeu_si512((void *)&tmp[32], _mm512_add_epi32(a2, b2));
		_mm512_storeu_si512((void *)&tmp[48], _mm512_add_epi32(a3, b3));
		for (uint32_t c = c0; c < ncols && c < c0 + 64; c++)
			acc[c] = tmp[c - c0];
	}
#elif defined(__AVX2__)
	for (uint32_t c0 = 0; c0 < ncols; c0 += 32) {
		const uint32_t nv = (ncols - c0 + 7) / 8 < 4 ? (ncols - c0 + 7) / 8 : 4;
		__m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
		const int16_t *wk = w + (size_t)c0 * 2;
		for (uint32_t k = 0; k < kpairs; k++, wk += (size_t)cpad * 2) {
			const uint32_t xx = (uint32_t)x[2 * k] | (uint32_t)x[2 * k + 1] << 16;
			if (!xx)
				continue;
			const __m256i xb = _mm256_set1_epi32((int)xx);
#define XP_MAC(a, i) a = _mm256_add_epi32(a, _mm256_madd_epi16(xb, _mm256_loadu_si256((const __m256i *)(wk + 16 * (i)))))
			XP_MAC(a0, 0);
			if (nv > 1) XP_MAC(a1, 1);
			if (nv > 2) XP_MAC(a2, 2);
			if (nv > 3) XP_MAC(a3, 3);
#undef XP_MAC
		}
		int32_t tmp[32];
		_mm256_storeu_si256((__m256i *)&tmp[0], a0);
		_mm256_storeu_si256((__m256i *)&tmp[8], a1);
		_mm256_storeu_si256((__m256i *)&tmp[16], a2);
		_mm256_storeu_si256((__m256i *)&tmp[24], a3);
		for (uint32_t c = c0; c < ncols && c < c0 + 32; c++)
			acc[c] = tmp[c - c0];
	}
#else
	for (uint32_t c = 0; c < ncols; c++)
		acc[c] = 0;
	for (uint32_t k = 0; k < kpairs; k++) {
		const int32_t x0 = x[2 * k], x1 = x[2 * k + 1];
		if (!(x0 | x1))
			continue;
		const int16_t *wk = w + (size_t)k * cpad * 2;
		for (uint32_t c = 0; c < ncols; c++)
			acc[c] += x0 * wk[2 * c] + x1 * wk[2 * c + 1];
	}
#endif
}

void KFN(xp_adc)(const struct xp_chip *chip, unsigned t, uint64_t n, uint32_t ncols,
		 const int32_t *acc, int16_t *code)
{
	const uint32_t k0 = chip->nk0, k1 = chip->nk1, sread = chip->p.s_read;
#if XP_MUTANT == 5
	n &= 0xFFFFFFFFu;
#endif
	const uint32_t cbase = (uint32_t)XP_DOM_READ << 24 | (uint32_t)t << 16 | (uint32_t)((n >> 32) & 0xFF);
	const uint32_t nlo = (uint32_t)n;
	const size_t i0 = (size_t)t * chip->p.cols;
	const int32_t *geff = chip->geff + i0, *oeff = chip->oeff + i0;
	const uint8_t *sh = chip->ashift + i0;
	const int32_t amin = chip->amin;
#if XP_MUTANT == 2
	const int32_t amax = chip->amax - 1;
#else
	const int32_t amax = chip->amax;
#endif
	int32_t v[XP_MAX_COLS];

	/* read noise: one Threefry draw per column, vectorised across columns */
	uint32_t cn = 0;
#if defined(__AVX512F__)
	/* explicit: two vectors of 16 columns per step, two independent 20-round chains */
	{
		const __m512i K0 = _mm512_set1_epi32((int)k0), K1 = _mm512_set1_epi32((int)k1);
		const __m512i K2 = _mm512_set1_epi32((int)(0x1BD11BDAu ^ k0 ^ k1));
		const __m512i C1 = _mm512_add_epi32(_mm512_set1_epi32((int)nlo), K1);
		const __m512i lane = _mm512_slli_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), 8);
		const __m512i m = _mm512_set1_epi32(0x01F07C1F), m10 = _mm512_set1_epi32(0x3FF);
		const __m512i S = _mm512_set1_epi32((int)sread);
#if XP_MUTANT == 1
		const __m512i R16 = _mm512_set1_epi32(15);
#else
		const __m512i R16 = _mm512_set1_epi32(16);
#endif
#if XP_MUTANT == 3
		const __m512i G0 = _mm512_set1_epi32(185);
#else
		const __m512i G0 = _mm512_set1_epi32(186);
#endif
#define TF_R(a0, a1, b0, b1, r) do { a0 = _mm512_add_epi32(a0, a1); b0 = _mm512_add_epi32(b0, b1); \
	a1 = _mm512_rol_epi32(a1, r); b1 = _mm512_rol_epi32(b1, r); \
	a1 = _mm512_xor_si512(a1, a0); b1 = _mm512_xor_si512(b1, b0); } while (0)
#define TF_I(a0, a1, b0, b1, ka, kb, i) do { a0 = _mm512_add_epi32(a0, ka); b0 = _mm512_add_epi32(b0, ka); \
	const __m512i t_ = _mm512_add_epi32(kb, _mm512_set1_epi32(i)); \
	a1 = _mm512_add_epi32(a1, t_); b1 = _mm512_add_epi32(b1, t_); } while (0)
/* Irwin-Hall (numerics §5): six 5-bit fields per word summed in three 10-bit slots, as in
 * xp_gauss_inl(), then the slots added and the offset removed */
#define GAUSS(x0, x1, z) do { \
	const __m512i g_ = _mm512_add_epi32( \
		_mm512_add_epi32(_mm512_and_si512(x0, m), _mm512_and_si512(_mm512_srli_epi32(x0, 5), m)), \
		_mm512_add_epi32(_mm512_and_si512(x1, m), _mm512_and_si512(_mm512_srli_epi32(x1, 5), m))); \
	z = _mm512_sub_epi32(_mm512_add_epi32(_mm512_add_epi32(_mm512_and_si512(g_, m10), \
		_mm512_and_si512(_mm512_srli_epi32(g_, 10), m10)), _mm512_srli_epi32(g_, 20)), G0); } while (0)
		for (; cn < ncols; cn += 32) {
			const __m512i base = _mm512_set1_epi32((int)(cbase | cn << 8));
			__m512i a0 = _mm512_add_epi32(_mm512_or_si512(base, lane), K0), a1 = C1;
			__m512i b0 = _mm512_add_epi32(_mm512_or_si512(base, _mm512_add_epi32(lane, _mm512_set1_epi32(16 << 8))), K0), b1 = C1;
			TF_R(a0, a1, b0, b1, 13); TF_R(a0, a1, b0, b1, 15); TF_R(a0, a1, b0, b1, 26); TF_R(a0, a1, b0, b1, 6);
			TF_I(a0, a1, b0, b1, K1, K2, 1);
			TF_R(a0, a1, b0, b1, 17); TF_R(a0, a1, b0, b1, 29); TF_R(a0, a1, b0, b1, 16); TF_R(a0, a1, b0, b1, 24);
			TF_I(a0, a1, b0, b1, K2, K0, 2);
			TF_R(a0, a1, b0, b1, 13); TF_R(a0, a1, b0, b1, 15); TF_R(a0, a1, b0, b1, 26); TF_R(a0, a1, b0, b1, 6);
			TF_I(a0, a1, b0, b1, K0, K1, 3);
			TF_R(a0, a1, b0, b1, 17); TF_R(a0, a1, b0, b1, 29); TF_R(a0, a1, b0, b1, 16); TF_R(a0, a1, b0, b1, 24);
			TF_I(a0, a1, b0, b1, K1, K2, 4);
			TF_R(a0, a1, b0, b1, 13); TF_R(a0, a1, b0, b1, 15); TF_R(a0, a1, b0, b1, 26); TF_R(a0, a1, b0, b1, 6);
			TF_I(a0, a1, b0, b1, K2, K0, 5);
			__m512i za, zb;
			GAUSS(a0, a1, za);
			GAUSS(b0, b1, zb);
			/* |z * s_read| < 2^24; srai is the floor shift */
			const __m512i na = _mm512_srai_epi32(_mm512_add_epi32(_mm512_mullo_epi32(za, S), R16), 5);
			const __m512i nb = _mm512_srai_epi32(_mm512_add_epi32(_mm512_mullo_epi32(zb, S), R16), 5);
			const uint32_t left = ncols - cn;
			const __mmask16 ma = (__mmask16)(left >= 16 ? 0xFFFF : (1u << left) - 1);
			const __mmask16 mb = (__mmask16)(left >= 32 ? 0xFFFF : left <= 16 ? 0 : (1u << (left - 16)) - 1);
			_mm512_mask_storeu_epi32(v + cn, ma, _mm512_add_epi32(_mm512_maskz_loadu_epi32(ma, acc + cn), na));
			_mm512_mask_storeu_epi32(v + cn + 16, mb, _mm512_add_epi32(_mm512_maskz_loadu_epi32(mb, acc + cn + 16), nb));
		}
#undef TF_R
#undef TF_I
#undef GAUSS
	}
#endif
	for (uint32_t c = cn; c < ncols; c++) {
		uint32_t o0, o1;
		xp_tf(k0, k1, cbase | c << 8, nlo, &o0, &o1);
		const int32_t z = xp_gauss_inl(o0, o1);
		/* |z * s_read| <= 186 * 65535 < 2^24: rnd(., 5) in 32 bits */
#if XP_MUTANT == 1
		v[c] = acc[c] + asr32(z * (int32_t)sread + 15, 5);
#else
		v[c] = acc[c] + asr32(z * (int32_t)sread + 16, 5);
#endif
	}
	/* ADC: |v * geff| < 2^45 (numerics §10) */
	uint32_t c0 = 0;
#if defined(__AVX512F__) && defined(__AVX512VL__)
	/* 8 columns per step in 64-bit lanes; vpsravq is the arithmetic (floor) shift of asr() */
	const __m512i lo = _mm512_set1_epi64(amin), hi = _mm512_set1_epi64(amax);
	const __m512i one = _mm512_set1_epi64(1);
	for (; c0 + 8 <= ncols; c0 += 8) {
		const __m512i vv = _mm512_cvtepi32_epi64(_mm256_loadu_si256((const __m256i *)(v + c0)));
		const __m512i gg = _mm512_cvtepi32_epi64(_mm256_loadu_si256((const __m256i *)(geff + c0)));
		const __m512i oo = _mm512_cvtepi32_epi64(_mm256_loadu_si256((const __m256i *)(oeff + c0)));
		const __m512i ss = _mm512_add_epi64(_mm512_cvtepu8_epi64(_mm_loadl_epi64((const __m128i *)(sh + c0))),
						    _mm512_set1_epi64(10));
#if XP_MUTANT == 1
		const __m512i half = _mm512_sub_epi64(_mm512_sllv_epi64(one, _mm512_sub_epi64(ss, one)), one);
#else
		const __m512i half = _mm512_sllv_epi64(one, _mm512_sub_epi64(ss, one));
#endif
		__m512i y = _mm512_srav_epi64(_mm512_add_epi64(_mm512_mul_epi32(vv, gg), half), ss);
		y = _mm512_add_epi64(y, oo);
		y = _mm512_min_epi64(_mm512_max_epi64(y, lo), hi);
		_mm_storeu_si128((__m128i *)(code + c0), _mm512_cvtepi64_epi16(y));
	}
#endif
	for (uint32_t c = c0; c < ncols; c++) {
		const unsigned s = sh[c] + 10u;
#if XP_MUTANT == 1
		const int64_t half = ((int64_t)1 << (s - 1)) - 1;
#else
		const int64_t half = (int64_t)1 << (s - 1);
#endif
		int64_t y = asr64((int64_t)v[c] * geff[c] + half, s) + oeff[c];
		y = y < amin ? amin : y;
		y = y > amax ? amax : y;
		code[c] = (int16_t)y;
	}
}
